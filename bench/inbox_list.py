"""Benchmark: the inbox's list, counts and detail with many stored conversations (prints figures).

    .venv/bin/python -m bench.inbox_list [--conversations 100000] [--locations 50] [--rounds 30]
                                         [--backend sqlite|postgresql]

Starts its own NATS, FerretDB (on SQLite, or on Debian's PostgreSQL) and inbox in a temporary
folder, stores the conversations (and a first timeline entry each) straight into the inbox's
collections, then times the agent API through HTTP: the first page of a hotel's inbox, a later
page, the closed tab, a free-text search, a hotel's counts, opening one conversation, and the
chain-wide list and counts an admin sees. Prints p50/p95 per query and FerretDB's explain output
(whether the filter and sort were pushed down to the backend).
"""

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.stack import SECRET, bench_stack, p95
from services.inbox.conversations.repository import activity_day
from shared.auth import Actor, issue_token


def conversation(n: int, locations: int, now: datetime) -> dict[str, Any]:
    rng = random.Random(n)  # noqa: S311 - synthetic data, not security
    status = rng.choices(["open", "on_hold", "closed", "spam"], weights=[30, 10, 55, 5])[0]
    at = now - timedelta(minutes=n)
    return {
        "_id": uuid.UUID(int=n).hex,
        "thread_key": f"bench:{n}",
        "version": 0,
        "applied_keys": [f"bench:{n}"],
        "location_id": f"hotel-{n % locations:03d}",
        "channel": rng.choice(["email", "form", "chat", "review", "phone"]),
        "status": status,
        "snoozed_until": None,
        "bot_active": False,
        "has_bot": False,
        "subject": rng.choice(["Late check-in", "Parking", "Invoice", "Breakfast", "Spa booking"]) + f" #{n}",
        "guest": {"name": f"Guest {n}", "email": f"guest{n}@example.com"},
        "contact_id": None,
        "priority": "low",
        "contact_reason": None,
        "assignee": None,
        "assignee_id": None,
        "labels": [],
        "unread": rng.random() < 0.3,
        "alert": rng.random() < 0.05,
        "rating": None,
        "snippet": "Hello, I would like to know whether ...",
        "message_count": 1,
        "created_at": at,
        "last_activity_at": at,
        "activity_day": activity_day(at),
    }


def entry(conversation: dict[str, Any]) -> dict[str, Any]:
    """The conversation's first message, so that opening a conversation reads a real timeline."""
    return {
        "_id": f"e{conversation['_id']}",
        "key": conversation["thread_key"],
        "conversation_id": conversation["_id"],
        "kind": "message",
        "direction": "inbound",
        "channel": conversation["channel"],
        "author": {"type": "guest", **conversation["guest"]},
        "text": conversation["snippet"],
        "at": conversation["created_at"],
    }


async def load(mongo_url: str, total: int, locations: int) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    collection = client["hub"]["conversations"]
    timeline = client["hub"]["timeline"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    batch = 1000
    for start in range(0, total, batch):
        documents = [conversation(n, locations, now) for n in range(start, min(start + batch, total))]
        await collection.insert_many(documents)
        await timeline.insert_many([entry(document) for document in documents])
    await client.close()
    return time.perf_counter() - started


async def explain(mongo_url: str, location: str) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    db = client["hub"]
    query = {"location_id": location, "status": {"$in": ["open", "on_hold"]}, "bot_active": False}
    found = await db.command(
        "explain", {"find": "conversations", "filter": query, "sort": {"last_activity_at": -1}, "limit": 26}
    )
    equality = await db.command(
        "explain", {"find": "conversations", "filter": {"location_id": location, "status": "open"}, "limit": 26}
    )
    await client.close()
    keep = ("filterPushdown", "sortPushdown", "limitPushdown", "queryPlanner")
    return {"inbox view": {k: found.get(k) for k in keep}, "equality only": {k: equality.get(k) for k in keep}}


async def timed(client: httpx.AsyncClient, url: str, params: dict[str, str], rounds: int) -> tuple[float, float, Any]:
    samples, body = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get(url, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
    samples.sort()
    return statistics.median(samples), p95(samples), body


async def run(total: int, locations: int, rounds: int, backend: str, gin: bool) -> None:
    with bench_stack("inbox", backend) as stack:
        seconds = await load(stack.mongo_url, total, locations)
        if gin:
            stack.add_gin_indexes()
        print(f"stored {total} conversations across {locations} hotels in {seconds:.1f}s")
        base = f"{stack.service_url}/api/v1/conversations"
        hotel = "hotel-007"
        agent = Actor(agent_id="a", name="Bench Agent", initials="BA", email="a@x", role="agent", location_ids=[hotel])
        admin = agent.model_copy(update={"role": "admin", "location_ids": []})
        results = []
        async with httpx.AsyncClient(
            timeout=120, headers={"Authorization": f"Bearer {issue_token(agent, SECRET)}"}
        ) as c:
            p50, p95, page = await timed(c, base, {"location": hotel}, rounds)
            results.append(("list: a hotel's inbox, first page", p50, p95))
            params = {"location": hotel, "cursor": page["next_cursor"]}
            results.append(("list: next page", *(await timed(c, base, params, rounds))[:2]))
            results.append(
                ("list: closed tab", *(await timed(c, base, {"location": hotel, "view": "closed"}, rounds))[:2])
            )
            results.append(
                ("list: text search", *(await timed(c, base, {"location": hotel, "q": "parking"}, rounds))[:2])
            )
            p50, p95, counts = await timed(c, f"{base}/counts", {"location": hotel}, rounds)
            results.append(("counts: a hotel", p50, p95))
            opened = page["items"][0]["id"]
            results.append(("open one conversation + timeline", *(await timed(c, f"{base}/{opened}", {}, rounds))[:2]))
        async with httpx.AsyncClient(
            timeout=300, headers={"Authorization": f"Bearer {issue_token(admin, SECRET)}"}
        ) as c:
            results.append(("list: admin, every hotel", *(await timed(c, base, {}, max(rounds // 3, 1)))[:2]))
            p50, p95, chain = await timed(c, f"{base}/counts", {}, max(rounds // 3, 1))
            results.append(("counts: admin, every hotel", p50, p95))
        print(f"\n{'query':<34} {'p50 ms':>9} {'p95 ms':>9}")
        for name, p50, p95 in results:
            print(f"{name:<34} {p50:>9.1f} {p95:>9.1f}")
        print(f"\ncounts of {hotel}: {json.dumps(counts)}")
        print(f"chain-wide counts: all={chain['all']} inbox={chain['inbox']}")
        print("\nFerretDB explain:")
        print(json.dumps(await explain(stack.mongo_url, hotel), indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--no-gin", action="store_true", help="without scripts/ferretdb_indexes.py (to compare)")
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.locations, args.rounds, args.backend, not args.no_gin))


if __name__ == "__main__":
    main()
