"""The injectable clock (shared/clock.py): the system's tells the time, a manual one moves only when told."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.clock import SYSTEM_CLOCK, Clock, ManualClock


def test_the_system_clock_tells_the_time_in_utc() -> None:
    before = datetime.now(UTC)
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


class TestManualClock:
    def test_stands_still_until_moved(self) -> None:
        clock: Clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        assert clock.now() == clock.now() == datetime(2026, 3, 2, 9, tzinfo=UTC)

    def test_advance_and_set(self) -> None:
        clock = ManualClock(datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=1))))
        assert clock.now() == datetime(2026, 3, 2, 9, tzinfo=UTC)
        assert clock.now().tzinfo is UTC
        assert clock.advance(timedelta(hours=4)) == datetime(2026, 3, 2, 13, tzinfo=UTC)
        assert clock.now() == datetime(2026, 3, 2, 13, tzinfo=UTC)
        assert clock.set(datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
        assert clock.now() == datetime(2026, 3, 1, tzinfo=UTC)

    def test_refuses_naive_times_and_going_backwards(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            ManualClock(datetime(2026, 3, 2))
        clock = ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
        with pytest.raises(ValueError, match="aware"):
            clock.set(datetime(2026, 3, 2))
        with pytest.raises(ValueError, match="forward"):
            clock.advance(timedelta(seconds=-1))
        assert clock.now() == datetime(2026, 3, 2, tzinfo=UTC)
