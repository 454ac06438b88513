"""Issue 24, lists: a tab sorted by what is due first, the due-soon and overdue filters, the care group's
filter, and the request's targets in the API's answers.

The due-sorted list is read in two parts (the requests with a running target, earliest due first; then
those without, most recent activity first), so every page is walked across the end of the first part,
with both repository variants; then through the HTTP API, with targets a real policy set."""

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from services.inbox.conversations.repository import (
    ConversationQuery,
    ConversationRepository,
    FerretDBConversationRepository,
    conversation_repository,
    indexes_for,
)
from services.inbox.conversations.states import VIEWS
from shared.bus import Channel
from shared.db import ensure_indexes
from tests.integration.conftest import ADMIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def conversations() -> list[dict[str, Any]]:
    """Two hotels' requests: most with a due time (some overdue, some sharing one), the rest without."""
    rng = random.Random(24)
    documents = []
    for n in range(60):
        due = NOW + timedelta(minutes=rng.randrange(-300, 600)) if n % 4 else None
        if n in {7, 11, 13}:
            due = NOW + timedelta(minutes=15)  # the id breaks ties
        documents.append(
            {
                "_id": f"c{n:03d}",
                "location_id": "hotel-a" if n % 5 else "hotel-b",
                "status": rng.choice(["open", "open", "open", "on_hold", "closed"]),
                "alert": rng.random() < 0.2,
                "bot_active": False,
                "last_activity_at": NOW - timedelta(minutes=rng.randrange(0, 5000)),
                "sla_due_at": due,
                "care_group_id": "care-central" if n % 3 == 0 else None,
            }
        )
    return documents


def expected(documents: list[dict[str, Any]], query: ConversationQuery) -> list[str]:
    """The due-sorted order computed the plain way."""
    chosen = [
        d
        for d in documents
        if query.condition.holds_for(d)
        and (query.locations is None or d["location_id"] in query.locations)
        and (query.care_group_id is None or d["care_group_id"] == query.care_group_id)
        and (query.due_by is None or (d["sla_due_at"] is not None and d["sla_due_at"] < query.due_by))
    ]
    due = sorted((d for d in chosen if d["sla_due_at"] is not None), key=lambda d: (d["sla_due_at"], d["_id"]))
    rest = sorted(
        (d for d in chosen if d["sla_due_at"] is None), key=lambda d: (d["last_activity_at"], d["_id"]), reverse=True
    )
    return [d["_id"] for d in [*due, *rest]]


async def every_page(repository: ConversationRepository, query: ConversationQuery, limit: int) -> list[str]:
    ids: list[str] = []
    after_due: tuple[datetime, str] | None = None
    before: tuple[datetime, str] | None = None
    while True:
        page = await repository.page_by_due(query, after_due=after_due, before=before, limit=limit)
        ids += [str(d["_id"]) for d in page]
        if len(page) < limit:
            return ids
        last = page[-1]
        if last.get("sla_due_at") is not None:
            after_due, before = (last["sla_due_at"], str(last["_id"])), None
        else:
            after_due, before = None, (last["last_activity_at"], str(last["_id"]))


@pytest.fixture(params=["ferretdb", "mongodb"])
async def repository(
    request: pytest.FixtureRequest, mongo: AsyncMongoClient[dict[str, object]]
) -> AsyncIterator[ConversationRepository]:
    db = mongo[f"due_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(db, indexes_for(request.param))
    yield conversation_repository(db, request.param)
    await mongo.drop_database(db.name)


class TestDueSortedPages:
    async def test_every_page_continues_exactly_across_the_end_of_the_due_requests(
        self, repository: ConversationRepository
    ) -> None:
        documents = conversations()
        await repository.conversations.insert_many([dict(d) for d in documents])
        hotel_a = ("hotel-a",)
        queries = [
            ConversationQuery(VIEWS["inbox"], locations=hotel_a, alerts_first=True),
            ConversationQuery(VIEWS["status_open"], locations=hotel_a),
            ConversationQuery(VIEWS["all"], locations=None),
            ConversationQuery(VIEWS["bucket_alerts"], locations=("hotel-a", "hotel-b")),
        ]
        for attempt in ("stored before activity days", "read day by day"):
            for query in queries:
                order = expected(documents, query)
                with_due = [i for i in order if next(d for d in documents if d["_id"] == i)["sla_due_at"]]
                assert 0 < len(with_due) < len(order) or query.condition.alert, "both parts are there"
                for limit in (1, 3, 7, 100):
                    assert await every_page(repository, query, limit) == order, (attempt, query.condition, limit)
            if isinstance(repository, FerretDBConversationRepository):
                await repository.fill_derived()

    async def test_due_filters_and_the_care_group_keep_the_due_order(self, repository: ConversationRepository) -> None:
        documents = conversations()
        await repository.conversations.insert_many([dict(d) for d in documents])
        inbox = ConversationQuery(VIEWS["inbox"], locations=("hotel-a",))
        overdue = replace(inbox, due_by=NOW)
        soon = replace(inbox, due_by=NOW + timedelta(minutes=60))
        care = replace(inbox, care_group_id="care-central")
        for query in (overdue, soon, care, replace(care, due_by=NOW)):
            order = expected(documents, query)
            assert order, query
            for limit in (1, 4, 100):
                assert await every_page(repository, query, limit) == order, (query, limit)
        soon_ids = await every_page(repository, soon, 100)
        assert set(await every_page(repository, overdue, 100)) < set(soon_ids), "overdue is due soon too"
        assert all(d["location_id"] == "hotel-a" for d in documents if d["_id"] in soon_ids)
        # The filters narrow the activity-sorted list as well.
        listed = await repository.page(soon, before=None, limit=100)
        assert sorted(str(d["_id"]) for d in listed) == sorted(soon_ids)
        assert await repository.count(care) == len(expected(documents, care))


# --- through the HTTP API, with a real policy -------------------------------------------------------------


async def walk(http: httpx.AsyncClient, url: str, headers: dict[str, str], limit: int, **params: str) -> list[Any]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = await http.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
async def group_policy(stack: Stack, http: httpx.AsyncClient) -> AsyncIterator[tuple[str, str, str]]:
    """Two hotels of this test's own in a group whose policy promises email answers within 2 hours."""
    inbox = stack.url("inbox")
    hotel_a = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    hotel_b = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    group_id = f"grp-{uuid.uuid4().hex[:8]}"
    group = {"id": group_id, "name": "Due lists", "location_ids": [hotel_a, hotel_b]}
    made = await http.post(f"{inbox}/api/v1/location-groups", json=group, headers=ADMIN)
    assert made.status_code == 201, made.text
    policy = {
        "name": "Email within 2 hours",
        "group_id": group_id,
        "channels": ["email"],
        "first_response_minutes": 120,
    }
    created = await http.post(f"{inbox}/api/v1/sla/policies", json=policy, headers=ADMIN)
    assert created.status_code == 201, created.text
    yield hotel_a, hotel_b, group_id
    await http.delete(f"{inbox}/api/v1/sla/policies/{created.json()['id']}", headers=ADMIN)
    await http.delete(f"{inbox}/api/v1/location-groups/{group_id}", headers=ADMIN)


class TestDueListsApi:
    async def test_sorted_by_due_filtered_paged_and_scoped(
        self, stack: Stack, group_policy: tuple[str, str, str], nc: NatsClient, http: httpx.AsyncClient
    ) -> None:
        hotel_a, hotel_b, group = group_policy
        url = f"{stack.url('inbox')}/api/v1/conversations"
        admin = AgentApi(http, stack.url("inbox"), ADMIN)
        # Due in 20, 40, 90 and 115 minutes (received 100, 80, 30 and 5 minutes ago), a form (no policy,
        # so no target) and, at the other hotel, one due in 10 minutes.
        ages = {"due-20": 100, "due-40": 80, "due-90": 30, "due-115": 5}
        for subject, minutes in ages.items():
            received = NOW - timedelta(minutes=minutes)
            await publish_inbound(nc, hotel_a, subject=subject, received_at=received)
        await publish_inbound(nc, hotel_a, channel=Channel.FORM, subject="no-target")
        await publish_inbound(nc, hotel_b, subject="other-hotel", received_at=NOW - timedelta(minutes=110))
        await admin.wait_for(hotel_a, count=5)
        await admin.wait_for(hotel_b, count=1)

        agent = agent_headers([hotel_a], agent_id=f"agent-{uuid.uuid4().hex[:6]}")
        listed = await walk(http, url, agent, 100, sort="due")
        assert [i["subject"] for i in listed] == ["due-20", "due-40", "due-90", "due-115", "no-target"]
        first = listed[0]
        assert first["sla"]["policy_name"] == "Email within 2 hours"
        assert first["sla"]["first_response"]["state"] == "running"
        due = datetime.fromisoformat(first["sla_due_at"])
        assert abs(due - (NOW + timedelta(minutes=20))) < timedelta(seconds=2)
        assert first["score_day"]
        assert "sla_due_at" not in listed[-1] or listed[-1]["sla_due_at"] is None

        for limit in (1, 2, 3, 4):
            assert [i["id"] for i in await walk(http, url, agent, limit, sort="due")] == [i["id"] for i in listed]
        soon = await walk(http, url, agent, 1, sort="due", due="soon")
        assert [i["subject"] for i in soon] == ["due-20", "due-40"]
        by_activity = await walk(http, url, agent, 100, due="soon")
        assert [i["subject"] for i in by_activity] == ["due-40", "due-20"], "the filter keeps the tab's order"
        assert await walk(http, url, agent, 100, sort="due", due="overdue") == []

        # Another hotel's requests never show, even asked for; the admin sees both hotels' in one order.
        assert await walk(http, url, agent, 100, sort="due", location=hotel_b) == []
        both = await walk(http, url, ADMIN, 2, sort="due", due="soon", group=group)
        assert [i["subject"] for i in both] == ["other-hotel", "due-20", "due-40"]

        # A cursor of one order is refused by the other, with a clear answer.
        page = (await http.get(url, params={"sort": "due", "limit": "1"}, headers=agent)).json()
        refused = await http.get(url, params={"cursor": page["next_cursor"]}, headers=agent)
        assert refused.status_code == 400
        assert "sort=due" in refused.json()["detail"]
        page = (await http.get(url, params={"limit": "1"}, headers=agent)).json()
        refused = await http.get(url, params={"cursor": page["next_cursor"], "sort": "due"}, headers=agent)
        assert refused.status_code == 400
        assert "sort=activity" in refused.json()["detail"]

        # Answering the first meets its target: it leaves the due part, for the end of the list.
        answered = await admin.ok("POST", first["id"], "messages", {"text": "We are on it."})
        assert answered["conversation"]["sla"]["first_response"]["state"] == "met"
        after = await eventually(
            lambda: walk(http, url, agent, 100, sort="due"), lambda items: items[0]["subject"] == "due-40"
        )
        assert [i["subject"] for i in after][:3] == ["due-40", "due-90", "due-115"]
        rest = after[3:]
        assert {i["subject"] for i in rest} == {"due-20", "no-target"}
        assert rest == sorted(rest, key=lambda i: (i["last_activity_at"], i["id"]), reverse=True)
