"""Settings of the FAQ bot (`HUB_FAQBOT_*`)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class FaqBotSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_FAQBOT_", extra="ignore")

    port: int = 8006
    log_level: str = "INFO"
    # The hub's public API as any bot sees it: the gateway, or the inbox directly (paths start with /api/v1).
    api_url: str = "http://127.0.0.1:8080"
    # An API token whose scopes include "bot" and whose hotels include the hotels this bot answers for.
    token: SecretStr
    # The secret the bot was registered with (PUT /api/v1/locations/{id}/bot): it signs the webhooks.
    secret: SecretStr = Field(min_length=32, max_length=200)
    # Per hotel, the questions the bot answers (see deploy/faqbot/demo-faq.json).
    faq_file: Path
    api_timeout_seconds: float = Field(default=10.0, gt=0)
