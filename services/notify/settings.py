"""Settings of the notify service (`HUB_NOTIFY_*`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class NotifySettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_NOTIFY_", extra="ignore")

    port: int = 8004
