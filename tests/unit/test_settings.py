"""Settings come from the environment and refuse unsafe production defaults."""

import pytest
from pydantic import ValidationError

from services.ingest.main import build_app as build_ingest
from shared.messaging import RetryPolicy
from shared.settings import HubSettings


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
    monkeypatch.delenv("HUB_INGEST_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError, match="HUB_INGEST_WEBHOOK_SECRET"):
        build_ingest()
    monkeypatch.setenv("HUB_INGEST_WEBHOOK_SECRET", "another-real-secret-from-the-vault")
    assert build_ingest().title == "Hub ingest"


def test_retry_delays_grow_then_stay_at_the_last() -> None:
    policy = RetryPolicy(max_deliver=6, retry_delays_seconds=[1, 5, 30], ack_wait_seconds=30)
    assert [policy.delay_after(n) for n in range(1, 7)] == [1, 5, 30, 30, 30, 30]
