"""Settings of the notify service (`HUB_NOTIFY_*`)."""

from typing import Self

from pydantic import BaseModel, EmailStr, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings, local_domain, local_host, local_url, refuse_in_production


class Sender(BaseModel):
    """Who a hotel's emails come from."""

    name: str
    address: EmailStr


class NotifySettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_NOTIFY_", extra="ignore")

    port: int = 8004

    # The SMTP server every email goes through (a relay or the provider's submission port).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: bool = False  # implicit TLS (port 465)
    smtp_starttls: bool = False  # require STARTTLS (port 587)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)

    # The sender of a hotel's mail when its command carries none (the directory's sender comes first);
    # a hotel not listed sends as `<hotel id>@<default_sender_domain>`.
    senders: dict[str, Sender] = Field(default_factory=dict)
    default_sender_domain: str = "hotels.hub.localhost"
    default_sender_name: str = "Guest services"
    # Guests answer `reply+<token>@<hotel>.<reply_domain>`: the same value as HUB_INGEST_REPLY_DOMAIN.
    reply_domain: str = "reply.hub.localhost"
    # Links to a request in agents' assignment notices (never in an email to a guest, supplier or colleague).
    console_url: str = "http://127.0.0.1:8080"

    # Temporary failures (4xx, connection refused) are retried after base * 2^(n-1) seconds, capped.
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    max_attempts: int = Field(default=8, ge=1, le=50)

    # Emails per minute to one destination domain (per replica), and the burst allowed.
    domain_rate_per_minute: float = Field(default=120.0, gt=0)
    domain_rate_burst: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> Self:
        refuse_in_production(
            self.environment,
            local_host("HUB_NOTIFY_SMTP_HOST", self.smtp_host, "the SMTP relay that sends the hotels' mail"),
            local_url("HUB_NOTIFY_CONSOLE_URL", self.console_url),
            local_domain(
                "HUB_NOTIFY_REPLY_DOMAIN", self.reply_domain, "the domain guests reply to (as HUB_INGEST_REPLY_DOMAIN)"
            ),
            local_domain(
                "HUB_NOTIFY_DEFAULT_SENDER_DOMAIN", self.default_sender_domain, "the domain the hotels' mail comes from"
            ),
        )
        return self
