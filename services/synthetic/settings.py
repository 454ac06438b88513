"""Settings of the synthetic check (`HUB_SYNTHETIC_*`)."""

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.bus import LOCATION_ID_PATTERN
from shared.settings import HttpSettings, local_host, refuse_in_production

# The probe's own hotel: dashboards and alerts that count guests' messages leave it out by this id
# (deploy/prometheus/rules/hub-alerts.yml, deploy/grafana/dashboards/).
SYNTHETIC_HOTEL = "synthetic-check"


class SyntheticSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_SYNTHETIC_", extra="ignore")

    port: int = 8090  # its /metrics
    log_level: str = "INFO"
    # Where a guest's form goes (ingest, or the gateway in front of it) and where agents read (the inbox).
    ingest_url: str = "http://127.0.0.1:8001"
    inbox_url: str = "http://127.0.0.1:8002"
    location_id: str = Field(default=SYNTHETIC_HOTEL, pattern=LOCATION_ID_PATTERN)
    interval_seconds: float = Field(default=300.0, gt=0)
    # How long a form may take to become a conversation before the check counts as failed.
    timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> Self:
        refuse_in_production(
            self.environment,
            local_host("HUB_SYNTHETIC_INGEST_URL", urlsplit(self.ingest_url).hostname or "", "ingest's address"),
            local_host("HUB_SYNTHETIC_INBOX_URL", urlsplit(self.inbox_url).hostname or "", "the inbox's address"),
        )
        return self
