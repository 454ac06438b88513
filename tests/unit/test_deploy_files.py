"""The deployment files agree with the code: every service, every setting, every scrape target."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.contacts.settings import ContactsSettings
from services.inbox.settings import InboxSettings
from services.ingest.settings import IngestSettings
from services.notify.settings import NotifySettings
from services.solicit.settings import SolicitSettings
from shared.settings import HttpSettings, HubSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SETTINGS: dict[str, type[HttpSettings]] = {
    "ingest": IngestSettings,
    "inbox": InboxSettings,
    "contacts": ContactsSettings,
    "notify": NotifySettings,
    "solicit": SolicitSettings,
}


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


KNOWN = env_names(HubSettings).union(*(env_names(s) for s in SERVICE_SETTINGS.values()))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_every_service_and_the_infrastructure(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {*SERVICE_SETTINGS, "mongo", "nats", "gateway", "prometheus"}
    assert compose["services"]["mongo"]["image"].startswith("mongo:7")


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_each_service_gets_its_command_and_settings(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    env = spec["environment"]
    required = {
        "HUB_NATS_URL",
        "HUB_MONGO_URL",
        "HUB_ENVIRONMENT",
        "HUB_SECRET_KEY",
        f"HUB_{service.upper()}_HOST",
        f"HUB_{service.upper()}_PORT",
    }
    assert required <= set(env)
    unknown = {name for name in env if name.startswith("HUB_")} - KNOWN
    assert not unknown, f"{service} sets variables no settings class reads: {sorted(unknown)}"
    port = int(env[f"HUB_{service.upper()}_PORT"])
    assert SERVICE_SETTINGS[service]().port == port, "compose uses each service's default port"
    assert f":{port}/readyz" in " ".join(spec["healthcheck"]["test"])


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    for service, settings in SERVICE_SETTINGS.items():
        assert f"{service}:{settings().port}" in targets


def test_every_nats_config_fsyncs_each_write() -> None:
    for name in ("nats.conf", "cluster.conf", "local.conf"):
        assert "sync_interval: always" in (ROOT / "deploy/nats" / name).read_text()


def test_the_image_installs_the_locked_dependencies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "USER hub" in dockerfile
