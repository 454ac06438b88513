"""Reviews fetched from the platforms that are polled (Google Business Profile): each configured hotel's
listing is compared with what was seen last, and what changed reaches the inbox.

A new or edited review goes through `accept_review` (an edit joins the same conversation as a new
entry); a review gone from the listing becomes a "deleted on the platform" message on its thread; the
hotel's reply edited or taken down on the platform becomes a `ReviewReplyChanged` event. What was seen
is saved only after the bus has it, so a crash in between tells it again (and the keys store it once).
One replica polls: the holder of the lease.
"""

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.bus import ReviewReplyChanged, utcnow
from shared.leases import RENEW_SECONDS, Lease
from shared.messaging import publish_event
from shared.review_platforms import Connectors, PlatformLocation, PlatformReview, ReviewConnector
from shared.review_platforms.settings import ReviewPlatformSettings
from shared.runtime import Runtime, stopping

from .repository import PlatformReviewRepository
from .schemas import Review
from .service import accept_review, accept_review_deletion

log = logging.getLogger(__name__)

POLLING_LEASE = "ingest-review-polling"
AUTHOR_LENGTH = 200


@dataclass(frozen=True)
class Seen:
    """What was remembered of a review: its content's fingerprint and the hotel's reply then."""

    content: str
    reply: str | None


@dataclass
class Changes:
    reviews: list[PlatformReview] = field(default_factory=list)  # new or edited by the guest
    deleted: list[str] = field(default_factory=list)  # review ids the platform no longer lists
    replies: list[tuple[PlatformReview, Literal["edited", "deleted"]]] = field(default_factory=list)


def fingerprint(review: PlatformReview) -> str:
    return hashlib.sha256(f"{review.rating}\x1f{review.comment}".encode()).hexdigest()[:32]


def compare(seen: Mapping[str, Seen], listed: list[PlatformReview]) -> Changes:
    """What changed between the last listing and this one. A reply appearing is not news (it is the
    hotel's own, published from the hub or on the platform); a reply changed or gone is."""
    changes = Changes()
    listed_ids = set()
    for review in listed:
        listed_ids.add(review.review_id)
        before = seen.get(review.review_id)
        if before is None or before.content != fingerprint(review):
            changes.reviews.append(review)
        if before is None or before.reply is None:
            continue
        if review.reply is None:
            changes.replies.append((review, "deleted"))
        elif review.reply.comment != before.reply:
            changes.replies.append((review, "edited"))
    changes.deleted = [review_id for review_id in seen if review_id not in listed_ids]
    return changes


def as_review(hotel: str, platform: str, review: PlatformReview) -> Review:
    """The platform's review as ingest's own review model (the one the signed webhook takes)."""
    return Review(
        platform=platform,
        review_id=review.review_id,
        location=hotel,
        author=(review.author or "")[:AUTHOR_LENGTH] or None,
        rating=review.rating or 0,
        scale=5,
        text=review.comment,
        date=review.created_at.isoformat() if review.created_at else None,
    )


async def poll_location(
    runtime: Runtime, connector: ReviewConnector, location: PlatformLocation, repository: PlatformReviewRepository
) -> Changes:
    """List one hotel's reviews on the platform and hand over what changed."""
    platform = connector.platform
    listed = await connector.list_reviews(location)
    documents = await repository.seen(location.hotel, platform)
    seen = {str(d["review_id"]): Seen(str(d.get("content", "")), d.get("reply")) for d in documents}
    changes = compare(seen, listed)
    replies = {review.review_id: state for review, state in changes.replies}
    for review in listed:
        if review.review_id in replies:
            state = replies[review.review_id]
            event = ReviewReplyChanged(
                location_id=location.hotel,
                platform=platform,
                review_id=review.review_id,
                state=state,
                comment=review.reply.comment if review.reply else None,
                at=(review.reply.updated_at if review.reply and review.reply.updated_at else utcnow()),
            )
            await publish_event(runtime.broker, event, timeout=runtime.settings.nats_publish_timeout_seconds)
        if review in changes.reviews:
            await accept_review(runtime, as_review(location.hotel, platform, review))
        before = seen.get(review.review_id)
        reply = review.reply.comment if review.reply else None
        if review in changes.reviews or review.review_id in replies or before is None or before.reply != reply:
            state_now = {"content": fingerprint(review), "reply": reply, "deleted": False}
            await repository.save(location.hotel, platform, review.review_id, state_now)
    for review_id in changes.deleted:
        await accept_review_deletion(runtime, location.hotel, platform, review_id)
        await repository.save(location.hotel, platform, review_id, {"deleted": True})
    return changes


def review_pollers(settings: ReviewPlatformSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Poll every configured location every `poll_seconds`, in the replica that holds the lease."""

    async def poll(runtime: Runtime) -> None:
        connectors = Connectors(settings)
        locations = connectors.google_locations()
        connector = connectors.get("google")
        if connector is None or not locations:
            await connectors.aclose()
            return
        lease = Lease(runtime.broker, POLLING_LEASE, runtime.settings.stream_replicas)
        repository = PlatformReviewRepository(runtime.db)
        due = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stopping():
                if await lease.hold() and loop.time() >= due:
                    due = loop.time() + settings.poll_seconds
                    for location in locations:
                        try:
                            await poll_location(runtime, connector, location, repository)
                        except Exception as exc:  # noqa: BLE001 - the location is listed again next time
                            log.warning(
                                "review polling failed",
                                extra={"location_id": location.hotel, "platform": "google", "error": repr(exc)},
                            )
                await asyncio.sleep(min(settings.poll_seconds, RENEW_SECONDS))
        finally:
            await lease.release()
            await connectors.aclose()

    return poll
