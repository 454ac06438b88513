"""Settings of the contacts service (`HUB_CONTACTS_*`)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from pydantic_settings import SettingsConfigDict

from shared.settings import HttpSettings

AttributeType = Literal["text", "integer", "number", "boolean", "date"]
# Stored as a field name: FerretDB refuses dots and dollars there, so attribute names are plain words.
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

# Headquarters' attributes an import may set, with their types (HUB_CONTACTS_ATTRIBUTES as JSON).
DEFAULT_ATTRIBUTES: dict[str, AttributeType] = {
    "age": "integer",
    "segment": "text",
    "purchase_amount": "number",
    "loyalty_tier": "text",
    "loyalty_points": "integer",
    "vip": "boolean",
    "birth_date": "date",
    "last_stay": "date",
    "nights": "integer",
    "preferred_language": "text",
}


class ContactsSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_CONTACTS_", extra="ignore")

    port: int = 8003
    # Where a phone number written without a country code is read when its hotel has no region.
    default_phone_region: str = Field(default="FR", pattern=r"^[A-Z]{2}$")
    attributes: dict[AttributeName, AttributeType] = Field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    # How long the export waits for each page of the inbox's part.
    export_page_timeout_seconds: float = Field(default=10.0, gt=0)
