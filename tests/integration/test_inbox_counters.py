"""The per-hotel view counters (services/inbox/counters/) on the stack's FerretDB, each test in a database
of its own: they equal a recount after every kind of change, after writers die at the worst moments,
after a fold dies half-way, with several replicas writing at once; the reconciliation repairs only a
lasting difference; one replica at a time holds the lease that folds them."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from services.inbox.conversations.repository import ConversationRepository, conversation_repository, indexes_for
from services.inbox.counters.repository import INTENT_LEASE, CounterRepository, state_key
from services.inbox.counters.service import reconcile, reconcile_chain
from shared.db import ensure_indexes
from shared.leases import Lease
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
HOTEL = "hotel-count"


@pytest.fixture(params=["ferretdb", "mongodb"])
async def repository(request: pytest.FixtureRequest, stack: Stack) -> AsyncIterator[ConversationRepository]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    db = client[f"counters_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(db, indexes_for(request.param))
    yield conversation_repository(db, request.param)
    await client.drop_database(db.name)
    await client.close()


def conversation(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"c{number}",
        "thread_key": f"thread-{number}",
        "version": 0,
        "location_id": HOTEL,
        "channel": "email",
        "status": "open",
        "unread": True,
        "alert": False,
        "bot_active": False,
        "applied_keys": [],
        "last_activity_at": NOW,
        "snoozed_until": None,
        **fields,
    }


async def change(repository: ConversationRepository, conversation_id: str, **changes: Any) -> None:
    document = await repository.get(conversation_id)
    assert document is not None
    assert await repository.update_if_version(conversation_id, int(document["version"]), changes, before=document)


async def assert_counts_equal_recount(counters: CounterRepository) -> None:
    counted = +(await counters.of_hotel(HOTEL))  # `+` drops the states counted zero
    assert counted == await counters.recount(HOTEL)


async def test_counts_follow_every_change_and_survive_the_fold(repository: ConversationRepository) -> None:
    counters = repository.counters
    for number in range(6):
        await repository.open_thread(f"thread-{number}", conversation(number, alert=number == 0))
    await change(repository, "c1", status="closed", unread=False)
    await change(repository, "c2", status="on_hold")
    await change(repository, "c3", unread=False)
    await change(repository, "c3", message_count=2)  # no state change: nothing counted
    await change(repository, "c4", status="spam")
    counted = await counters.of_hotel(HOTEL)
    assert counted[state_key(conversation(0, alert=True))] == 1
    assert counted[state_key(conversation(1, status="closed", unread=False))] == 1
    assert counted[state_key(conversation(5))] == 1  # c5 alone is still open and unread
    await assert_counts_equal_recount(counters)

    assert await counters.fold() > 0
    assert await counters.deltas.count_documents({}) == 0
    await assert_counts_equal_recount(counters)
    await change(repository, "c1", status="open", unread=True)  # a change after the fold: a pending delta
    await assert_counts_equal_recount(counters)
    chain = await counters.of_chain()
    assert +chain[HOTEL] == await counters.recount(HOTEL)
    assert +(await counters.of_chain_total()) == await counters.recount(HOTEL)  # the fold's chain total + pending
    await counters.fold()
    assert +(await counters.of_chain_total()) == await counters.recount(HOTEL)


async def test_a_writer_that_dies_before_its_write_counts_nothing_and_one_after_it_counts_once(
    repository: ConversationRepository,
) -> None:
    counters = repository.counters
    await repository.open_thread("thread-1", conversation(1))
    await repository.open_thread("thread-2", conversation(2))
    await counters.fold()
    # Died after its intent, before its write: counted for a moment, dropped once the lease has passed.
    closed = {state_key(conversation(1, status="closed")): 1, state_key(conversation(1)): -1}
    await counters.intend(HOTEL, "c1", 1, closed, replace=True)
    await counters.fold()
    assert await counters.deltas.count_documents({}) == 1  # its conversation may still be written
    await counters.deltas.update_one({"_id": "c1:1"}, {"$set": {"at": NOW - INTENT_LEASE - timedelta(seconds=1)}})
    await counters.fold()
    await assert_counts_equal_recount(counters)
    assert await counters.deltas.count_documents({}) == 0

    # Died right after its write: the intent is counted once the fold sees the version written.
    await counters.intend(HOTEL, "c2", 1, closed, replace=True)
    await repository.conversations.update_one({"_id": "c2"}, {"$set": {"status": "closed", "version": 1}})
    await counters.fold()
    await counters.fold()
    await assert_counts_equal_recount(counters)


async def test_a_fold_that_died_half_way_adds_nothing_twice(repository: ConversationRepository) -> None:
    counters = repository.counters
    for number in range(3):
        await repository.open_thread(f"thread-{number}", conversation(number))
    deltas = [delta async for delta in counters.deltas.find({})]
    # The total is written, naming the deltas it holds, and the fold dies before deleting them.
    total = {"_id": HOTEL, "counts": f"{state_key(conversation(0))}=3", "folded": [d["_id"] for d in deltas]}
    await counters.totals.insert_one(total)
    await assert_counts_equal_recount(counters)
    await counters.fold()
    assert await counters.deltas.count_documents({}) == 0
    await assert_counts_equal_recount(counters)


async def test_replicas_writing_at_once_keep_the_counts_exact(repository: ConversationRepository) -> None:
    """Two repositories (as two replicas) change the same conversations at once, each change a
    compare-and-set retried on conflict; a third folds meanwhile."""
    counters = repository.counters
    for number in range(4):
        await repository.open_thread(f"thread-{number}", conversation(number))
    replicas = [type(repository)(repository.conversations.database) for _ in range(2)]
    statuses = ["open", "on_hold", "closed", "spam"]

    async def writer(replica: ConversationRepository, seed: int) -> None:
        for step in range(12):
            conversation_id = f"c{(seed + step) % 4}"
            while True:
                document = await replica.get(conversation_id)
                assert document is not None
                changes = {"status": statuses[(seed * 7 + step) % 4], "unread": step % 2 == 0}
                if await replica.update_if_version(conversation_id, int(document["version"]), changes, before=document):
                    break

    async def folder(done: asyncio.Event) -> None:
        while not done.is_set():
            await counters.fold()
            await asyncio.sleep(0.05)

    done = asyncio.Event()
    folding = asyncio.create_task(folder(done))
    await asyncio.gather(*(writer(replica, seed) for seed, replica in enumerate(replicas)))
    done.set()
    await folding
    await counters.fold()
    await assert_counts_equal_recount(counters)
    assert sum((await counters.of_hotel(HOTEL)).values()) == 4


async def test_the_reconciliation_repairs_a_lasting_difference_and_reports_it(
    repository: ConversationRepository,
) -> None:
    counters = repository.counters
    await repository.open_thread("thread-1", conversation(1))
    assert await reconcile_chain(counters, settle_seconds=0.1) == 0  # the first one fills in, no drift
    # A conversation the counters never heard of (written around the repository): a lasting difference.
    await repository.conversations.insert_one(conversation(2, status="closed"))
    assert await reconcile_chain(counters, settle_seconds=0.1) == 1
    await counters.fold()
    await assert_counts_equal_recount(counters)
    assert await reconcile_chain(counters, settle_seconds=0.1) == 0


async def test_the_reconciliation_leaves_a_change_in_flight_alone(repository: ConversationRepository) -> None:
    counters = repository.counters
    await repository.open_thread("thread-1", conversation(1))
    closed = {state_key(conversation(1, status="closed")): 1, state_key(conversation(1)): -1}
    await counters.intend(HOTEL, "c1", 1, closed, replace=True)  # its write follows during the first look

    async def write_soon() -> None:
        await asyncio.sleep(0.2)
        await repository.conversations.update_one({"_id": "c1"}, {"$set": {"status": "closed", "version": 1}})

    writing = asyncio.create_task(write_soon())
    repaired = await reconcile(counters, [HOTEL], settle_seconds=0.5)
    await writing
    assert repaired == {}
    await counters.fold()
    await assert_counts_equal_recount(counters)


async def test_one_replica_at_a_time_holds_the_lease(stack: Stack) -> None:
    brokers = [NatsBroker(stack.nats_url) for _ in range(2)]
    for broker in brokers:
        await broker.connect()
    name = f"test-{uuid.uuid4().hex[:8]}"
    first, second = (Lease(broker, name) for broker in brokers)
    try:
        assert await first.hold()
        assert not await second.hold()
        assert await first.hold()  # renewed
        assert await first.holder_now() == first.holder
        await first.release()
        assert await second.hold()
        assert not await first.hold()
        assert Counter([first.held, second.held]) == Counter([True, False])
    finally:
        await second.release()
        for broker in brokers:
            await broker.stop()
