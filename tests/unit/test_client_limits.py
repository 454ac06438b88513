"""Per-address limits shared by replicas (shared/client_limits.py) and the sign-in's account delay, without servers."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.inbox.access.service import account_delay
from services.inbox.settings import InboxSettings
from shared.client_limits import ClientLimits, Limit, decode, encode
from shared.ratelimit import take


class TestLimit:
    def test_burst_defaults_to_the_count(self) -> None:
        assert Limit("sign-in", 20, 60).burst == 20
        assert Limit("forms", 10, 60, burst=5).rate == pytest.approx(1 / 6)

    def test_keys_name_the_limit_and_the_address_only(self) -> None:
        limit = Limit("sign-in", 20, 60)
        key = limit.key("2001:db8::1")
        assert ":" not in key, "a valid KV key"
        assert "2001" not in key, "the address is not stored"
        assert key != limit.key("2001:db8::2")
        assert key != Limit("sign-in", 21, 60).key("2001:db8::1"), "a changed setting counts afresh"

    def test_refuses_buckets_slower_to_fill_than_the_kv_keeps_them(self) -> None:
        with pytest.raises(ValueError, match="refills"):
            Limit("x", 1, 7200)


class TestStoredBuckets:
    def test_round_trip_and_a_missing_or_broken_bucket_is_full(self) -> None:
        limit = Limit("chat", 3, 60)
        assert decode(encode(1.5, 100.0), limit, 200.0) == (1.5, 100.0)
        assert decode(None, limit, 200.0) == (3.0, 200.0)
        assert decode(b"garbage", limit, 200.0) == (3.0, 200.0)

    def test_take_then_wait_then_refill(self) -> None:
        limit = Limit("chat", 60, 60, burst=2)
        tokens, waits = 2.0, []
        for _ in range(3):
            tokens, wait = take(tokens, 0, limit.rate, limit.burst)
            waits.append(wait)
        assert waits == [0, 0, 1.0], "one token a second once the burst is spent"
        assert take(tokens, 1.0, limit.rate, limit.burst)[1] == 0


class _Unreachable:
    @property
    def connection(self) -> object:
        raise ConnectionError("no NATS")


def test_without_the_kv_each_replica_limits_alone() -> None:
    """Fail open: the bus being down must not refuse every guest, but a script is still limited per replica."""
    limits = ClientLimits(_Unreachable())  # type: ignore[arg-type]
    limit = Limit("forms", 2, 60)

    async def hits() -> list[float]:
        return [await limits.hit(limit, "1.2.3.4") for _ in range(3)]

    allowed = asyncio.run(hits())
    assert allowed[:2] == [0, 0]
    assert allowed[2] > 0
    assert asyncio.run(limits.check(limit, "1.2.3.4")) > 0
    assert asyncio.run(limits.check(limit, "5.6.7.8")) == 0


class TestAccountDelay:
    settings = InboxSettings(login_max_failures=5, login_delay_max_seconds=60)
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)

    def failures(self, count: int, last_seconds_ago: float) -> list[datetime]:
        last = self.moment - timedelta(seconds=last_seconds_ago)
        return [last - timedelta(seconds=n) for n in range(count)]

    def test_no_delay_below_the_threshold(self) -> None:
        assert account_delay(self.failures(4, 0), self.moment, self.settings) == 0

    def test_the_delay_doubles_per_failure_from_the_last_one(self) -> None:
        assert account_delay(self.failures(5, 0), self.moment, self.settings) == 1
        assert account_delay(self.failures(7, 0), self.moment, self.settings) == 4
        assert account_delay(self.failures(7, 3), self.moment, self.settings) == 1
        assert account_delay(self.failures(7, 5), self.moment, self.settings) == 0

    def test_never_a_lock_longer_than_the_cap(self) -> None:
        assert account_delay(self.failures(200, 0), self.moment, self.settings) == 60
