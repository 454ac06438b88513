"""Pure rules of response-time targets: which policy a new request follows, its targets, how a change to the
request moves them (met, paused, resumed, restarted, stopped), and what the sweep must do when one is due.

Which policy: among the policies matching the request's channel (an empty list matches every channel) and,
for `alerts_only` ones, raising an alert, a policy of one of the hotel's groups comes before a chain-wide
one; then an alerts-only policy before a general one; then the lowest `position`; then the id.

Targets count business time in the hotel's calendar (its hours and time zone, shared/business_hours.py).
Escalation steps count wall-clock minutes from a target's due time (-30: half an hour before, "nearly
missed"; 0: when missed; 60: an hour after), since the people they call on work other hours than the hotel.
A request's `sla` keeps a copy of its policy's steps and hold rule: a policy changed later applies to the
requests opened after.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shared.business_hours import ALWAYS_OPEN, BusinessHours, add_business_seconds, business_seconds_between
from shared.db import Document

TargetName = Literal["first_response", "resolution"]
TARGETS: tuple[TargetName, ...] = ("first_response", "resolution")
STOPPED_STATUSES = frozenset({"closed", "spam", "merged"})  # no target runs on them (they keep their state)
SLA_FIELDS = ("first_response_at", "status")  # the changes that move targets
PARIS = ZoneInfo("Europe/Paris")  # the calendar of a hotel without a time zone (as `zone_of` says)


@dataclass(frozen=True)
class Calendar:
    """A hotel's business time: its opening hours in its time zone."""

    hours: BusinessHours = ALWAYS_OPEN
    zone: ZoneInfo = PARIS

    def after(self, start: datetime, seconds: float) -> datetime | None:
        """The instant `seconds` business seconds after `start`; None when the hotel never opens."""
        try:
            return add_business_seconds(self.hours, self.zone, start, seconds)
        except ValueError:
            return None

    def between(self, start: datetime, end: datetime) -> float:
        return business_seconds_between(self.hours, self.zone, start, end) if end > start else 0.0


# --- which policy, which targets ---------------------------------------------------------------------


def matches(policy: Mapping[str, Any], channel: str, alert: bool, hotel_groups: Sequence[str]) -> bool:
    channels = policy.get("channels") or []
    group_id = policy.get("group_id")
    return (
        (not channels or channel in channels)
        and (alert or not policy.get("alerts_only"))
        and (group_id is None or group_id in hotel_groups)
    )


def choose_policy(
    policies: Sequence[Document], channel: str, alert: bool, hotel_groups: Sequence[str]
) -> Document | None:
    """The policy a new request follows (see the module's docstring), or None."""
    candidates = [policy for policy in policies if matches(policy, channel, alert, hotel_groups)]
    return min(
        candidates,
        key=lambda p: (p.get("group_id") is None, not p.get("alerts_only"), int(p.get("position", 0)), str(p["_id"])),
        default=None,
    )


def new_target(minutes: int | None, calendar: Calendar, start: datetime) -> Document | None:
    if not minutes:
        return None
    due = calendar.after(start, minutes * 60)
    if due is None:  # a hotel that never opens has no promise to keep
        return None
    return {
        "minutes": minutes,
        "state": "running",
        "due_at": due,
        "remaining_seconds": None,
        "met_at": None,
        "missed_at": None,
    }


def targets_at_creation(
    policy: Document | None, calendar: Calendar, created_at: datetime, status: str
) -> dict[str, Any]:
    """The SLA fields of a new request (`status` its first status: a spam or automatic one gets no targets)."""
    fields: dict[str, Any] = {
        "score_day": created_at.astimezone(calendar.zone).date().isoformat(),
        "sla": None,
        "sla_due_at": None,
        "sla_check_at": None,
        "first_response_business_seconds": None,
        "care_group_id": None,
    }
    if policy is None or status in STOPPED_STATUSES:
        return fields
    sla = {
        "policy_id": str(policy["_id"]),
        "policy_name": str(policy.get("name") or ""),
        "first_response": new_target(policy.get("first_response_minutes"), calendar, created_at),
        "resolution": new_target(policy.get("resolution_minutes"), calendar, created_at),
        "steps_done": [],
        "escalation": None,
        "steps": [dict(step) for step in policy.get("escalation") or []],
        "pause_on_hold": bool(policy.get("pause_on_hold", True)),
    }
    if sla["first_response"] is None and sla["resolution"] is None:
        return fields
    return fields | {"sla": sla} | schedule(sla, status)


# --- when the sweep must look again --------------------------------------------------------------------


def _owed(target: Mapping[str, Any] | None) -> bool:
    """Whether the target still waits for what it promises: running, or missed and not yet answered."""
    return bool(
        target
        and target.get("due_at") is not None
        and target.get("met_at") is None
        and target.get("state") in {"running", "missed"}
    )


def step_time(sla: Mapping[str, Any], index: int) -> datetime | None:
    """When the step runs: its target's due time plus its minutes; None for a step that never runs now
    (done, or its target met, paused or absent)."""
    steps = sla.get("steps") or []
    if index in (sla.get("steps_done") or []) or index >= len(steps):
        return None
    step = steps[index]
    target = sla.get(step.get("target")) or {}
    if not _owed(target):  # met (answered late too) or paused: escalating has no point
        return None
    due: datetime = target["due_at"]
    return due + timedelta(minutes=int(step.get("at_minutes", 0)))


def schedule(sla: Mapping[str, Any] | None, status: str) -> dict[str, Any]:
    """`sla_due_at` (the earliest due time of a target still owed: running, or missed and unanswered, so an
    overdue request leads the due-sorted list) and `sla_check_at` (the next miss or step)."""
    if sla is None or status in STOPPED_STATUSES:
        return {"sla_due_at": None, "sla_check_at": None}
    targets: list[Mapping[str, Any]] = [t for name in TARGETS if _owed(t := sla.get(name) or {})]
    owed = [t["due_at"] for t in targets]
    running = [t["due_at"] for t in targets if t["state"] == "running"]
    steps = [at for index in range(len(sla.get("steps") or [])) if (at := step_time(sla, index)) is not None]
    return {"sla_due_at": min(owed, default=None), "sla_check_at": min([*running, *steps], default=None)}


# --- how a change to the request moves its targets -------------------------------------------------------


def concerns(before: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    """Whether the change may move targets (the hook reads the hotel's calendar only then)."""
    return any(name in changes and changes[name] != before.get(name) for name in SLA_FIELDS)


def _met(target: Document | None, now: datetime) -> Document | None:
    if target is None or target.get("met_at") is not None:
        return target
    if target["state"] == "missed":  # a missed target stays missed, answered late
        return {**target, "met_at": now}
    due = target.get("due_at")
    if target["state"] == "running" and isinstance(due, datetime) and due < now:
        # Late, before the sweep marked it: missed all the same, when it fell due.
        return {**target, "state": "missed", "missed_at": due, "met_at": now}
    return {**target, "state": "met", "met_at": now}


def _paused(target: Document | None, calendar: Calendar, now: datetime) -> Document | None:
    if target is None or target["state"] != "running" or target.get("due_at") is None:
        return target
    remaining = calendar.between(now, target["due_at"])
    return {**target, "state": "paused", "due_at": None, "remaining_seconds": remaining}


def _resumed(target: Document | None, calendar: Calendar, now: datetime) -> Document | None:
    if target is None or target["state"] != "paused":
        return target
    due = calendar.after(now, float(target.get("remaining_seconds") or 0.0))
    return {**target, "state": "running", "due_at": due, "remaining_seconds": None}


def follow(before: Mapping[str, Any], changes: Mapping[str, Any], now: datetime, calendar: Calendar) -> dict[str, Any]:
    """The SLA fields to set besides `changes` (made to the request `before`): the first response's business
    time, targets met, paused, resumed or restarted, and the new due and check times."""
    extra: dict[str, Any] = {}
    after = {**before, **changes}
    first = changes.get("first_response_at")
    if first is not None and before.get("first_response_at") is None:
        opened = before.get("created_at")
        if isinstance(opened, datetime) and isinstance(first, datetime):
            extra["first_response_business_seconds"] = calendar.between(opened, first)
    sla = before.get("sla")
    if not sla:
        return extra
    sla = dict(sla)
    was, status = str(before.get("status")), str(after.get("status"))
    if first is not None and before.get("first_response_at") is None:
        sla["first_response"] = _met(sla.get("first_response"), now)
    if status != was:
        if status == "closed":
            sla["resolution"] = _met(sla.get("resolution"), now)
        elif was == "closed" and status == "open":  # the guest (or an agent) reopened it: a new resolution
            restarted = sla.get("resolution")
            if restarted is not None:
                sla["resolution"] = new_target(restarted.get("minutes"), calendar, now)
                done = set(sla.get("steps_done") or [])
                steps = sla.get("steps") or []
                sla["steps_done"] = sorted(i for i in done if i < len(steps) and steps[i].get("target") != "resolution")
        if sla.get("pause_on_hold", True):
            for name in TARGETS:
                if status == "on_hold":
                    sla[name] = _paused(sla.get(name), calendar, now)
                elif was == "on_hold":
                    sla[name] = _resumed(sla.get(name), calendar, now)
    return extra | {"sla": sla} | schedule(sla, status)


# --- what the sweep does ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Miss:
    target: TargetName


@dataclass(frozen=True)
class Step:
    index: int
    target: TargetName
    action: str
    group_id: str | None
    reason: Literal["missed", "nearly_missed"]


Work = Miss | Step


def due_work(document: Mapping[str, Any], now: datetime) -> Work | None:
    """The first thing the sweep must do on the request at `now`: mark a target missed, else run the
    earliest step due; None when nothing is due."""
    sla = document.get("sla")
    if not sla or str(document.get("status")) in STOPPED_STATUSES:
        return None
    for name in TARGETS:
        target = sla.get(name)
        if target and target.get("state") == "running" and target.get("due_at") and target["due_at"] <= now:
            return Miss(name)
    steps = sla.get("steps") or []
    due = sorted((at, index) for index in range(len(steps)) if (at := step_time(sla, index)) is not None and at <= now)
    if not due:
        return None
    index = due[0][1]
    step = steps[index]
    reason: Literal["missed", "nearly_missed"] = "nearly_missed" if int(step.get("at_minutes", 0)) < 0 else "missed"
    return Step(index, step["target"], str(step["action"]), step.get("group_id"), reason)


def missed(document: Mapping[str, Any], miss: Miss) -> dict[str, Any]:
    """The fields set when a target is missed (at its due time)."""
    sla = dict(document["sla"])
    target = dict(sla[miss.target])
    sla[miss.target] = {**target, "state": "missed", "missed_at": target["due_at"]}
    return {"sla": sla} | schedule(sla, str(document.get("status")))


def escalated(document: Mapping[str, Any], step: Step, now: datetime) -> dict[str, Any]:
    """The fields set when a step runs: done, shown as the request's escalation; `to_group` hands the
    request to the care group, unassigned, for its agents to take."""
    sla = dict(document["sla"])
    sla["steps_done"] = sorted({*(sla.get("steps_done") or []), step.index})
    sla["escalation"] = {
        "step": step.index,
        "action": step.action,
        "target": step.target,
        "reason": step.reason,
        "at": now,
        "group_id": step.group_id,
    }
    fields: dict[str, Any] = {"sla": sla}
    if step.action == "to_group" and step.group_id:
        fields |= {"care_group_id": step.group_id, "assignee": None, "assignee_id": None}
    return fields | schedule(sla, str(document.get("status")))


def rescheduled(document: Mapping[str, Any]) -> dict[str, Any]:
    """The due and check times as the request's targets say: a sweep that found nothing due corrects a
    stale check time, so it never reads the request again for nothing."""
    times = schedule(document.get("sla"), str(document.get("status")))
    return {k: v for k, v in times.items() if document.get(k) != v}
