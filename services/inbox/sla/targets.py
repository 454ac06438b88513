"""A request's targets kept right as it changes: the policies and hotels' calendars in force (read again
every `CACHE_SECONDS` in each process, at once after a policy, a hotel or a group is written here), the
targets a new request gets, and the target fields any change to it sets besides (decisions.py holds the
rules)."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.business_hours import ALWAYS_OPEN, BusinessHours, zone_of
from shared.db import Document

from . import decisions
from .decisions import Calendar
from .repository import SlaRepository

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Hotel:
    """What targets need of a hotel: its calendar and its groups (group policies)."""

    calendar: Calendar
    groups: tuple[str, ...]
    name: str


@dataclass
class _Remembered:
    policies: list[Document] | None = None
    policies_until: float = 0.0
    hotels: dict[str, tuple[float, Hotel]] = field(default_factory=dict)
    # Counts what was forgotten: a read begun before a write ends after it, and must not be remembered
    # then (it would bring back, for CACHE_SECONDS, what the write just replaced).
    generation: int = 0


_CACHE = _Remembered()  # shared by the Targets of this process (one per request handled)


def forget_policies() -> None:
    """A policy was written in this process: the next request reads them again."""
    _CACHE.policies, _CACHE.policies_until = None, 0.0
    _CACHE.generation += 1


def forget_hotels() -> None:
    """A hotel's calendar or a group's hotels were written in this process: read them again."""
    _CACHE.hotels.clear()
    _CACHE.generation += 1


def calendar_of(location: Mapping[str, Any] | None) -> Calendar:
    location = location or {}
    hours = location.get("business_hours")
    try:
        parsed = BusinessHours.model_validate(hours) if hours else ALWAYS_OPEN
    except ValidationError:  # never stored so (the directory validates); an unreadable one counts as open
        parsed = ALWAYS_OPEN
    return Calendar(hours=parsed, zone=zone_of(location.get("timezone")))


@dataclass
class Targets:
    repository: SlaRepository

    async def policies(self) -> list[Document]:
        if _CACHE.policies is not None and time.monotonic() < _CACHE.policies_until:
            return _CACHE.policies
        generation = _CACHE.generation
        policies = await self.repository.all_policies()
        if generation == _CACHE.generation:
            _CACHE.policies, _CACHE.policies_until = policies, time.monotonic() + CACHE_SECONDS
        return policies

    async def hotel(self, location_id: str) -> Hotel:
        now = time.monotonic()
        remembered = _CACHE.hotels.get(location_id)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        generation = _CACHE.generation
        location = await self.repository.location(location_id)
        hotel = Hotel(
            calendar=calendar_of(location),
            groups=tuple(await self.repository.groups_of(location_id)),
            name=str((location or {}).get("name") or location_id),
        )
        if generation == _CACHE.generation:
            if len(_CACHE.hotels) > 10000:
                _CACHE.hotels.clear()
            _CACHE.hotels[location_id] = (now + CACHE_SECONDS, hotel)
        return hotel

    async def at_creation(
        self, location_id: str, channel: str, alert: bool, created_at: datetime, status: str
    ) -> dict[str, Any]:
        """The SLA fields of a new request (contract: `score_day`, `sla`, `sla_due_at`, `sla_check_at`…)."""
        hotel = await self.hotel(location_id)
        policy = decisions.choose_policy(await self.policies(), channel, alert, hotel.groups)
        return decisions.targets_at_creation(policy, hotel.calendar, created_at, status)

    async def following(self, before: Document, changes: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """The SLA fields a change to `before` sets besides `changes` (none for a change that moves no target)."""
        if not decisions.concerns(before, changes):
            return {}
        hotel = await self.hotel(str(before["location_id"]))
        return decisions.follow(before, changes, now, hotel.calendar)
