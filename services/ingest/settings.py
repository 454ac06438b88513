"""Settings of the ingest service (`HUB_INGEST_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class IngestSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_INGEST_", extra="ignore")

    port: int = 8001
    # A web form is a few fields of text; anything larger is refused before it is read whole.
    form_max_bytes: int = Field(default=64 * 1024, ge=1024)
