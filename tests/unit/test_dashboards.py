"""Grafana dashboards and alert rules only query metrics the services really export."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy/grafana/dashboards").glob("*.json"))
_DEFINED = re.compile(r'(?:Counter|Gauge|Histogram)\(\s*"(hub_[a-z0-9_]+)"')
_USED = re.compile(r"\b(hub_[a-z0-9_]+)")


def defined_metrics() -> set[str]:
    """Every metric a service or shared module defines, with the series names a histogram adds."""
    names = set()
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")]:
        names.update(_DEFINED.findall(path.read_text()))
    return names | {f"{n}{suffix}" for n in names for suffix in ("_bucket", "_count", "_sum")}


def test_metric_definitions_are_found() -> None:
    assert {"hub_ingest_inbound_accepted_total", "hub_bus_dlq_messages"} <= defined_metrics()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_queries_exported_metrics(path: Path) -> None:
    board = json.loads(path.read_text())
    assert board["uid"].startswith("hub-")
    assert board["panels"]
    used = {name for panel in board["panels"] for target in panel["targets"] for name in _USED.findall(target["expr"])}
    for variable in board.get("templating", {}).get("list", []):
        used.update(_USED.findall(json.dumps(variable.get("query"))))
    assert used, "a dashboard of the hub shows the hub's metrics"
    assert used <= defined_metrics(), f"{path.name} queries metrics nobody exports: {sorted(used - defined_metrics())}"
    assert all(panel["datasource"]["uid"] == "prometheus" for panel in board["panels"])


def test_alert_rules_query_exported_metrics() -> None:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/hub-alerts.yml").read_text())
    used = {name for group in rules["groups"] for rule in group["rules"] for name in _USED.findall(rule["expr"])}
    assert used <= defined_metrics(), sorted(used - defined_metrics())


def test_grafana_is_provisioned_with_the_dashboards_in_compose() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    volumes = compose["services"]["grafana"]["volumes"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in volumes
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/hub.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["uid"] == "prometheus"
