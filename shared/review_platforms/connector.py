"""The one interface every review platform's connector has: list a location's reviews, put or delete the
hotel's public reply, and say how a failed call should end (rejected with the platform's reason, or
tried again after a delay)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class PlatformReply:
    """The hotel's public reply as the platform shows it."""

    comment: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PlatformReview:
    """A review as the platform lists it (ids are the platform's)."""

    review_id: str  # the id a reply is posted to (Google: `accounts/{a}/locations/{l}/reviews/{r}`)
    author: str | None
    rating: int | None  # 1..5, None when the platform gives none
    comment: str
    created_at: datetime | None
    updated_at: datetime | None
    reply: PlatformReply | None = None


@dataclass(frozen=True)
class PlatformLocation:
    """One hotel's place on a platform (its account and location ids there)."""

    hotel: str  # the hub's location id
    account: str
    location: str


class PlatformError(Exception):
    """A call to a platform that did not succeed; `reason` is said on the timeline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(PlatformError):
    """The platform refused for good (a 4xx): trying again would be refused the same way."""


class RetryLater(PlatformError):
    """The platform is busy or down (429, 5xx, no answer): try again, after `after` seconds if it said."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class ReviewConnector(Protocol):
    """What the hub needs from a review platform. Failures raise Rejected or RetryLater."""

    platform: str

    async def list_reviews(self, location: PlatformLocation) -> list[PlatformReview]:
        """Every review of the location the platform lists now (a pushing platform lists none)."""
        ...

    async def put_reply(self, review_id: str, text: str, *, key: str, hotel: str = "") -> PlatformReply:
        """Publish (or replace) the hotel's public reply; `key` is the hub's delivery key, sent where the
        platform can take it so a repeated call is recognised; `hotel`, the hub's location id, for a platform
        or aggregator that serves several hotels."""
        ...

    async def delete_reply(self, review_id: str, *, key: str) -> None:
        """Take the hotel's public reply down."""
        ...


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header's delay in seconds (its HTTP-date form is read as "no delay given")."""
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
