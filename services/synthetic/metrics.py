"""Metrics of the synthetic check (scraped as job `synthetic`; alerts HubSyntheticCheck*)."""

from prometheus_client import Counter, Gauge

SUCCESS = Gauge(
    "hub_synthetic_check_success",
    "1 if the last synthetic form became a conversation in the inbox in time, else 0.",
)
LAST_SUCCESS = Gauge(
    "hub_synthetic_check_last_success_timestamp_seconds",
    "When a synthetic form last became a conversation in the inbox (Unix time; 0 before the first).",
)
DURATION = Gauge(
    "hub_synthetic_check_duration_seconds",
    "How long the last synthetic check took, from posting the form to finding its conversation.",
)
CHECKS = Counter("hub_synthetic_checks_total", "Synthetic checks run, by result (success, failure).", ["result"])
for _result in ("success", "failure"):
    CHECKS.labels(result=_result)
