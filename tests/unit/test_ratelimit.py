"""The token bucket behind the public endpoints' rate limits."""

from shared.ratelimit import RateLimiter


def test_burst_then_refill() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.allow("1.2.3.4", now=0) for _ in range(3)] == [0, 0, 0]
    assert limiter.allow("1.2.3.4", now=0) == 1.0, "one token a second"
    assert limiter.allow("5.6.7.8", now=0) == 0, "each client has its own bucket"
    assert limiter.allow("1.2.3.4", now=1.0) == 0


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_keys=100)
    for n in range(1000):
        limiter.allow(str(n), now=0)
    assert len(limiter._buckets) == 100
