"""The bot: a signed webhook in, the decision of `dialogue.decide`, the hub's bot API out."""

import asyncio
import hashlib
import hmac
import logging
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from .dialogue import decide
from .faq import FaqFile, HotelFaq
from .hub import Hub
from .schemas import GuestMessage, Message, Webhook

log = logging.getLogger(__name__)

# A hotel missing from the FAQ file: every question is unknown, so every guest is handed over.
NO_QUESTIONS = HotelFaq()
# The hub's copy of the guest's message may carry a time rounded differently from the webhook's.
SAME_MESSAGE_WITHIN = timedelta(seconds=2)


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def message_key(delivery_id: str, n: int) -> str:
    """The key of the n-th message (from 1) the bot posts while handling one webhook call: the hub retries the
    call with the same delivery id until the bot answers 2xx, and stores a message sent again with its key once,
    so a guest never reads an answer twice."""
    return f"{delivery_id}:{n}"


def before(messages: Sequence[Message], current: GuestMessage) -> Sequence[Message]:
    """The conversation before the guest's message of this webhook (all of it if the hub's copy is not
    found: the webhook may come before the conversation shows it)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if (
            message.direction == "inbound"
            and message.text.strip() == current.text.strip()
            and abs(_utc(message.at) - _utc(current.at)) <= SAME_MESSAGE_WITHIN
        ):
            return messages[:index]
    return messages


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FaqBot:
    def __init__(self, hub: Hub, faqs: FaqFile, secret: str) -> None:
        self.hub = hub
        self.faqs = faqs
        self.secret = secret
        # One webhook at a time per conversation, so each reads the bot's previous answer.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def authentic(self, body: bytes, signature: str | None) -> bool:
        return signature_matches(self.secret, body, signature)

    async def handle(self, webhook: Webhook) -> str:
        """Answer a guest's message; "handed_over" and "closed" need nothing (the next guest message of a
        closed conversation comes as a "message" again). Says what it did, for the log."""
        if webhook.event != "message" or webhook.message is None:
            return "nothing to do"
        lock = self._locks.setdefault(webhook.conversation_id, asyncio.Lock())
        async with lock:
            outcome = await self._answer(webhook, webhook.message)
        log.info(outcome, extra={"conversation_id": webhook.conversation_id, "delivery_id": webhook.delivery_id})
        return outcome

    async def _answer(self, webhook: Webhook, message: GuestMessage) -> str:
        conversation = await self.hub.conversation(webhook.conversation_id)
        if not conversation.bot_active:
            return "a person handles the conversation"
        faq = self.faqs.hotels.get(conversation.location_id)
        if faq is None:
            log.warning("no FAQ for this hotel", extra={"location_id": conversation.location_id})
        history = before(conversation.messages, message)
        decision = decide(faq or NO_QUESTIONS, history, message.text, webhook.language)
        await self.hub.say(conversation.id, decision.reply, message_key(webhook.delivery_id, 1))
        if decision.capture is not None:
            await self.hub.capture(conversation.id, decision.capture)
        if decision.handover is not None:
            await self.hub.hand_over(conversation.id, decision.handover)
            return f"handed over: {decision.handover}"
        return "answered"
