"""The calls a hotel's chatbot receives: when one is due, and its signed body. No I/O here.

The inbox writes and signs the body, so the bot's secret never travels on the bus and every retry of
notify sends the same bytes with the same `X-Hub-Delivery`.
"""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from shared.bus import BotCall, BotEvent
from shared.db import Document


def signature(secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256`: the hex HMAC-SHA256 of the raw body with the bot's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_id(event: BotEvent, reference: str) -> str:
    """The same call made twice (a redelivered guest message, a retried change) gets the same id."""
    return hashlib.sha256(f"{event}:{reference}".encode()).hexdigest()[:32]


def event_of_change(before: Document, after: Document) -> BotEvent | None:
    """What a change of a bot conversation tells its bot: closed (it has the conversation back), or handed
    over (a person took it, by the bot's hand-over or an agent's)."""
    if not before.get("has_bot"):
        return None
    if after.get("status") == "closed" and before.get("status") != "closed":
        return "closed"
    if before.get("bot_active") and not after.get("bot_active"):
        return "handed_over"
    return None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def call(
    bot: Document,
    event: BotEvent,
    conversation: Document,
    reference: str,
    language: str | None,
    message: Document | None = None,
) -> BotCall:
    """The webhook call for `event` on `conversation`, `reference` naming what caused it (an entry's key)."""
    guest = conversation.get("guest") or {}
    key = delivery_id(event, reference)
    payload = {
        "event": event,
        "delivery_id": key,
        "conversation_id": str(conversation["_id"]),
        "location_id": str(conversation["location_id"]),
        "language": language if language in {"fr", "en"} else None,
        "guest": {"name": guest.get("name"), "email": guest.get("email")},
        "message": {"text": str(message.get("text") or ""), "at": _iso(message.get("at"))} if message else None,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return BotCall(
        key=key,
        event=event,
        conversation_id=str(conversation["_id"]),
        location_id=str(conversation["location_id"]),
        url=str(bot["webhook_url"]),
        body=body,
        signature=signature(str(bot["secret"]), body.encode()),
    )
