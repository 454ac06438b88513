"""Commit marks: "this attempt is about to send the end of an email's data", kept in a JetStream
key-value bucket (`notify_commits`), which only notify reads.

Why not the database: a mark must exist if and only if the `.` that makes the SMTP server accept
the message may have gone out. A database insert takes milliseconds, and a process killed while it
is in flight leaves the insert to complete on the server without the `.` ever being sent; that
window lost one email in about a dozen kill -9 runs of the 200-reply test. A publish on the already
open NATS connection followed by a flush (one PING/PONG on loopback, a fraction of a millisecond)
shrinks it by an order of magnitude or more. The window is not zero: SMTP gives no way to ask
afterwards whether a message was accepted, so some window, either for a loss or for a duplicate,
always remains; this one is on the side of "never twice".
"""

import hashlib

from faststream.nats import NatsBroker
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from shared.bus import DAY

BUCKET = "notify_commits"


def _mark_key(delivery_key: str, commit: int) -> str:
    return f"{hashlib.sha256(delivery_key.encode()).hexdigest()[:40]}.{commit}"


class CommitMarks:
    def __init__(self, broker: NatsBroker, *, replicas: int = 1) -> None:
        self.broker = broker
        self.replicas = replicas
        self._bucket: KeyValue | None = None

    async def _kv(self) -> KeyValue:
        if self._bucket is None:
            js = self.broker.connection.jetstream()
            try:
                self._bucket = await js.key_value(BUCKET)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=BUCKET, history=1, ttl=8 * DAY, storage=StorageType.FILE, replicas=self.replicas
                )
                self._bucket = await js.create_key_value(config)
        return self._bucket

    async def mark(self, delivery_key: str, commit: int) -> None:
        """Record the mark; returns once the NATS server has it (not waiting for the disk)."""
        await self._kv()  # the bucket exists before the mark is published into it
        connection = self.broker.connection
        await connection.publish(f"$KV.{BUCKET}.{_mark_key(delivery_key, commit)}", b"1")
        await connection.flush(timeout=5)

    async def marked(self, delivery_key: str, commit: int) -> bool:
        try:
            await (await self._kv()).get(_mark_key(delivery_key, commit))
        except KeyNotFoundError:
            return False
        return True
