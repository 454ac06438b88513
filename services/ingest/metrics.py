"""Metrics of the ingest service."""

from prometheus_client import Counter, Gauge

from shared.bus import Channel

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

# Series at 0 from the start (shared/metrics.py says why). Accepted messages are per hotel, and ingest knows a
# hotel only when a message names it (it asks the inbox's directory then): that series appears with its first
# message, and the alert rules count a series that appears as an increase (deploy/prometheus/rules/).
REJECTION_REASONS = {
    Channel.FORM.value: ("invalid", "honeypot", "unknown_location", "directory_unavailable", "rate_limited"),
    Channel.EMAIL.value: ("forbidden_hotel", "unknown_recipient", "unreadable", "overloaded"),
    "http": ("overloaded",),
}
for _channel, _reasons in REJECTION_REASONS.items():
    for _reason in _reasons:
        INBOUND_REJECTED.labels(channel=_channel, reason=_reason)
