"""Metrics of solicitations (Prometheus names: `hub_` prefix, base units, `_total` counters)."""

from prometheus_client import Counter, Histogram

SENT = Counter("hub_solicitations_sent_total", "Solicitation messages sent to external people", ["kind"])
ANSWERED = Counter("hub_solicitations_answered_total", "Answers from external people stored in their thread")
UNMATCHED = Counter(
    "hub_solicitation_replies_unmatched_total", "Answers kept aside: unknown, forged or revoked token", ["reason"]
)
TIME_TO_ANSWER = Histogram(
    "hub_solicitation_time_to_answer_seconds",
    "From a solicitation's first message to the external person's first answer",
    buckets=(60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600),
)

# Series at 0 from the start (shared/metrics.py says why): a first message and a follow-up, and every reason
# an answer is kept aside (service.py).
for _kind in ("new", "answer"):
    SENT.labels(kind=_kind)
for _reason in ("forged_token", "unknown_solicitation", "revoked", "other_hotel"):
    UNMATCHED.labels(reason=_reason)
