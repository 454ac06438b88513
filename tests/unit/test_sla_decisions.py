"""The pure rules of response-time targets (services/inbox/sla/decisions.py): which policy, targets at
creation, how each change moves them, and what the sweep does when."""

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from services.inbox.conversations.repository import sla_check_minute, with_derived
from services.inbox.sla import decisions
from services.inbox.sla.decisions import Calendar, Miss, Step
from shared.business_hours import BusinessHours, TimeRange

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
OPEN = Calendar(zone=ZoneInfo("UTC"))
# Weekdays 09:00-17:00 UTC.
OFFICE = Calendar(
    hours=BusinessHours.model_validate(
        {"weekly": {day: [TimeRange(start="09:00", end="17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}}
    ),
    zone=ZoneInfo("UTC"),
)


def policy(**fields: Any) -> dict[str, Any]:
    return {
        "_id": fields.pop("_id", "p"),
        "name": "Reviews",
        "group_id": None,
        "channels": [],
        "alerts_only": False,
        "first_response_minutes": 240,
        "resolution_minutes": None,
        "pause_on_hold": True,
        "position": 0,
        "escalation": [],
        **fields,
    }


def request(pol: dict[str, Any] | None = None, calendar: Calendar = OPEN, status: str = "open") -> dict[str, Any]:
    fields = decisions.targets_at_creation(pol or policy(), calendar, T0, status)
    return {"_id": "c", "location_id": "h", "status": status, "created_at": T0, "first_response_at": None, **fields}


class TestChoosePolicy:
    CASES: ClassVar[list[tuple[str, list[dict[str, Any]], str, bool, str | None]]] = [
        ("group before chain-wide", [policy(_id="a"), policy(_id="b", group_id="g")], "review", False, "b"),
        ("other group's is skipped", [policy(_id="a"), policy(_id="b", group_id="x")], "review", False, "a"),
        ("alerts-only needs an alert", [policy(_id="a"), policy(_id="b", alerts_only=True)], "review", False, "a"),
        ("alerts-only first", [policy(_id="a"), policy(_id="b", alerts_only=True)], "review", True, "b"),
        ("channel must match", [policy(_id="a", channels=["email"])], "review", False, None),
        ("lowest position", [policy(_id="a", position=2), policy(_id="b", position=1)], "email", False, "b"),
        ("id breaks ties", [policy(_id="b"), policy(_id="a")], "email", False, "a"),
        (
            "group general before chain-wide alerts-only",
            [policy(_id="a", alerts_only=True), policy(_id="b", group_id="g")],
            "review",
            True,
            "b",
        ),
    ]

    @pytest.mark.parametrize(("name", "policies", "channel", "alert", "chosen"), CASES, ids=[c[0] for c in CASES])
    def test_choice(self, name: str, policies: list[dict[str, Any]], channel: str, alert: bool, chosen: str) -> None:
        found = decisions.choose_policy(policies, channel, alert, ["g"])
        assert (found or {}).get("_id") == chosen


class TestCreation:
    def test_targets_due_in_business_time(self) -> None:
        friday_afternoon = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
        fields = decisions.targets_at_creation(policy(resolution_minutes=600), OFFICE, friday_afternoon, "open")
        assert fields["sla"]["first_response"]["due_at"] == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
        assert fields["sla"]["resolution"]["due_at"] == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
        assert fields["sla_due_at"] == fields["sla_check_at"] == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
        assert fields["score_day"] == "2026-03-06"

    def test_score_day_in_the_hotel_zone(self) -> None:
        late = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)
        paris = Calendar(zone=ZoneInfo("Europe/Paris"))
        assert decisions.targets_at_creation(None, paris, late, "open")["score_day"] == "2026-03-07"

    @pytest.mark.parametrize("status", ["spam", "closed"])
    def test_no_targets_for_spam_or_automatic(self, status: str) -> None:
        fields = decisions.targets_at_creation(policy(), OPEN, T0, status)
        assert fields["sla"] is None
        assert fields["sla_check_at"] is None

    def test_no_policy_no_targets(self) -> None:
        assert decisions.targets_at_creation(None, OPEN, T0, "open")["sla"] is None

    def test_first_step_before_the_due_time(self) -> None:
        steps = [{"target": "first_response", "at_minutes": -30, "action": "notify_assignee", "group_id": None}]
        fields = decisions.targets_at_creation(policy(escalation=steps), OPEN, T0, "open")
        assert fields["sla_check_at"] == T0 + timedelta(hours=3, minutes=30)
        assert fields["sla_due_at"] == T0 + timedelta(hours=4)


class TestFollow:
    """Each row: a change to a new request (4 h first response, 8 h resolution), made an hour later."""

    NOW = T0 + timedelta(hours=1)
    CASES: ClassVar[list[tuple[str, dict[str, Any], str, str, Any]]] = [
        ("answered: first response met", {"first_response_at": NOW}, "first_response", "met", T0 + timedelta(hours=4)),
        ("closed: resolution met", {"status": "closed"}, "resolution", "met", T0 + timedelta(hours=8)),
        ("on hold: paused", {"status": "on_hold"}, "first_response", "paused", None),
        ("spam: state kept", {"status": "spam"}, "first_response", "running", T0 + timedelta(hours=4)),
        ("a note: nothing moves", {"labels": ["x"]}, "first_response", "running", T0 + timedelta(hours=4)),
    ]

    @pytest.mark.parametrize(("name", "changes", "target", "state", "due"), CASES, ids=[c[0] for c in CASES])
    def test_change(self, name: str, changes: dict[str, Any], target: str, state: str, due: datetime | None) -> None:
        before = request(policy(resolution_minutes=480))
        after = {**before, **changes, **decisions.follow(before, changes, self.NOW, OPEN)}
        assert after["sla"][target]["state"] == state
        assert after["sla"][target]["due_at"] == due

    def test_answered_late_before_any_sweep_is_missed_when_it_fell_due(self) -> None:
        before = request()  # 4 h first response, still "running": no sweep marked it
        late = T0 + timedelta(hours=5)
        target = decisions.follow(before, {"first_response_at": late}, late, OPEN)["sla"]["first_response"]
        assert (target["state"], target["missed_at"], target["met_at"]) == ("missed", T0 + timedelta(hours=4), late)

    def test_closed_late_before_any_sweep_misses_the_resolution(self) -> None:
        before = request(policy(resolution_minutes=480))
        late = T0 + timedelta(hours=9)
        target = decisions.follow(before, {"status": "closed"}, late, OPEN)["sla"]["resolution"]
        assert (target["state"], target["missed_at"]) == ("missed", T0 + timedelta(hours=8))

    def test_first_response_business_seconds_always(self) -> None:
        before = {"status": "open", "created_at": T0, "first_response_at": None, "sla": None}
        friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
        monday = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
        extra = decisions.follow({**before, "created_at": friday}, {"first_response_at": monday}, monday, OFFICE)
        assert extra == {"first_response_business_seconds": 2 * 3600.0}

    def test_stopped_requests_have_no_due_or_check(self) -> None:
        before = request()
        for status in ("spam", "closed"):
            extra = decisions.follow(before, {"status": status}, T0, OPEN)
            assert (extra["sla_due_at"], extra["sla_check_at"]) == (None, None)

    def test_hold_then_resume_keeps_the_remaining_time(self) -> None:
        before = request()
        held = {**before, "status": "on_hold"}
        held |= decisions.follow(before, {"status": "on_hold"}, T0 + timedelta(hours=1), OPEN)
        assert held["sla"]["first_response"]["remaining_seconds"] == 3 * 3600
        assert held["sla_due_at"] is None
        later = T0 + timedelta(hours=10)
        resumed = decisions.follow(held, {"status": "open"}, later, OPEN)
        assert resumed["sla"]["first_response"]["state"] == "running"
        assert resumed["sla_due_at"] == later + timedelta(hours=3)

    def test_hold_without_pause_keeps_running(self) -> None:
        before = request(policy(pause_on_hold=False))
        extra = decisions.follow(before, {"status": "on_hold"}, T0, OPEN)
        assert extra["sla"]["first_response"]["state"] == "running"
        assert extra["sla_due_at"] == T0 + timedelta(hours=4)

    def test_reopened_restarts_resolution_only(self) -> None:
        steps = [
            {"target": "resolution", "at_minutes": 0, "action": "notify_assignee", "group_id": None},
            {"target": "first_response", "at_minutes": 0, "action": "notify_assignee", "group_id": None},
        ]
        closed = {**request(policy(resolution_minutes=480, escalation=steps)), "status": "closed"}
        closed["sla"]["first_response"] |= {"state": "met", "met_at": T0}
        closed["sla"]["resolution"] |= {"state": "met", "met_at": T0}
        closed["sla"]["steps_done"] = [0, 1]
        later = T0 + timedelta(days=2)
        extra = decisions.follow(closed, {"status": "open"}, later, OPEN)
        assert extra["sla"]["resolution"]["state"] == "running"
        assert extra["sla"]["resolution"]["due_at"] == later + timedelta(hours=8)
        assert extra["sla"]["first_response"]["state"] == "met"
        assert extra["sla"]["steps_done"] == [1]

    def test_missed_stays_missed_when_answered(self) -> None:
        before = request()
        before["sla"]["first_response"] |= {"state": "missed", "missed_at": T0 + timedelta(hours=4)}
        at = T0 + timedelta(hours=5)
        extra = decisions.follow(before, {"first_response_at": at}, at, OPEN)
        assert extra["sla"]["first_response"]["state"] == "missed"
        assert extra["sla"]["first_response"]["met_at"] == at


STEPS = [
    {"target": "first_response", "at_minutes": 0, "action": "notify_managers", "group_id": None},
    {"target": "first_response", "at_minutes": 60, "action": "to_group", "group_id": "care"},
]


class TestSweep:
    def run(self, document: dict[str, Any], now: datetime) -> list[Any]:
        """What the sweep does at `now`, applied in turn until nothing is due."""
        done: list[Any] = []
        while (work := decisions.due_work(document, now)) is not None:
            done.append(work)
            fields = (
                decisions.missed(document, work) if isinstance(work, Miss) else decisions.escalated(document, work, now)
            )
            document = {**document, **fields}
        return done

    @pytest.mark.parametrize(
        ("hours", "expected"),
        [
            (3.9, []),
            (4.01, [Miss("first_response"), Step(0, "first_response", "notify_managers", None, "missed")]),
            (
                5.01,
                [
                    Miss("first_response"),
                    Step(0, "first_response", "notify_managers", None, "missed"),
                    Step(1, "first_response", "to_group", "care", "missed"),
                ],
            ),
        ],
    )
    def test_work_at(self, hours: float, expected: list[Any]) -> None:
        assert self.run(request(policy(escalation=STEPS)), T0 + timedelta(hours=hours)) == expected

    def test_escalation_state_and_next_check(self) -> None:
        document = request(policy(escalation=STEPS))
        now = T0 + timedelta(hours=4, minutes=1)
        document |= decisions.missed(document, Miss("first_response"))
        assert document["sla"]["first_response"]["missed_at"] == T0 + timedelta(hours=4)
        assert document["sla_due_at"] == T0 + timedelta(hours=4)  # still owed: it leads the due-sorted list
        assert document["sla_check_at"] == T0 + timedelta(hours=4)  # the first step, due when missed
        document |= decisions.escalated(document, Step(0, "first_response", "notify_managers", None, "missed"), now)
        assert document["sla_check_at"] == T0 + timedelta(hours=5)
        step = Step(1, "first_response", "to_group", "care", "missed")
        document |= decisions.escalated(document, step, now)
        assert (document["care_group_id"], document["assignee"], document["sla_check_at"]) == ("care", None, None)
        assert document["sla"]["escalation"]["action"] == "to_group"

    def test_answered_in_time_stops_everything(self) -> None:
        document = request(policy(escalation=STEPS))
        answer = T0 + timedelta(hours=1)
        document |= {
            "first_response_at": answer,
            **decisions.follow(document, {"first_response_at": answer}, answer, OPEN),
        }
        assert document["sla_check_at"] is None
        assert self.run(document, T0 + timedelta(days=1)) == []

    def test_answered_late_stops_the_steps_left(self) -> None:
        document = request(policy(escalation=STEPS))
        document |= decisions.missed(document, Miss("first_response"))
        late = T0 + timedelta(hours=4, minutes=30)
        document |= {"first_response_at": late, **decisions.follow(document, {"first_response_at": late}, late, OPEN)}
        assert document["sla"]["first_response"]["state"] == "missed"  # it stays missed, answered late
        assert (document["sla_due_at"], document["sla_check_at"]) == (None, None)
        assert self.run(document, T0 + timedelta(days=1)) == []

    def test_nothing_on_a_closed_request(self) -> None:
        document = {**request(policy(escalation=STEPS)), "status": "closed"}
        assert decisions.due_work(document, T0 + timedelta(days=1)) is None
        assert decisions.rescheduled(document) == {"sla_due_at": None, "sla_check_at": None}

    def test_nearly_missed(self) -> None:
        steps = [{"target": "first_response", "at_minutes": -30, "action": "notify_assignee", "group_id": None}]
        work = decisions.due_work(request(policy(escalation=steps)), T0 + timedelta(hours=3, minutes=31))
        assert work == Step(0, "first_response", "notify_assignee", None, "nearly_missed")


def test_a_check_due_when_written_is_filed_under_the_writing_minute() -> None:
    """FerretDB's sweep reads the minutes since it last swept: a check already due when written (a step
    before a short target's due time) must be found in the minute it was written, not in a past one."""
    written = datetime(2026, 12, 4, 3, 40, 30, tzinfo=UTC)
    assert sla_check_minute(written + timedelta(hours=4), written) == "2026-12-04T07:40"
    assert sla_check_minute(written - timedelta(minutes=20), written) == "2026-12-04T03:40"
    assert with_derived({"sla_check_at": None})["sla_check_minute"] is None
