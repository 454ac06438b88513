"""The conversations' storage seam on a FerretDB of this module's own (no services needed).

Compare-and-set is checked in both variants; the FerretDB variant's version claims are pruned, and
several replicas claiming one version at once let exactly one writer through. Those race tests run
the FerretDB variant only: MongoDB documents that a single-document `findOneAndUpdate` is atomic
(its filter on the version and its change happen together), FerretDB v1 does not (its updates are a
read then a write), so the claims are what needs proving.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.inbox.conversations.repository import (
    CLAIM_LEASE,
    ConversationRepository,
    FerretDBConversationRepository,
    MongoDBConversationRepository,
    conversation_repository,
    indexes_for,
)
from shared.db import ensure_indexes
from shared.settings import MongoFlavour
from tests.support import servers

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def ferretdb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("storage")
    database = servers.postgres(root / "postgres").start()
    ferret = servers.ferretdb(
        root / "ferretdb", postgresql_url=f"postgres://postgres@127.0.0.1:{database.port}/postgres"
    ).start()
    try:
        yield f"mongodb://127.0.0.1:{ferret.port}"
    finally:
        ferret.stop()
        database.stop()
        database.remove_data()


async def fresh(url: str, flavour: MongoFlavour) -> AsyncIterator[ConversationRepository]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    db = client[f"storage_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(db, indexes_for(flavour))
    yield conversation_repository(db, flavour)
    await client.drop_database(db.name)
    await client.close()


@pytest.fixture(params=["ferretdb", "mongodb"])
async def repository(request: pytest.FixtureRequest, ferretdb_url: str) -> AsyncIterator[ConversationRepository]:
    async for repository in fresh(ferretdb_url, request.param):
        yield repository


@pytest.fixture
async def ferretdb(ferretdb_url: str) -> AsyncIterator[FerretDBConversationRepository]:
    async for repository in fresh(ferretdb_url, "ferretdb"):
        assert isinstance(repository, FerretDBConversationRepository)
        yield repository


async def opened(repository: ConversationRepository, conversation_id: str = "c1") -> str:
    conversation = {
        "_id": conversation_id,
        "thread_key": f"thread-{conversation_id}",
        "version": 0,
        "location_id": "hotel-a",
        "status": "open",
        "message_count": 0,
        "applied_keys": [],
        "last_activity_at": NOW,
        "snoozed_until": None,
    }
    _, created = await repository.open_thread(str(conversation["thread_key"]), conversation)
    assert created
    return conversation_id


async def claims_of(repository: ConversationRepository, conversation_id: str) -> list[str]:
    return [
        str(claim["_id"]) async for claim in repository.versions.find({}) if claim["_id"].startswith(conversation_id)
    ]


async def test_a_change_applies_only_on_the_version_it_was_decided_on(repository: ConversationRepository) -> None:
    conversation_id = await opened(repository)
    assert await repository.update_if_version(conversation_id, 0, {"status": "on_hold"}, applied_key="m1")
    assert not await repository.update_if_version(conversation_id, 0, {"status": "closed"}, applied_key="m2")
    stored = await repository.get(conversation_id) or {}
    assert (stored["version"], stored["status"], stored["applied_keys"]) == (1, "on_hold", ["m1"])
    assert await repository.update_if_version(conversation_id, 1, {"status": "closed"})
    assert (await repository.get(conversation_id) or {})["version"] == 2


async def test_a_writer_that_read_before_the_claims_were_pruned_cannot_write(
    repository: ConversationRepository,
) -> None:
    conversation_id = await opened(repository)
    for version in range(3):
        assert await repository.update_if_version(conversation_id, version, {"message_count": version + 1})
    await repository.prune_claims(datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1))
    assert await claims_of(repository, conversation_id) == []
    # It read version 0: its claim of version 1 succeeds again, but version 1 is long gone.
    assert not await repository.update_if_version(conversation_id, 0, {"message_count": 99})
    stored = await repository.get(conversation_id) or {}
    assert (stored["version"], stored["message_count"]) == (3, 3)


async def test_the_mongodb_variant_keeps_no_derived_fields(ferretdb_url: str) -> None:
    async for repository in fresh(ferretdb_url, "mongodb"):
        assert isinstance(repository, MongoDBConversationRepository)
        conversation_id = await opened(repository)
        assert "activity_day" not in (await repository.get(conversation_id) or {})
        # A day a FerretDB replica once derived goes with the next change, so FerretDB derives it anew.
        await repository.conversations.update_one({"_id": conversation_id}, {"$set": {"activity_day": "2001-01-01"}})
        assert await repository.update_if_version(conversation_id, 0, {"last_activity_at": NOW + timedelta(days=3)})
        assert "activity_day" not in (await repository.get(conversation_id) or {})
        await repository.meta.replace_one({"_id": "derived"}, {"_id": "derived", "v": 1}, upsert=True)
        await repository.fill_derived()
        assert (await repository.meta.find_one({"_id": "derived"}) or {})["days"] is False


async def test_claims_do_not_grow_with_the_updates_of_a_conversation(ferretdb: FerretDBConversationRepository) -> None:
    conversation_id = await opened(ferretdb)
    other = await opened(ferretdb, "c2")
    assert await ferretdb.update_if_version(other, 0, {"status": "closed"})
    for version in range(60):
        assert await ferretdb.update_if_version(conversation_id, version, {"message_count": version + 1})
        # The writer deletes the claims of the versions written before its own.
        assert await claims_of(ferretdb, conversation_id) == [f"{conversation_id}:{version + 1}"]
    assert await ferretdb.versions.count_documents({}) == 2
    # The sweep leaves the claims within their lease, and deletes those past it.
    assert await ferretdb.prune_claims(datetime.now(UTC)) == 0
    assert await ferretdb.prune_claims(datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)) == 2
    assert await ferretdb.versions.count_documents({}) == 0
    assert (await ferretdb.get(conversation_id) or {})["message_count"] == 60


async def test_a_dead_writers_claim_blocks_until_its_lease_then_the_conversation_moves_on(
    ferretdb: FerretDBConversationRepository,
) -> None:
    conversation_id = await opened(ferretdb)
    abandoned = {"_id": f"{conversation_id}:1", "conversation_id": conversation_id, "version": 1}
    await ferretdb.versions.insert_one({**abandoned, "at": datetime.now(UTC)})
    assert not await ferretdb.update_if_version(conversation_id, 0, {"status": "closed"})
    # Past its lease the sweep deletes it, and the next writer claims the version afresh.
    await ferretdb.prune_claims(datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1))
    assert await ferretdb.update_if_version(conversation_id, 0, {"status": "closed"})
    assert (await ferretdb.get(conversation_id) or {})["status"] == "closed"


async def test_replicas_writing_one_version_at_once_let_one_through(ferretdb: FerretDBConversationRepository) -> None:
    conversation_id = await opened(ferretdb)
    results = await asyncio.gather(
        *(ferretdb.update_if_version(conversation_id, 0, {"status": f"by-{n}"}) for n in range(8))
    )
    assert sum(results) == 1
    stored = await ferretdb.get(conversation_id) or {}
    assert (stored["version"], stored["status"]) == (1, f"by-{results.index(True)}")


async def test_increments_by_several_writers_are_all_kept(ferretdb: FerretDBConversationRepository) -> None:
    """Read, decide, compare-and-set, retry: as the service does, with four writers at once."""
    conversation_id = await opened(ferretdb)

    async def add_one() -> None:
        while True:
            document = await ferretdb.get(conversation_id) or {}
            changes = {"message_count": int(document["message_count"]) + 1}
            if await ferretdb.update_if_version(conversation_id, int(document["version"]), changes):
                return

    async def writer() -> None:
        for _ in range(10):
            await add_one()

    await asyncio.gather(*(writer() for _ in range(4)))
    stored = await ferretdb.get(conversation_id) or {}
    assert (stored["message_count"], stored["version"]) == (40, 40)
    assert len(await claims_of(ferretdb, conversation_id)) <= 4
