"""Chatbots' rules: a hotel's bot configuration (admins), and what a bot's API token may do to the
conversations of its hotels (read them, answer, capture the guest, hand over, mark spam)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Actor
from shared.bus import RESOLVE_CONTACT, Channel, Guest, ResolveContact
from shared.db import Document
from shared.messaging import rpc
from shared.problems import Problem
from shared.runtime import RuntimeDep

from ..access.audit import audit_entry
from ..conversations import decisions as conversations
from ..conversations.service import Inbox, inbox_for, never_queued
from ..directory.repository import DirectoryRepository
from . import decisions, schemas
from .repository import BotRepository

log = logging.getLogger(__name__)
TIMELINE_READ = 500  # the messages a bot reads of one conversation


def public_bot(document: Document) -> schemas.BotOut:
    """A bot's configuration as the API shows it: never its secret."""
    return schemas.BotOut(name=str(document["name"]), webhook_url=str(document["webhook_url"]))


def author_kind(entry: Document) -> str:
    if entry.get("direction") == "inbound":
        return "guest"
    author = entry.get("author") or {}
    return "bot" if author.get("type") == "bot" or author.get("kind") == "bot" else "agent"


def said_by_bot(entry: Document) -> schemas.BotConversationMessage:
    """The bot's message as stored: its time to the millisecond, as the database keeps it, so a message sent
    again with its key is answered exactly as the first time."""
    at: datetime = entry["at"]
    stored_at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    return schemas.BotConversationMessage(direction="outbound", author_kind="bot", text=entry["text"], at=stored_at)


def bot_view(document: Document, entries: list[Document]) -> schemas.BotConversation:
    guest = document.get("guest") or {}
    messages = [
        schemas.BotConversationMessage(
            direction=entry["direction"],
            author_kind=author_kind(entry),
            text=str(entry.get("text") or ""),
            at=entry["at"],
        )
        for entry in entries
        if entry.get("kind") == "message" and entry.get("direction") in {"inbound", "outbound"}
    ]
    return schemas.BotConversation(
        id=str(document["_id"]),
        location_id=str(document["location_id"]),
        bot_active=bool(document.get("bot_active")),
        status=str(document["status"]),
        guest=schemas.GuestView(name=guest.get("name"), email=guest.get("email")),
        messages=messages,
    )


@dataclass
class BotSettings:
    """A hotel's chatbot as admins configure it (every change audited, the secret never shown nor logged)."""

    bots: BotRepository
    directory: DirectoryRepository

    async def _hotel(self, actor: Actor, location_id: str) -> None:
        actor.require("admin")
        if await self.directory.get("locations", location_id) is None:
            raise Problem(404, "Not found", f"No hotel has the id {location_id!r}.")

    async def get(self, actor: Actor, location_id: str) -> schemas.BotOut:
        await self._hotel(actor, location_id)
        bot = await self.bots.get(location_id)
        if bot is None:
            raise Problem(404, "Not found", f"The hotel {location_id!r} has no chatbot.")
        return public_bot(bot)

    async def put(self, actor: Actor, location_id: str, body: schemas.BotIn) -> schemas.BotOut:
        await self._hotel(actor, location_id)
        fields = body.model_dump()
        await self.bots.put(location_id, fields)
        await self.directory.insert("audit", audit_entry(actor, "bot.put", f"location:{location_id}", list(fields)))
        return public_bot(fields)

    async def delete(self, actor: Actor, location_id: str) -> None:
        await self._hotel(actor, location_id)
        if not await self.bots.delete(location_id):
            raise Problem(404, "Not found", f"The hotel {location_id!r} has no chatbot.")
        await self.directory.insert("audit", audit_entry(actor, "bot.delete", f"location:{location_id}"))


@dataclass
class BotDesk:
    """What a bot's API token does to the conversations of its hotels, through the inbox's rules."""

    inbox: Inbox
    bots: BotRepository

    async def _bot_of(self, conversation_id: str, actor: Actor) -> tuple[Document, Document]:
        """The conversation (404 when it is not of the token's hotels) and its hotel's bot (409 without one)."""
        document = await self._started_with_bot(conversation_id, actor)
        bot = await self.bots.get(str(document["location_id"]))
        if bot is None:
            raise Problem(409, "No chatbot", "This conversation's hotel has no chatbot configured.")
        return document, bot

    async def _started_with_bot(self, conversation_id: str, actor: Actor) -> Document:
        """A conversation of the token's hotels that started with the bot: a bot reads and acts on those only,
        not on the hotel's emails, forms or reviews (404, as for another hotel's)."""
        document = await self.inbox.visible(conversation_id, actor)
        if not document.get("has_bot"):
            raise Problem(404, "Not found", "No conversation of this chatbot has this id.")
        return document

    async def conversation(self, conversation_id: str, actor: Actor) -> schemas.BotConversation:
        document = await self._started_with_bot(conversation_id, actor)
        entries = await self.inbox.repository.entries(conversation_id, after=None, limit=TIMELINE_READ)
        return bot_view(document, entries)

    async def say(
        self, conversation_id: str, body: schemas.BotMessage, actor: Actor
    ) -> tuple[schemas.BotConversationMessage, bool]:
        """The bot's message, and whether it is new: a message sent again with the same key (a retried webhook
        call) answers the one stored the first time, sent once to the guest."""
        _, bot = await self._bot_of(conversation_id, actor)
        said = await self._said(conversation_id, body.key) if body.key else None
        if said is not None and not never_queued(said):  # a message that never reached the bus is sent below
            return said_by_bot(said), False
        entry_id = uuid.uuid4().hex
        _, entries = await self.inbox.act(
            conversation_id, actor, decisions.bot_says(body, decisions.author(bot, actor), entry_id)
        )
        return said_by_bot(entries[0]), entries[0]["_id"] == entry_id

    async def _said(self, conversation_id: str, key: str) -> Document | None:
        return await self.inbox.repository.entry_by_key(decisions.message_key(conversation_id, key))

    async def capture(self, conversation_id: str, body: schemas.Capture, actor: Actor) -> schemas.BotConversation:
        document, bot = await self._bot_of(conversation_id, actor)
        by = decisions.author(bot, actor)
        contact_id, contact_name = await self._resolve(document, body)
        await self.inbox.act(
            conversation_id, actor, decisions.as_bot(decisions.capture(body, contact_id, contact_name), by)
        )
        if body.reservation_intent is not None:
            decide = decisions.as_bot(decisions.reservation_intent(body.reservation_intent), by)
            await self.inbox.act(conversation_id, actor, decide)
        return await self.conversation(conversation_id, actor)

    async def _resolve(self, document: Document, body: schemas.Capture) -> tuple[str | None, str | None]:
        """The guest's contact, found or created by contacts from what the bot captured; none without an
        address or a phone, or when contacts does not answer (the captured fields are kept anyway)."""
        if body.email is None and body.phone is None:
            return None, None
        captured = decisions.guest_of(body)
        guest = Guest(name=captured.get("name"), email=body.email, phone=body.phone)
        request = ResolveContact(location_id=str(document["location_id"]), channel=Channel.CHAT, guest=guest)
        try:
            resolved = await rpc(self.inbox.broker, RESOLVE_CONTACT, request, timeout=self.inbox.contacts_timeout)
        except Exception as exc:  # noqa: BLE001 - the guest's fields are recorded; an agent links the contact
            log.warning("contact resolution failed for a bot's capture", extra={"error": repr(exc)})
            return None, None
        return resolved.contact_id, resolved.display_name

    async def hand_over(self, conversation_id: str, body: schemas.BotHandover, actor: Actor) -> schemas.BotConversation:
        _, bot = await self._bot_of(conversation_id, actor)
        await self.inbox.act(
            conversation_id, actor, decisions.as_bot(decisions.hand_over(body), decisions.author(bot, actor))
        )
        return await self.conversation(conversation_id, actor)

    async def mark_spam(self, conversation_id: str, actor: Actor) -> schemas.BotConversation:
        _, bot = await self._bot_of(conversation_id, actor)
        await self.inbox.act(
            conversation_id, actor, decisions.as_bot(conversations.mark_spam, decisions.author(bot, actor))
        )
        return await self.conversation(conversation_id, actor)


def bot_settings_of(runtime: RuntimeDep) -> BotSettings:
    return BotSettings(BotRepository(runtime.db), DirectoryRepository(runtime.db))


def bot_desk_of(request: Request, runtime: RuntimeDep) -> BotDesk:
    return BotDesk(inbox_for(runtime, request.app.state.inbox_settings), BotRepository(runtime.db))


BotSettingsDep = Annotated[BotSettings, Depends(bot_settings_of)]
BotDeskDep = Annotated[BotDesk, Depends(bot_desk_of)]
