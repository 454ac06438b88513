"""Round-robin assignment across two inbox replicas, the away switch and presence (issue 25), on the real stack.

A second inbox process runs on the stack's environment beside the first, as a second replica would: both
consume the same bus, both claim turns in the same `rr_turns`. A group of four agents of a new hotel (and a
fifth who is away) takes 100 requests: each of the four gets 25 ± 1, the away agent none. The rotation is
proven twice: end to end, through a rule `assign_round_robin` applied by both replicas' rules engines; and
on its own, two rotations standing for two replicas (each its own database connection and its own remembered
turns) claiming 50 turns each at once.
"""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from services.inbox.availability.repository import PresenceRepository, RoundRobinRepository
from services.inbox.rules.round_robin import LastTurns, RoundRobin, pool_key
from tests.integration.conftest import ADMIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import publish_inbound
from tests.support import servers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

PASSWORD = "round-robin-password"
REQUESTS = 100
CLAIMS_AT_ONCE = 4


@pytest.fixture(scope="module")
def second_inbox(stack: Stack) -> Iterator[str]:
    """Another inbox replica on the stack's NATS and database; yields its URL."""
    log_dir = stack.root / f"inbox-replica-{uuid.uuid4().hex[:6]}"
    log_dir.mkdir()
    replica = servers.service("inbox", stack.env, log_dir).start()
    try:
        url = f"http://127.0.0.1:{replica.port}"
        servers.wait_ready(url)
        yield url
    finally:
        replica.stop()


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    yield client[stack.env["HUB_MONGO_DATABASE"]]
    await client.close()


async def created(http: httpx.AsyncClient, url: str, body: Any) -> dict[str, Any]:
    answer = await http.post(url, json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def team(stack: Stack, http: httpx.AsyncClient, size: int = 4) -> tuple[str, str, list[str], str]:
    """A new hotel, a group of it, `size` agents of the group and one more who is away: (hotel, group,
    the agents' ids, the away agent's id)."""
    hotel = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    group = f"rr-{uuid.uuid4().hex[:8]}"
    inbox = f"{stack.url('inbox')}/api/v1"
    await created(
        http, f"{inbox}/location-groups", {"id": group, "name": group, "kind": "care", "location_ids": [hotel]}
    )
    agents = []
    for n in range(size + 1):
        body = {"name": f"Agent {n}", "email": f"{group}-{n}@test.hotel", "group_ids": [group], "password": PASSWORD}
        agents.append(str((await created(http, f"{inbox}/agents", body))["id"]))
    away = agents.pop()
    answer = await http.patch(f"{inbox}/agents/{away}", json={"away": True}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.json()["away"] is True
    return hotel, group, agents, away


def assert_fair(assigned: list[str], agents: list[str], away: str) -> None:
    counts = Counter(assigned)
    assert away not in counts, f"the away agent got requests: {counts}"
    assert set(counts) == set(agents), counts
    assert all(abs(counts[agent] - REQUESTS / len(agents)) <= 1 for agent in agents), counts


async def test_a_rule_assigns_round_robin_fairly_across_two_replicas(
    stack: Stack, second_inbox: str, http: httpx.AsyncClient, nc: NatsClient, db: Any
) -> None:
    hotel, group, agents, away = await team(stack, http)
    rule = {
        "name": f"Round robin {group}",
        "group_id": group,
        "on": ["created"],
        "conditions": [{"field": "location_id", "op": "in", "value": [hotel]}],
        "actions": [{"type": "assign_round_robin", "group_id": group}],
    }
    made = await http.post(f"{stack.url('inbox')}/api/v1/rules", json=rule, headers=ADMIN)
    assert made.status_code == 201, made.text
    rule_id = made.json()["id"]
    try:
        await asyncio.gather(
            *(
                publish_inbound(nc, hotel, email=f"guest-{n}@example.com", subject=f"Question {n}", text=f"Hello {n}")
                for n in range(REQUESTS)
            )
        )

        async def assigned() -> list[str | None]:
            # Read from both replicas in turn: each serves the same stored requests.
            items: list[dict[str, Any]] = []
            cursor = None
            base = [stack.url("inbox"), second_inbox]
            while True:
                params = {"location": hotel, "view": "all", "limit": "100", **({"cursor": cursor} if cursor else {})}
                page = await http.get(f"{base[len(items) % 2]}/api/v1/conversations", params=params, headers=ADMIN)
                assert page.status_code == 200, page.text
                items += page.json()["items"]
                cursor = page.json().get("next_cursor")
                if not cursor:
                    return [item.get("assignee_id") for item in items]

        final = await eventually(assigned, lambda ids: len(ids) == REQUESTS and all(ids), timeout=90)
        assert_fair([str(agent) for agent in final], agents, away)
        turns = [turn async for turn in db["rr_turns"].find({"pool": pool_key(hotel, group)})]
        assert sorted(turn["n"] for turn in turns) == list(range(REQUESTS)), "each turn once, none skipped"
        claimers = Counter(turn["by"] for turn in turns)
        assert len(claimers) == 2, f"both replicas assign: {claimers}"
    finally:
        deleted = await http.delete(f"{stack.url('inbox')}/api/v1/rules/{rule_id}", headers=ADMIN)
        assert deleted.status_code == 204, deleted.text


async def claim_turns(mongo_url: str, database: str, hotel: str, group: str, count: int) -> list[str]:
    """One replica's share: `count` turns claimed over its own connection and with its own remembered turns,
    CLAIMS_AT_ONCE at a time (as a replica's rules consumer handles several events at once)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        rotation = RoundRobin(RoundRobinRepository(client[database]), LastTurns())
        now = datetime.now(UTC)
        at_once = asyncio.Semaphore(CLAIMS_AT_ONCE)

        async def one() -> str:
            async with at_once:
                return str((await rotation.next_agent(hotel, group, False, now) or {}).get("_id"))

        return list(await asyncio.gather(*(one() for _ in range(count))))
    finally:
        await client.close()


async def test_two_replicas_claiming_turns_at_once_share_them_out_evenly(
    stack: Stack, http: httpx.AsyncClient, db: Any
) -> None:
    hotel, group, agents, away = await team(stack, http)
    database = stack.env["HUB_MONGO_DATABASE"]
    shares = await asyncio.gather(*(claim_turns(stack.mongo_url, database, hotel, group, 50) for _ in range(2)))
    assert [len(share) for share in shares] == [50, 50]
    assert_fair(shares[0] + shares[1], agents, away)
    turns = [turn["n"] async for turn in db["rr_turns"].find({"pool": pool_key(hotel, group)})]
    assert sorted(turns) == list(range(REQUESTS)), "every turn claimed exactly once, none skipped"


async def test_online_only_picks_among_agents_whose_console_is_open(
    stack: Stack, http: httpx.AsyncClient, db: Any
) -> None:
    hotel, group, agents, _ = await team(stack, http)
    now = datetime.now(UTC)
    presence = PresenceRepository(db)
    await presence.seen(agents[1], now - timedelta(seconds=10))
    await presence.seen(agents[3], now - timedelta(seconds=20))
    await presence.seen(agents[0], now - timedelta(minutes=5))  # gone for minutes: not online
    rotation = RoundRobin(RoundRobinRepository(db))
    picked = [str((await rotation.next_agent(hotel, group, True, now) or {}).get("_id")) for _ in range(4)]
    assert sorted(picked) == sorted([agents[1], agents[3]] * 2)
    assert (await rotation.peek_agent(hotel, group, True, now) or {}).get("_id") in {agents[1], agents[3]}
    assert await rotation.next_agent(f"{hotel}-unknown", None, True, now) is None


async def test_the_agents_list_shows_who_is_online_and_away(stack: Stack, http: httpx.AsyncClient) -> None:
    hotel, _, agents, away = await team(stack, http, size=2)
    inbox = f"{stack.url('inbox')}/api/v1"

    async def listed() -> dict[str, dict[str, Any]]:
        answer = await http.get(f"{inbox}/agents", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return {agent["id"]: agent for agent in answer.json() if agent["id"] in {*agents, away}}

    before = await listed()
    assert not any(agent["online"] for agent in before.values())
    assert [before[a]["away"] for a in (*agents, away)] == [False, False, True]

    headers = agent_headers([hotel], agent_id=agents[0], name="Agent Zero")
    opened = asyncio.Event()

    async def console() -> None:
        async with http.stream("GET", f"{inbox}/events", headers=headers, timeout=30) as stream:
            async for _ in stream.aiter_lines():
                opened.set()

    listening = asyncio.create_task(console())
    try:
        await asyncio.wait_for(opened.wait(), timeout=10)
        after = await eventually(listed, lambda found: found[agents[0]]["online"], timeout=10)
        assert not after[agents[1]]["online"]
        assert not after[away]["online"]
    finally:
        listening.cancel()

    # The agent's own switch, and the admin's PATCH back.
    switched = await http.put(f"{inbox}/agents/me/away", json={"away": True}, headers=headers)
    assert switched.status_code == 200, switched.text
    assert switched.json()["away"] is True
    assert switched.json()["id"] == agents[0]
    me = await http.get(f"{inbox}/agents/me", headers=headers)
    assert me.json()["away"] is True
    assert (await listed())[agents[0]]["away"] is True
    refused = await http.put(f"{inbox}/agents/me/away", json={"away": "maybe"}, headers=headers)
    assert refused.status_code == 422
    back = await http.patch(f"{inbox}/agents/{agents[0]}", json={"away": False}, headers=ADMIN)
    assert back.status_code == 200
    assert back.json()["away"] is False
    others = await http.patch(f"{inbox}/agents/{agents[1]}", json={"away": True}, headers=headers)
    assert others.status_code == 403, others.text
    assert json.loads((await http.get(f"{inbox}/agents/{agents[1]}", headers=ADMIN)).text)["away"] is False
