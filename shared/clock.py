"""The clock the hub reads "now" from: the system's in production, a hand-moved one in tests (no sleeps).

Code that decides by time (SLA targets, sweeps) takes a `Clock` instead of calling `datetime.now`, so a
test moves time forward by four business hours in a line and the sweep acts as it would then.
"""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()


def _aware_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a clock's time must be aware (with a time zone), not {at.isoformat()}")
    return at.astimezone(UTC)


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move forward by `by` (a negative step would let time run backwards: refused); the new time."""
        if by < timedelta(0):
            raise ValueError(f"a clock only moves forward, not by {by}")
        self._now += by
        return self._now

    def set(self, at: datetime) -> datetime:
        """Jump to `at` (forward or back: a test may replay a moment); the new time."""
        self._now = _aware_utc(at)
        return self._now
