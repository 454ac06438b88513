"""The scores per hotel and group: counted per hotel-day from its requests (pure), rebuilt by the one
replica holding their lease whenever a writer marked the hotel-day, and read over a period.

A hotel-day's scores (`score_days`, `_id` "<hotel>:<day>") are recounted from scratch from the requests
created that day in the hotel's time zone (`score_day`): exact and idempotent, whatever was missed or
repeated. A writer whose change may move a score (first response, targets, survey, status) marks the
hotel-day *after* writing it (`ScoreMarks.touch`, a new token each time); the rebuild reads the mark,
recounts, saves, then removes the mark only if its token is still the one it read, so a change made
during the recount is recounted next turn.

Definitions:
- a request counts unless it is spam or merged into another (status) or an automatic reply (`automatic`);
- first-response time: `first_response_business_seconds` in whole business minutes (rounded down); a
  request answered before that field existed counts its calendar time since creation;
- median and p90: nearest rank on those whole minutes (the value at rank ceil(p/100 * n), 1-based);
- within target: first-response targets met among those met or missed (a target still running or paused
  is not decided yet); alerts likewise among the requests that raised an alert;
- shares are floats in 0..1, None when there is nothing to divide.
"""

import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.auth import Actor
from shared.db import Document
from shared.problems import Problem
from shared.runtime import Runtime

from ..metrics import (
    HOTEL_CSAT,
    HOTEL_FIRST_RESPONSE_MEDIAN,
    HOTEL_RESPONSE_RATE,
    HOTEL_WITHIN_TARGET,
    SCORE_DAYS_REBUILT,
)
from .repository import ScoreRepository, mark_id
from .schemas import DayScore, HotelScores, ResponseTimes, Scores

log = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
GAUGE_DAYS = 30  # the Prometheus gauges' trailing window
REBUILD_BATCH = 200  # hotel-days rebuilt per turn; the rest wait for the next one
DEFAULT_ZONE = "Europe/Paris"


# --- counting (pure) -------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a hotel's scores are computed from, over one day or merged over many (and hotels)."""

    requests: int = 0
    answered: int = 0
    first_response_minutes: Counter[int] = field(default_factory=Counter)  # whole business minutes -> requests
    fr_met: int = 0
    fr_missed: int = 0
    alerts: int = 0
    alerts_met: int = 0
    alerts_missed: int = 0
    csat_sum: int = 0
    csat_count: int = 0

    def add(self, other: "Tally") -> None:
        """Merge another tally in: counts add up, histograms add up bucket by bucket."""
        self.requests += other.requests
        self.answered += other.answered
        self.first_response_minutes.update(other.first_response_minutes)
        self.fr_met += other.fr_met
        self.fr_missed += other.fr_missed
        self.alerts += other.alerts
        self.alerts_met += other.alerts_met
        self.alerts_missed += other.alerts_missed
        self.csat_sum += other.csat_sum
        self.csat_count += other.csat_count


def counts(request: Mapping[str, Any]) -> bool:
    """Whether a request counts in the scores: not spam, not merged into another, not an automatic reply."""
    return request.get("status") not in {"spam", "merged"} and not request.get("automatic")


def first_response_minutes(request: Mapping[str, Any]) -> int | None:
    """The request's first-response time in whole business minutes; None while it is unanswered."""
    answered_at = request.get("first_response_at")
    if not answered_at:
        return None
    seconds = request.get("first_response_business_seconds")
    if seconds is None:
        created_at = request.get("created_at")
        if not isinstance(answered_at, datetime) or not isinstance(created_at, datetime):
            return None
        seconds = (answered_at - created_at).total_seconds()
    return max(0, math.floor(float(seconds) / 60))


def _target_state(request: Mapping[str, Any]) -> str | None:
    target = ((request.get("sla") or {}).get("first_response")) or {}
    state = target.get("state")
    return str(state) if state else None


def tally_of(requests: Iterable[Mapping[str, Any]]) -> Tally:
    """The scores of a set of requests (a hotel-day's)."""
    tally = Tally()
    for request in requests:
        if not counts(request):
            continue
        tally.requests += 1
        minutes = first_response_minutes(request)
        if minutes is not None:
            tally.answered += 1
            tally.first_response_minutes[minutes] += 1
        state = _target_state(request)
        tally.fr_met += state == "met"
        tally.fr_missed += state == "missed"
        if request.get("alert"):
            tally.alerts += 1
            tally.alerts_met += state == "met"
            tally.alerts_missed += state == "missed"
        rating = (request.get("survey") or {}).get("rating")
        if isinstance(rating, int) and not isinstance(rating, bool):
            tally.csat_sum += rating
            tally.csat_count += 1
    return tally


TALLIED = (
    "requests",
    "answered",
    "fr_met",
    "fr_missed",
    "alerts",
    "alerts_met",
    "alerts_missed",
    "csat_sum",
    "csat_count",
)


def stored(location_id: str, day: str, tally: Tally) -> Document:
    """A hotel-day's scores as `score_days` keeps them (histogram keys are strings: field names)."""
    histogram = {str(minutes): n for minutes, n in sorted(tally.first_response_minutes.items()) if n}
    return {
        "_id": mark_id(location_id, day),
        "location_id": location_id,
        "day": day,
        **{name: getattr(tally, name) for name in TALLIED},
        "first_response_minutes": histogram,
    }


def tally_from(document: Mapping[str, Any]) -> Tally:
    histogram = Counter({int(minutes): int(n) for minutes, n in (document.get("first_response_minutes") or {}).items()})
    return Tally(**{name: int(document.get(name) or 0) for name in TALLIED}, first_response_minutes=histogram)


def nearest_rank(histogram: Mapping[int, int], percent: int) -> int | None:
    """The `percent`-th percentile of the values a histogram counts (value -> how many), by nearest rank:
    the value at rank ceil(percent/100 * n), 1-based, in ascending order; None when it counts nothing."""
    n = sum(count for count in histogram.values() if count > 0)
    if n == 0:
        return None
    rank = max(1, -(-percent * n // 100))
    seen = 0
    for value in sorted(histogram):
        seen += max(histogram[value], 0)
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to n")  # pragma: no cover


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def scores_of(tally: Tally, daily: list[DayScore]) -> dict[str, Any]:
    return {
        "requests": tally.requests,
        "answered": tally.answered,
        "response_rate": share(tally.answered, tally.requests),
        "first_response_median_minutes": nearest_rank(tally.first_response_minutes, 50),
        "first_response_p90_minutes": nearest_rank(tally.first_response_minutes, 90),
        "within_target_share": share(tally.fr_met, tally.fr_met + tally.fr_missed),
        "alerts": tally.alerts,
        "alerts_within_target_share": share(tally.alerts_met, tally.alerts_met + tally.alerts_missed),
        "csat_average": tally.csat_sum / tally.csat_count if tally.csat_count else None,
        "csat_count": tally.csat_count,
        "daily": daily,
    }


def days_of(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked (both days included): by default the last 30 days up to today; at most 366 days."""
    end = end or (today if start is None else min(today, start + timedelta(days=DEFAULT_PERIOD_DAYS - 1)))
    start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if end < start:
        raise Problem(422, "Invalid request", "end: the period ends before it starts.")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise Problem(422, "Invalid request", f"end: a period is at most {MAX_PERIOD_DAYS} days long.")
    return start, end


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def latest_today(zones: Iterable[str | None], now: datetime | None = None) -> date:
    """The latest "today" among the hotels' time zones (UTC's without hotels): the last day a period
    ending today must hold, requests counting by their creation day in their hotel's zone."""
    now = now or datetime.now(UTC)
    return max((now.astimezone(zone_named(zone)).date() for zone in set(zones)), default=now.date())


def score_day_of(document: Mapping[str, Any], zone: ZoneInfo) -> str | None:
    """The day a request counts in: its `score_day`, else (stored before it existed) its creation day in
    the hotel's time zone."""
    if document.get("score_day"):
        return str(document["score_day"])
    created_at = document.get("created_at")
    if not isinstance(created_at, datetime):
        return None
    return created_at.astimezone(zone).date().isoformat()


def report_of(
    hotels: list[Document], found: Iterable[Document], start: date, end: date, group_id: str | None
) -> ResponseTimes:
    """The period's figures per hotel (those given, in their order) and for them all, from their stored days."""
    days = days_of(start, end)
    by_hotel: dict[str, dict[str, Tally]] = {}
    for document in found:
        by_hotel.setdefault(str(document["location_id"]), {})[str(document["day"])] = tally_from(document)
    total = Tally()
    total_days = {day: Tally() for day in days}
    rows: list[HotelScores] = []
    for hotel in hotels:
        hotel_id = str(hotel["_id"])
        own = by_hotel.get(hotel_id, {})
        tally = Tally()
        daily: list[DayScore] = []
        for day in days:
            one = own.get(day, Tally())
            tally.add(one)
            total_days[day].add(one)
            daily.append(
                DayScore(
                    day=day,
                    requests=one.requests,
                    answered=one.answered,
                    response_rate=share(one.answered, one.requests),
                )
            )
        total.add(tally)
        rows.append(
            HotelScores(location_id=hotel_id, name=str(hotel.get("name") or hotel_id), **scores_of(tally, daily))
        )
    total_daily = [
        DayScore(day=day, requests=t.requests, answered=t.answered, response_rate=share(t.answered, t.requests))
        for day, t in total_days.items()
    ]
    return ResponseTimes(
        start=start, end=end, group_id=group_id, hotels=rows, total=Scores(**scores_of(total, total_daily))
    )


# --- reading (the API) -----------------------------------------------------------------------------


@dataclass
class Reports:
    repository: ScoreRepository

    async def _hotels(self, actor: Actor, group_id: str | None) -> list[Document]:
        """The hotels the actor sees (admins: the chain; others: their hotels and their groups'), narrowed to
        a group the actor may see (admins: any; others: their own groups)."""
        hotels = [hotel for hotel in await self.repository.hotels() if actor.can_see(str(hotel["_id"]))]
        if group_id is None:
            return hotels
        group = await self.repository.group(group_id)
        if group is None or not (actor.sees_everything or group_id in actor.group_ids):
            raise Problem(404, "Not found", f"No group {group_id!r}.")
        members = set(group.get("location_ids") or [])
        return [hotel for hotel in hotels if hotel["_id"] in members]

    async def response_times(
        self, actor: Actor, start: date | None, end: date | None, group_id: str | None
    ) -> ResponseTimes:
        hotels = await self._hotels(actor, group_id)
        first, last = period(start, end, latest_today(hotel.get("timezone") for hotel in hotels))
        ids = None if actor.sees_everything and group_id is None else [str(h["_id"]) for h in hotels]
        found = await self.repository.scores(ids, first.isoformat(), last.isoformat()) if hotels else []
        return report_of(hotels, found, first, last, group_id)


def reports_for(runtime: Runtime) -> Reports:
    return Reports(ScoreRepository(runtime.db))


# --- rebuilding (the lease holder) -----------------------------------------------------------------


async def rebuild(repository: ScoreRepository, mark: Document) -> bool:
    """Recount the marked hotel-day from its requests and save it; then remove the mark unless it was
    touched meanwhile. True if the mark is gone."""
    location_id, day = str(mark["location_id"]), str(mark["day"])
    tally = tally_of(await repository.requests_of(location_id, day))
    await repository.save(stored(location_id, day, tally))
    SCORE_DAYS_REBUILT.inc()
    return await repository.unmark(mark)


async def export_gauges(repository: ScoreRepository, now: datetime) -> None:
    """Each hotel's scores over the trailing 30 days (up to today, the latest among the hotels), as gauges."""
    hotels = await repository.hotels()
    today = latest_today((hotel.get("timezone") for hotel in hotels), now)
    start = today - timedelta(days=GAUGE_DAYS - 1)
    report = report_of(hotels, await repository.scores(None, start.isoformat(), today.isoformat()), start, today, None)
    clear_gauges()
    for row in report.hotels:
        for gauge, value in (
            (HOTEL_RESPONSE_RATE, row.response_rate),
            (HOTEL_WITHIN_TARGET, row.within_target_share),
            (HOTEL_CSAT, row.csat_average),
            (HOTEL_FIRST_RESPONSE_MEDIAN, minutes_as_seconds(row.first_response_median_minutes)),
        ):
            if value is not None:
                gauge.labels(location=row.location_id).set(value)


def minutes_as_seconds(minutes: int | None) -> int | None:
    """Prometheus's base unit for a time is the second."""
    return None if minutes is None else minutes * 60


def clear_gauges() -> None:
    for gauge in (HOTEL_RESPONSE_RATE, HOTEL_WITHIN_TARGET, HOTEL_CSAT, HOTEL_FIRST_RESPONSE_MEDIAN):
        gauge.clear()


@dataclass
class ScoreKeeper:
    """What the lease holder does each turn: rebuild the marked hotel-days, and in their time, the gauges."""

    repository: ScoreRepository
    gauge_seconds: float
    _last_gauges: float = float("-inf")

    async def turn(self) -> int:
        """Rebuild up to a batch of marked hotel-days; returns how many were rebuilt."""
        marks = await self.repository.marked(REBUILD_BATCH)
        for mark in marks:
            await rebuild(self.repository, mark)
        now = time.monotonic()
        if now - self._last_gauges >= self.gauge_seconds:
            self._last_gauges = now
            await export_gauges(self.repository, datetime.now(UTC))
        return len(marks)

    def step_down(self) -> None:
        """The lease is gone: another replica exports the gauges now."""
        self._last_gauges = float("-inf")
        clear_gauges()


def score_keeper_for(runtime: Runtime, gauge_seconds: float) -> ScoreKeeper:
    return ScoreKeeper(ScoreRepository(runtime.db), gauge_seconds=gauge_seconds)
