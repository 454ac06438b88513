"""The Kubernetes manifests (deploy/k8s/): what the platform team relies on, checked structurally."""

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import HubSettings
from tests.support.servers import SERVICES

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"ingest": 8001, "inbox": 8002, "contacts": 8003, "notify": 8004, "solicit": 8005}


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def test_everything_lives_in_the_hub_namespace() -> None:
    assert all(d["metadata"].get("namespace") == "hotel-hub" for d in manifests() if d["kind"] != "Namespace")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_probes_resources_a_service_and_a_disruption_budget(service: str) -> None:
    deployment = find("Deployment", service)
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", f"services.{service}"]
    assert {"name": "http", "containerPort": PORTS[service]} in container["ports"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(PORTS[service])
    assert find("Service", service)["spec"]["ports"][0]["port"] == PORTS[service]
    budget = find("PodDisruptionBudget", service)
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 20, "uvicorn drains for 20 s"


def test_ingest_and_inbox_scale_automatically() -> None:
    for service in ("ingest", "inbox"):
        autoscaler = find("HorizontalPodAutoscaler", service)
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
        assert autoscaler["spec"]["minReplicas"] >= 2


def test_the_config_map_holds_valid_settings_for_a_cluster() -> None:
    data = find("ConfigMap", "hub-config")["data"]
    values = {k.removeprefix("HUB_").lower(): v for k, v in data.items() if k.startswith("HUB_")}
    settings = HubSettings(**values, secret_key="a-secret-from-the-hub-secrets-secret-" + "x" * 32)
    assert settings.environment == "production"
    assert settings.stream_replicas == 3
    assert len(settings.nats_url.split(",")) == 3
    assert "replicaSet=rs0" in settings.mongo_url
    assert "HUB_SECRET_KEY" not in data, "secrets come from the hub-secrets Secret"


def test_nats_and_mongo_run_three_nodes() -> None:
    nats = find("StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert "routes" in find("ConfigMap", "nats-config")["data"]["nats.conf"]
    assert find("StatefulSet", "mongo")["spec"]["replicas"] == 3


def test_prometheus_on_kubernetes_keeps_annotated_hub_pods() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-k8s.yml").read_text())
    assert config["rule_files"] == ["rules/hub-alerts.yml"]
    [job] = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["hotel-hub"]
    keep = job["relabel_configs"][0]
    assert (keep["action"], keep["regex"]) == ("keep", "true")


def test_services_trust_forwarded_for_only_from_a_gateway_network() -> None:
    """Issue 18, finding 7: never '*', with which uvicorn believes the client-written entry."""
    trusted = find("ConfigMap", "hub-config")["data"]["FORWARDED_ALLOW_IPS"]
    networks = [ipaddress.ip_network(part.strip()) for part in trusted.split(",")]
    assert all(network.is_private for network in networks), trusted
