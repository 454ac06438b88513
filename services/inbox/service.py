"""Rules of the inbox: where an inbound message belongs, and what an agent sees of it."""

import logging
import uuid
from dataclasses import dataclass

from faststream.nats import NatsBroker

from shared.bus import (
    CONVERSATION_CREATED,
    MESSAGE_RECEIVED,
    Channel,
    ContactResolved,
    ConversationCreated,
    InboundMessage,
    MessageReceived,
    ResolveContact,
    Subjects,
    utcnow,
)
from shared.db import Document
from shared.messaging import publish_durably

from .metrics import CONVERSATIONS_CREATED, INBOUND_STORED, PIPELINE_LATENCY
from .repository import ConversationRepository

log = logging.getLogger(__name__)

SNIPPET_LENGTH = 160


def thread_key_of(message: InboundMessage) -> str:
    """The thread an inbound message belongs to. A web form always opens a new request."""
    if message.channel is Channel.FORM:
        return message.key
    # Other channels (email headers, chat sessions, review ids) thread in the inbox issue.
    return message.key


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_LENGTH else flat[: SNIPPET_LENGTH - 1] + "…"


async def resolve_contact(broker: NatsBroker, message: InboundMessage, timeout: float) -> ContactResolved | None:
    """Ask contacts who the guest is; None when it does not answer in time (the message is stored anyway)."""
    request = ResolveContact(location_id=message.location_id, channel=message.channel, guest=message.guest)
    try:
        response = await broker.request(request, Subjects.RESOLVE_CONTACT, timeout=timeout)
        return ContactResolved.model_validate(await response.decode())
    except Exception as exc:  # noqa: BLE001 - a missing contact link must not hold the guest's message back
        log.warning(
            "contact resolution failed; storing without a contact", extra={"key": message.key, "error": repr(exc)}
        )
        return None


@dataclass
class Received:
    conversation_id: str
    created: bool
    stored: bool


async def receive(
    repository: ConversationRepository,
    broker: NatsBroker,
    message: InboundMessage,
    *,
    contacts_timeout: float,
) -> Received:
    """Store a guest's message in its conversation exactly once, then announce it.

    Idempotent: a redelivery finds the thread and the timeline entry by their keys and changes
    nothing; its events carry deterministic message ids so JetStream drops the repeats.
    """
    contact = await resolve_contact(broker, message, contacts_timeout)
    new_id = uuid.uuid4().hex
    guest = message.guest.model_dump(exclude_none=True)
    if contact and contact.display_name and "name" not in guest:
        guest["name"] = contact.display_name
    conversation, created = await repository.open_thread(
        thread_key_of(message),
        {
            "_id": new_id,
            "thread_key": thread_key_of(message),
            "location_id": message.location_id,
            "channel": message.channel.value,
            "status": "open",
            "subject": message.subject,
            "guest": guest,
            "contact_id": contact.contact_id if contact else None,
            "priority": "low",
            "assignee_id": None,
            "labels": [],
            "unread": True,
            "snippet": snippet(message.text),
            "message_count": 1,
            "created_at": message.received_at,
            "last_activity_at": message.received_at,
        },
    )
    conversation_id = str(conversation["_id"])
    stored = await repository.add_entry(
        {
            "_id": uuid.uuid4().hex,
            "key": message.key,
            "conversation_id": conversation_id,
            "kind": "message",
            "direction": "inbound",
            "channel": message.channel.value,
            "author": {"type": "guest", **guest},
            "subject": message.subject,
            "text": message.text,
            "at": message.received_at,
        }
    )
    if stored:
        INBOUND_STORED.labels(channel=message.channel.value).inc()
        age = (utcnow() - message.received_at).total_seconds()
        PIPELINE_LATENCY.labels(channel=message.channel.value).observe(max(age, 0.0))
        log.info("stored inbound message", extra={"key": message.key, "conversation": conversation_id, "age": age})
    if created:
        CONVERSATIONS_CREATED.labels(channel=message.channel.value).inc()
        await publish_durably(
            broker,
            CONVERSATION_CREATED,
            ConversationCreated(
                conversation_id=conversation_id,
                location_id=message.location_id,
                channel=message.channel,
                contact_id=conversation.get("contact_id"),
            ),
            msg_id=f"conversation.created:{conversation_id}",
        )
    await publish_durably(
        broker,
        MESSAGE_RECEIVED,
        MessageReceived(
            conversation_id=conversation_id,
            location_id=message.location_id,
            channel=message.channel,
            message_key=message.key,
        ),
        msg_id=f"conversation.message_received:{message.key}",
    )
    return Received(conversation_id=conversation_id, created=created, stored=stored)


def public_conversation(document: Document) -> Document:
    """The conversation as the API shows it (`id` instead of Mongo's `_id`, no internal keys)."""
    shown = {k: v for k, v in document.items() if k not in {"_id", "thread_key"}}
    return {"id": str(document["_id"]), **shown}


def public_entry(document: Document) -> Document:
    shown = {k: v for k, v in document.items() if k not in {"_id", "key"}}
    return {"id": str(document["_id"]), **shown}
