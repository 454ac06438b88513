"""Typed events: one model per event, subjects that end with the hotel, tolerant decoding, the generated table."""

import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared import bus
from shared.bus import (
    CHAIN,
    ConversationDelegated,
    Event,
    UnknownEvent,
    decode_event,
)

CONVERSATION_EVENTS: tuple[type[Event], ...] = typing.get_args(bus.ConversationEvent)
EVERY_EVENT: tuple[type[Event], ...] = typing.get_args(bus.BusEvent)
AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)

# The fields each event needs beyond its envelope: a new event without an example here fails the tests.
EXAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "conversation.created": {"channel": "email", "contact_id": "k1", "subject": "Late arrival"},
    "conversation.message_received": {"channel": "email", "message_key": "email:m1"},
    "conversation.reopened": {"status": "open"},
    "conversation.status_changed": {"status": "on_hold", "snoozed_until": AT},
    "conversation.snooze_expired": {"status": "open"},
    "conversation.marked_spam": {"status": "spam"},
    "conversation.marked_not_spam": {"status": "open"},
    "conversation.replied": {"status": "open"},
    "conversation.chat_closed": {"status": "closed"},
    "conversation.handed_over": {"status": "open"},
    "conversation.read": {},
    "conversation.assigned": {"assignee": {"id": "a1", "name": "Ana", "initials": "A"}},
    "conversation.unassigned": {},
    "conversation.updated": {"subject": "New subject", "labels": ["VIP"]},
    "conversation.note_added": {},
    "conversation.call_logged": {"outcome": "reached"},
    "conversation.reservation_recorded": {"category": "room"},
    "conversation.forwarded": {"to": ["x@example.com"]},
    "conversation.delegated": {"to": ["care@example.com"]},
    "conversation.shared": {"to": ["y@example.com"]},
    "conversation.contact_linked": {"contact_id": "k2"},
    "conversation.delivery_updated": {"key": "entry:e1", "state": "sent"},
    "conversation.solicitation_sent": {"key": "solicitation:s1:1"},
    "conversation.solicitation_reply": {},
    "conversation.erased": {"erasure_id": "er1"},
    "conversation.sla_missed": {"target": "first_response"},
    "conversation.escalated": {
        "target": "first_response",
        "step": 0,
        "action": "notify_managers",
        "reason": "missed",
        "notified": ["a2"],
    },
    "conversation.rated": {"rating": 4, "channel": "email", "contact_id": "k1"},
    "conversation.merged": {"merged_id": "c0"},
    "conversation.split": {"from_conversation_id": "c0"},
    "delivery.queued": {"key": "entry:e1", "conversation_id": "c1"},
    "delivery.sent": {"key": "entry:e1", "conversation_id": "c1"},
    "delivery.failed": {"key": "entry:e1", "conversation_id": "c1", "reason": "550"},
    "solicitation.sent": {"solicitation_id": "s1", "conversation_id": "c1", "key": "k", "recipient": "r@x.org"},
    "solicitation.reply_received": {"solicitation_id": "s1", "conversation_id": "c1", "key": "k", "recipient": "r"},
    "solicitation.failed": {"solicitation_id": "s1", "conversation_id": "c1", "key": "k", "recipient": "r"},
    "contact.merged": {"survivor_id": "k1", "merged_id": "k2"},
    "contact.erased": {"contact_id": "k1", "erasure_id": "er1"},
    "contact.renamed": {"contact_id": "k1", "display_name": "Léa Martin"},
    "erasure.applied": {"erasure_id": "er1", "contact_id": "k1", "service": "inbox"},
    "location.changed": {"default_phone_region": "FR"},
    "review.reply_changed": {
        "platform": "google",
        "review_id": "accounts/1/locations/2/reviews/r1",
        "state": "edited",
        "comment": "Thanks!",
        "at": AT,
    },
}


def example(model: type[Event], hotel: str = "paris", **extra: Any) -> Event:
    """An instance of any event model, in the given hotel (conversation events about conversation c1)."""
    fields: dict[str, Any] = {**EXAMPLE_FIELDS[model.type_name()], "occurred_at": AT, **extra}
    if issubclass(model, bus.HotelEvent):
        fields["location_id"] = hotel
    if issubclass(model, bus.ConversationEventBase):
        fields |= {"conversation_id": "c1", "version": 3, "entry_id": "e1", "actor_id": "a1"}
    return model.model_validate(fields)


class TestOneModelPerEvent:
    @pytest.mark.parametrize("model", EVERY_EVENT, ids=lambda m: m.type_name())
    def test_its_type_is_its_subject_and_it_round_trips(self, model: type[Event]) -> None:
        event = example(model)
        aggregate, _, name = model.type_name().partition(".")
        hotel = "paris" if isinstance(event, bus.HotelEvent) else CHAIN
        assert event.bus_subject == f"hub.events.{aggregate}.{name}.{hotel}"
        decoded = decode_event(event.model_dump_json())
        assert type(decoded) is model
        assert decoded == event

    def test_every_type_is_declared_once_and_published(self) -> None:
        names = [model.type_name() for model in EVERY_EVENT]
        assert len(names) == len(set(names))
        assert set(names) == set(EXAMPLE_FIELDS), "each event has an example here"
        assert set(bus.EVENT_PUBLICATIONS) == set(EVERY_EVENT)
        for model in EVERY_EVENT:
            assert bus.EVENT_PUBLICATIONS[model].matches(example(model).bus_subject)

    def test_the_delegation_is_named_in_the_past_tense(self) -> None:
        assert ConversationDelegated.type_name() == "conversation.delegated"
        event = example(ConversationDelegated)
        assert event.bus_subject == "hub.events.conversation.delegated.paris"
        assert not any("eed" in model.type_name() for model in EVERY_EVENT)

    @pytest.mark.parametrize("model", CONVERSATION_EVENTS, ids=lambda m: m.type_name())
    def test_a_conversation_event_names_its_conversation_and_hotel(self, model: type[Event]) -> None:
        event = example(model)
        data = event.model_dump(mode="json")
        assert {"conversation_id", "location_id", "actor_id", "occurred_at"} <= set(data)
        assert data["type"].startswith("conversation.")

    def test_message_ids_are_stable_keys_of_what_happened(self) -> None:
        first = example(ConversationDelegated)
        again = example(ConversationDelegated)
        assert first.dedup_key() == again.dedup_key() == "conversation.delegated:c1:3:e1"
        queued = example(bus.DeliveryQueued)
        assert queued.dedup_key() == "delivery:entry:e1:queued"
        assert example(bus.DeliveryQueued, attempt=2).dedup_key() == "delivery:entry:e1:queued:2"
        assert example(bus.ContactMerged).dedup_key() == "contact.merged:k2:k1"


class TestSchemaVersionRules:
    def test_an_unknown_type_is_kept_not_fatal(self) -> None:
        raw = {"type": "conversation.teleported", "conversation_id": "c1", "location_id": "paris", "to": "moon"}
        for adapter in (bus.bus_events, bus.conversation_events, bus.contact_events, bus.solicitation_events):
            event = adapter.validate_python(raw)
            assert isinstance(event, UnknownEvent)
            assert event.type == "conversation.teleported"
            assert event.model_dump()["to"] == "moon"
        assert decode_event(raw).hotel == "paris"

    def test_an_event_of_another_family_is_unknown_to_a_family(self) -> None:
        merged = example(bus.ContactMerged).model_dump()
        assert isinstance(bus.conversation_events.validate_python(merged), UnknownEvent)
        assert isinstance(bus.contact_events.validate_python(merged), bus.ContactMerged)

    def test_unknown_fields_of_a_known_event_are_kept(self) -> None:
        raw = example(bus.ConversationAssigned).model_dump(mode="json")
        raw |= {"schema_version": 2, "added_later": {"x": 1}}
        raw["assignee"]["team"] = "night"
        event = decode_event(raw)
        assert isinstance(event, bus.ConversationAssigned)
        dumped = event.model_dump()
        assert dumped["added_later"] == {"x": 1}
        assert dumped["assignee"]["team"] == "night"
        assert dumped["schema_version"] == 2

    def test_a_known_event_with_broken_fields_is_still_refused(self) -> None:
        with pytest.raises(ValidationError):
            decode_event({"type": "conversation.assigned", "conversation_id": "c1", "location_id": "paris"})
        with pytest.raises(ValidationError):
            decode_event({"type": "conversation.note_added", "conversation_id": "c1", "location_id": "Not.A.Hotel"})


class TestSubjectsNameTheirHotel:
    def test_chain_wide_events_use_a_token_no_hotel_can_have(self) -> None:
        assert not bus.is_location_id(CHAIN)
        for model in (bus.ContactMerged, bus.ContactErased, bus.ErasureApplied):
            assert example(model).bus_subject.endswith(f".{CHAIN}")

    def test_durable_consumers_take_what_they_handle(self) -> None:
        failed = example(bus.DeliveryFailed).bus_subject
        sent = example(bus.DeliverySent).bus_subject
        assert bus.subjects_overlap(failed, bus.SOLICIT_DELIVERY_FAILURES.filter_subject)
        assert not bus.subjects_overlap(sent, bus.SOLICIT_DELIVERY_FAILURES.filter_subject)
        for model in typing.get_args(bus.DeliveryEvent):
            assert bus.subjects_overlap(example(model).bus_subject, bus.INBOX_DELIVERIES.filter_subject)
        for model in typing.get_args(bus.ContactEvent):
            assert bus.subjects_overlap(example(model).bus_subject, bus.INBOX_CONTACTS.filter_subject)

    @pytest.mark.parametrize(
        ("first", "second", "overlap"),
        [
            ("hub.events.conversation.assigned.{hotel}", "hub.events.*.*.{hotel}", True),
            ("hub.events.contact.merged._chain", "hub.events.*.*.{hotel}", False),
            ("hub.events.contact.merged._chain", "hub.events.>", True),
            ("hub.events.delivery.sent.{hotel}", "hub.events.delivery.failed.*", False),
            ("hub.outbound.email", "hub.outbound.>", True),
            ("hub.inbound.solicitation.{location}", "hub.inbound.guest.>", False),
        ],
    )
    def test_overlap(self, first: str, second: str, overlap: bool) -> None:
        assert bus.subjects_overlap(first, second) is overlap


class TestTheTable:
    def test_the_docstring_table_is_the_generated_one(self) -> None:
        assert bus.__doc__ is not None
        assert f"BEGIN GENERATED TABLE\n{bus.render_table()}\nEND GENERATED TABLE\n" in bus.__doc__, (
            "run `python -m scripts.asyncapi` and commit shared/bus.py"
        )

    def test_it_names_every_publication_consumer_and_request(self) -> None:
        table = bus.render_table()
        for publication in bus.PUBLICATIONS:
            assert publication.subject in table
        for consumer in bus.DURABLE_CONSUMERS:
            assert consumer.durable in table, f"{consumer.durable} consumes nothing declared"
        for call in bus.RPCS:
            assert f"{call.request.__name__} -> {call.reply.__name__}" in table
        lines = table.splitlines()
        failed = next(i for i, line in enumerate(lines) if line.startswith("hub.events.delivery.failed"))
        assert "solicit-delivery-failures" in lines[failed + 1]
        assert "inbox-deliveries" in lines[failed + 1]
