"""An agent taking the hotel's public reply down from the review's platform, the pure part: which replies
can be removed, the command and entry the removal makes, and what notify's reports make of the reply
(services/inbox/conversations/reply_removal.py, decisions.remove_public_reply)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.inbox.conversations import decisions, reply_removal
from shared.bus import Channel, DeliveryUpdated, OutboundMessage
from shared.problems import Problem

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
REVIEW_NAME = "accounts/1/locations/2/reviews/3"


def conversation(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c1",
        "location_id": "opera",
        "version": 3,
        "channel": Channel.REVIEW.value,
        "status": "open",
        "thread_key": f"opera|review:google:{REVIEW_NAME}",
        **fields,
    }


def public_reply(state: str = "sent", **delivery: Any) -> dict[str, Any]:
    return {
        "_id": "e" * 32,
        "key": f"entry:{'e' * 32}",
        "kind": "message",
        "direction": "outbound",
        "public": True,
        "platform": "google",
        "text": "Thank you!",
        "delivery": {"state": state, **delivery},
    }


class TestWhichRepliesCanBeRemoved:
    @pytest.mark.parametrize("state", ["sent", "edited"])
    def test_a_published_reply_can_be_removed(self, state: str) -> None:
        reply = public_reply(state)
        assert reply_removal.check_removable(reply) is reply

    @pytest.mark.parametrize(
        ("reply", "title"),
        [
            (None, "No public reply"),
            (public_reply("pending"), "Not published"),
            (public_reply("queued"), "Not published"),
            (public_reply("failed", reason="URL forbidden"), "Not published"),
            (public_reply("deleted"), "Not published"),
            (public_reply("deleting"), "Already being removed"),
        ],
    )
    def test_anything_else_is_a_conflict(self, reply: dict[str, Any] | None, title: str) -> None:
        with pytest.raises(Problem) as refused:
            reply_removal.check_removable(reply)
        assert (refused.value.status, refused.value.title) == (409, title)


class TestTheRemovalDecision:
    def test_it_makes_an_entry_of_its_own_and_a_delete_command_for_the_review(self) -> None:
        document = conversation()
        target = decisions.review_target(document, None)
        change = decisions.remove_public_reply(public_reply(), target)(document)
        assert change.entries == [
            {
                "kind": "public_reply_removal",
                "platform": "google",
                "reply_entry_id": "e" * 32,
                "delivery": {"state": "pending"},
            }
        ]
        command = change.outbound
        assert isinstance(command, OutboundMessage)
        assert (command.channel, command.review_action, command.text) == (Channel.REVIEW, "delete", "")
        assert command.review is not None
        assert (command.review.platform, command.review.review_id) == ("google", REVIEW_NAME)
        assert change.set == {}, "the request's status stays as it is"
        assert isinstance(change.event, DeliveryUpdated)
        assert (change.event.key, change.event.state) == (f"entry:{'e' * 32}", "deleting")

    def test_the_review_id_kept_on_the_review_comes_first(self) -> None:
        target = decisions.review_target(conversation(), {"platform": "tripadvisor", "review_id": "t-9"})
        change = decisions.remove_public_reply(public_reply(), target)(conversation())
        assert change.outbound is not None
        assert change.outbound.review is not None
        assert (change.outbound.review.platform, change.outbound.review.review_id) == ("tripadvisor", "t-9")

    def test_only_a_review_has_a_public_reply_to_remove(self) -> None:
        document = conversation(channel="email", thread_key="opera|mail:x")
        with pytest.raises(Problem, match="Only a review's public reply"):
            decisions.remove_public_reply(public_reply(), decisions.review_target(document, None))(document)

    def test_a_reply_that_is_not_published_is_refused(self) -> None:
        target = decisions.review_target(conversation(), None)
        with pytest.raises(Problem, match="Only a public reply published"):
            decisions.remove_public_reply(public_reply("failed"), target)(conversation())

    def test_a_put_command_stays_the_default(self) -> None:
        command = OutboundMessage(
            key="k", kind="reply", channel=Channel.REVIEW, conversation_id="c1", location_id="opera", text="Hi"
        )
        assert command.review_action == "put"


class TestWhatTheReportsMakeOfTheReply:
    def test_while_removing_the_state_before_is_kept(self) -> None:
        edited = public_reply("edited", comment="Thanks!!", at=NOW)
        assert reply_removal.deleting(edited, NOW) == {
            "state": "deleting",
            "at": NOW,
            "before": {"state": "edited", "comment": "Thanks!!", "at": NOW},
        }

    def test_a_refusal_noted_on_an_earlier_removal_is_not_kept_as_the_state_before(self) -> None:
        refused_once = public_reply("sent", removal_failed="Not found")
        assert reply_removal.deleting(refused_once, NOW)["before"] == {"state": "sent"}

    def test_taken_down_it_is_deleted_by_the_hotel(self) -> None:
        current = reply_removal.deleting(public_reply(), NOW)
        assert reply_removal.outcome(current, "sent", None, NOW) == {"state": "deleted", "by": "hotel", "at": NOW}

    def test_refused_it_is_published_again_with_the_platform_s_reason(self) -> None:
        current = reply_removal.deleting(public_reply("edited", comment="Thanks!!"), NOW)
        assert reply_removal.outcome(current, "failed", "Reply not found.", NOW) == {
            "state": "edited",
            "comment": "Thanks!!",
            "removal_failed": "Reply not found.",
        }

    def test_a_busy_platform_leaves_it_deleting_with_the_reason(self) -> None:
        current = reply_removal.deleting(public_reply(), NOW)
        after = reply_removal.outcome(current, "queued", "will retry in 2 s: quota", NOW)
        assert after is not None
        assert (after["state"], after["reason"], after["before"]) == (
            "deleting",
            "will retry in 2 s: quota",
            {"state": "sent"},
        )

    def test_a_success_wins_over_a_refusal_whichever_comes_first(self) -> None:
        # Two removals at once: the platform takes the reply down once and refuses the other (nothing left).
        current = reply_removal.deleting(public_reply(), NOW)
        refused = reply_removal.outcome(current, "failed", "Not found", NOW)
        assert refused is not None
        assert reply_removal.outcome(refused, "sent", None, NOW) == {"state": "deleted", "by": "hotel", "at": NOW}
        deleted = reply_removal.outcome(current, "sent", None, NOW)
        assert deleted is not None
        assert reply_removal.outcome(deleted, "failed", "Not found", NOW) is None
        assert reply_removal.outcome(deleted, "queued", "busy", NOW) is None
