"""The pure rules of merge and split (services/inbox/merging/decisions.py), without servers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.inbox.conversations.states import VIEWS, Status, view_keys
from services.inbox.merging import decisions
from services.inbox.reports.service import counts as counts_in_scores
from services.inbox.sla.decisions import STOPPED_STATUSES
from shared.bus import ConversationMerged, ConversationSplit
from shared.problems import Problem

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def request(conversation_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": conversation_id,
        "location_id": "h1",
        "channel": "email",
        "status": "open",
        "version": 3,
        "labels": [],
        "unread": False,
        "message_count": 1,
        "last_activity_at": T0,
        "snippet": f"snippet of {conversation_id}",
        "guest": {"email": "claire@example.com", "name": "Claire"},
        **fields,
    }


def message(entry_id: str, minutes: int, **fields: Any) -> dict[str, Any]:
    return {
        "_id": entry_id,
        "key": f"email:{entry_id}",
        "kind": "message",
        "direction": "inbound",
        "text": f"text {entry_id}",
        "message_id": f"{entry_id}@guest",
        "at": T0 + timedelta(minutes=minutes),
        **fields,
    }


def note(entry_id: str, minutes: int) -> dict[str, Any]:
    return {"_id": entry_id, "key": f"entry:{entry_id}", "kind": "note", "at": T0 + timedelta(minutes=minutes)}


class TestCheckMerge:
    def test_two_requests_of_one_hotel_merge(self) -> None:
        assert decisions.check_merge(request("a"), request("b")) is False

    @pytest.mark.parametrize(
        ("survivor", "merged", "status", "words"),
        [
            (request("a"), request("a"), 422, "itself"),
            (request("a"), request("b", location_id="h2"), 409, "same hotel"),
            (request("a", merged_into="c"), request("b"), 409, "merged into 'c'"),
            (request("a"), request("b", merged_into="c"), 409, "merged into 'c'"),
        ],
    )
    def test_refusals_say_why(self, survivor: dict[str, Any], merged: dict[str, Any], status: int, words: str) -> None:
        with pytest.raises(Problem) as refused:
            decisions.check_merge(survivor, merged)
        assert refused.value.status == status
        assert words in refused.value.detail

    def test_a_merge_stopped_half_way_is_completed(self) -> None:
        assert decisions.check_merge(request("a"), request("b", merged_into="a")) is True


class TestMergeAway:
    def test_the_request_merged_away_leads_to_the_survivor_and_counts_nowhere(self) -> None:
        change = decisions.merge_away("a", T0)(request("b", status="on_hold", snoozed_until=T0))
        assert change.set["status"] == "merged"
        assert change.set["merged_into"] == "a"
        assert change.set["snoozed_until"] is None
        assert change.event is None
        assert view_keys({**request("b"), **change.set}) == set()
        assert not counts_in_scores({**request("b"), **change.set})
        assert "merged" in STOPPED_STATUSES

    def test_merged_already_changes_nothing(self) -> None:
        change = decisions.merge_away("a", T0)(request("b", merged_into="a"))
        assert not change.set
        assert not change.entries

    def test_every_view_but_none_holds_a_merged_request(self) -> None:
        merged = {"status": Status.MERGED.value, "bot_active": False, "alert": True, "unread": True}
        assert not any(condition.holds_for(merged) for condition in VIEWS.values())


class TestMergeInto:
    def test_the_survivor_takes_labels_unread_counts_and_the_later_activity(self) -> None:
        merged = request(
            "b",
            labels=["parking", "vip"],
            unread=True,
            message_count=2,
            last_activity_at=T0 + timedelta(hours=1),
            alert=True,
            alert_reason="negative_wording",
            contact_id="c1",
        )
        change = decisions.merge_into(merged, moved=5)(request("a", labels=["vip", "room"]))
        assert change.set["labels"] == ["vip", "room", "parking"]
        assert change.set["unread"] is True
        assert change.set["message_count"] == 3
        assert change.set["last_activity_at"] == T0 + timedelta(hours=1)
        assert change.set["snippet"] == "snippet of b"
        assert change.set["alert"] is True
        assert change.set["contact_id"] == "c1"
        assert change.set["merged_ids"] == ["b"]
        assert change.entries == [{"kind": "merge", "key": "merge:b:into", "merged_id": "b", "moved": 5}]
        assert isinstance(change.event, ConversationMerged)
        assert change.event.conversation_id == "a"
        assert change.event.merged_id == "b"

    def test_an_older_request_leaves_the_survivors_activity(self) -> None:
        merged = request("b", last_activity_at=T0 - timedelta(days=1))
        change = decisions.merge_into(merged, moved=1)(request("a"))
        assert "last_activity_at" not in change.set
        assert "snippet" not in change.set

    def test_taken_in_once(self) -> None:
        change = decisions.merge_into(request("b"), moved=1)(request("a", merged_ids=["b"]))
        assert not change.set
        assert change.event is None


TIMELINE = [message("m1", 0), note("n1", 1), message("m2", 2), message("m3", 3), note("n2", 4)]


class TestEntriesToSplit:
    def test_one_message(self) -> None:
        assert decisions.entries_to_split(TIMELINE, "m2", with_following=False) == [TIMELINE[2]]

    def test_with_the_entries_after_it(self) -> None:
        assert decisions.entries_to_split(TIMELINE, "m2", with_following=True) == TIMELINE[2:]

    @pytest.mark.parametrize(
        ("entry_id", "following", "words"),
        [
            ("n1", False, "only a guest's message"),
            ("zz", False, "no entry 'zz'"),
            ("m1", True, "keep no guest message"),
            ("o1", False, "no entry 'o1'"),
        ],
    )
    def test_refused(self, entry_id: str, following: bool, words: str) -> None:
        with pytest.raises(Problem) as refused:
            decisions.entries_to_split(TIMELINE, entry_id, with_following=following)
        assert refused.value.status == 422
        assert words in refused.value.detail

    def test_an_agents_reply_is_not_split(self) -> None:
        timeline = [*TIMELINE, {**message("o1", 5), "direction": "outbound"}]
        with pytest.raises(Problem, match="only a guest's message"):
            decisions.entries_to_split(timeline, "o1", with_following=False)

    def test_the_first_message_alone_leaves_the_others(self) -> None:
        assert decisions.entries_to_split(TIMELINE, "m1", with_following=False) == [TIMELINE[0]]


class TestSplitRequests:
    def test_the_new_request_is_the_originals_guest_with_the_moved_messages(self) -> None:
        original = request("a", assignee_id="ag1", priority="high", contact_id="c1", labels=["vip"])
        moved = TIMELINE[2:]
        new = decisions.split_request(original, moved, "n", T0 + timedelta(hours=2))
        assert new["_id"] == "n"
        assert new["thread_key"] == decisions.split_thread_key("a", "m2")
        assert new["location_id"] == "h1"
        assert new["guest"] == original["guest"]
        assert new["contact_id"] == "c1"
        assert new["assignee_id"] == "ag1"
        assert new["status"] == "open"
        assert new["message_count"] == 2
        assert new["applied_keys"] == ["email:m2", "email:m3"]
        assert new["last_activity_at"] == TIMELINE[3]["at"]
        assert new["last_message_id"] == "m3@guest"
        assert new["split_from"] == "a"
        assert new["labels"] == []

    def test_the_original_keeps_its_own_latest_message(self) -> None:
        remaining = [TIMELINE[0], TIMELINE[1], TIMELINE[4]]
        change = decisions.split_from(remaining, TIMELINE[2:4], "n", "m2")(request("a", message_count=3))
        assert change.set["message_count"] == 1
        assert change.set["last_activity_at"] == TIMELINE[0]["at"]
        assert change.set["last_message_id"] == "m1@guest"
        assert change.set["split_ids"] == ["n"]
        assert change.entries[0]["to_conversation_id"] == "n"
        assert change.entries[0]["moved"] == 2

    def test_the_original_is_changed_once(self) -> None:
        change = decisions.split_from(TIMELINE[:1], TIMELINE[2:3], "n", "m2")(request("a", split_ids=["n"]))
        assert not change.set
        assert not change.entries

    def test_the_new_request_says_where_it_came_from(self) -> None:
        change = decisions.split_into("a", "m2", 2)(request("n"))
        assert change.entries == [
            {"kind": "split", "key": "split:n:to", "entry_id": "m2", "moved": 2, "from_conversation_id": "a"}
        ]
        assert isinstance(change.event, ConversationSplit)
        assert change.event.from_conversation_id == "a"
        assert change.event.conversation_id == "n"
