"""Review platforms as connectors: one interface (connector.py), Google Business Profile (google.py) and
a generic signed webhook (webhook.py), configured per hotel (settings.py)."""

import httpx

from .connector import (
    PlatformError,
    PlatformLocation,
    PlatformReply,
    PlatformReview,
    Rejected,
    RetryLater,
    ReviewConnector,
)
from .google import GoogleConnector
from .settings import ReviewPlatformSettings
from .webhook import WebhookConnector

__all__ = [
    "Connectors",
    "PlatformError",
    "PlatformLocation",
    "PlatformReply",
    "PlatformReview",
    "Rejected",
    "RetryLater",
    "ReviewConnector",
    "ReviewPlatformSettings",
    "has_connector",
]


def has_connector(platform: str, settings: ReviewPlatformSettings) -> bool:
    """Whether the hub can post a public reply on this platform."""
    if platform == GoogleConnector.platform:
        return settings.google_enabled
    return any(webhook.platform == platform for webhook in settings.webhooks)


class Connectors:
    """The configured connectors of a service, by platform name (one HTTP client for them all)."""

    def __init__(self, settings: ReviewPlatformSettings) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=settings.request_timeout_seconds)
        self.by_platform: dict[str, ReviewConnector] = {}
        if settings.google_enabled:
            self.by_platform[GoogleConnector.platform] = GoogleConnector(settings, self.client)
        for webhook in settings.webhooks:
            self.by_platform[webhook.platform] = WebhookConnector(webhook, self.client)

    def get(self, platform: str) -> ReviewConnector | None:
        return self.by_platform.get(platform)

    def google_locations(self) -> list[PlatformLocation]:
        if GoogleConnector.platform not in self.by_platform:
            return []
        return [PlatformLocation(g.location_id, g.account, g.location) for g in self.settings.google_locations]

    async def aclose(self) -> None:
        await self.client.aclose()
