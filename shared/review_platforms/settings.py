"""Which hotels are on which review platform, and the credentials to reach it, from `HUB_REVIEWS_*`
environment variables, read by ingest's poller and by notify (a mounted secret is passed as a variable).

The hotels' platform ids are a JSON list in the environment, like ingest's IMAP mailboxes: a new
hotel on Google is a deployment change, which keeps credentials and ids in one reviewed place."""

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.bus import LocationId


class GoogleLocation(BaseModel):
    """A hotel's Business Profile location: `accounts/{account}/locations/{location}`."""

    location_id: LocationId  # the hub's hotel
    account: str = Field(pattern=r"^[0-9A-Za-z_-]{1,100}$")
    location: str = Field(pattern=r"^[0-9A-Za-z_-]{1,100}$")


class WebhookPlatform(BaseModel):
    """A platform (or aggregator) that pushes its reviews to ingest's signed `POST /reviews` and takes
    the hotel's replies at `reply_url`, signed with `secret` (shared/signatures.py)."""

    platform: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    reply_url: str
    secret: SecretStr


class ReviewPlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_REVIEWS_", extra="ignore")

    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    google_api_url: str = "https://mybusiness.googleapis.com"
    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")
    google_refresh_token: SecretStr = SecretStr("")
    google_locations: list[GoogleLocation] = Field(default=[], description="JSON list of the hotels' locations")
    webhooks: list[WebhookPlatform] = Field(default=[], description="JSON list of webhook platforms")
    # How often ingest lists each location's reviews (Google's quota: keep it in minutes in production).
    poll_seconds: float = Field(default=300.0, gt=0)
    request_timeout_seconds: float = Field(default=15.0, gt=0)

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_refresh_token.get_secret_value())
