"""Settings of the inbox service (`HUB_INBOX_*`)."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.dissatisfaction import DEFAULT_THRESHOLD
from shared.review_platforms import ReviewPlatformSettings
from shared.settings import HttpSettings, local_url, refuse_in_production


class InboxSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_INBOX_", extra="ignore")

    port: int = 8002
    contacts_timeout_seconds: float = Field(default=2.0, gt=0)
    # The dissatisfaction score (0 to 1, shared/dissatisfaction.py) from which a guest's email, form or chat
    # message raises an alert; a chain's settings may set their own (`alert_rule.text_threshold`).
    alert_threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    # Where the read-only links of forwarded, delegated and shared requests point (`/requests/<token>`).
    console_url: str = "http://127.0.0.1:8080"
    snooze_sweep_seconds: float = Field(default=1.0, gt=0)  # also how often due automatic review replies go
    # Which review platforms take public replies from the hub (`HUB_REVIEWS_*`, as notify posts them): an
    # agent's answer to a review on one of them is public unless they choose a private email.
    review_platforms: ReviewPlatformSettings = Field(default_factory=ReviewPlatformSettings)
    # Guest messages handled at once by each replica (those of one thread take turns).
    inbound_concurrency: int = Field(default=16, ge=1, le=256)
    # How often the per-hotel request gauges of /metrics are read from the counters.
    count_metrics_seconds: float = Field(default=60.0, gt=0)
    # The counters (counters/): how often their pending changes are folded into the hotels' totals, and
    # how often every hotel is recounted to check them (a recount reads each hotel's conversations once).
    counter_fold_seconds: float = Field(default=2.0, gt=0)
    reconcile_seconds: float = Field(default=3600.0, gt=0)
    # The scores (reports/): how often the hotel-days marked by a change are rebuilt, and how often the
    # per-hotel score gauges of /metrics (the trailing 30 days) are read.
    score_rebuild_seconds: float = Field(default=2.0, gt=0)
    score_metrics_seconds: float = Field(default=60.0, gt=0)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Sign-in (access/service.py): after `login_max_failures` failures of one account within the window,
    # each further attempt on it waits 1, 2, 4 ... seconds (at most `login_delay_max_seconds`) after the
    # last failure, never a lock anyone could set off. The client is limited harder, on every replica
    # (shared/client_limits.py): `login_per_minute` attempts a minute and `login_failures_per_address`
    # failures per `login_address_window_minutes` from one address.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    login_delay_max_seconds: float = Field(default=60.0, gt=0)
    login_per_minute: int = Field(default=20, ge=1)
    login_failures_per_address: int = Field(default=30, ge=1)
    login_address_window_minutes: float = Field(default=60.0, gt=0, le=60)
    # The first admin of a fresh install (created only while the chain has no agent at all).
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> Self:
        # Also what makes the session cookie `Secure` (access/api.py): an https:// address.
        refuse_in_production(self.environment, local_url("HUB_INBOX_CONSOLE_URL", self.console_url))
        return self
