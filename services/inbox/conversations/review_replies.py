"""What a review platform says happened to the hotel's public reply after it was published: edited or
taken down there (ingest's poller, `hub.events.review.reply_changed.*`). It is shown on the reply's own
timeline entry (its `delivery`) and as an entry of its own."""

import logging
from typing import Any

from shared.bus import DeliveryUpdated, ReviewReplyChanged
from shared.db import Document
from shared.messaging import publish_event

from .service import Change, Inbox, about
from .threading import in_hotel

log = logging.getLogger(__name__)


def review_thread_key(event: ReviewReplyChanged) -> str:
    """The conversation's thread key, as the inbox threads reviews (threading.lookup_for)."""
    return in_hotel(event.location_id, f"review:{event.platform}:{event.review_id}")


def is_news(reply: Document, event: ReviewReplyChanged) -> bool:
    """Whether the change is not shown yet. The platform showing our own latest text (a reply the hub
    replaced) is not an edit; the same report again (a redelivery) is not news."""
    delivery = reply.get("delivery") or {}
    if event.state == "edited" and event.comment == reply.get("text") and delivery.get("state") != "deleted":
        return False
    return not (delivery.get("state") == event.state and delivery.get("comment") == event.comment)


def delivery_of(event: ReviewReplyChanged) -> dict[str, Any]:
    return {"state": event.state, "comment": event.comment, "at": event.at, "platform": event.platform}


def timeline_entry(event: ReviewReplyChanged, reply: Document) -> dict[str, Any]:
    return {
        "kind": "review_reply",
        "state": event.state,
        "platform": event.platform,
        "comment": event.comment,
        "reply_entry_id": str(reply["_id"]),
    }


async def record_review_reply(inbox: Inbox, event: ReviewReplyChanged) -> None:
    """Record the change on the latest public reply of the review's conversation, and on its timeline."""
    repository = inbox.repository
    conversation = await repository.by_thread_key(review_thread_key(event))
    if conversation is None:
        log.warning("reply change for a review the inbox does not have", extra={"review_id": event.review_id})
        return
    conversation_id = str(conversation["_id"])
    reply = await repository.latest_public_reply(conversation_id)
    if reply is None:  # a reply written on the platform itself, never from the hub: nothing to mark
        log.info("reply change for a review not answered from the hub", extra={"conversation_id": conversation_id})
        return
    if not is_news(reply, event):
        return
    await repository.update_entry(str(reply["key"]), {"delivery": delivery_of(event)})

    def decide(document: Document) -> Change:
        return Change(entries=[timeline_entry(event, reply)])

    document, _ = await inbox.act(conversation_id, None, decide)
    shown = DeliveryUpdated(**about(document), key=str(reply["key"]), state=event.state, entry_id=str(reply["_id"]))
    await publish_event(inbox.broker, shown)
