"""A lease in NATS KV: one replica of a service at a time runs a chain-wide job.

Jobs that must have a single writer (folding the inbox's counters) or that would only repeat one
another's work on every replica (recounts, gauges) run in whichever replica holds the job's lease.
The lease is a key created only if absent (`create` is a compare-and-set on the key's revision);
its holder renews it with `update(last=revision)` well within the bucket's TTL. A holder that
stops renewing (killed, partitioned) loses it when the key expires, and another replica takes it.
Between a holder's last renewal and the expiry, nobody holds it: the jobs must be safe to pause.
"""

import contextlib
import logging
import uuid
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)

BUCKET = "leases"
LEASE_SECONDS = 15.0
# Renewed three times per lease: a holder misses two renewals (a pause, a slow server) before losing it.
RENEW_SECONDS = LEASE_SECONDS / 3


@dataclass
class Lease:
    """`await lease.hold()` takes or renews the lease named `name`; True while this replica holds it."""

    broker: NatsBroker
    name: str
    replicas: int = 1
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)
    _revision: int | None = None
    _bucket: KeyValue | None = None

    async def _kv(self) -> KeyValue:
        if self._bucket is None:
            js = self.broker.connection.jetstream()
            try:
                self._bucket = await js.key_value(BUCKET)
            except BucketNotFoundError:
                # On disk: a lease outlives a restart of NATS, so its holder keeps it (and nobody else takes it).
                config = KeyValueConfig(
                    bucket=BUCKET, history=1, ttl=LEASE_SECONDS, storage=StorageType.FILE, replicas=self.replicas
                )
                self._bucket = await js.create_key_value(config)
        return self._bucket

    @property
    def held(self) -> bool:
        return self._revision is not None

    async def hold(self) -> bool:
        """Take the lease if nobody holds it, or renew ours; False if another replica holds it (or NATS
        cannot be reached: then nobody can be sure to hold it, so this replica does not act)."""
        value = self.holder.encode()
        try:
            kv = await self._kv()
            if self._revision is None:
                self._revision = await kv.create(self.name, value)
                log.info("lease taken", extra={"lease": self.name, "holder": self.holder})
            else:
                self._revision = await kv.update(self.name, value, last=self._revision)
        except KeyWrongLastSequenceError:
            if self._revision is not None:
                log.warning("lease lost to another replica", extra={"lease": self.name})
            self._revision = None
        except Exception as exc:  # noqa: BLE001 - without NATS no replica holds the lease for sure
            if self._revision is not None:
                log.warning("lease dropped: NATS did not answer", extra={"lease": self.name, "error": repr(exc)})
            self._revision = None
            self._bucket = None  # looked up (or created) again next time: NATS may have lost it
        return self._revision is not None

    async def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so another replica need not wait for it to expire."""
        if self._revision is None:
            return
        revision, self._revision = self._revision, None
        with contextlib.suppress(Exception):
            kv = await self._kv()
            await kv.delete(self.name, last=revision)

    async def holder_now(self) -> str | None:
        """Who holds the lease (tests and operators); None if nobody does."""
        try:
            entry = await (await self._kv()).get(self.name)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None
