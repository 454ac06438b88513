"""Settings shared by every service; each service adds its own on top with its own env prefix."""

import ipaddress
from typing import Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

DEVELOPMENT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the placeholder that production refuses
MongoFlavour = Literal["ferretdb", "mongodb"]
Environment = Literal["development", "test", "production"]


class HubSettings(BaseSettings):
    """Values every service reads, from `HUB_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    environment: Environment = "development"
    log_level: str = "INFO"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    nats_url: str = "nats://127.0.0.1:4222"
    # JetStream publish must be acknowledged within this time or the producer answers 503.
    nats_publish_timeout_seconds: float = 5.0

    # Copies of each JetStream stream: 1 on a single server, 3 on the production cluster.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # Byte limit of each stream by name (JSON, e.g. {"INBOUND": 2147483648}); a stream not named has none.
    # When one is full its oldest messages go, so keep the sum under the server's JetStream store.
    stream_max_bytes: dict[str, int] = Field(default_factory=dict)
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
        require_real_secrets(self.environment, HUB_SECRET_KEY=self.secret_key)
        return self


MIN_PRODUCTION_SECRET_LENGTH = 24


def require_real_secrets(environment: Environment, **secrets: SecretStr) -> None:
    """In production, refuse to start with a development placeholder or a short secret (named by its variable)."""
    if environment != "production":
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

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # HUB_ENVIRONMENT, as HubSettings reads it: a service's own settings refuse local defaults in production.
    environment: Environment = Field(default="development", validation_alias="HUB_ENVIRONMENT")


# What production refuses (each service's settings name theirs): a default of a development machine
# that would otherwise start without complaint and fail later, one guest at a time: mail handed to the
# container itself, links to 127.0.0.1 in agents' mail, a session cookie without `Secure`, replies
# addressed to a domain nobody receives.


def is_this_machine(host: str) -> bool:
    """Whether `host` names the machine (or container) itself: localhost, a loopback or "any" address."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def local_host(variable: str, host: str, what: str) -> str | None:
    """A problem if the host a service connects to is this machine: `what` says what to set instead."""
    if not host.strip():
        return f"{variable} is empty: set it to {what}"
    if is_this_machine(host):
        return f"{variable} is {host!r}, this machine: set it to {what}"
    return None


def local_url(variable: str, url: str) -> str | None:
    """A problem if a public address (the console's, in links and cookies) is not https:// on a real host."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or is_this_machine(parts.hostname):
        return f"{variable} is {url!r}: set it to the console's public https:// address (e.g. https://hub.example.com)"
    return None


def local_domain(variable: str, domain: str | None, what: str) -> str | None:
    """A problem if a mail domain is missing or is a development one (`*.localhost`) that no mail reaches."""
    if not domain or not domain.strip():
        return f"{variable} is not set: set it to {what}"
    if is_this_machine(domain) or "." not in domain.strip("."):
        return f"{variable} is {domain!r}, which no mail reaches: set it to {what}"
    return None


def refuse_in_production(environment: Environment, *problems: str | None) -> None:
    """In production, refuse to start while any check found a problem: all of them, in one message."""
    found = [problem for problem in problems if problem]
    if environment == "production" and found:
        raise ValueError("; ".join(found) + " (HUB_ENVIRONMENT=production)")


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """A service's settings from the environment, or an exit with one line naming the variables to fix:
    the operator reading `docker compose logs` or a pod's status needs the variable, not a traceback."""
    try:
        return cls()
    except ValidationError as exc:
        raise SystemExit(f"cannot start: {settings_problems(exc, cls)}") from None
    except SettingsError as exc:  # a value that is not the JSON its setting takes
        raise SystemExit(f"cannot start: {exc}") from None


def settings_problems(error: ValidationError, cls: type[BaseSettings]) -> str:
    """A validation error of `cls` as one line: each problem after the variable it is about."""
    prefix = str(cls.model_config.get("env_prefix", "")) if error.title == cls.__name__ else ""
    problems = []
    for detail in error.errors(include_url=False):
        message = detail["msg"].removeprefix("Value error, ")
        location = [str(part) for part in detail["loc"]]
        if not location:  # a check of the whole model names its variables itself
            problems.append(message)
            continue
        head = location[0] if location[0].isupper() else f"{prefix}{location[0]}".upper()
        variable = ".".join([head, *location[1:]])
        problems.append(f"{variable}: {message}")
    return "; ".join(problems)
