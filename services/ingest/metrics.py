"""Metrics of the ingest service."""

from prometheus_client import Counter

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
