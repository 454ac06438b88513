"""The raw limits of the bus and the database, on the very servers the pipeline then runs on.

JetStream: a stream declared by the hub's own `declare_streams`, with INBOUND's settings (file storage,
limits retention, the duplicate window: every publish carries a Nats-Msg-Id, as the hub's do), NATS
fsyncing every write as production's config says; a review as ingest publishes it, one at a time and
with 256 publishes awaiting their acknowledgement.

FerretDB: what one stored guest message needs at least, a conversation and its first timeline entry
shaped as the inbox writes them, into collections with the inbox's own indexes (copied from the hub's
database, GIN twins included on PostgreSQL): one pair at a time, 100 pairs per `insert_many`, and
`update_one` by `_id` (what every later change to a conversation costs).
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.report import Spread, Table
from bench.stack import HubStack
from shared.bus import INBOUND, Channel, Guest, InboundMessage, StreamSpec, ThreadHints
from shared.messaging import declare_streams

IN_FLIGHT = 256
BATCH = 100
RAW_STREAM = StreamSpec(
    name="BENCH_RAW",
    subjects=["bench.raw.>"],
    retention=INBOUND.retention,
    max_age_seconds=INBOUND.max_age_seconds,
    duplicate_window_seconds=INBOUND.duplicate_window_seconds,
    storage=INBOUND.storage,
)
RAW_DATABASE = "bench_raw"
COPIED_COLLECTIONS = ("conversations", "timeline")


@dataclass(frozen=True)
class Sizes:
    """How much each repetition does (large enough to last about a second at the expected rates)."""

    repeats: int
    publishes_one: int
    publishes_pipelined: int
    pairs_one: int
    batches: int
    updates: int


FULL = Sizes(repeats=5, publishes_one=1000, publishes_pipelined=5000, pairs_one=300, batches=20, updates=400)
QUICK = Sizes(repeats=3, publishes_one=300, publishes_pipelined=2000, pairs_one=100, batches=8, updates=150)


@dataclass(frozen=True)
class RawLimits:
    publish_one: Spread  # per second
    publish_pipelined: Spread
    pairs_one: Spread
    pairs_batched: Spread
    updates: Spread

    @property
    def slower(self) -> tuple[str, float]:
        """The slower of the two limits the pipeline is compared with (pipelined publish, batched pairs)."""
        return min(
            ("JetStream publish, 256 in flight", self.publish_pipelined.median),
            ("FerretDB insert_many of 100 pairs", self.pairs_batched.median),
            key=lambda named: named[1],
        )

    def table(self) -> Table:
        table = Table(
            "Raw limits (same servers, same run)",
            ["what", "per second: median (min–max)", "repetitions"],
        )
        rows = [
            ("JetStream publish-with-ack, one at a time", self.publish_one),
            (f"JetStream publish-with-ack, {IN_FLIGHT} in flight", self.publish_pipelined),
            ("FerretDB insert of a conversation + its first entry, one pair at a time", self.pairs_one),
            (f"FerretDB insert_many of {BATCH} conversations + {BATCH} entries (pairs/s)", self.pairs_batched),
            ("FerretDB update_one by _id", self.updates),
        ]
        table.rows = [[name, spread.text(), str(len(spread.samples))] for name, spread in rows]
        name, value = self.slower
        table.notes = [f"Slower of the two limits the pipeline is held to: {name}, {value:,.0f}/s."]
        return table


def review_message(n: int, location: str) -> InboundMessage:
    """A review as ingest publishes it (services/ingest/service.py `accept_review`)."""
    return InboundMessage(
        key=f"review:{location}:bench:raw-{n}:{uuid.uuid4().hex[:16]}",
        channel=Channel.REVIEW,
        location_id=location,
        guest=Guest(name=f"Guest {n}", email=f"guest{n}@example.com"),
        subject="Noisy room",
        text="Construction work from 7am, and nobody at the desk could tell us when it would stop.",
        rating=1,
        thread=ThreadHints(review_id=f"bench:raw-{n}"),
        review={"platform": "bench", "url": None, "language": "en", "date": None, "rating": 1, "scale": 5},
    )


async def _rate(count: int, work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return count / (time.perf_counter() - started)


async def _publishes(nats_url: str, sizes: Sizes) -> tuple[Spread, Spread]:
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await declare_streams(js, (RAW_STREAM,))
    payload = review_message(0, "bench-raw").model_dump_json().encode()
    sequence = 0

    async def publish() -> None:
        nonlocal sequence
        sequence += 1
        await js.publish(f"bench.raw.{sequence % 50}", payload, headers={"Nats-Msg-Id": f"raw-{sequence}"})

    async def one_at_a_time() -> None:
        for _ in range(sizes.publishes_one):
            await publish()

    async def pipelined() -> None:
        remaining = sizes.publishes_pipelined

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await publish()

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))

    one, many = [], []
    for _ in range(sizes.repeats):
        one.append(await _rate(sizes.publishes_one, one_at_a_time))
        many.append(await _rate(sizes.publishes_pipelined, pipelined))
    await js.delete_stream(RAW_STREAM.name)
    await client.drain()
    return Spread.of(one), Spread.of(many)


def conversation(n: int, location: str, now: datetime) -> dict[str, Any]:
    """Shaped as services/inbox/conversations/service.py `_open_conversation` writes a review's."""
    return {
        "_id": uuid.uuid4().hex,
        "thread_key": f"review:bench:raw-{n}-{uuid.uuid4().hex[:8]}",
        "version": 0,
        "applied_keys": [f"review:{location}:bench:raw-{n}"],
        "location_id": location,
        "channel": "review",
        "status": "open",
        "spam_reason": None,
        "snoozed_until": None,
        "bot_active": False,
        "has_bot": False,
        "subject": "Noisy room",
        "guest": {"name": f"Guest {n}", "email": f"guest{n}@example.com"},
        "contact_id": uuid.uuid4().hex,
        "priority": "low",
        "contact_reason": None,
        "assignee": None,
        "labels": [],
        "unread": True,
        "alert": True,
        "rating": 1,
        "chat_session_id": None,
        "last_message_id": None,
        "snippet": "Construction work from 7am, and nobody at the desk could tell us when it would stop.",
        "message_count": 1,
        "created_at": now,
        "last_activity_at": now,
    }


def first_entry(document: dict[str, Any]) -> dict[str, Any]:
    """Shaped as `_inbound_entry`."""
    return {
        "_id": uuid.uuid4().hex,
        "key": document["applied_keys"][0],
        "conversation_id": document["_id"],
        "kind": "message",
        "direction": "inbound",
        "channel": "review",
        "author": {"type": "guest", **document["guest"]},
        "subject": document["subject"],
        "text": document["snippet"],
        "rating": 1,
        "message_id": None,
        "html": None,
        "review": {"platform": "bench", "url": None, "language": "en", "date": None, "rating": 1, "scale": 5},
        "attachments": [],
        "warnings": [],
        "at": document["created_at"],
    }


async def copy_indexes(client: AsyncMongoClient[dict[str, Any]]) -> None:
    """The inbox's indexes on the raw collections (run before `add_gin_indexes`, which then twins them)."""
    for name in COPIED_COLLECTIONS:
        async for index in await client["hub"][name].list_indexes():
            if index["name"] != "_id_":
                keys = list(index["key"].items())
                unique = bool(index.get("unique", False))
                await client[RAW_DATABASE][name].create_index(keys, name=index["name"], unique=unique)


async def _database(db: AsyncDatabase[dict[str, Any]], sizes: Sizes) -> tuple[Spread, Spread, Spread]:
    conversations, timeline = db["conversations"], db["timeline"]
    now = datetime.now(UTC)
    made = 0
    ids: list[str] = []

    def pairs(count: int) -> list[dict[str, Any]]:
        nonlocal made
        documents = [conversation(made + i, f"raw-hotel-{(made + i) % 50:03d}", now) for i in range(count)]
        made += count
        ids.extend(str(document["_id"]) for document in documents)
        return documents

    async def one_at_a_time() -> None:
        for document in pairs(sizes.pairs_one):
            await conversations.insert_one(document)
            await timeline.insert_one(first_entry(document))

    async def batched() -> None:
        for _ in range(sizes.batches):
            documents = pairs(BATCH)
            await conversations.insert_many(documents)
            await timeline.insert_many([first_entry(document) for document in documents])

    async def updates() -> None:
        for n in range(sizes.updates):
            target = ids[(n * 7919) % len(ids)]
            await conversations.update_one({"_id": target}, {"$set": {"unread": False, "version": n + 1}})

    one, many, changed = [], [], []
    for _ in range(sizes.repeats):
        one.append(await _rate(sizes.pairs_one, one_at_a_time))
        many.append(await _rate(sizes.batches * BATCH, batched))
        changed.append(await _rate(sizes.updates, updates))
    return Spread.of(one), Spread.of(many), Spread.of(changed)


async def prepare(stack: HubStack) -> None:
    """Before the GIN indexes are added: the raw collections get the inbox's indexes."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url)
    await copy_indexes(client)
    await client.close()


async def measure(stack: HubStack, sizes: Sizes) -> RawLimits:
    publish_one, publish_pipelined = await _publishes(stack.nats_url, sizes)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url)
    pairs_one, pairs_batched, updates = await _database(client[RAW_DATABASE], sizes)
    await client.drop_database(RAW_DATABASE)
    await client.close()
    return RawLimits(publish_one, publish_pipelined, pairs_one, pairs_batched, updates)
