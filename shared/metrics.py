"""Prometheus metrics common to every service (names follow Prometheus conventions, `hub_` prefix)."""

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from shared.bus import DLQ, DURABLE_CONSUMERS, Declared, Publication, Rpc

HTTP_REQUESTS = Counter(
    "hub_http_requests_total",
    "HTTP requests served, by route template and status class.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hub_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["service", "method", "route"],
)
BUS_HELD_FOR_OUTAGE = Counter(
    "hub_bus_held_for_outage_total",
    "Handler runs that met an unreachable database or bus; the message was held and run again in place.",
)
BUS_REDELIVERIES = Counter(
    "hub_bus_redeliveries_total",
    "Messages nacked for a later retry after their handler failed.",
    ["stream", "consumer"],
)
BUS_DEAD_LETTERED = Counter(
    "hub_bus_dead_lettered_total",
    "Messages moved to the dead-letter stream after their last attempt or a permanent error.",
    ["stream", "consumer"],
)
BUS_PUBLISH_FAILURES = Counter(
    "hub_bus_publish_failures_total",
    "JetStream publishes that were not acknowledged.",
    ["stream"],
)
BUS_CONSUMER_PENDING = Gauge(
    "hub_bus_consumer_pending_messages",
    "Messages of a durable consumer's stream not yet delivered to it (its lag), as last observed.",
    ["stream", "consumer"],
)
BUS_CONSUMER_ACK_PENDING = Gauge(
    "hub_bus_consumer_ack_pending_messages",
    "Messages delivered to a durable consumer and not acknowledged yet, as last observed.",
    ["stream", "consumer"],
)
BUS_DLQ_MESSAGES = Gauge("hub_bus_dlq_messages", "Messages in the dead-letter stream, as last observed.")


def initialise_bus_series(service: str, publications: Iterable[Declared]) -> None:
    """Export the bus counters at 0 from the start, for every label value this process can use.

    A labelled counter has no series until its first event: after a restart, `increase()` then sees the
    first dead letter appear at 1 (no increase) and a rule summing an absent series stays silent, so alerts
    and dashboards go blind. Retries are counted by the consumer's own service; dead letters by whichever
    process handles the server's advisory (any service, see `register_dead_letter_advisories`), so every
    process exports every consumer's; publish failures by the streams this service publishes to, and the
    dead-letter stream, which every consumer may publish to.
    """
    for consumer in DURABLE_CONSUMERS:
        BUS_DEAD_LETTERED.labels(stream=consumer.stream.name, consumer=consumer.durable)
        if consumer.service == service:
            BUS_REDELIVERIES.labels(stream=consumer.stream.name, consumer=consumer.durable)
    BUS_PUBLISH_FAILURES.labels(stream=DLQ.name)
    for declared in publications:
        publication: Publication = declared.publication if isinstance(declared, Rpc) else declared
        if publication.stream is not None:
            BUS_PUBLISH_FAILURES.labels(stream=publication.stream.name)
