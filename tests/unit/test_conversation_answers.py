"""The conversation API's answers are honest models: every timeline entry the inbox writes validates as
its `TimelineEntry` kind, conversations as `ConversationOut`, and JSON keeps the console's field names."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.inbox.conversations import decisions, handovers, schemas
from services.inbox.conversations.queries import can_take, conversation_out, entry_out
from services.inbox.conversations.service import Change
from services.inbox.privacy.service import redacted
from shared.attachments import Attachment
from shared.auth import Actor

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AGENT = Actor(
    agent_id="lea", name="Léa Roux", initials="LR", email="lea@test.hotel", role="agent", location_ids=["opera"]
)


def conversation(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c1",
        "thread_key": "msgid:x",
        "applied_keys": ["k"],
        "version": 3,
        "location_id": "opera",
        "channel": "chat",
        "status": "open",
        "subject": "Late arrival",
        "guest": {"name": "Anna", "email": "anna@example.com"},
        "chat_session_id": "s1",
        "bot_active": True,
        "has_bot": True,
        "unread": True,
        "labels": ["vip"],
        "snippet": "We arrive at midnight",
        "created_at": NOW,
        "last_activity_at": NOW,
        "activity_day": "2026-12-03",
        **fields,
    }


def stored(fields: dict[str, Any], author: dict[str, Any] | None = None) -> dict[str, Any]:
    """An entry as `Inbox._add_entry` stores it."""
    entry_id = uuid.uuid4().hex
    return {
        "_id": entry_id,
        "key": f"entry:{entry_id}",
        "conversation_id": "c1",
        "author": author or AGENT.author(),
        "at": NOW,
        **fields,
    }


FILE = Attachment(
    id="att_" + "a" * 22, filename="plan.png", content_type="image/png", size=10, location_id="opera", sha256="0" * 64
)

HANDOVER = handovers.Context(hotel=handovers.Hotel(), guest_message="We arrive at midnight", link=None)


def every_decision() -> list[Change]:
    document = conversation()
    on_hold = conversation(status="on_hold", bot_active=False)
    return [
        decisions.reply(schemas.Reply(text="Hello"), AGENT, "token", [FILE], [FILE])(document),
        decisions.note(schemas.Note(text="Call back"), [FILE])(document),
        decisions.assign({"_id": "bruno", "name": "Bruno", "initials": "BP", "email": "b@test.hotel"}, AGENT)(document),
        decisions.set_status(schemas.SetStatus(status="on_hold", snoozed_until=datetime.now(UTC) + timedelta(days=1)))(
            document
        ),
        decisions.update(schemas.Update(subject="New", priority=schemas.Priority.HIGH, labels=["a"]), None)(document),
        decisions.call(schemas.Call(outcome=schemas.CallOutcome.REACHED, duration_seconds=30))(document),
        decisions.reservation(schemas.Reservation(kind=schemas.ReservationKind.SPA, date=date(2030, 1, 2)))(document),
        decisions.forward(schemas.Forward(to="desk@test.hotel"), AGENT, HANDOVER)(document),
        decisions.delegate(schemas.Delegate(), AGENT, "cs@test.hotel", HANDOVER)(document),
        decisions.share(schemas.Share(to=["spa@test.hotel"]), AGENT, HANDOVER)(document),
        decisions.close_chat(schemas.CloseChat())(document),
        decisions.hand_over(document),
        decisions.mark_spam(on_hold),
        decisions.link_contact(schemas.LinkContact(contact_id="ct1"))(document),
    ]


class TestTimelineEntries:
    @pytest.mark.parametrize("change", every_decision(), ids=lambda change: change.event)
    def test_every_entry_a_decision_writes_is_a_timeline_entry_of_its_kind(self, change: Change) -> None:
        assert change.entries
        for fields in change.entries:
            entry = entry_out(stored(fields))
            assert entry.kind == fields["kind"]
            assert type(entry).__name__.endswith("Entry")

    def test_guest_messages_solicitations_and_erasures_are_timeline_entries(self) -> None:
        inbound = stored(
            {"kind": "message", "direction": "inbound", "channel": "email", "text": "Hi", "subject": "S", "html": None},
            author={"type": "guest", "name": "Anna"},
        )
        # As `solicitations.service.entry_of` stores a sent solicitation.
        solicitation = stored(
            {
                "kind": "solicitation",
                "solicitation_id": "so1",
                "direction": "outbound",
                "recipient": "taxi@example.com",
                "subject": "A taxi",
                "text": "At 8",
                "formatted": False,
                "html": None,
                "attachments": [],
                "delivery": {"state": "queued", "at": NOW},
            }
        )
        erased = stored({"kind": "erased", "erasure_id": "er1"}, author={"type": "system"})
        for document in (inbound, solicitation, erased, {**inbound, **redacted(inbound)}):
            assert entry_out(document).kind == document["kind"]

    def test_json_keeps_the_stored_names_and_leaves_out_what_a_document_lacks(self) -> None:
        fields = {"kind": "status", "from": "open", "to": "closed", "reason": "chat_closed"}
        entry = entry_out(stored(fields))
        answer = schemas.ActionResult(conversation=conversation_out(conversation()), entries=[entry])
        data = answer.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert data["entries"][0]["from"] == "open"
        assert "snoozed_until" not in data["entries"][0]
        shown = data["conversation"]
        assert shown["id"] == "c1"
        assert not {"_id", "thread_key", "applied_keys", "activity_day"} & set(shown)
        assert "assignee" not in shown  # absent in the document, absent in the answer

    def test_an_unknown_kind_is_refused_rather_than_shown_unchecked(self) -> None:
        with pytest.raises(ValidationError):
            entry_out(stored({"kind": "teleported"}))

    def test_a_newer_field_passes_through(self) -> None:
        shown = conversation_out(conversation(sentiment="happy"))
        assert shown.model_dump()["sentiment"] == "happy"


class TestWhoMayTakeARequest:
    def test_an_agent_of_the_hotel_or_of_one_of_its_groups_or_an_admin(self) -> None:
        groups = {"paris"}
        assert can_take({"location_ids": ["opera"]}, "opera", groups)
        assert can_take({"location_ids": [], "group_ids": ["paris"]}, "opera", groups)
        assert can_take({"role": "admin", "location_ids": []}, "opera", groups)
        assert not can_take({"location_ids": ["nice"], "group_ids": ["riviera"]}, "opera", groups)
        assert not can_take({"role": "manager", "location_ids": ["nice"]}, "opera", groups)
