"""Metrics of the inbox service."""

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from shared.bus import Channel

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
# The same per hotel, for the per-hotel dashboard: fewer buckets (the hotel's service targets: within 5 and
# 15 minutes, an hour, 4 hours, a day), so 8 series per hotel, as bounded as the hotel's other series.
HOTEL_FIRST_RESPONSE = Histogram(
    "hub_inbox_hotel_first_response_seconds",
    "Time from a request's opening to the first reply an agent sent to the guest, by hotel.",
    ["location"],
    buckets=(300, 900, 3600, 4 * 3600, 24 * 3600),
)
RESOLUTION = Histogram(
    "hub_inbox_resolution_seconds",
    "Time from a request's opening to its closing (each time it is closed), by channel.",
    ["channel"],
    buckets=_WORK_BUCKETS,
)
# What a hotel's agents have in front of them, from its counters (counters/), exported by the replica holding
# the counters' lease only (the others export no series: dashboards take the max per hotel).
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
# Report metrics (a hotel's labels and reservations), per hotel. Labels are free text typed by agents: as
# metric label values they would grow without bound and show every hotel's words on the metrics page. So
# the `label` dimension only takes the labels the hotel configured for its reports (the directory's
# `labels` of a hotel, at most 20), any other label counting as "other": at most 21 series per hotel. The
# words themselves are listed, per hotel and within an agent's rights, by GET /api/v1/conversations/labels.
OTHER_LABEL = "other"
LABELS_APPLIED = Counter(
    "hub_inbox_labels_applied_total",
    'Labels put on requests, by hotel and label (one the hotel configured for its reports, else "other").',
    ["location", "label"],
)
RESERVATIONS_RECORDED = Counter(
    "hub_inbox_reservations_recorded_total",
    "Reservations agents recorded for guests, by hotel and kind (room, restaurant, spa, transfer).",
    ["location", "kind"],
)


def report_label(label: str, configured: Iterable[str]) -> str:
    """The series a label put on a request counts in: the hotel's configured label it names (whatever the
    case or spaces an agent typed, in the configured spelling), else "other"."""
    wanted = " ".join(label.split()).casefold()
    return next((name for name in configured if " ".join(name.split()).casefold() == wanted), OTHER_LABEL)


# Live streams (live/service.py): one subscription per hotel per process, fanned out to its streams.
LIVE_STREAMS = Gauge("hub_inbox_live_streams", "Agents' live streams (server-sent events) open on this process.")
LIVE_HOTEL_SUBSCRIPTIONS = Gauge(
    "hub_inbox_live_hotel_subscriptions",
    "Hotels this process subscribes to for its live streams (the admins' whole chain counts as one).",
)
LIVE_RESYNCS = Counter(
    "hub_inbox_live_resyncs_total",
    "Live streams told to refetch instead of losing events: stream_behind (the console did not read its "
    "queue), subscription_behind (the hub's subscription dropped messages), reconnected (the bus was away).",
    ["reason"],
)
LIVE_SLOW_CONSUMER = Counter(
    "hub_inbox_live_slow_consumer_total",
    "Bus messages the live streams' NATS connection dropped because a hotel's subscription had too many waiting.",
)
# The per-hotel counters the counts are read from (counters/), checked against recounts by the one
# replica holding the counters' lease. The drift must stay 0: anything else is a bug to look into.
COUNT_DRIFT = Gauge(
    "hub_inbox_count_drift",
    "Conversations the last reconciliation found counted in a wrong view state (summed over hotels), then repaired.",
)
COUNT_REPAIRS = Counter(
    "hub_inbox_count_repairs_total",
    "Hotels whose counters a reconciliation found different from a recount, twice in a row, and repaired.",
)
COUNTS_RECONCILED = Gauge(
    "hub_inbox_counts_reconciled_timestamp_seconds",
    "When the counters were last checked against a recount of every hotel (Unix time).",
)
COUNTER_DELTAS_FOLDED = Counter(
    "hub_inbox_count_changes_folded_total", "Changes of the counts folded into the hotels' totals."
)


# A hotel's scores over the trailing 30 days (reports/, from the scores per hotel-day), exported by the replica
# holding the scores' lease only; a score with nothing to divide (no request, no rating) has no series.
HOTEL_RESPONSE_RATE = Gauge(
    "hub_inbox_hotel_response_rate",
    "Share (0 to 1) of a hotel's requests of the last 30 days that an agent answered.",
    ["location"],
)
HOTEL_WITHIN_TARGET = Gauge(
    "hub_inbox_hotel_within_target_share",
    "Share (0 to 1) of a hotel's first-response targets of the last 30 days met, among those met or missed.",
    ["location"],
)
HOTEL_CSAT = Gauge(
    "hub_inbox_hotel_csat_average",
    "Average satisfaction rating (1 to 5) of a hotel's requests of the last 30 days.",
    ["location"],
)
HOTEL_FIRST_RESPONSE_MEDIAN = Gauge(
    "hub_inbox_hotel_first_response_median_seconds",
    "Median first-response time, in business time (whole minutes, as seconds), of a hotel's requests of the "
    "last 30 days.",
    ["location"],
)
SCORE_DAYS_REBUILT = Counter(
    "hub_inbox_score_rebuilds_total", "Scores of a hotel-day rebuilt from its requests after a change."
)


# Series at 0 from the start (shared/metrics.py says why): by channel and live-stream reason. The per-hotel
# series appear with their hotel's first event (the gauges with the counters' first export): a chain's
# hotels change while the process runs, and the reports read them per hotel, not through alerts.
RESYNC_REASONS = ("stream_behind", "subscription_behind", "reconnected")  # live/service.py's ResyncReason
for _channel in Channel:
    INBOUND_STORED.labels(channel=_channel.value)
    CONVERSATIONS_CREATED.labels(channel=_channel.value)
    PIPELINE_LATENCY.labels(channel=_channel.value)
    FIRST_RESPONSE.labels(channel=_channel.value)
    RESOLUTION.labels(channel=_channel.value)
for _reason in RESYNC_REASONS:
    LIVE_RESYNCS.labels(reason=_reason)
