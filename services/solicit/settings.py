"""Settings of the solicit service (`HUB_SOLICIT_*`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class SolicitSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_SOLICIT_", extra="ignore")

    port: int = 8005
