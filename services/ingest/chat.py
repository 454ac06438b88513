"""Live chat with the website widget: sessions, their transcript, and the guest's messages on the bus.

A session is an unguessable token the widget keeps in localStorage; its transcript (guest and agent
messages, one document each, inserted by key so nothing is stored twice) lets a reloaded page show
the conversation again. The guest's messages go to the inbox like any channel's; what agents send
arrives on `hub.chat.to_guest.{session}` and is pushed by whichever replica holds the socket.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.attachments import AttachmentStore
from shared.bus import (
    INBOUND_GUEST_MESSAGE,
    RESOLVE_CONTACT,
    AttachmentRef,
    Channel,
    ChatToGuest,
    Guest,
    InboundMessage,
    ResolveContact,
    Subjects,
    ThreadHints,
    utcnow,
)
from shared.db import Document, IndexSpec
from shared.http import UploadedFile
from shared.messaging import publish_durably, rpc
from shared.runtime import Runtime

from . import spam
from .metrics import INBOUND_ACCEPTED

log = logging.getLogger(__name__)
INDEXES = {
    "chat_sessions": [IndexSpec(keys=[("location_id", 1)], name="location")],
    "chat_messages": [IndexSpec(keys=[("session_id", ASCENDING), ("at", ASCENDING)], name="session_at")],
}
MAX_TEXT = 5000
HISTORY = 200


def new_session_id() -> str:
    return "s" + secrets.token_hex(16)


def is_session_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 33 and value.startswith("s") and value[1:].isalnum()


class ChatRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.sessions = db["chat_sessions"]
        self.messages = db["chat_messages"]

    async def session(self, session_id: str) -> Document | None:
        return await self.sessions.find_one({"_id": session_id})

    async def open_session(self, location_id: str) -> Document:
        document = {"_id": new_session_id(), "location_id": location_id, "guest": {}, "created_at": utcnow()}
        await self.sessions.insert_one(document)
        return document

    async def identify(self, session_id: str, guest: dict[str, str]) -> None:
        await self.sessions.update_one({"_id": session_id}, {"$set": {"guest": guest}})

    async def remember(self, session_id: str, key: str, sender: str, text: str, at: datetime, **extra: Any) -> bool:
        document = {"_id": key, "session_id": session_id, "from": sender, "text": text, "at": at, **extra}
        try:
            await self.messages.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def shares_file(self, session_id: str, attachment_id: str) -> bool:
        """Whether a message of this chat carries the file (the only files its guest may download)."""
        async for message in self.messages.find({"session_id": session_id}, {"attachments": 1}):
            if any(a.get("id") == attachment_id for a in message.get("attachments") or []):
                return True
        return False

    async def history(self, session_id: str) -> list[Document]:
        cursor = self.messages.find({"session_id": session_id}).sort([("at", 1)]).limit(HISTORY)
        return [message async for message in cursor]


@dataclass
class ChatSession:
    session_id: str
    location_id: str
    guest: dict[str, str] = field(default_factory=dict)


async def guest_sends_file(runtime: Runtime, session: ChatSession, upload: UploadedFile) -> str:
    """A file from the guest's widget: stored for the hotel, then a chat message that carries it."""
    digest = hashlib.sha256(upload.data).hexdigest()
    stored = await AttachmentStore(runtime.db).put(
        upload.data, upload.filename, session.location_id, "chat", file_id=f"att_c{digest[:40]}"
    )
    text = f"📎 {upload.filename}"
    return await guest_says(runtime, session, f"file-{digest[:24]}", text, [AttachmentRef(**stored.public())])


async def guest_says(
    runtime: Runtime, session: ChatSession, client_id: str, text: str, attachments: list[AttachmentRef] | None = None
) -> str:
    """Store a guest's chat message in the transcript and publish it; returns its key once acknowledged."""
    key = f"chat:{session.session_id}:{client_id}"
    message = InboundMessage(
        attachments=attachments or [],
        key=key,
        channel=Channel.CHAT,
        location_id=session.location_id,
        guest=Guest(name=session.guest.get("name"), email=session.guest.get("email")),
        subject="Chat",
        text=text,
        thread=ThreadHints(chat_session_id=session.session_id),
        spam=spam.verdict(text),
    )
    await publish_durably(
        runtime.broker,
        INBOUND_GUEST_MESSAGE,
        message,
        subject=Subjects.inbound_guest(Channel.CHAT, session.location_id),
        msg_id=key,
        timeout=runtime.settings.nats_publish_timeout_seconds,
    )
    await ChatRepository(runtime.db).remember(
        session.session_id,
        key,
        "guest",
        text,
        message.received_at,
        attachments=[a.model_dump() for a in attachments or []],
    )
    INBOUND_ACCEPTED.labels(channel=Channel.CHAT.value, location=session.location_id).inc()
    return key


def transcript_event(document: Document, location_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "from": document["from"],
        "text": document["text"],
        "author": document.get("author_name"),
        "at": document["at"].isoformat(),
        "files": file_links(str(document["session_id"]), location_id, list(document.get("attachments") or [])),
    }


def file_links(session_id: str, location_id: str, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where the guest's widget downloads the files of a message (valid for this session only)."""
    return [{**a, "url": f"/ingest/chat/{location_id}/files/{a['id']}?session={session_id}"} for a in attachments]


def to_guest_event(push: ChatToGuest, location_id: str) -> dict[str, Any]:
    if push.kind in {"closed", "handed_over"}:
        return {"type": push.kind, "at": push.at.isoformat()}
    return {
        "type": "message",
        "from": "agent",
        "text": push.text,
        "author": push.author_name,
        "at": push.at.isoformat(),
        "files": file_links(push.session_id, location_id, [a.model_dump() for a in push.attachments]),
    }


def register(runtime: Runtime) -> None:
    """Keep the transcript of what agents send, once across replicas (a queue group)."""

    @runtime.broker.subscriber("hub.chat.to_guest.*", queue="ingest-chat-transcripts", include_in_schema=False)
    async def keep_transcript(push: ChatToGuest) -> None:
        if push.kind == "message":
            await ChatRepository(runtime.db).remember(
                push.session_id,
                push.key,
                "agent",
                push.text,
                push.at,
                author_name=push.author_name,
                attachments=[a.model_dump() for a in push.attachments],
            )


async def introduce_to_contacts(runtime: Runtime, session: ChatSession, guest: Guest) -> None:
    """The guest gave their email and name in the widget: contacts finds or creates them now, and the
    inbox links the conversation with their next message. Best effort: the chat goes on without it."""
    request = ResolveContact(location_id=session.location_id, channel=Channel.CHAT, guest=guest)
    try:
        await rpc(runtime.broker, RESOLVE_CONTACT, request, timeout=2.0)
    except Exception as exc:  # noqa: BLE001 - contacts being away must not break the chat
        log.warning("contacts did not answer for a chat guest", extra={"error": repr(exc)})
