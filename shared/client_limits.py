"""Per-client-address limits that hold across replicas: a token bucket per limit and address in NATS KV.

A bucket's key is the limit (its name, rate and burst, so a changed setting starts afresh) plus a hash
of the client address; its value is the tokens left and when they were counted. Each hit reads the
bucket and writes it back with compare-and-set on the KV revision, read again a few times when another
replica wrote in between (an address that keeps racing itself is refused). An idle bucket expires with
the KV's TTL, longer than any bucket takes to fill up again, so forgetting it is finding it full.

If the KV cannot be reached the limiter fails *open* to the in-process
`RateLimiter` with the same rate: each replica then limits alone (N replicas allow N times the rate)
rather than refusing every guest and agent while the bus is down. That is logged once per outage.
The client address is uvicorn's, which trusts X-Forwarded-For only from FORWARDED_ALLOW_IPS (the
gateway): see docker-compose.yml and the README's Security section.
"""

import hashlib
import logging
import time
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from shared.ratelimit import RateLimiter, refill, take

log = logging.getLogger(__name__)

BUCKET = "client_limits"
LONGEST_REFILL_SECONDS = 3600.0  # the KV's TTL is a little longer: an expired bucket was full anyway
CAS_ATTEMPTS = 8


@dataclass(frozen=True)
class Limit:
    """`count` hits per `seconds` from one client address, with bursts of `burst` (default: `count`)."""

    name: str
    count: float
    seconds: float
    burst: int = 0

    def __post_init__(self) -> None:
        if self.burst == 0:
            object.__setattr__(self, "burst", max(1, int(self.count)))
        if self.count <= 0 or self.seconds <= 0 or self.burst < 1:
            raise ValueError(f"limit {self.name}: count, seconds and burst must be positive")
        if self.burst / self.rate > LONGEST_REFILL_SECONDS:
            raise ValueError(f"limit {self.name}: refills in more than {LONGEST_REFILL_SECONDS:g} seconds")

    @property
    def rate(self) -> float:
        """Tokens a second."""
        return self.count / self.seconds

    def key(self, client: str) -> str:
        address = hashlib.sha256(client.encode()).hexdigest()[:32]  # KV keys allow no ':' (IPv6)
        return f"{self.name}.{self.count:g}_{self.seconds:g}_{self.burst}.{address}"


def decode(value: bytes | None, limit: Limit, now: float) -> tuple[float, float]:
    """(tokens, counted at) of a stored bucket; a missing or unreadable one is full."""
    try:
        tokens, at = (float(part) for part in (value or b"").decode().split())
    except ValueError:
        return float(limit.burst), now
    return tokens, at


def encode(tokens: float, at: float) -> bytes:
    return f"{tokens:.6f} {at:.6f}".encode()


@dataclass
class ClientLimits:
    """`hit` takes one token and says how long to wait (0: go ahead); `check` only looks."""

    broker: NatsBroker
    replicas: int = 1
    _bucket: KeyValue | None = None
    _local: dict[Limit, RateLimiter] = field(default_factory=dict)
    _failing: bool = False

    async def _kv(self) -> KeyValue:
        if self._bucket is None:
            js = self.broker.connection.jetstream()
            try:
                self._bucket = await js.key_value(BUCKET)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=BUCKET,
                    history=1,
                    ttl=LONGEST_REFILL_SECONDS + 60,
                    storage=StorageType.MEMORY,  # counters need not survive a restart of NATS
                    replicas=self.replicas,
                )
                self._bucket = await js.create_key_value(config)
        return self._bucket

    def local(self, limit: Limit) -> RateLimiter:
        """This replica's own buckets for `limit`: the fallback while the KV cannot be used."""
        if limit not in self._local:
            self._local[limit] = RateLimiter(limit.rate * 60, limit.burst)
        return self._local[limit]

    def _fell_back(self, exc: BaseException) -> None:
        if not self._failing:
            log.warning("client limits: NATS KV unusable, each replica limits alone: %r", exc)
        self._failing = True

    async def check(self, limit: Limit, client: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        try:
            entry = await (await self._kv()).get(limit.key(client))
        except KeyNotFoundError:
            return 0.0
        except Exception as exc:  # noqa: BLE001 - fail open to this replica's own buckets
            self._fell_back(exc)
            return self.local(limit).peek(client, time.monotonic())
        self._failing = False
        tokens, at = decode(entry.value, limit, now)
        tokens = refill(tokens, now - at, limit.rate, limit.burst)
        return 0.0 if tokens >= 1 else (1 - tokens) / limit.rate

    async def hit(self, limit: Limit, client: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        key = limit.key(client)
        try:
            kv = await self._kv()
            for _ in range(CAS_ATTEMPTS):
                try:
                    entry = await kv.get(key)
                except KeyNotFoundError:
                    entry = None
                tokens, at = decode(entry.value if entry else None, limit, now)
                left, wait = take(tokens, now - at, limit.rate, limit.burst)
                if wait:
                    self._failing = False
                    return wait
                try:
                    if entry is None:
                        await kv.create(key, encode(left, now))
                    else:
                        await kv.update(key, encode(left, now), last=entry.revision)
                except KeyWrongLastSequenceError:
                    continue  # another replica took a token in between: read again
                self._failing = False
                return 0.0
        except Exception as exc:  # noqa: BLE001 - fail open to this replica's own buckets
            self._fell_back(exc)
            return self.local(limit).allow(client, time.monotonic())
        # The same address raced itself on every attempt: it is sending many requests at once, so it is
        # refused for one token's time rather than let through uncounted.
        self._failing = False
        return 1 / limit.rate
