"""The live stream's rules without servers: what an agent subscribes to, and what reaches their console."""

import json

from services.inbox.live.service import live_event, subjects_for
from shared import bus
from shared.auth import Actor
from tests.unit.test_bus_events import example

AGENT = Actor(agent_id="a1", name="Ana", initials="A", email="a@x.org", role="agent", location_ids=["paris", "lyon"])
ADMIN = Actor(agent_id="ad", name="Ad", initials="AD", email="ad@x.org", role="admin", location_ids=[])
NOBODY = Actor(agent_id="n", name="No", initials="N", email="n@x.org", role="agent", location_ids=[])


class TestSubscriptions:
    def test_one_events_and_one_presence_subscription_per_hotel(self) -> None:
        assert subjects_for(AGENT) == [
            "hub.events.*.*.lyon",
            "hub.presence.conversation.lyon",
            "hub.events.*.*.paris",
            "hub.presence.conversation.paris",
        ]

    def test_an_admin_listens_to_everything_and_an_agent_of_no_hotel_to_nothing(self) -> None:
        assert subjects_for(ADMIN) == ["hub.events.>", "hub.presence.>"]
        assert subjects_for(NOBODY) == []


class TestWhatIsShown:
    def test_an_event_is_named_by_its_type_and_carries_its_conversation(self) -> None:
        event = example(bus.ConversationDelegated, hotel="paris")
        shown = live_event(AGENT, event.bus_subject, event.model_dump_json().encode())
        assert shown is not None
        assert shown.name == "conversation.delegated"
        data = json.loads(shown.data)
        assert (data["conversation_id"], data["location_id"], data["actor_id"]) == ("c1", "paris", "a1")
        assert shown.frame().startswith("event: conversation.delegated\ndata: {")

    def test_another_hotels_event_and_chain_wide_events_are_not(self) -> None:
        theirs = example(bus.NoteAdded, hotel="nice")
        assert live_event(AGENT, theirs.bus_subject, theirs.model_dump_json().encode()) is None
        merged = example(bus.ContactMerged)
        assert live_event(ADMIN, merged.bus_subject, merged.model_dump_json().encode()) is None

    def test_an_unknown_type_is_passed_on_by_its_name(self) -> None:
        raw = b'{"type": "conversation.teleported", "conversation_id": "c1", "location_id": "lyon"}'
        shown = live_event(AGENT, "hub.events.conversation.teleported.lyon", raw)
        assert shown is not None
        assert shown.name == "conversation.teleported"

    def test_presence_and_unreadable_messages(self) -> None:
        viewing = bus.ConversationViewing(conversation_id="c1", location_id="paris", agent={"id": "b"})
        shown = live_event(AGENT, "hub.presence.conversation.paris", viewing.model_dump_json().encode())
        assert shown is not None
        assert shown.name == "conversation.viewing"
        assert live_event(AGENT, "hub.events.conversation.note_added.paris", b"not json") is None
        assert live_event(AGENT, "hub.events.conversation.note_added.paris", b"\xff") is None
