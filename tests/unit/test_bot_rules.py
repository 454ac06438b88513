"""The chatbot's pure rules: when a bot is called, what its signed call says, and what its actions decide."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.inbox.bots import decisions, schemas, webhooks
from services.inbox.bots.service import author_kind, bot_view
from services.inbox.conversations import states
from services.inbox.conversations.schemas import ReservationKind
from services.inbox.conversations.service import never_queued
from shared.auth import Actor
from shared.bus import ContactLinked, ConversationReplied, ReservationRecorded

BOT = {"_id": "hotel-a", "name": "Concierge", "webhook_url": "http://127.0.0.1:9/hook", "secret": "k" * 40}
TOKEN = Actor(
    agent_id="tok_1",
    name="Bot",
    initials="API",
    email="tok_1@api.hub",
    role="agent",
    location_ids=["hotel-a"],
    kind="api",
    scopes=["bot"],
)
BY = decisions.author(BOT, TOKEN)


def conversation(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c1", "location_id": "hotel-a", "version": 3, "status": "open", "channel": "chat",
        "chat_session_id": "s1", "chat_open": True, "bot_active": True, "has_bot": True,
        "guest": {"name": "Léa"}, **fields,
    }  # fmt: skip


class TestEventOfChange:
    def test_a_hand_over_tells_the_bot(self) -> None:
        assert webhooks.event_of_change(conversation(), conversation(bot_active=False)) == "handed_over"

    def test_closing_gives_it_back(self) -> None:
        before = conversation(bot_active=False)
        assert webhooks.event_of_change(before, conversation(status="closed", bot_active=True)) == "closed"

    def test_other_changes_and_other_conversations_call_no_bot(self) -> None:
        assert webhooks.event_of_change(conversation(), conversation(labels=["x"])) is None
        never = conversation(has_bot=False, bot_active=False)
        assert webhooks.event_of_change(never, {**never, "status": "closed"}) is None


class TestCall:
    def test_the_body_is_signed_with_the_bots_secret(self) -> None:
        said = {"text": "Breakfast?", "at": datetime(2026, 5, 1, 8, tzinfo=UTC)}
        call = webhooks.call(BOT, "message", conversation(), "chat:s1:m1", "fr", said)
        expected = hmac.new(BOT["secret"].encode(), call.body.encode(), hashlib.sha256).hexdigest()
        assert call.signature == f"sha256={expected}"
        body = json.loads(call.body)
        assert body == {
            "event": "message", "delivery_id": call.key, "conversation_id": "c1", "location_id": "hotel-a",
            "language": "fr", "guest": {"name": "Léa", "email": None},
            "message": {"text": "Breakfast?", "at": "2026-05-01T08:00:00+00:00"},
        }  # fmt: skip
        assert BOT["secret"] not in call.model_dump_json(), "the secret never travels on the bus"

    def test_the_same_cause_makes_the_same_delivery(self) -> None:
        first = webhooks.call(BOT, "closed", conversation(), "entry:1", None)
        assert first.key == webhooks.call(BOT, "closed", conversation(), "entry:1", None).key
        assert first.key != webhooks.call(BOT, "closed", conversation(), "entry:2", None).key
        assert json.loads(first.body)["message"] is None
        assert json.loads(webhooks.call(BOT, "closed", conversation(), "e", "de").body)["language"] is None


class TestBotSays:
    def test_a_message_goes_to_the_widget_as_the_bots(self) -> None:
        change = decisions.bot_says(schemas.BotMessage(text="From 7 to 10."), BY)(conversation())
        assert isinstance(change.event, ConversationReplied)
        assert change.outbound is not None
        assert (change.outbound.author_kind, change.outbound.author_name) == ("bot", "Concierge")
        assert change.outbound.chat_session_id == "s1"
        assert change.entries[0]["author"] == BY
        assert not change.set, "the bot's answer is not an agent's first response"

    @pytest.mark.parametrize("state", [{"bot_active": False}, {"chat_open": False}])
    def test_not_once_a_person_has_it_or_the_chat_ended(self, state: dict[str, Any]) -> None:
        with pytest.raises(states.IllegalTransitionError):
            decisions.bot_says(schemas.BotMessage(text="x"), BY)(conversation(**state))

    def test_a_keyed_message_has_the_same_entry_key_on_every_retry_of_its_conversation(self) -> None:
        said = schemas.BotMessage(text="From 7 to 10.", key="d1:1")
        first = decisions.bot_says(said, BY, "e1")(conversation())
        retried = decisions.bot_says(said, BY, "e2")(conversation(version=4))
        assert first.entries[0]["key"] == retried.entries[0]["key"] == decisions.message_key("c1", "d1:1")
        assert (first.entries[0]["_id"], retried.entries[0]["_id"]) == ("e1", "e2"), "the caller tells them apart"
        assert decisions.message_key("c1", "d1:2") != decisions.message_key("c1", "d1:1")
        assert decisions.message_key("c2", "d1:1") != decisions.message_key("c1", "d1:1"), "a key is per conversation"
        unkeyed = decisions.bot_says(schemas.BotMessage(text="x"), BY)(conversation())
        assert "key" not in unkeyed.entries[0], "the inbox gives an unkeyed message a key of its own"

    @pytest.mark.parametrize("key", ["", "k" * 201])
    def test_a_key_has_1_to_200_characters(self, key: str) -> None:
        with pytest.raises(ValidationError):
            schemas.BotMessage.model_validate({"text": "x", "key": key})
        assert schemas.BotMessage.model_validate({"text": "x", "key": "k" * 200}).key == "k" * 200

    @pytest.mark.parametrize(
        ("delivery", "sent_again"),
        [
            ({"state": "pending"}, True),
            ({"state": "failed", "reason": "could not be queued; send it again"}, True),
            ({"state": "queued", "at": datetime(2026, 12, 3, tzinfo=UTC)}, False),
            ({"state": "failed", "reason": "chat ended", "at": datetime(2026, 12, 3, tzinfo=UTC)}, False),
        ],
    )
    def test_only_a_message_that_never_reached_the_bus_is_sent_again(
        self, delivery: dict[str, Any], sent_again: bool
    ) -> None:
        assert never_queued({"kind": "message", "delivery": delivery}) is sent_again
        assert not never_queued({"kind": "note"})


class TestCapture:
    def test_fills_the_guest_and_links_the_contact(self) -> None:
        body = schemas.Capture(first_name="Léa", last_name="Martin", email="LEA@example.com")
        change = decisions.capture(body, "ct1", "Léa Martin")(conversation())
        assert isinstance(change.event, ContactLinked)
        assert change.set["guest"] == {"name": "Léa Martin", "email": "lea@example.com"}
        assert change.set["contact_id"] == "ct1"
        assert change.entries[0]["reason"] == "bot_captured"

    def test_nothing_new_changes_nothing(self) -> None:
        same = decisions.capture(schemas.Capture(first_name="Léa"), "ct1", "Léa")(conversation(contact_id="ct1"))
        assert not same.set
        assert not same.entries

    def test_a_reservation_intent_is_recorded_like_a_reservation(self) -> None:
        intent = schemas.ReservationIntent(kind=ReservationKind.ROOM, note="2 nights")
        change = decisions.as_bot(decisions.reservation_intent(intent), BY)(conversation())
        assert isinstance(change.event, ReservationRecorded)
        entry = change.entries[0]
        assert (entry["kind"], entry["category"], entry["notes"], entry["intent"]) == (
            "reservation",
            "room",
            "2 nights",
            True,
        )
        assert change.entries[0]["author"] == BY


def test_the_hand_over_keeps_its_reason() -> None:
    change = decisions.hand_over(schemas.BotHandover(reason="asks for a person"))(conversation())
    assert change.set == {"bot_active": False, "status": "open"}
    assert change.entries[0]["note"] == "asks for a person"


def test_the_bot_reads_messages_with_who_wrote_them() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    entries = [
        {"kind": "message", "direction": "inbound", "text": "Hi", "at": at, "author": {"type": "guest"}},
        {"kind": "message", "direction": "outbound", "text": "Hello", "at": at, "author": BY},
        {"kind": "note", "text": "internal", "at": at},
        {"kind": "message", "direction": "outbound", "text": "Anna here", "at": at, "author": {"type": "agent"}},
    ]
    view = bot_view(conversation(), entries)
    assert [(m.author_kind, m.text) for m in view.messages] == [
        ("guest", "Hi"),
        ("bot", "Hello"),
        ("agent", "Anna here"),
    ]
    assert author_kind({"direction": "outbound", "author": {"kind": "bot"}}) == "bot"
