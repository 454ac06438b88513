"""Issue 21, item 1: the inbox lists its alerts first, then the rest by recent activity, and an alert's
priority is high.

The order is read in parts (the open alerts, then the others), so a cursor must continue exactly across
the end of the alerts: every page is walked, with both repository variants, and through the HTTP API."""

import base64
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from services.inbox.conversations.repository import (
    DAYS_WALKED,
    ConversationQuery,
    ConversationRepository,
    FerretDBConversationRepository,
    conversation_repository,
    indexes_for,
)
from services.inbox.conversations.states import ALERTS_FIRST, VIEWS
from shared.bus import Channel
from shared.db import ensure_indexes
from tests.integration.conftest import ADMIN, Stack
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def conversations() -> list[dict[str, Any]]:
    """One hotel's requests over 200 days, a fifth of them alerts, some sharing an instant."""
    rng = random.Random(21)
    ages = [timedelta(minutes=rng.randrange(0, 3 * 24 * 60)) for _ in range(40)]
    ages += [timedelta(days=rng.randrange(DAYS_WALKED + 1, 200)) for _ in range(20)]
    ages += [ages[0]] * 3 + [ages[1]] * 2  # the id breaks ties, among alerts and among the rest
    return [
        {
            "_id": f"c{n:03d}",
            "location_id": "hotel-a",
            "status": rng.choice(["open", "open", "open", "on_hold", "closed"]),
            "alert": rng.random() < 0.2 or n in {40, 41},
            "bot_active": n == 5,
            "last_activity_at": NOW - age,
        }
        for n, age in enumerate(ages)
    ]


def expected(documents: list[dict[str, Any]], query: ConversationQuery) -> list[str]:
    """The list's order computed the plain way: the leading alerts, then everything else, each newest first."""
    chosen = [d for d in documents if query.condition.holds_for(d)]
    chosen.sort(key=lambda d: (query.leads(d), d["last_activity_at"], d["_id"]), reverse=True)
    return [d["_id"] for d in chosen]


async def every_page(repository: ConversationRepository, query: ConversationQuery, limit: int) -> list[str]:
    ids: list[str] = []
    before, before_alert = None, False
    while True:
        page = await repository.page(query, before=before, before_alert=before_alert, limit=limit)
        ids += [str(d["_id"]) for d in page]
        if len(page) < limit:
            return ids
        before, before_alert = (page[-1]["last_activity_at"], str(page[-1]["_id"])), query.leads(page[-1])


@pytest.fixture(params=["ferretdb", "mongodb"])
async def repository(request: pytest.FixtureRequest, mongo: AsyncMongoClient[dict[str, object]]) -> Any:
    db = mongo[f"alerts_{uuid.uuid4().hex[:8]}"]
    await ensure_indexes(db, indexes_for(request.param))
    yield conversation_repository(db, request.param)
    await mongo.drop_database(db.name)


class TestAlertsFirstPages:
    async def test_every_page_continues_exactly_across_the_end_of_the_alerts(
        self, repository: ConversationRepository
    ) -> None:
        documents = conversations()
        await repository.conversations.insert_many([dict(d) for d in documents])
        queries = [
            ConversationQuery(VIEWS[view], locations=("hotel-a",), alerts_first=True) for view in sorted(ALERTS_FIRST)
        ]
        for attempt in ("stored before activity days", "read day by day"):
            for query in queries:
                order = expected(documents, query)
                alerts = [d for d in documents if query.leads(d)]
                assert alerts, "the list has alerts"
                assert len(order) > len(alerts), "and more after them"
                assert set(order[: len(alerts)]) == {d["_id"] for d in alerts}
                for limit in (1, 3, len(alerts), 7, 100):
                    assert await every_page(repository, query, limit) == order, (attempt, query.condition, limit)
            if isinstance(repository, FerretDBConversationRepository):
                await repository.fill_derived()
                assert await repository.activity_days_ready()

    async def test_the_other_views_keep_the_order_of_recent_activity(self, repository: ConversationRepository) -> None:
        documents = conversations()
        await repository.conversations.insert_many([dict(d) for d in documents])
        for view in ("status_on_hold", "status_closed", "all", "bucket_alerts"):
            query = ConversationQuery(VIEWS[view], locations=("hotel-a",))
            order = [d["_id"] for d in documents if query.condition.holds_for(d)]
            order.sort(key=lambda i: next((d["last_activity_at"], d["_id"]) for d in documents if d["_id"] == i))
            assert await every_page(repository, query, 4) == order[::-1], view


def review(location: str, rating: int, minutes_ago: int, review_id: str | None = None) -> dict[str, Any]:
    return {
        "channel": Channel.REVIEW,
        "rating": rating,
        "subject": f"{rating} stars",
        "review_id": review_id or f"tripadvisor:{uuid.uuid4().hex}",
        "email": None,
        "name": "Sam Critic",
        "received_at": NOW - timedelta(minutes=minutes_ago),
    }


async def walk(admin: AgentApi, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every page of a list through the HTTP API, following `next_cursor`."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = await admin.http.get(admin.base, params=query, headers=admin.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


class TestTheInboxApi:
    async def test_alerts_come_first_across_pages_with_a_high_priority(
        self, stack: Stack, location: str, nc: NatsClient, http: httpx.AsyncClient
    ) -> None:
        admin = AgentApi(http, stack.url("inbox"), ADMIN)
        # Three old alerts (one of them to be set aside on hold), then ten newer requests without one.
        old_alert = await publish_inbound(nc, location, **review(location, 1, minutes_ago=600))
        held_alert = await publish_inbound(nc, location, **review(location, 2, minutes_ago=500))
        older_alert = await publish_inbound(nc, location, **review(location, 1, minutes_ago=900))
        for n in range(8):
            await publish_inbound(nc, location, subject=f"Question {n}", received_at=NOW - timedelta(minutes=100 - n))
        happy = await publish_inbound(nc, location, **review(location, 5, minutes_ago=50))
        edited_id = f"google:{uuid.uuid4().hex}"
        await publish_inbound(nc, location, **review(location, 5, minutes_ago=40, review_id=edited_id))
        listed = await admin.wait_for(location, count=13)
        assert len(listed) == 13, "each message its own request"

        def find(message: Any) -> dict[str, Any]:
            return next(i for i in listed if datetime.fromisoformat(i["last_activity_at"]) == message.received_at)

        for alert in (old_alert, held_alert, older_alert):
            assert find(alert)["alert"]
            assert find(alert)["priority"] == "high"
        assert not find(happy)["alert"]
        assert find(happy)["priority"] == "low"
        await admin.ok("PUT", find(held_alert)["id"], "status", {"status": "on_hold"})
        # A review edited down to one star raises the alert, and the priority with it.
        await publish_inbound(nc, location, **review(location, 1, minutes_ago=30, review_id=edited_id))
        edited = await eventually(
            lambda: admin.conversations(location=location, view="all", bucket="alerts"),
            lambda items: len(items) == 3,
        )
        assert {i["priority"] for i in edited} == {"high"}

        everything = await walk(admin, 100, location=location, view="all")
        newest_first = sorted(everything, key=lambda i: (i["last_activity_at"], i["id"]), reverse=True)
        assert [i["id"] for i in everything] == [i["id"] for i in newest_first], "`all` stays by recent activity"
        leading = [i for i in newest_first if i["alert"] and i["status"] == "open"]
        rest = [i for i in newest_first if i not in leading and i["status"] in {"open", "on_hold"}]
        assert len(leading) == 3
        assert find(held_alert)["id"] not in {i["id"] for i in leading}
        inbox_order = [i["id"] for i in [*leading, *rest]]
        for limit in (1, 2, 3, 4, 5):
            assert [i["id"] for i in await walk(admin, limit, location=location)] == inbox_order, limit
        held = await walk(admin, 2, location=location, view="on_hold")
        assert [i["id"] for i in held] == [find(held_alert)["id"]]

    async def test_a_cursor_from_before_the_alerts_were_marked_still_reads(
        self, stack: Stack, location: str, http: httpx.AsyncClient
    ) -> None:
        """A cursor without the alerts' mark (an older console's) continues among the rest."""
        admin = AgentApi(http, stack.url("inbox"), ADMIN)
        plain = base64.urlsafe_b64encode(f"{NOW.isoformat()}|zzz".encode()).decode()
        response = await http.get(admin.base, params={"location": location, "cursor": plain}, headers=ADMIN)
        assert response.status_code == 200, response.text
        bad = await http.get(admin.base, params={"location": location, "cursor": "!!"}, headers=ADMIN)
        assert bad.status_code == 400
