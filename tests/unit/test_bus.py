"""Bus contracts: schemas are versioned and tolerant, subjects are well-formed, consumers are bounded."""

import pytest
from pydantic import ValidationError

from shared import bus
from shared.bus import (
    INBOUND,
    INBOX_INBOUND,
    STREAMS,
    Channel,
    ConversationCreated,
    Guest,
    InboundMessage,
    Subjects,
    is_location_id,
)


class TestInboundMessage:
    def test_carries_schema_version_and_keeps_unknown_fields(self) -> None:
        raw = {
            "key": "form:paris:1",
            "channel": "form",
            "location_id": "paris",
            "guest": {"email": "A@Example.com", "loyalty": "gold"},
            "text": "hi",
            "added_by_a_newer_producer": {"x": 1},
        }
        message = InboundMessage.model_validate(raw)
        assert message.schema_version == 1
        assert message.guest.email == "a@example.com"
        dumped = message.model_dump()
        assert dumped["added_by_a_newer_producer"] == {"x": 1}
        assert dumped["guest"]["loyalty"] == "gold"

    @pytest.mark.parametrize(
        "change",
        [{"location_id": "Paris.Opera"}, {"channel": "fax"}, {"key": ""}, {"text": "x" * 100_001}],
    )
    def test_rejects_what_would_break_routing_or_storage(self, change: dict[str, object]) -> None:
        raw = {"key": "k", "channel": "form", "location_id": "paris", "guest": {}, "text": "hi", **change}
        with pytest.raises(ValidationError):
            InboundMessage.model_validate(raw)


def test_events_are_a_discriminated_union() -> None:
    event = ConversationCreated(conversation_id="c1", location_id="paris", channel=Channel.FORM, contact_id=None)
    parsed = bus.conversation_events.validate_json(event.model_dump_json())
    assert isinstance(parsed, ConversationCreated)


def test_subjects() -> None:
    assert Subjects.inbound_guest(Channel.EMAIL, "paris") == "hub.inbound.guest.email.paris"
    assert Subjects.inbound_solicitation("paris") == "hub.inbound.solicitation.paris"
    assert Subjects.event("conversation", "assigned", "paris") == "hub.events.conversation.assigned.paris"
    assert Subjects.events_of_hotel("paris") == "hub.events.*.*.paris"
    assert Subjects.dlq("INBOUND") == "hub.dlq.inbound"


def test_every_subject_family_has_exactly_one_stream() -> None:
    subjects = [s for stream in STREAMS for s in stream.subjects]
    assert len(subjects) == len(set(subjects))
    assert any(s == "hub.inbound.>" for s in INBOUND.subjects)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("paris-opera", True), ("h1", True), ("", False), ("a.b", False), ("a*", False), ("A", False), ("a" * 64, False)],
)
def test_location_ids_are_single_subject_tokens(value: str, ok: bool) -> None:
    assert is_location_id(value) is ok


def test_durable_consumers_are_bounded() -> None:
    config = INBOX_INBOUND.config(max_deliver=5, ack_wait_seconds=30)
    assert config.max_deliver == 7, "the server keeps two spare deliveries beyond the application's limit"
    assert config.ack_wait == 30
    assert config.durable_name == "inbox-inbound"
    assert config.filter_subject == "hub.inbound.guest.>"


def test_guest_needs_no_field() -> None:
    assert Guest().email is None
