"""Settings of the contacts service (`HUB_CONTACTS_*`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class ContactsSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_CONTACTS_", extra="ignore")

    port: int = 8003
