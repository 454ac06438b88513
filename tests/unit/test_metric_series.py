"""Counters exist at 0 from a process's start, and what dashboards and alerts read is exported or scraped."""

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

from services.inbox import metrics as inbox_metrics
from services.inbox.live.service import ResyncReason
from services.notify import metrics as notify_metrics  # noqa: F401 - a process's start: its metrics imported
from services.notify.main import PUBLICATIONS as NOTIFY_PUBLICATIONS
from services.solicit import metrics as solicit_metrics  # noqa: F401
from services.synthetic.settings import SYNTHETIC_HOTEL
from shared.bus import DURABLE_CONSUMERS, BounceKind, Channel, OutboundKind
from shared.metrics import initialise_bus_series

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules/hub-alerts.yml"
# The exporters' metric prefixes, and the compose job that scrapes each (deploy/prometheus/prometheus-compose.yml).
EXPORTERS = {"gnatsd_": "nats", "jetstream_": "nats", "mongodb_": "mongodb", "ferretdb_": "ferretdb"}


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_bus_counters_start_at_zero_for_every_label_the_service_can_use() -> None:
    initialise_bus_series("notify", NOTIFY_PUBLICATIONS)
    for consumer in DURABLE_CONSUMERS:
        labels = {"stream": consumer.stream.name, "consumer": consumer.durable}
        assert value("hub_bus_dead_lettered_total", **labels) is not None, consumer.durable
    assert value("hub_bus_redeliveries_total", stream="OUTBOUND", consumer="notify-outbound") is not None
    assert value("hub_bus_redeliveries_total", stream="INBOUND", consumer="notify-bounces") is not None
    for stream in ("EVENTS", "DLQ"):
        assert value("hub_bus_publish_failures_total", stream=stream) is not None


def test_service_counters_start_at_zero_for_every_known_label() -> None:
    for channel in Channel:
        assert value("hub_inbox_inbound_stored_total", channel=channel.value) is not None
        assert value("hub_inbox_first_response_seconds_count", channel=channel.value) is not None
    assert set(inbox_metrics.RESYNC_REASONS) == {reason.value for reason in ResyncReason}
    for reason in ResyncReason:
        assert value("hub_inbox_live_resyncs_total", reason=reason.value) is not None
    for kind in OutboundKind:
        assert value("hub_notify_outbound_total", channel="email", kind=kind.value, result="failed") is not None
    for bounce in [*BounceKind, "unmatched"]:
        assert value("hub_notify_bounces_total", kind=str(bounce)) is not None
    assert value("hub_notify_emails_total", outcome="failed") is not None
    assert value("hub_solicitation_replies_unmatched_total", reason="revoked") is not None


def test_alerts_that_count_events_cope_with_absent_series() -> None:
    rules = {
        rule["alert"]: rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    }
    for alert in ("HubIngestStalled", "HubInboxNotStoring", "HubDeadLetters", "HubPublishFailures"):
        assert re.search(r"unless \w+ offset", rules[alert]), f"{alert} misses a series appearing at 1"
    for alert in ("HubIngestStalled", "HubInboxNotStoring"):
        assert "or vector(0)" in rules[alert], f"{alert} is silent when its series are absent"
    assert f'location!="{SYNTHETIC_HOTEL}"' in rules["HubIngestStalled"], "the probe's forms are no guests"
    assert "absent_over_time(hub_synthetic_check_success" in rules["HubSyntheticCheckMissing"]


def test_rule_tests_feed_absent_series() -> None:
    tests = [yaml.safe_load(path.read_text()) for path in (ROOT / "deploy/prometheus/tests").glob("*.yml")]
    fed = [series["values"] for test in tests for case in test["tests"] for series in case["input_series"]]
    assert any(re.search(r"(^|\s)_x\d+", values) for values in fed)
    tested = {check["alertname"] for test in tests for case in test["tests"] for check in case["alert_rule_test"]}
    alerts = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    assert (
        alerts - {"HubPipelineSlow", "HubRedeliveriesGrowing", "HubEmailFailures", "HubEmailRetriesGrowing"} <= tested
    )


def test_exporter_metrics_on_dashboards_are_scraped() -> None:
    compose = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yml").read_text())
    local = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-local.yml").read_text())
    jobs = {job["job_name"] for config in (compose, local) for job in config["scrape_configs"]}
    used: set[str] = set()
    for path in (ROOT / "deploy/grafana/dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        used |= {
            prefix
            for panel in board["panels"]
            for target in panel["targets"]
            for prefix in EXPORTERS
            if prefix in target["expr"]
        }
    assert {"gnatsd_", "mongodb_", "ferretdb_"} <= used, "NATS and the database have panels"
    assert {EXPORTERS[prefix] for prefix in used} | {"synthetic"} <= jobs


def test_the_per_hotel_dashboard_shows_what_agents_face() -> None:
    board = json.loads((ROOT / "deploy/grafana/dashboards/per-hotel.json").read_text())
    exprs = " ".join(target["expr"] for panel in board["panels"] for target in panel["targets"])
    for needed in (
        'view="awaiting"',
        'view="alerts"',
        "hub_inbox_oldest_unanswered_alert_seconds",
        "hub_inbox_hotel_first_response_seconds_bucket",
    ):
        assert needed in exprs
    assert SYNTHETIC_HOTEL in json.dumps(board["templating"]), "the probe's hotel is no hotel to pick"
