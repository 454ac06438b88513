"""What a hotel's chatbot does to a conversation, decided from its current state (no I/O, as
`conversations.decisions`): its messages, what it captured of the guest, its hand-over."""

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from shared.auth import Actor
from shared.bus import (
    Channel,
    ContactLinked,
    ConversationReplied,
    ConversationUpdated,
    OutboundKind,
    OutboundMessage,
    ReservationRecorded,
)
from shared.db import Document

from ..conversations import decisions as conversations
from ..conversations import states
from ..conversations.service import Change, about
from . import schemas

Decide = Callable[[Document], Change]


def author(bot: Document, actor: Actor) -> dict[str, str]:
    """How the bot is recorded on timeline entries (`type` as every author has, `kind` as the bot API says)."""
    return {"type": "bot", "kind": "bot", "id": actor.agent_id, "name": str(bot["name"])}


def as_bot(decide: Decide, by: dict[str, str]) -> Decide:
    """The same decision, its timeline entries written by the bot rather than by its API token."""

    def decided(document: Document) -> Change:
        change = decide(document)
        return replace(change, entries=[{**entry, "author": by} for entry in change.entries])

    return decided


def message_key(conversation_id: str, key: str) -> str:
    """The timeline entry key of the bot's message sent with `key`: the same on every replica and every retry,
    so the timeline's unique key index stores it once (hashed: the bot's key is any text)."""
    return f"bot:{conversation_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def bot_says(request: schemas.BotMessage, by: dict[str, str], entry_id: str | None = None) -> Decide:
    """The bot's answer, pushed to the guest's widget as the bot's; only while it handles a live chat.

    With the request's key, the entry's key is `message_key`'s; `entry_id` names the new entry, so the caller
    tells it from the one a retry finds stored."""

    def decide(document: Document) -> Change:
        if not document.get("bot_active"):
            raise states.IllegalTransitionError("The chatbot no longer handles this conversation.")
        if not conversations.in_live_chat(document):
            raise states.IllegalTransitionError("The guest's chat has ended; the chatbot cannot answer it.")
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.REPLY,
            channel=Channel.CHAT,
            conversation_id=str(document["_id"]),
            location_id=document["location_id"],
            chat_session_id=document.get("chat_session_id"),
            subject=str(document.get("subject") or ""),
            text=request.text,
            author_name=by["name"],
            author_kind="bot",
        )
        entry = {
            "kind": "message",
            "direction": "outbound",
            "channel": Channel.CHAT.value,
            "text": request.text,
            "author": by,
            "delivery": {"state": "pending"},
            **({"_id": entry_id} if entry_id else {}),
            **({"key": message_key(str(document["_id"]), request.key)} if request.key else {}),
        }
        return Change(
            event=ConversationReplied(**about(document), status=str(document["status"])),
            entries=[entry],
            outbound=outbound,
        )

    return decide


def guest_of(request: schemas.Capture) -> dict[str, str]:
    """The guest's fields the bot captured (a name from the first and last names; the address in lower case,
    as ingest keeps every guest's)."""
    name = " ".join(part for part in (request.first_name, request.last_name) if part)
    email = str(request.email).lower() if request.email else ""
    fields = {"name": name, "email": email, "phone": request.phone or ""}
    return {key: value for key, value in fields.items() if value}


def capture(request: schemas.Capture, contact_id: str | None, contact_name: str | None) -> Decide:
    """The guest as the bot captured them, linked to their contact (resolved from what was captured)."""
    captured = guest_of(request)

    def decide(document: Document) -> Change:
        guest = document.get("guest") or {}
        filled = {**guest, **captured}
        changes: dict[str, Any] = {"guest": filled} if filled != guest else {}
        if contact_id is None or document.get("contact_id") == contact_id:
            if not changes:
                return Change()
            return Change(event=ConversationUpdated(**about(document)), set=changes)
        return Change(
            event=ContactLinked(**about(document), contact_id=contact_id),
            set={"contact_id": contact_id, "contact_name": contact_name, **changes},
            entries=[
                {"kind": "contact_link", "from": document.get("contact_id"), "to": contact_id, "reason": "bot_captured"}
            ],
        )

    return decide


def reservation_intent(intent: schemas.ReservationIntent) -> Decide:
    """A reservation the guest means to make, recorded as an agent records one (without a date yet)."""

    def decide(document: Document) -> Change:
        entry = {
            "kind": "reservation",
            "category": intent.kind.value,
            "date": "",
            "party_size": 1,
            "reference": "",
            "notes": intent.note,
            "intent": True,
        }
        return Change(event=ReservationRecorded(**about(document), category=intent.kind.value), entries=[entry])

    return decide


def hand_over(request: schemas.BotHandover) -> Decide:
    """The bot hands the conversation to a person, saying why (kept on the timeline entry)."""

    def decide(document: Document) -> Change:
        return conversations.hand_over(document, note=request.reason)

    return decide
