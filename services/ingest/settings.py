"""Settings of the ingest service (`HUB_INGEST_*`)."""

from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings, local_domain, refuse_in_production, require_real_secrets


class ImapMailbox(BaseModel):
    """A hotel mailbox polled over IMAP (several can be listed; shard them across replicas)."""

    host: str
    port: int = Field(default=993, ge=1, le=65535)
    tls: bool = True
    user: str
    password: SecretStr
    folder: str = "INBOX"
    location_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")


class IngestSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_INGEST_", extra="ignore")

    port: int = 8001
    # A web form is a few fields of text; anything larger is refused before it is read whole.
    form_max_bytes: int = Field(default=64 * 1024, ge=1024)
    # A form with files (multipart/form-data): at most 5 files, this much in all.
    form_with_files_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Per client address, on all replicas together (limits.py): a guest sends a form or two; a script
    # sends hundreds.
    form_rate_per_minute: float = Field(default=10.0, gt=0)
    form_rate_burst: int = Field(default=5, ge=1)
    # Messages held at once while JetStream stores them (HTTP and SMTP together); past it, 503 / 451.
    max_in_flight: int = Field(default=200, ge=1)
    # Per chat session: people type a few messages a minute.
    chat_rate_per_minute: float = Field(default=30.0, gt=0)
    chat_rate_burst: int = Field(default=10, ge=1)
    # Per client address, on all replicas: new chats, and messages over all its chats. Guests on a hotel's
    # Wi-Fi share one address, hence room for a lobby full of them.
    chat_sessions_per_hour: float = Field(default=60.0, gt=0)
    chat_sessions_burst: int = Field(default=10, ge=1)
    chat_address_rate_per_minute: float = Field(default=120.0, gt=0)
    chat_address_rate_burst: int = Field(default=40, ge=1)

    # Email. Hotel mailboxes: explicit addresses, and/or `<hotel id>@<hotel_mail_domain>`.
    mailboxes: dict[str, str] = Field(default={}, description="address -> hotel id")
    hotel_mail_domain: str | None = None
    # Where replies come back: reply+<token>@<hotel>.<reply_domain> (and solicit+… for solicitations).
    reply_domain: str = "reply.hub.localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=0, le=65535, description="0 turns the SMTP receiver off")
    email_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    smtp_command_call_limit: int = Field(default=100, ge=10)
    review_import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # SpamAssassin's spamd, when there is one: mail it calls spam opens in the spam view.
    spamd_host: str | None = None
    spamd_port: int = Field(default=783, ge=1, le=65535)
    imap_mailboxes: list[ImapMailbox] = Field(default=[], description="JSON list of mailboxes to poll")
    imap_poll_seconds: float = Field(default=30.0, gt=0)
    # Shared with the mail provider or review platform that calls the signed webhooks.
    webhook_secret: SecretStr = SecretStr("dev-only-webhook-secret")

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> Self:
        require_real_secrets(self.environment, HUB_INGEST_WEBHOOK_SECRET=self.webhook_secret)
        receives_mail = self.smtp_port != 0
        refuse_in_production(
            self.environment,
            local_domain("HUB_INGEST_REPLY_DOMAIN", self.reply_domain, "the domain guests reply to (its MX: this host)")
            if receives_mail
            else None,
            # Mail to a hotel is addressed to `<hotel id>@<domain>` or to an address listed in HUB_INGEST_MAILBOXES.
            local_domain(
                "HUB_INGEST_HOTEL_MAIL_DOMAIN",
                self.hotel_mail_domain,
                "the domain of the hotels' addresses (<hotel id>@<domain>), or list HUB_INGEST_MAILBOXES",
            )
            if receives_mail and not self.mailboxes
            else None,
        )
        return self
