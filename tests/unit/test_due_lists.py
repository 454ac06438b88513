"""The pure parts of issue 24's lists: the due filters' bound, the query they make, the due-sorted list's
cursor (which says its order, so the other order refuses it), and the request's targets in its answer."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from services.inbox.conversations.queries import (
    conversation_out,
    decode_due_cursor,
    decode_list_cursor,
    encode_cursor,
    encode_due_cursor,
)
from services.inbox.conversations.repository import DATED, ConversationQuery, conversation_filter
from services.inbox.conversations.states import VIEWS
from services.inbox.conversations.views import DUE_SOON, Filters, due_by
from shared.problems import Problem

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


class TestDueFilters:
    def test_soon_is_within_the_hour_or_overdue_and_overdue_is_past_due(self) -> None:
        assert due_by(Filters(due="soon"), AT) == AT + DUE_SOON == AT + timedelta(minutes=60)
        assert due_by(Filters(due="overdue"), AT) == AT
        assert due_by(Filters(), AT) is None

    def test_the_due_and_care_group_filters_are_counted_by_scanning(self) -> None:
        assert not Filters(sort="due").needs_scan_to_count, "the order alone changes no count"
        assert Filters(due="soon").needs_scan_to_count
        assert Filters(care_group="care").needs_scan_to_count

    def test_the_query_narrows_by_due_time_care_group_or_no_due_time(self) -> None:
        inbox = ConversationQuery(VIEWS["inbox"], locations=("h",))
        due = conversation_filter(ConversationQuery(VIEWS["inbox"], locations=("h",), due_by=AT, care_group_id="c"))
        assert due["sla_due_at"] == {"$gte": DATED, "$lt": AT}
        assert due["care_group_id"] == "c"
        assert due["location_id"] == "h"
        assert conversation_filter(ConversationQuery(VIEWS["inbox"], without_due=True))["sla_due_at"] is None
        assert "sla_due_at" not in conversation_filter(inbox)
        assert "care_group_id" not in conversation_filter(inbox)


class TestDueCursor:
    def test_a_cursor_says_which_part_of_the_list_it_stopped_in(self) -> None:
        among_due = {"_id": "abc", "sla_due_at": AT, "last_activity_at": AT - timedelta(hours=1)}
        after_due = {"_id": "xyz", "sla_due_at": None, "last_activity_at": AT}
        assert decode_due_cursor(encode_due_cursor(among_due)) == ((AT, "abc"), None)
        assert decode_due_cursor(encode_due_cursor(after_due)) == (None, (AT, "xyz"))

    def test_a_cursor_of_the_other_order_is_refused_with_a_clear_answer(self) -> None:
        with pytest.raises(Problem) as refused:
            decode_list_cursor(encode_due_cursor({"_id": "abc", "sla_due_at": AT}))
        assert refused.value.status == 400
        assert "sort=due" in refused.value.detail
        with pytest.raises(Problem) as refused:
            decode_due_cursor(encode_cursor(AT, "abc"))
        assert refused.value.status == 400
        assert "sort=activity" in refused.value.detail

    @pytest.mark.parametrize("text", ["not a cursor", "due|at|not-a-date|x", "due|other|2026-12-04T09:30|x", "due|at"])
    def test_a_bad_cursor_is_refused(self, text: str) -> None:
        cursor = text if " " in text else base64.urlsafe_b64encode(text.encode()).decode()
        with pytest.raises(Problem) as refused:
            decode_due_cursor(cursor)
        assert refused.value.status == 400


class TestTargetsInTheAnswer:
    def test_a_request_shows_its_targets_escalation_and_survey(self) -> None:
        document = {
            "_id": "c1",
            "location_id": "h",
            "channel": "review",
            "status": "open",
            "last_activity_at": AT,
            "score_day": "2026-12-04",
            "sla_due_at": AT + timedelta(hours=4),
            "care_group_id": "care",
            "first_response_business_seconds": None,
            "sla": {
                "policy_id": "p1",
                "policy_name": "Alerts in 4 h",
                "first_response": {"minutes": 240, "state": "missed", "due_at": AT, "missed_at": AT, "met_at": None},
                "resolution": {"minutes": 600, "state": "paused", "due_at": None, "remaining_seconds": 1800.0},
                "steps_done": [0, 1],
                "escalation": {
                    "step": 1,
                    "action": "to_group",
                    "target": "first_response",
                    "reason": "missed",
                    "at": AT,
                    "group_id": "care",
                },
                "steps": [{"target": "first_response", "at_minutes": 0, "action": "to_group"}],
            },
            "survey": {"rating": 2, "at": AT, "channel": "email"},
        }
        shown = conversation_out(document)
        assert shown.sla is not None
        assert shown.sla.first_response is not None
        assert shown.sla.first_response.state == "missed"
        assert shown.sla.resolution is not None
        assert shown.sla.resolution.remaining_seconds == 1800.0
        assert shown.sla.escalation is not None
        assert shown.sla.escalation.group_id == "care"
        assert shown.survey is not None
        assert shown.survey.rating == 2
        assert shown.care_group_id == "care"
        assert shown.score_day == "2026-12-04"

    def test_an_older_request_without_targets_still_reads(self) -> None:
        shown = conversation_out(
            {"_id": "c0", "location_id": "h", "channel": "email", "status": "open", "last_activity_at": AT}
        )
        assert shown.sla is None
        assert shown.sla_due_at is None
