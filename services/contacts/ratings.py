"""The guest's satisfaction ratings on their contact: the inbox's `conversation.rated` events, summed up.

Each rating is kept on its request's history record (`rating`, `rated_at`), and the contact's summary
(`ratings: {last, last_at, count, average}`) is recounted from those records, so a redelivered event or a
merge (which moves the records) never counts a rating twice.
"""

from typing import Any

from shared.bus import ConversationRated

from .repository import ContactRepository


def summary(rated: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The summary of a contact's rated requests (`rating`, `rated_at` each); None when none is rated."""
    ratings = [r for r in rated if isinstance(r.get("rating"), int) and r.get("rated_at") is not None]
    if not ratings:
        return None
    last = max(ratings, key=lambda r: r["rated_at"])
    total = sum(int(r["rating"]) for r in ratings)
    return {
        "last": int(last["rating"]),
        "last_at": last["rated_at"],
        "count": len(ratings),
        "average": round(total / len(ratings), 2),
    }


async def record_rating(repository: ContactRepository, event: ConversationRated) -> None:
    """Keep the rating on the request's record, then recount the summary of the contact it belongs to."""
    await repository.set_if_newer(event.conversation_id, "rating", event.rating, event.occurred_at)
    await repository.set_if_newer(event.conversation_id, "rated_at", event.occurred_at, event.occurred_at)
    contact_id = await repository.contact_of_request(event.conversation_id) or event.contact_id
    if contact_id:
        await recount(repository, contact_id)


async def recount(repository: ContactRepository, contact_id: str) -> None:
    """The contact's summary from its rated requests (after a rating, or a merge that brought more)."""
    contact = await repository.get(contact_id)
    if contact is None:
        return
    found = summary(await repository.rated_requests(str(contact["_id"])))
    if found is not None and found != contact.get("ratings"):
        await repository.update(str(contact["_id"]), {"ratings": found})
