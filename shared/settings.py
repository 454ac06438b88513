"""Settings shared by every service; each service adds its own on top with its own env prefix."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the placeholder that production refuses
MongoFlavour = Literal["ferretdb", "mongodb"]


class HubSettings(BaseSettings):
    """Values every service reads, from `HUB_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    nats_url: str = "nats://127.0.0.1:4222"
    # JetStream publish must be acknowledged within this time or the producer answers 503.
    nats_publish_timeout_seconds: float = 5.0

    # Copies of each JetStream stream: 1 on a single server, 3 on the production cluster.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # How often each service looks at its consumers' lag and the dead-letter stream for /metrics.
    bus_metrics_seconds: float = Field(default=15.0, gt=0)

    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_database: str = "hub"
    # The server behind `mongo_url`, which picks the repositories' variant: "ferretdb" (v1, locally and
    # in tests) works around its non-atomic updates and its in-memory ranges and sorts; "mongodb" (7,
    # production) uses atomic updates and index-driven sorts. Switching an existing database from
    # mongodb back to ferretdb is safe: FerretDB's replicas re-derive what the MongoDB variant dropped.
    mongo_flavour: MongoFlavour = "ferretdb"
    # Kept well under the consumers' ack wait so a stalled database makes a handler fail and
    # nack with a delay instead of running while JetStream redelivers the same message.
    mongo_timeout_ms: int = Field(default=5000, ge=100)

    # On SIGTERM, readiness turns false this long before the server stops accepting (load balancers
    # notice it first); then requests in flight finish and the bus drains.
    shutdown_delay_seconds: float = Field(default=5.0, ge=0, le=60)

    # Redelivery policy of every durable consumer (see shared/messaging.py).
    consumer_max_deliver: int = Field(default=5, ge=1, le=100)
    consumer_retry_delays_seconds: list[float] = Field(default=[1.0, 5.0, 30.0, 120.0])
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Self:
        require_real_secrets(self, HUB_SECRET_KEY=self.secret_key)
        return self


MIN_PRODUCTION_SECRET_LENGTH = 24


def require_real_secrets(settings: HubSettings, **secrets: SecretStr) -> None:
    """In production, refuse to start with a development placeholder or a short secret (named by its variable)."""
    if settings.environment != "production":
        return
    for variable, secret in secrets.items():
        value = secret.get_secret_value()
        if value.startswith("dev-only") or len(value) < MIN_PRODUCTION_SECRET_LENGTH:
            msg = (
                f"{variable} must be set to a real secret of at least {MIN_PRODUCTION_SECRET_LENGTH} characters "
                "when HUB_ENVIRONMENT=production"
            )
            raise ValueError(msg)


class HttpSettings(BaseSettings):
    """Where a service listens; each service subclasses it with its own prefix and default port."""

    model_config = SettingsConfigDict(extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
