"""docker-compose.yml works end to end (issue 23): the README's recipe (`cp .env.example .env`, then
`docker compose up`) gives every service settings it accepts, mail comes in on a published SMTP port and goes
out to the Mailpit sink, every image is pinned and every container limited, and production values pass.

There is no Docker engine here: the file is read as compose reads it (YAML, then `${...}` from `.env`) and
validated against the Compose Specification's schema (tests/data/compose-spec.json, from
github.com/compose-spec/compose-go/v2 v2.16.2, the loader of `docker compose`, Apache-2.0), and `docker compose
config` renders it too when a compose client is installed.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from services.contacts.settings import ContactsSettings
from services.faqbot.settings import FaqBotSettings
from services.inbox.settings import InboxSettings
from services.ingest.settings import IngestSettings
from services.notify.settings import NotifySettings
from services.solicit.settings import SolicitSettings
from services.synthetic.settings import SyntheticSettings
from shared.review_platforms import ReviewPlatformSettings
from shared.settings import HttpSettings, HubSettings, is_this_machine

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# The hub's processes in compose, with the settings each reads: the five on the bus and the database read
# HubSettings whole, the synthetic check its secret only, the bot none of it.
SERVICES: dict[str, type[HttpSettings]] = {
    "ingest": IngestSettings,
    "inbox": InboxSettings,
    "contacts": ContactsSettings,
    "notify": NotifySettings,
    "solicit": SolicitSettings,
    "faqbot": FaqBotSettings,
    "synthetic": SyntheticSettings,
}
ON_THE_BUS = {"ingest", "inbox", "contacts", "notify", "solicit"}
READS_REVIEWS = {"ingest", "inbox", "notify"}
# Where the services' mail goes when nothing else is set (Mailpit's SMTP port on the compose network).
SINK, SINK_SMTP_PORT, SINK_UI_PORT = "mailpit", 1025, 8025

# A real deployment's `.env`: what the README's production notes ask for.
PRODUCTION = {
    "HUB_ENVIRONMENT": "production",
    "HUB_SECRET_KEY": "0f6c2b1e9a8d7c6b5a4f3e2d1c0b9a8f",
    "HUB_INGEST_WEBHOOK_SECRET": "9a8f0f6c2b1e7c6b5a4f3e2d1c0b9a8d",
    "GRAFANA_ADMIN_PASSWORD": "a-long-grafana-password",
    "CONSOLE_URL": "https://hub.example-chain.com",
    "MAIL_DOMAIN": "hotels.example-chain.com",
    "REPLY_DOMAIN": "reply.example-chain.com",
    "SMTP_PUBLISHED_PORT": "25",
    "HUB_NOTIFY_SMTP_HOST": "smtp-relay.example-chain.com",
    "HUB_NOTIFY_SMTP_PORT": "587",
    "HUB_NOTIFY_SMTP_STARTTLS": "true",
    "HUB_NOTIFY_SMTP_USERNAME": "hub@example-chain.com",
    "HUB_NOTIFY_SMTP_PASSWORD": "relay-password",
    "HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL": "it@example-chain.com",
    "HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD": "a-long-first-password",
    "HUB_FAQBOT_TOKEN": "hub_bot_token",
    "HUB_FAQBOT_SECRET": "a-secret-of-at-least-32-characters-long",
}

# Compose's interpolation: ${VAR}, ${VAR:-default} / ${VAR-default}, ${VAR:?message} / ${VAR?message}.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingValue(Exception):
    """A `${VAR:?message}` without its value: `docker compose` stops with the message."""


def interpolate(value: str, values: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        present = name in values and (values[name] != "" or not op.startswith(":"))
        if present:
            return values[name]
        if op.endswith("?"):
            raise MissingValue(f"{name}: {arg}")
        return arg if op.endswith("-") else ""

    return INTERPOLATION.sub(replace, value)


def interpolated(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: interpolated(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(item, values) for item in node]
    return interpolate(node, values) if isinstance(node, str) else node


def read_env_file(path: Path) -> dict[str, str]:
    """A `.env` as compose reads it: KEY=VALUE lines; `#` starts a comment (a whole line, or after a blank)."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    return values


def raw_compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def compose_with(values: Mapping[str, str]) -> dict[str, Any]:
    """The compose file as `docker compose` sees it with `values` in `.env`."""
    rendered: dict[str, Any] = interpolated(raw_compose(), values)
    return rendered


def trial() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


def environment_of(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def env_names(settings: type[BaseSettings]) -> dict[str, str]:
    """The variables a settings class reads, each with its field's name."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = {}
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names[alias if isinstance(alias, str) else f"{prefix}{name}".upper()] = name
    return names


def load_service(service: str, env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    """The service's settings as its container would load them (HubSettings first, as main() does)."""
    with monkeypatch.context() as patch:
        for name in [*os.environ]:
            if name.startswith(("HUB_", "OTEL_")):
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        if service != "faqbot":
            HubSettings()
        if service in READS_REVIEWS:
            ReviewPlatformSettings()
        return SERVICES[service]()


def published(spec: dict[str, Any]) -> dict[int, str]:
    """The service's published ports: container port -> host side (`[address:]port`)."""
    ports = {}
    for entry in spec.get("ports", []):
        host, _, container = str(entry).rpartition(":")
        ports[int(container.split("/")[0])] = host
    return ports


@pytest.mark.parametrize("values", ["trial", "production"])
def test_the_file_follows_the_compose_specification(values: str) -> None:
    schema = json.loads((ROOT / "tests/data/compose-spec.json").read_text())
    rendered = compose_with(trial() | (PRODUCTION if values == "production" else {}))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft202012Validator(schema).iter_errors(rendered)
    ]
    assert errors == []


def test_the_readme_recipe_needs_nothing_but_the_example_env() -> None:
    """`cp .env.example .env && docker compose up`: every required value is there."""
    compose_with(trial())  # raises MissingValue naming the first one missing


def test_without_env_compose_stops_naming_each_required_value() -> None:
    raw = COMPOSE_FILE.read_text()
    required = {m["name"]: m["arg"] for m in INTERPOLATION.finditer(raw) if m["op"] in {":?", "?"}}
    assert {"HUB_SECRET_KEY", "HUB_INGEST_WEBHOOK_SECRET", "GRAFANA_ADMIN_PASSWORD", "CONSOLE_URL"} <= set(required)
    for name, message in required.items():
        assert name in message, f"${{{name}}}: the message names it"
        assert ".env" in message, f"${{{name}}}: the message says where to set it"
    with pytest.raises(MissingValue):
        compose_with({})


def test_every_value_compose_reads_is_documented_in_the_example_env() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    read = {m["name"] for m in INTERPOLATION.finditer(COMPOSE_FILE.read_text())}
    assert read - documented == set(), "documented in .env.example, set or as a comment"
    assert set(PRODUCTION) <= read, "the production values below are ones compose reads"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_starts_with_the_trial_env(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    values = trial() | {"HUB_FAQBOT_TOKEN": "t", "HUB_FAQBOT_SECRET": "s" * 32}  # the bot, once connected
    spec = compose_with(values)["services"][service]
    settings = load_service(service, environment_of(spec), monkeypatch)
    assert isinstance(settings, HttpSettings)
    assert settings.host == "0.0.0.0", "listens beyond loopback, for the gateway, Prometheus and the other services"
    assert settings.port == SERVICES[service].model_fields["port"].default


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_starts_with_production_values(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compose_with(trial() | PRODUCTION)["services"][service]
    env = environment_of(spec)
    assert env["HUB_ENVIRONMENT"] == "production"
    load_service(service, env, monkeypatch)  # the production checks pass


def test_compose_defaults_to_production() -> None:
    """Without HUB_ENVIRONMENT in .env the checks are on: the trial's values are then refused."""
    values = {name: value for name, value in trial().items() if name != "HUB_ENVIRONMENT"}
    for service in SERVICES:
        assert environment_of(compose_with(values)["services"][service])["HUB_ENVIRONMENT"] == "production"


@pytest.mark.parametrize("service", ["ingest", "inbox", "contacts", "notify", "solicit"])
def test_the_trial_env_in_production_is_refused(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trial's secrets start with dev-only: switching its `.env` to production alone does not start."""
    env = environment_of(compose_with(trial() | {"HUB_ENVIRONMENT": "production"})["services"][service])
    with pytest.raises(ValidationError, match="HUB_SECRET_KEY"):
        load_service(service, env, monkeypatch)


def test_the_trial_webhook_secret_in_production_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    values = trial() | PRODUCTION | {"HUB_INGEST_WEBHOOK_SECRET": trial()["HUB_INGEST_WEBHOOK_SECRET"]}
    env = environment_of(compose_with(values)["services"]["ingest"])
    with pytest.raises(ValidationError, match="HUB_INGEST_WEBHOOK_SECRET"):
        load_service("ingest", env, monkeypatch)


@pytest.mark.parametrize(
    ("service", "variable"),
    [
        ("ingest", "HUB_INGEST_REPLY_DOMAIN"),
        ("ingest", "HUB_INGEST_HOTEL_MAIL_DOMAIN"),
        ("inbox", "HUB_INBOX_CONSOLE_URL"),
        ("notify", "HUB_NOTIFY_CONSOLE_URL"),
        ("notify", "HUB_NOTIFY_REPLY_DOMAIN"),
        ("notify", "HUB_NOTIFY_DEFAULT_SENDER_DOMAIN"),
    ],
)
def test_the_trial_addresses_in_production_are_refused(
    service: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real secrets, but the trial's console and domains: the service names the one to set."""
    secrets = {k: PRODUCTION[k] for k in ("HUB_ENVIRONMENT", "HUB_SECRET_KEY", "HUB_INGEST_WEBHOOK_SECRET")}
    env = environment_of(compose_with(trial() | secrets)["services"][service])
    with pytest.raises(ValidationError, match=variable):
        load_service(service, env, monkeypatch)


def test_mail_comes_in_on_a_published_smtp_port() -> None:
    ingest = compose_with(trial())["services"]["ingest"]
    env = environment_of(ingest)
    assert env["HUB_INGEST_SMTP_HOST"] == "0.0.0.0", "the receiver listens beyond the container's loopback"
    port = int(env["HUB_INGEST_SMTP_PORT"])
    assert port != 0, "the receiver is on"
    assert published(ingest)[port] == "2525"
    assert published(compose_with(trial() | PRODUCTION)["services"]["ingest"])[port] == "25"
    assert f"{port}" in (ROOT / "Dockerfile").read_text().split("EXPOSE", 1)[1].splitlines()[0]


def test_mail_goes_out_to_the_mailpit_sink_unless_a_relay_is_set() -> None:
    services = compose_with(trial())["services"]
    notify = environment_of(services["notify"])
    assert (notify["HUB_NOTIFY_SMTP_HOST"], int(notify["HUB_NOTIFY_SMTP_PORT"])) == (SINK, SINK_SMTP_PORT)
    assert services[SINK]["image"].startswith("axllent/mailpit:")
    assert published(services[SINK])[SINK_UI_PORT] == f"127.0.0.1:{SINK_UI_PORT}", "its UI, on this machine only"
    assert SINK_SMTP_PORT not in published(services[SINK]), "the sink takes mail from the hub only"

    relay = environment_of(compose_with(trial() | PRODUCTION)["services"]["notify"])
    assert relay["HUB_NOTIFY_SMTP_HOST"] == PRODUCTION["HUB_NOTIFY_SMTP_HOST"]
    assert relay["HUB_NOTIFY_SMTP_STARTTLS"] == "true"
    assert relay["HUB_NOTIFY_SMTP_USERNAME"] == PRODUCTION["HUB_NOTIFY_SMTP_USERNAME"]


def test_ingest_and_notify_agree_on_the_mail_domains() -> None:
    services = compose_with(trial() | PRODUCTION)["services"]
    ingest, notify = environment_of(services["ingest"]), environment_of(services["notify"])
    assert ingest["HUB_INGEST_REPLY_DOMAIN"] == notify["HUB_NOTIFY_REPLY_DOMAIN"] == PRODUCTION["REPLY_DOMAIN"]
    assert ingest["HUB_INGEST_HOTEL_MAIL_DOMAIN"] == notify["HUB_NOTIFY_DEFAULT_SENDER_DOMAIN"]
    inbox = environment_of(services["inbox"])
    assert inbox["HUB_INBOX_CONSOLE_URL"] == notify["HUB_NOTIFY_CONSOLE_URL"] == PRODUCTION["CONSOLE_URL"]


# An exact version: 1.2.3, v1.2.3, optionally with a variant (-alpine); never latest, never 7 or 2.12.
PINNED = re.compile(r"^v?\d+\.\d+\.\d+(-[a-z0-9.]+)?$")


def test_every_image_is_pinned_to_an_exact_version() -> None:
    for name, spec in compose_with(trial())["services"].items():
        image, _, tag = spec["image"].rpartition(":")
        assert image, f"{name}: {spec['image']} has no tag"
        assert tag != "latest", name
        if "build" not in spec:
            assert PINNED.match(tag), f"{name}: {spec['image']} floats"


def test_nats_is_the_version_the_tools_install() -> None:
    installed = re.search(r"^NATS_VERSION=v(\S+)$", (ROOT / "scripts/install-tools.sh").read_text(), re.MULTILINE)
    assert installed is not None
    assert raw_compose()["services"]["nats"]["image"] == f"nats:{installed[1]}-alpine"


def test_every_container_has_cpu_and_memory_limits() -> None:
    for name, spec in compose_with(trial())["services"].items():
        limits = spec.get("deploy", {}).get("resources", {}).get("limits", {})
        assert float(limits.get("cpus", 0)) > 0, name
        assert re.fullmatch(r"\d+[MG]", str(limits.get("memory", ""))), name


def mentions_this_machine(default: object) -> bool:
    if not isinstance(default, str) or not default:
        return False
    host = re.sub(r"^\w+://", "", default).split("/")[0].rsplit(":", 1)[0]
    return is_this_machine(host)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_setting_whose_default_is_this_machine_is_set(service: str) -> None:
    """A default that names localhost is right for `make up` and wrong in a container: compose sets each."""
    env = environment_of(compose_with(trial())["services"][service])
    classes: list[type[BaseSettings]] = [SERVICES[service]]
    if service in ON_THE_BUS:
        classes.append(HubSettings)
    for settings in classes:
        for variable, field in env_names(settings).items():
            if mentions_this_machine(settings.model_fields[field].default):
                assert variable in env, f"{service} keeps {variable}={settings.model_fields[field].default}"


@pytest.mark.parametrize("service", sorted(READS_REVIEWS))
def test_review_platforms_are_optional_and_passed_on(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = environment_of(compose_with(trial())["services"][service])
    assert set(env_names(ReviewPlatformSettings)) - set(env) <= {
        "HUB_REVIEWS_GOOGLE_TOKEN_URL",
        "HUB_REVIEWS_GOOGLE_API_URL",
        "HUB_REVIEWS_POLL_SECONDS",
        "HUB_REVIEWS_REQUEST_TIMEOUT_SECONDS",
    }
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert not ReviewPlatformSettings().google_enabled


def test_the_faq_bot_runs_on_request_with_its_file() -> None:
    """The bot needs a token and a registered secret first: it runs with `--profile faqbot` only."""
    assert (ROOT / "services/faqbot").is_dir()
    spec = compose_with(trial())["services"]["faqbot"]
    assert spec["profiles"] == ["faqbot"]
    assert spec["command"] == ["python", "-m", "services.faqbot"]
    assert spec["image"] == compose_with(trial())["services"]["ingest"]["image"], "one image"
    env = environment_of(spec)
    assert env["HUB_FAQBOT_API_URL"] == "http://gateway:8080"
    required = {
        name for name, field in env_names(FaqBotSettings).items() if FaqBotSettings.model_fields[field].is_required()
    }
    assert required <= set(env)
    source, target, _ = spec["volumes"][0].split(":")
    assert (ROOT / source).is_file()
    assert target == env["HUB_FAQBOT_FAQ_FILE"]


def test_prometheus_scrapes_services_of_this_file_on_their_ports() -> None:
    services = compose_with(trial())["services"]
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus-compose.yml").read_text())
    for job in config["scrape_configs"]:
        for target in (t for group in job["static_configs"] for t in group["targets"]):
            host, port = target.rsplit(":", 1)
            if host == "localhost":  # Prometheus itself
                continue
            assert host in services, f"{job['job_name']}: {target}"
            if host in SERVICES:
                assert int(environment_of(services[host])[f"HUB_{host.upper()}_PORT"]) == int(port)
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"nats", "mongodb", "synthetic", *ON_THE_BUS} <= jobs


def compose_client() -> str | None:
    """Why `docker compose config` cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "no docker client on this machine"
    check = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        return f"the docker client has no compose plugin ({(check.stderr or check.stdout).strip()[:80]})"
    return None


@pytest.mark.skipif(compose_client() is not None, reason=f"docker compose config not run: {compose_client()}")
def test_docker_compose_renders_the_file_with_the_example_env(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text())
    rendered = subprocess.run(
        [
            "docker",
            "compose",
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(env_file),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    config = json.loads(rendered.stdout)
    ingest = config["services"]["ingest"]
    assert any(port["target"] == 2525 for port in ingest["ports"])
    assert config["services"]["notify"]["environment"]["HUB_NOTIFY_SMTP_HOST"] == SINK
