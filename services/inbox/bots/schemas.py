"""HTTP models of chatbots: a hotel's bot configuration, and what a bot sends and reads."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from ..conversations.schemas import ReservationKind, Strict

BotName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class BotIn(Strict):
    name: BotName
    webhook_url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s]+$", max_length=2000)]
    # Signs every webhook call (X-Hub-Signature-256); stored, never shown again.
    secret: Annotated[str, StringConstraints(min_length=32, max_length=200)]


class BotOut(BaseModel):
    name: str
    webhook_url: str


class BotMessage(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    # The same key on the same conversation stores and sends the message once (a retried webhook call's
    # answer): e.g. the call's X-Hub-Delivery id and the message's rank in the answer.
    key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class ReservationIntent(Strict):
    kind: ReservationKind
    note: Annotated[str, StringConstraints(max_length=5000)] = ""


class Capture(Strict):
    """What the bot learnt of the guest: it fills the request's guest and links their contact."""

    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    reservation_intent: ReservationIntent | None = None


class BotHandover(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class GuestView(BaseModel):
    name: str | None = None
    email: str | None = None


class BotConversationMessage(BaseModel):
    direction: Literal["inbound", "outbound"]
    author_kind: Literal["guest", "bot", "agent"]
    text: str
    at: datetime


class BotConversation(BaseModel):
    """A conversation as its hotel's bot reads it: its state, the guest, and the messages exchanged."""

    id: str
    location_id: str
    bot_active: bool
    status: str
    guest: GuestView
    messages: list[BotConversationMessage] = Field(description="Oldest first.")
