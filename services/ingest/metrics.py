"""Metrics of the ingest service."""

from prometheus_client import Counter, Gauge

INBOUND_ACCEPTED = Counter(
    "hub_ingest_inbound_accepted_total",
    "Guest messages accepted (stored by JetStream), by channel and location.",
    ["channel", "location"],
)
INBOUND_REJECTED = Counter(
    "hub_ingest_inbound_rejected_total",
    "Guest inputs refused, by channel and reason.",
    ["channel", "reason"],
)
IN_FLIGHT = Gauge(
    "hub_ingest_in_flight",
    "Messages being stored (waiting for JetStream) right now; past the budget, ingest answers 503 / 451.",
)
