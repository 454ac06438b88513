"""The deployment files agree with the code: every service, every setting, every route, every scrape target.

The names of the environment variables come from the settings classes themselves, so a setting added,
renamed or misspelt in docker-compose.yml fails here instead of being silently ignored in production.
"""

import re
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
from shared.review_platforms import ReviewPlatformSettings
from shared.settings import HttpSettings, HubSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SETTINGS: dict[str, type[HttpSettings]] = {
    "ingest": IngestSettings,
    "inbox": InboxSettings,
    "contacts": ContactsSettings,
    "notify": NotifySettings,
    "solicit": SolicitSettings,
}
INFRASTRUCTURE = {"mongo", "nats", "gateway", "prometheus"}
# The services the gateway routes to (notify has no public HTTP).
GATEWAY_ROUTES = {
    "/ingest/": "ingest",
    "/api/v1/contacts": "contacts",
    "/api/v1/solicitations": "solicit",
    "/api/v1/events": "inbox",
    "/": "inbox",
}


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads: its prefix + each field name, upper-cased."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


# The review platforms' settings are read by ingest, inbox and notify alike (shared/review_platforms/).
SHARED_ENV = env_names(HubSettings) | env_names(ReviewPlatformSettings)
KNOWN_ENV = SHARED_ENV.union(*(env_names(s) for s in SERVICE_SETTINGS.values()))


def default_port(service: str) -> int:
    port: int = SERVICE_SETTINGS[service].model_fields["port"].default
    return port


def service_env(spec: dict[str, Any]) -> dict[str, str]:
    """A compose service's `environment`, in either of compose's two forms, as strings."""
    env = spec.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_every_service_and_the_infrastructure(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {*SERVICE_SETTINGS, *INFRASTRUCTURE}
    assert services["mongo"]["image"].startswith("mongo:7")
    assert "healthcheck" in services["mongo"]
    assert "healthcheck" in services["nats"]
    assert "./deploy/nats/nats.conf:/etc/nats/nats.conf:ro" in services["nats"]["volumes"]
    assert any(v.startswith("./deploy/nginx/compose.conf:") for v in services["gateway"]["volumes"])
    assert any(v.startswith("./deploy/prometheus/prometheus-compose.yml:") for v in services["prometheus"]["volumes"])
    assert {"mongo-data", "nats-data", "prometheus-data"} <= set(compose["volumes"])


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_each_service_trusts_forwarded_for_from_the_gateway_only(compose: dict[str, Any], service: str) -> None:
    """Issue 18, finding 7: with '*' uvicorn believes the client-written X-Forwarded-For entry."""
    gateway = compose["services"]["gateway"]["networks"]["default"]["ipv4_address"]
    assert service_env(compose["services"][service])["FORWARDED_ALLOW_IPS"] == gateway


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_each_service_runs_its_module_from_the_one_image(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    assert spec["build"] == "."
    assert spec["image"] == compose["services"]["ingest"]["image"], "one image for every service"
    assert spec["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert spec["depends_on"]["nats"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_each_service_sets_only_settings_that_exist(compose: dict[str, Any], service: str) -> None:
    env = service_env(compose["services"][service])
    prefix = f"HUB_{service.upper()}_"
    required = {"HUB_NATS_URL", "HUB_MONGO_URL", "HUB_ENVIRONMENT", "HUB_SECRET_KEY", f"{prefix}HOST", f"{prefix}PORT"}
    assert required <= set(env), f"{service} is missing {sorted(required - set(env))}"
    hub_vars = {name for name in env if name.startswith("HUB_")}
    unknown = hub_vars - KNOWN_ENV
    assert not unknown, f"{service} sets variables no settings class reads: {sorted(unknown)}"
    foreign = hub_vars - SHARED_ENV - env_names(SERVICE_SETTINGS[service])
    assert not foreign, f"{service} sets another service's settings: {sorted(foreign)}"


# The settings each service loads from the compose environment (trial and production values alike):
# tests/unit/test_compose.py.


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_each_service_healthcheck_asks_readyz_on_its_port(compose: dict[str, Any], service: str) -> None:
    test = compose["services"][service]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"], "the slim image has no curl: the check runs in Python"
    assert f"http://127.0.0.1:{default_port(service)}/readyz" in " ".join(test)


def test_the_gateway_routes_to_the_compose_services() -> None:
    conf = (ROOT / "deploy/nginx/compose.conf").read_text()
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{[^}]*?server\s+([\w.-]+:\d+)", conf))
    for location, service in GATEWAY_ROUTES.items():
        assert re.search(rf"location\s+{re.escape(location)}\s*\{{[^}}]*proxy_pass\s+http://{service};", conf), location
        assert upstreams[service] == f"{service}:{default_port(service)}"
    assert "client_max_body_size 30m;" in conf
    events = re.search(r"location /api/v1/events \{([^}]*)\}", conf)
    assert events is not None
    assert "proxy_buffering off;" in events[1]
    chat = re.search(r"location /ingest/chat \{([^}]*)\}", conf)
    assert chat is not None
    assert "proxy_set_header Upgrade $http_upgrade;" in chat[1]
    assert "X-Forwarded-For" in chat[1], "a location that sets a header must repeat the proxy headers"


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    for service in SERVICE_SETTINGS:
        assert f"{service}:{default_port(service)}" in targets


def test_every_nats_config_fsyncs_each_write() -> None:
    configs = {path.name: path.read_text() for path in (ROOT / "deploy/nats").glob("*.conf")}
    assert {"nats.conf", "cluster.conf"} <= set(configs)
    for name, text in configs.items():
        assert re.search(r"^\s*sync_interval:\s*always\s*$", text, re.MULTILINE), name


def test_the_image_installs_the_locked_dependencies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "COPY shared ./shared" in dockerfile
    assert "COPY services ./services" in dockerfile
    assert "USER hub" in dockerfile
    assert 'CMD ["python", "-m", "services.ingest"]' in dockerfile
