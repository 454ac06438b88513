"""Pure rules of guests' names and addresses: which names name a contact, how a linked contact completes a
request's guest, and where an agent's reply goes once a chat has ended."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.contacts.service import guest_name, name_of
from services.inbox.conversations import decisions, schemas
from services.inbox.conversations.service import with_contact
from shared.auth import Actor
from shared.bus import Channel, ContactHotels, Guest, ResolveContact
from shared.problems import Problem

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AGENT = Actor(
    agent_id="a1", name="Caro Agent", initials="CA", email="caro@test.hotel", role="agent", location_ids=["opera"]
)


def chat(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c1",
        "version": 2,
        "location_id": "opera",
        "channel": "chat",
        "status": "open",
        "subject": "",
        "guest": {},
        "chat_session_id": "s1",
        "contact_id": None,
        "last_activity_at": NOW,
        **fields,
    }


class TestNamesThatNameAContact:
    @pytest.mark.parametrize(
        ("channel", "name", "expected"),
        [
            (Channel.EMAIL, "Anna Martin", "Anna Martin"),
            (Channel.FORM, " Omar ", "Omar"),
            (Channel.CHAT, "Léa", "Léa"),
            (Channel.EMAIL, "anna@example.com", None),  # a display name that is an address
            (Channel.PHONE, "MARTIN A", None),  # a caller id is not the guest's own words
            (Channel.REVIEW, "Sam C.", None),
            (Channel.EMAIL, None, None),
        ],
    )
    def test_the_guests_own_name(self, channel: Channel, name: str | None, expected: str | None) -> None:
        request = ResolveContact(location_id="opera", channel=channel, guest=Guest(name=name, email="a@example.com"))
        assert guest_name(request) == expected

    def test_an_agents_names_come_before_the_name_a_guest_gave(self) -> None:
        assert name_of({"first_name": "Léo", "last_name": "Bernard", "display_name": "LB Travel"}) == "Léo Bernard"
        assert name_of({"display_name": "Anna Martin"}) == "Anna Martin"
        assert name_of({"emails": ["x@example.com"]}) is None


class TestTheLinkedContactCompletesTheGuest:
    def test_it_fills_what_the_guest_did_not_say_and_replaces_nothing_they_said(self) -> None:
        assert with_contact({}, "Léa Martin", "lea@example.com") == {"name": "Léa Martin", "email": "lea@example.com"}
        said = {"name": "Mimi", "email": "mimi@example.com"}
        assert with_contact(said, "Michèle Roux", "michele@example.com") == said

    def test_a_name_that_was_the_contacts_follows_the_contact(self) -> None:
        assert with_contact({"name": "Michèle Roux"}, "Michelle Roux", None, "Michèle Roux") == {
            "name": "Michelle Roux"
        }
        assert with_contact({"name": "Mimi"}, "Michelle Roux", None, "Michèle Roux") == {"name": "Mimi"}

    def test_linking_takes_the_cards_name_and_address(self) -> None:
        card = ContactHotels(found=True, contact_id="k1", display_name="Léa Martin", emails=["lea@example.com"])
        change = decisions.link_contact(schemas.LinkContact(contact_id="k1"), card)(chat())
        assert change.set == {
            "contact_id": "k1",
            "guest": {"name": "Léa Martin", "email": "lea@example.com"},
            "contact_name": "Léa Martin",
        }
        assert change.event is not None
        again = decisions.link_contact(schemas.LinkContact(contact_id="k1"), card)(chat(**change.set))
        assert (again.set, again.event, again.entries) == ({}, None, [])

    def test_a_card_for_other_hotels_gives_nothing(self) -> None:
        hidden = ContactHotels(found=True, location_ids=["louvre"])
        change = decisions.link_contact(schemas.LinkContact(contact_id="k1"), hidden)(chat())
        assert change.set == {"contact_id": "k1"}


class TestAnEndedChatGoesOnByEmail:
    def reply(self, document: dict[str, Any], contact_email: str | None) -> Any:
        decide = decisions.reply(schemas.Reply(text="Here it is."), AGENT, "token", [], [], contact_email)
        return decide(document)

    def test_a_live_chat_answers_in_the_chat(self) -> None:
        change = self.reply(chat(), "lea@example.com")
        assert change.outbound.channel == Channel.CHAT
        assert "guest" not in change.set

    def test_an_ended_chat_goes_to_the_contacts_address_which_the_request_keeps(self) -> None:
        change = self.reply(chat(chat_open=False, contact_id="k1"), "lea@example.com")
        assert (change.outbound.channel, change.outbound.to) == (Channel.EMAIL, ["lea@example.com"])
        assert change.outbound.reply_token == "token"
        assert change.set["guest"] == {"email": "lea@example.com"}

    def test_the_guests_own_address_comes_first(self) -> None:
        change = self.reply(chat(chat_open=False, guest={"email": "own@example.com"}), "lea@example.com")
        assert change.outbound.to == ["own@example.com"]
        assert "guest" not in change.set

    def test_without_any_address_it_is_refused(self) -> None:
        with pytest.raises(Problem) as refused:
            self.reply(chat(chat_open=False), None)
        assert refused.value.status == 409
