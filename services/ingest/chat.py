"""Live chat with the website widget: sessions, their transcript, and the guest's messages on the bus.

A session is an unguessable token the widget keeps in localStorage; its transcript (guest and agent
messages, one document each, inserted by key so nothing is stored twice) lets a reloaded page show
the conversation again. The guest's messages go to the inbox like any channel's; what agents send
arrives on `hub.chat.to_guest.{session}` and is pushed by whichever replica holds the socket.

After the end. The session remembers that the agent ended its chat, so a reloaded widget shows the end
(and the email form) again rather than a live chat. The guest's next message starts a new chat: the
session's successor (one per ended session, keeping the guest's name and email), whose first message
opens a new request that the agent answers by chat. The ended request is not reopened: its agent chose
its status when ending the chat and goes on by email, and a chat re-opened from the guest's side would
undo that choice. An email address the guest leaves after the end reaches the ended request (a short
message from the guest), so that its agent can go on by email.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from shared.attachments import Attachment, AttachmentStore
from shared.bus import (
    CHAT_SUBJECT,
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
)
from shared.db import Document
from shared.http import UploadedFile
from shared.messaging import publish_durably, rpc
from shared.runtime import Runtime

from . import spam
from .limits import GuestLimits
from .metrics import INBOUND_ACCEPTED
from .repository import ChatRepository, successor_id

log = logging.getLogger(__name__)
MAX_TEXT = 5000


def is_session_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 33 and value.startswith("s") and value[1:].isalnum()


@dataclass
class ChatSession:
    session_id: str
    location_id: str
    guest: dict[str, str] = field(default_factory=dict)
    ended: bool = False  # the agent ended the chat: a new message goes to the successor


def session_from(stored: Document) -> ChatSession:
    guest = dict(stored.get("guest") or {})
    return ChatSession(str(stored["_id"]), str(stored["location_id"]), guest, stored.get("ended_at") is not None)


class ChatEndedError(Exception):
    """A file for a chat the agent ended: it would reach the ended request (a message starts a new chat)."""


async def guest_sends_file(runtime: Runtime, session: ChatSession, upload: UploadedFile) -> str:
    """A file from the guest's widget: stored for the hotel, then a chat message that carries it."""
    if session.ended:
        raise ChatEndedError(session.session_id)
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
    message = await _publish(runtime, session, key, text, attachments or [])
    await ChatRepository(runtime.db).remember(
        session.session_id,
        key,
        "guest",
        text,
        message.received_at,
        attachments=[a.model_dump() for a in attachments or []],
    )
    return key


async def _publish(
    runtime: Runtime, session: ChatSession, key: str, text: str, attachments: list[AttachmentRef]
) -> InboundMessage:
    """Hand a guest's message to the inbox; returns it once the bus acknowledged it."""
    message = InboundMessage(
        attachments=attachments,
        key=key,
        channel=Channel.CHAT,
        location_id=session.location_id,
        guest=Guest(name=session.guest.get("name"), email=session.guest.get("email")),
        subject=CHAT_SUBJECT,
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
    INBOUND_ACCEPTED.labels(channel=Channel.CHAT.value, location=session.location_id).inc()
    return message


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
    if push.kind == "handed_over":
        return {"type": push.kind, "at": push.at.isoformat(), "identified": push.guest_identified}
    if push.kind == "closed":
        # The hotel asks chat guests for a rating: the widget shows a 1 to 5 prompt posting to /survey/<token>.
        survey = {"survey": push.survey_token} if push.survey_token else {}
        return {"type": push.kind, "at": push.at.isoformat(), **survey}
    return {
        "type": "message",
        "from": push.author_kind,  # "agent", or "bot": the widget shows the hotel's chatbot as such
        "text": push.text,
        "author": push.author_name,
        "at": push.at.isoformat(),
        "files": file_links(push.session_id, location_id, [a.model_dump() for a in push.attachments]),
    }


def register(runtime: Runtime) -> None:
    """Keep the transcript of what agents send, and that they ended the chat, once across replicas (a queue
    group): a reloaded widget shows both."""

    @runtime.broker.subscriber("hub.chat.to_guest.*", queue="ingest-chat-transcripts", include_in_schema=False)
    async def keep_transcript(push: ChatToGuest) -> None:
        if push.kind == "closed":
            await ChatRepository(runtime.db).end(push.session_id, push.at)
        if push.kind == "message":
            await ChatRepository(runtime.db).remember(
                push.session_id,
                push.key,
                push.author_kind,
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


async def session_of(runtime: Runtime, location_id: str, session_id: object) -> ChatSession | None:
    """The hotel's chat session with this id; None if there is none, or it is another hotel's."""
    stored = await ChatRepository(runtime.db).session(session_id) if is_session_id(session_id) else None
    if stored is None or stored["location_id"] != location_id:
        return None
    return session_from(stored)


class TooManyChatsError(Exception):
    """This address opened chats faster than its limit allows; `wait` seconds before the next."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"Too many new chats from your address; try again in {wait:.0f} s.")
        self.wait = wait


async def open_or_resume(
    runtime: Runtime, location_id: str, requested: object, limits: GuestLimits, client: str
) -> ChatSession:
    """The session the widget asks to resume, or a new one when it names none of this hotel's (counted
    against the client address's new chats: a socket per message must not open a request each)."""
    session = await session_of(runtime, location_id, requested)
    if session is not None:
        return session
    if wait := await limits.new_chat(client):
        raise TooManyChatsError(wait)
    stored = await ChatRepository(runtime.db).open_session(location_id)
    return ChatSession(str(stored["_id"]), location_id, {})


MAX_SUCCESSORS = 20  # ended chats in a row an old tab may follow to the live one


async def session_for_message(runtime: Runtime, session: ChatSession, limits: GuestLimits, client: str) -> ChatSession:
    """Where the guest's new message goes: this session while its chat is live; once the agent ended it,
    the session following it (opened now, counted as a new chat, unless another tab of the guest did)."""
    repository = ChatRepository(runtime.db)
    for _ in range(MAX_SUCCESSORS):
        stored = await repository.session(session.session_id)
        session.ended = session.ended or (stored is not None and stored.get("ended_at") is not None)
        if stored is None or not session.ended:
            return session
        following = await repository.session(successor_id(session.session_id))
        if following is None:
            if wait := await limits.new_chat(client):
                raise TooManyChatsError(wait)
            following = await repository.open_successor(stored)
        session = session_from(following)
    return session


async def transcript(runtime: Runtime, session: ChatSession) -> list[dict[str, Any]]:
    """What a reloaded widget shows again, oldest first."""
    messages = await ChatRepository(runtime.db).history(session.session_id)
    return [transcript_event(m, session.location_id) for m in messages]


async def guest_identifies(runtime: Runtime, session: ChatSession, guest: Guest) -> None:
    """The guest gave their name and email: kept on the session, and told to contacts."""
    session.guest = {k: v for k, v in guest.model_dump(exclude_none=True).items() if isinstance(v, str)}
    repository = ChatRepository(runtime.db)
    await repository.identify(session.session_id, session.guest)
    stored = await repository.session(session.session_id)
    session.ended = session.ended or (stored is not None and stored.get("ended_at") is not None)
    if session.ended and guest.email:
        # No message of the guest follows in this chat to bring the address to the ended request: this does.
        key = f"chat:{session.session_id}:email-{hashlib.sha256(guest.email.lower().encode()).hexdigest()[:16]}"
        await _publish(runtime, session, key, f"Left an email address to continue by email: {guest.email}", [])
    await introduce_to_contacts(runtime, session, guest)


async def guest_file(
    runtime: Runtime, location_id: str, session_id: object, attachment_id: str
) -> tuple[Attachment, bytes] | None:
    """A file of the guest's own chat; None unless a message of this session carries it."""
    session = await session_of(runtime, location_id, session_id)
    if session is None or not await ChatRepository(runtime.db).shares_file(session.session_id, attachment_id):
        return None
    return await AttachmentStore(runtime.db).read(attachment_id)
