"""Prometheus metrics common to every service (names follow Prometheus conventions, `hub_` prefix)."""

from prometheus_client import Counter, Histogram

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
