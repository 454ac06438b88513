"""What the inbox does for the solicit service: say which hotel a request belongs to, and show each
solicitation's messages in the request's timeline (an external answer marks the request unread)."""

import logging
import uuid

from shared.bus import (
    ConversationBrief,
    ConversationBriefRequest,
    SolicitationAnswered,
    SolicitationEvent,
    SolicitationEventBase,
    SolicitationFailed,
    SolicitationReplyReceived,
    SolicitationSent,
    UnknownEvent,
)
from shared.db import Document

from ..conversations.service import Change, Inbox, about

log = logging.getLogger(__name__)


async def brief(inbox: Inbox, request: ConversationBriefRequest) -> ConversationBrief:
    document = await inbox.repository.get(request.conversation_id)
    if document is None:
        return ConversationBrief(found=False)
    hotel = await inbox.hotel(str(document["location_id"]))
    return ConversationBrief(
        found=True,
        location_id=document["location_id"],
        subject=document.get("subject") or "",
        sender_name=hotel.sender_name,
        sender_address=hotel.sender_address,
        language=hotel.language,
    )


def entry_of(event: SolicitationEventBase) -> Document:
    """The timeline entry of a solicitation's message, keyed like the message so it is stored once and
    notify's delivery reports land on it."""
    sent = isinstance(event, SolicitationSent)
    entry: Document = {
        "_id": uuid.uuid4().hex,
        "key": event.key,
        "conversation_id": event.conversation_id,
        "kind": "solicitation",
        "solicitation_id": event.solicitation_id,
        "direction": "outbound" if sent else "inbound",
        "recipient": event.recipient,
        "author": event.author or {"type": "system"},
        "subject": event.subject,
        "text": event.text,
        "formatted": event.formatted,
        "html": event.html,
        "attachments": [a.model_dump() for a in event.attachments],
        "at": event.occurred_at,
    }
    if sent:
        entry["delivery"] = {"state": "queued", "at": event.occurred_at}
    return entry


async def show(inbox: Inbox, event: SolicitationEvent | UnknownEvent) -> None:
    match event:
        case SolicitationSent():
            await inbox.repository.add_entry(entry_of(event))
            # Consoles showing the request add the message to its timeline (again on a redelivery: the
            # event's id is the entry's, so the bus keeps one).
            await inbox.announce_solicitation(event.conversation_id, event.key)
        case SolicitationReplyReceived():
            if await inbox.repository.add_entry(entry_of(event)):
                await inbox.act(event.conversation_id, None, _unread)
        case SolicitationFailed():
            return  # notify's own report marks the message failed on its entry
        case UnknownEvent():
            log.info("solicitation event of an unknown type skipped", extra={"type": event.type})


def _unread(document: Document) -> Change:
    if document.get("unread"):
        return Change()
    return Change(event=SolicitationAnswered(**about(document)), set={"unread": True})
