"""Metrics of the inbox service."""

from prometheus_client import Counter, Gauge, Histogram

INBOUND_STORED = Counter(
    "hub_inbox_inbound_stored_total",
    "Guest messages stored in a conversation's timeline (duplicates excluded), by channel.",
    ["channel"],
)
CONVERSATIONS_CREATED = Counter(
    "hub_inbox_conversations_created_total",
    "Conversations (guest requests) opened, by channel.",
    ["channel"],
)
PIPELINE_LATENCY = Histogram(
    "hub_pipeline_latency_seconds",
    "Time from acceptance at ingest to storage in the inbox, by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
# From a request's first guest message to the first answer an agent sent, and to its closing.
_WORK_BUCKETS = (60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600)
FIRST_RESPONSE = Histogram(
    "hub_inbox_first_response_seconds",
    "Time from a request's opening to the first reply an agent sent to the guest, by channel.",
    ["channel"],
    buckets=_WORK_BUCKETS,
)
RESOLUTION = Histogram(
    "hub_inbox_resolution_seconds",
    "Time from a request's opening to its closing (each time it is closed), by channel.",
    ["channel"],
    buckets=_WORK_BUCKETS,
)
# What a hotel's agents have in front of them, refreshed in the background (one grouped count per hotel).
REQUESTS = Gauge(
    "hub_inbox_requests",
    "Requests of a hotel in a view: open, on_hold, unread (in the inbox), alerts (in the inbox), awaiting.",
    ["location", "view"],
)
GAUGED_VIEWS = {
    "open": "status_open",
    "on_hold": "status_on_hold",
    "unread": "unread",
    "alerts": "bucket_alerts",
    "awaiting": "awaiting",
}
OLDEST_UNANSWERED_ALERT = Gauge(
    "hub_inbox_oldest_unanswered_alert_seconds",
    "Age of a hotel's oldest alert (a very unhappy guest) in the inbox that no agent has answered yet; 0 if none.",
    ["location"],
)
# Labels are free text typed by agents: as metric label values they would grow without bound and show
# every hotel's words on the metrics page, so only their number is counted (the words are listed, per
# hotel and within an agent's rights, by GET /api/v1/conversations/labels).
LABELS_APPLIED = Counter("hub_inbox_labels_applied_total", "Labels put on requests.")
