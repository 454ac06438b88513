"""Settings of the contacts service (`HUB_CONTACTS_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings


class ContactsSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_CONTACTS_", extra="ignore")

    port: int = 8003
    # Where a phone number written without a country code is read (until hotels carry their own).
    default_phone_region: str = Field(default="FR", pattern=r"^[A-Z]{2}$")
