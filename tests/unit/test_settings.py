"""Settings come from the environment and refuse unsafe production defaults."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.inbox.settings import InboxSettings
from services.ingest.main import build_app as build_ingest
from services.ingest.settings import IngestSettings
from services.notify.settings import NotifySettings
from shared.messaging import RetryPolicy
from shared.settings import HubSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_value_is_overridable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_NATS_URL", "nats://nats.internal:4222")
    monkeypatch.setenv("HUB_CONSUMER_RETRY_DELAYS_SECONDS", "[2, 4]")
    settings = HubSettings()
    assert settings.nats_url == "nats://nats.internal:4222"
    assert settings.consumer_retry_delays_seconds == [2.0, 4.0]


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="HUB_SECRET_KEY"):
        HubSettings()
    monkeypatch.setenv("HUB_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 24 characters"):
        HubSettings()
    monkeypatch.setenv("HUB_SECRET_KEY", "a-real-secret-from-the-vault")
    assert HubSettings().environment == "production"


def test_production_ingest_refuses_the_development_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    monkeypatch.setenv("HUB_SECRET_KEY", "a-real-secret-from-the-vault")
    monkeypatch.setenv("HUB_INGEST_REPLY_DOMAIN", "reply.example-chain.com")
    monkeypatch.setenv("HUB_INGEST_HOTEL_MAIL_DOMAIN", "hotels.example-chain.com")
    monkeypatch.delenv("HUB_INGEST_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError, match="HUB_INGEST_WEBHOOK_SECRET"):
        build_ingest()
    monkeypatch.setenv("HUB_INGEST_WEBHOOK_SECRET", "another-real-secret-from-the-vault")
    assert build_ingest().title == "Hub ingest"


def test_retry_delays_grow_then_stay_at_the_last() -> None:
    policy = RetryPolicy(max_deliver=6, retry_delays_seconds=[1, 5, 30], ack_wait_seconds=30)
    assert [policy.delay_after(n) for n in range(1, 7)] == [1, 5, 30, 30, 30, 30]


PRODUCTION = {"HUB_ENVIRONMENT": "production", "HUB_SECRET_KEY": "a-real-secret-from-the-vault"}
# What a production deployment sets (docker-compose.yml and the Helm chart pass these).
NOTIFY_IN_PRODUCTION = {
    "HUB_NOTIFY_SMTP_HOST": "smtp-relay.example-chain.com",
    "HUB_NOTIFY_CONSOLE_URL": "https://hub.example-chain.com",
    "HUB_NOTIFY_REPLY_DOMAIN": "reply.example-chain.com",
    "HUB_NOTIFY_DEFAULT_SENDER_DOMAIN": "hotels.example-chain.com",
}


def environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """Exactly `values` as the process's HUB_* environment."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


class TestProductionRefusesLocalDefaults:
    """Issue 23: a production service with a development machine's defaults refuses to start, naming the setting."""

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("HUB_NOTIFY_SMTP_HOST", "127.0.0.1"),
            ("HUB_NOTIFY_SMTP_HOST", "localhost"),
            ("HUB_NOTIFY_SMTP_HOST", "::1"),
            ("HUB_NOTIFY_SMTP_HOST", "127.0.1.1"),
            ("HUB_NOTIFY_SMTP_HOST", ""),
            ("HUB_NOTIFY_CONSOLE_URL", "http://hub.example-chain.com"),
            ("HUB_NOTIFY_CONSOLE_URL", "https://localhost:8443"),
            ("HUB_NOTIFY_CONSOLE_URL", "https://127.0.0.1"),
            ("HUB_NOTIFY_REPLY_DOMAIN", "reply.hub.localhost"),
            ("HUB_NOTIFY_REPLY_DOMAIN", ""),
            ("HUB_NOTIFY_DEFAULT_SENDER_DOMAIN", "hotels.hub.localhost"),
        ],
    )
    def test_notify(self, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
        environment(monkeypatch, PRODUCTION | NOTIFY_IN_PRODUCTION | {variable: value})
        with pytest.raises(ValidationError, match=variable) as refused:
            NotifySettings()
        assert "HUB_ENVIRONMENT=production" in str(refused.value)
        others = set(NOTIFY_IN_PRODUCTION) - {variable}
        assert not any(other in str(refused.value) for other in others), "only the wrong setting is named"

    def test_notify_with_real_values_starts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        environment(monkeypatch, PRODUCTION | NOTIFY_IN_PRODUCTION | {"HUB_NOTIFY_SMTP_HOST": "mailpit"})
        assert NotifySettings().smtp_host == "mailpit"

    def test_every_local_default_is_named_at_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        environment(monkeypatch, PRODUCTION)
        with pytest.raises(ValidationError) as refused:
            NotifySettings()
        assert all(variable in str(refused.value) for variable in NOTIFY_IN_PRODUCTION)

    @pytest.mark.parametrize("environment_name", ["development", "test"])
    def test_only_production_is_refused(self, monkeypatch: pytest.MonkeyPatch, environment_name: str) -> None:
        environment(monkeypatch, {"HUB_ENVIRONMENT": environment_name})
        assert NotifySettings().smtp_host == "127.0.0.1"
        assert InboxSettings().console_url == "http://127.0.0.1:8080"
        assert IngestSettings().reply_domain == "reply.hub.localhost"

    def test_inbox_console_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        environment(monkeypatch, PRODUCTION)
        with pytest.raises(ValidationError, match=re.escape("HUB_INBOX_CONSOLE_URL is 'http://127.0.0.1:8080'")):
            InboxSettings()
        monkeypatch.setenv("HUB_INBOX_CONSOLE_URL", "https://hub.example-chain.com")
        assert InboxSettings().console_url == "https://hub.example-chain.com"

    def test_ingest_mail_domains(self, monkeypatch: pytest.MonkeyPatch) -> None:
        secret = {"HUB_INGEST_WEBHOOK_SECRET": "another-real-secret-from-the-vault"}
        environment(monkeypatch, PRODUCTION | secret)
        with pytest.raises(ValidationError, match=r"HUB_INGEST_REPLY_DOMAIN.*HUB_INGEST_HOTEL_MAIL_DOMAIN is not set"):
            IngestSettings()
        monkeypatch.setenv("HUB_INGEST_REPLY_DOMAIN", "reply.example-chain.com")
        monkeypatch.setenv("HUB_INGEST_MAILBOXES", '{"frontdesk@opera.example.com": "paris-opera"}')
        assert IngestSettings().hotel_mail_domain is None, "explicit mailboxes need no hotel domain"
        environment(monkeypatch, PRODUCTION | secret | {"HUB_INGEST_SMTP_PORT": "0"})
        assert IngestSettings().smtp_port == 0, "without the SMTP receiver, no mail domain is needed"


class TestOneLineAtStart:
    def test_settings_refused_exit_with_one_line_naming_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        environment(monkeypatch, PRODUCTION | NOTIFY_IN_PRODUCTION | {"HUB_NOTIFY_PORT": "eighty"})
        with pytest.raises(SystemExit) as exited:
            load_settings(NotifySettings)
        assert str(exited.value.code).startswith("cannot start: HUB_NOTIFY_PORT: Input should be a valid integer")
        assert "\n" not in str(exited.value.code)

    def test_notify_in_production_with_local_defaults_exits_with_one_clear_line(self) -> None:
        """The process as Docker or Kubernetes starts it: one line on stderr, no traceback, a failing status."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            **PRODUCTION,
            "HUB_NOTIFY_CONSOLE_URL": "https://hub.example-chain.com",
        }
        started = subprocess.run(
            [sys.executable, "-m", "services.notify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert started.returncode != 0
        assert started.stdout == ""
        [line] = started.stderr.splitlines()
        assert line.startswith("cannot start: HUB_NOTIFY_SMTP_HOST is '127.0.0.1', this machine: set it to")
        assert "HUB_NOTIFY_REPLY_DOMAIN" in line
        assert "HUB_NOTIFY_CONSOLE_URL" not in line
        assert "Traceback" not in started.stderr
