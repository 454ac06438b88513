"""What the inbox does for the solicit service: say which hotel a request belongs to, and show each
solicitation's messages in the request's timeline (an external answer marks the request unread)."""

import uuid

from shared.bus import ConversationBrief, ConversationBriefRequest, SolicitationEvent
from shared.db import Document

from ..conversations.service import Change, Inbox


async def brief(inbox: Inbox, request: ConversationBriefRequest) -> ConversationBrief:
    document = await inbox.repository.get(request.conversation_id)
    if document is None:
        return ConversationBrief(found=False)
    return ConversationBrief(found=True, location_id=document["location_id"], subject=document.get("subject") or "")


def entry_of(event: SolicitationEvent) -> Document:
    """The timeline entry of a solicitation's message, keyed like the message so it is stored once and
    notify's delivery reports land on it."""
    entry: Document = {
        "_id": uuid.uuid4().hex,
        "key": event.key,
        "conversation_id": event.conversation_id,
        "kind": "solicitation",
        "solicitation_id": event.solicitation_id,
        "direction": "outbound" if event.event == "sent" else "inbound",
        "recipient": event.recipient,
        "author": event.author or {"type": "system"},
        "subject": event.subject,
        "text": event.text,
        "formatted": event.formatted,
        "html": event.html,
        "attachments": [a.model_dump() for a in event.attachments],
        "at": event.occurred_at,
    }
    if event.event == "sent":
        entry["delivery"] = {"state": "queued", "at": event.occurred_at}
    return entry


async def show(inbox: Inbox, event: SolicitationEvent) -> None:
    if event.event == "failed":
        return  # notify's own report marks the message failed on its entry
    stored = await inbox.repository.add_entry(entry_of(event))
    if event.event == "sent":
        # Consoles showing the request add the message to its timeline (again on a redelivery: the
        # event's id is the entry's, so the bus keeps one).
        await inbox.announce_entry(event.conversation_id, event.key, "solicitation_sent")
        return
    if not stored or event.event != "reply_received":
        return

    def decide(document: Document) -> Change:
        if document.get("unread"):
            return Change(event="nothing")
        return Change(event="solicitation_reply", set={"unread": True}, event_changes={"unread": True})

    await inbox.act(event.conversation_id, None, decide)
