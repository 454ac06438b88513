"""The fields the inbox derives so that FerretDB filters by equality, on the test's FerretDB.

A view is read day by day (`activity_day`): its pages are the ones a plain sort of every matching
conversation gives, across busy days, empty days and the older rest. The snooze sweep reads the
holds ending this minute or the last (`snooze_minute`), and every hold once a minute. The MongoDB
variant keeps none of these fields and must give the same pages (both variants run here)."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.inbox.conversations.repository import (
    DAYS_WALKED,
    ConversationQuery,
    ConversationRepository,
    FerretDBConversationRepository,
    conversation_repository,
    indexes_for,
)
from services.inbox.conversations.states import VIEWS as VIEW_TABLE
from services.inbox.conversations.states import Status, ViewCondition
from shared.db import ensure_indexes

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def conversations() -> list[dict[str, Any]]:
    """Two hotels: a busy last two days, a few in the following days, and older ones beyond the walk."""
    rng = random.Random(7)
    ages = [timedelta(minutes=rng.randrange(0, 2 * 24 * 60)) for _ in range(40)]
    ages += [timedelta(days=rng.randrange(3, DAYS_WALKED)) for _ in range(10)]
    ages += [timedelta(days=rng.randrange(DAYS_WALKED + 1, 200)) for _ in range(25)]
    ages += [ages[0]] * 3  # the same instant: the id breaks the tie
    documents = []
    for n, age in enumerate(ages):
        documents.append(
            {
                "_id": f"c{n:03d}",
                "location_id": rng.choice(["hotel-a", "hotel-a", "hotel-b"]),
                "status": rng.choice(["open", "open", "on_hold", "closed"]),
                "subject": rng.choice(["Parking", "Late check-in"]),
                "bot_active": False,
                "last_activity_at": NOW - age,
            }
        )
    return documents


def plain(documents: list[dict[str, Any]], keep: Any) -> list[str]:
    chosen = [d for d in documents if keep(d)]
    chosen.sort(key=lambda d: (d["last_activity_at"], d["_id"]), reverse=True)
    return [d["_id"] for d in chosen]


async def every_page(repository: ConversationRepository, filters: ConversationQuery, limit: int) -> list[str]:
    ids: list[str] = []
    before = None
    while True:
        page = await repository.page(filters, before=before, limit=limit)
        ids += [str(d["_id"]) for d in page]
        if len(page) < limit:
            return ids
        before = (page[-1]["last_activity_at"], str(page[-1]["_id"]))


@pytest.fixture(params=["ferretdb", "mongodb"])
async def repository(request: pytest.FixtureRequest, mongo: AsyncMongoClient[dict[str, object]]) -> Any:
    db = mongo[f"days_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(db, indexes_for(request.param))
    yield conversation_repository(db, request.param)
    await mongo.drop_database(db.name)


VIEWS: list[tuple[ConversationQuery, int]] = [
    (ConversationQuery(VIEW_TABLE["inbox"], locations=("hotel-a",)), 7),
    (ConversationQuery(VIEW_TABLE["status_closed"], locations=("hotel-a",)), 3),
    (ConversationQuery(ViewCondition(frozenset({Status.OPEN}))), 10),
    (ConversationQuery(VIEW_TABLE["all"], locations=("hotel-b",)), 50),
    (ConversationQuery(VIEW_TABLE["all"], locations=("hotel-a",), text="park"), 4),
]


def keeps(query: ConversationQuery) -> Any:
    def keep(document: dict[str, Any]) -> bool:
        if query.locations is not None and document["location_id"] not in query.locations:
            return False
        if query.text and query.text not in document["subject"].lower():
            return False
        return query.condition.holds_for(document)

    return keep


async def test_pages_read_by_day_are_the_plain_sort_and_old_conversations_get_their_day(
    repository: ConversationRepository,
) -> None:
    documents = conversations()
    await repository.conversations.insert_many([dict(d) for d in documents])
    ferretdb = isinstance(repository, FerretDBConversationRepository)
    # Stored before `activity_day` existed: lists read everything at once, and give the same pages.
    if isinstance(repository, FerretDBConversationRepository):
        assert not await repository.activity_days_ready()
    expected = {n: plain(documents, keeps(filters)) for n, (filters, _) in enumerate(VIEWS)}
    for n, (filters, limit) in enumerate(VIEWS):
        assert await every_page(repository, filters, limit) == expected[n]

    labelled = {"_id": "labelled", "location_id": "hotel-b", "status": "open", "labels": ["VIP", "late"]}
    await repository.conversations.insert_one(
        {**labelled, "bot_active": False, "subject": "x", "last_activity_at": NOW}
    )
    documents.append({**labelled, "bot_active": False, "subject": "x", "last_activity_at": NOW})
    expected = {n: plain(documents, keeps(filters)) for n, (filters, _) in enumerate(VIEWS)}
    # One that changed meanwhile keeps the day its change gave it.
    await repository.conversations.update_one({"_id": "c001"}, {"$set": {"activity_day": "2001-01-01"}})
    assert await repository.fill_derived(batch=16) == (len(documents) - 1 if ferretdb else 0)
    stored = {d["_id"]: d async for d in repository.conversations.find({})}
    if isinstance(repository, FerretDBConversationRepository):
        assert await repository.activity_days_ready()
        assert stored["c001"]["activity_day"] == "2001-01-01"
        assert stored["c002"]["activity_day"] == stored["c002"]["last_activity_at"].date().isoformat()
    else:
        assert "activity_day" not in stored["c002"]
    assert await repository.fill_derived() == 0
    used = await repository.labels_in_use(["hotel-b"])
    assert sorted((r["location_id"], r["label"]) for r in used) == [("hotel-b", "VIP"), ("hotel-b", "late")]
    await repository.conversations.update_one(
        {"_id": "c001"}, {"$set": {"activity_day": stored["c001"]["last_activity_at"].date().isoformat()}}
    )

    for n, (filters, limit) in enumerate(VIEWS):
        assert len(expected[n]) > limit or n == 3, "each view spans several pages"
        assert await every_page(repository, filters, limit) == expected[n], filters


async def test_a_page_past_the_walked_days_reads_the_older_rest(repository: ConversationRepository) -> None:
    old: list[dict[str, Any]] = [
        {"_id": f"old{n}", "location_id": "hotel-a", "status": "open", "last_activity_at": NOW - timedelta(days=40 + n)}
        for n in range(5)
    ]
    recent = {"_id": "recent", "location_id": "hotel-a", "status": "open", "last_activity_at": NOW}
    for document in [*old, recent]:
        await repository.conversations.insert_one(
            {**document, "activity_day": document["last_activity_at"].date().isoformat()}
        )
    await repository.fill_derived()  # nothing to fill: it only marks the database ready
    open_here = ConversationQuery(ViewCondition(frozenset({Status.OPEN})), locations=("hotel-a",))
    page = await repository.page(open_here, before=None, limit=4)
    assert [d["_id"] for d in page] == ["recent", "old0", "old1", "old2"]
    after = await repository.page(open_here, before=(page[-1]["last_activity_at"], "old2"), limit=4)
    assert [d["_id"] for d in after] == ["old3", "old4"]


async def test_a_sweep_reads_the_holds_ending_around_now_and_a_thorough_one_every_hold(
    repository: ConversationRepository,
) -> None:
    now = datetime.now(UTC)
    holds = {
        "this-minute": now - timedelta(seconds=1),
        "last-minute": now - timedelta(seconds=61),
        "later": now + timedelta(minutes=5),
        "long-ago": now - timedelta(hours=3),  # missed while every replica was stopped
    }
    for name, until in holds.items():
        document = {"_id": name, "thread_key": name, "version": 0, "status": "on_hold", "snoozed_until": until}
        await repository.open_thread(name, {**document, "last_activity_at": now})
    # Stored before `snooze_minute` existed: only a thorough sweep finds it.
    await repository.conversations.insert_one({"_id": "old", "status": "on_hold", "snoozed_until": now - timedelta(1)})

    every_due = {"this-minute", "last-minute", "long-ago", "old"}
    due = {str(d["_id"]) for d in await repository.due_snoozes(now)}
    ferretdb = isinstance(repository, FerretDBConversationRepository)
    # MongoDB reads every due hold by a range on its index, each sweep.
    assert due == ({"this-minute", "last-minute"} if ferretdb else every_due)
    due = {str(d["_id"]) for d in await repository.due_snoozes(now, thorough=True)}
    assert due == every_due

    # Put back to open, the hold's minute goes with its time (MongoDB never had one).
    assert await repository.update_if_version("this-minute", 0, {"status": "open", "snoozed_until": None})
    assert (await repository.get("this-minute") or {}).get("snooze_minute", "gone") == (None if ferretdb else "gone")
    due = {str(d["_id"]) for d in await repository.due_snoozes(now)}
    assert due == ({"last-minute"} if ferretdb else every_due - {"this-minute"})
