"""Token buckets in memory, bounded: notify's per-domain sending rate, and the fallback of the
per-client-address limits (shared/client_limits.py keeps those in NATS KV so every replica shares them;
here each replica keeps its own buckets, so N replicas allow N times the rate).
"""

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds to wait before trying again."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.pop(key, None) or _Bucket(tokens=float(self.burst), updated=now)
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        bucket.tokens, wait = take(bucket.tokens, now - bucket.updated, self.rate, self.burst)
        bucket.updated = now
        return wait

    def peek(self, key: str, now: float | None = None) -> float:
        """What `allow` would answer, without taking a token."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = refill(bucket.tokens, now - bucket.updated, self.rate, self.burst)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


def refill(tokens: float, elapsed: float, rate: float, burst: int) -> float:
    """The tokens after `elapsed` seconds at `rate` a second, never more than `burst`."""
    return min(float(burst), tokens + max(0.0, elapsed) * rate)


def take(tokens: float, elapsed: float, rate: float, burst: int) -> tuple[float, float]:
    """(tokens left, seconds to wait): one token taken if there is one after the refill, else the wait."""
    tokens = refill(tokens, elapsed, rate, burst)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate
