"""The hub's bot API as this bot reads it: the webhook it receives and the conversation it fetches.

Unknown fields are ignored, so the hub can add some without breaking bots.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Guest(Lenient):
    name: str | None = None
    email: str | None = None


class GuestMessage(Lenient):
    text: str
    at: datetime


class Webhook(Lenient):
    """`POST <webhook_url>`: "message" for each guest message while the bot handles the conversation,
    "handed_over" once it no longer does, "closed" when an agent closed it (and gave it back to the bot)."""

    event: Literal["message", "handed_over", "closed"]
    delivery_id: str
    conversation_id: str
    location_id: str
    # "fr", "en" or None as the contract says; read leniently (another language counts as unknown).
    language: str | None = None
    guest: Guest = Guest()
    message: GuestMessage | None = None


class Message(Lenient):
    direction: Literal["inbound", "outbound"]
    author_kind: str  # "guest", "bot" or "agent" (read as text: a new kind must not break the bot)
    text: str = ""
    at: datetime


class Conversation(Lenient):
    """`GET /api/v1/bot/conversations/{id}`."""

    id: str
    location_id: str
    bot_active: bool
    status: str
    guest: Guest = Guest()
    messages: list[Message] = []
