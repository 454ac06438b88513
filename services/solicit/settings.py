"""Settings of the solicit service (`HUB_SOLICIT_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class SolicitSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_SOLICIT_", extra="ignore")

    port: int = 8005
    # How long a new solicitation waits for the inbox to say which hotel its request belongs to.
    inbox_timeout_seconds: float = Field(default=5.0, gt=0)
