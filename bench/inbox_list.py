"""Benchmark: the agent API (lists, counts, detail) with many stored conversations (prints figures).

    .venv/bin/python -m bench.inbox_list [--conversations 100000] [--locations 100] [--rounds 30]
                                         [--backend postgresql|sqlite]

Starts its own NATS, FerretDB (on Debian's PostgreSQL by default, as `make up` and the tests run it; SQLite
remains an option, but its updates run at single-digit rates) and inbox in a temporary folder, stores the
conversations (and a first timeline entry each) straight into the inbox's collections, then times the
agent API through HTTP: the first page of a hotel's inbox, a later page, the closed tab, a free-text
search, a hotel's counts, opening one conversation, and the chain-wide list and counts headquarters see.
Prints p50/p95 per query and FerretDB's explain output (whether the filter and sort were pushed down).
`make bench` (bench/run.py) calls `load` and `measure` on its own stack, at 1,000,000 conversations.
"""

import argparse
import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.report import Latencies, Table, mark, ms
from bench.stack import BACKEND_HELP, BACKENDS, SECRET, HubStack, bench_stack
from services.inbox.conversations.repository import activity_day
from services.inbox.counters.repository import CounterRepository, state_key
from shared.auth import Actor, issue_token

BATCH = 5000  # conversations per insert_many (and as many entries)
WRITERS = 4  # insert_many calls in flight at once while loading
HOTEL = "hotel-007"
# Per query, stop repeating once this much time went into it (at least one answer): a query that takes
# a minute is reported as such without holding the run for half an hour.
QUERY_BUDGET_SECONDS = 60.0
FOLD_LIMIT_SECONDS = 120.0


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
    """Store `total` conversations and their first entries across `locations` hotels, `WRITERS` batches
    at a time; returns the seconds it took."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, maxPoolSize=WRITERS * 2)
    collection = client["hub"]["conversations"]
    timeline = client["hub"]["timeline"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    starts = iter(range(0, total, BATCH))
    done = 0

    async def writer() -> None:
        nonlocal done
        for start in starts:
            documents = [conversation(n, locations, now) for n in range(start, min(start + BATCH, total))]
            await collection.insert_many(documents, ordered=False)
            await timeline.insert_many([entry(document) for document in documents], ordered=False)
            done += len(documents)
            if done % 100_000 < BATCH:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} of {total:,} stored ({rate:,.0f}/s)", flush=True)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    await client.close()
    return time.perf_counter() - started


async def after_load(stack: HubStack, total: int, locations: int) -> str:
    """Give the inbox's per-hotel counters (services/inbox/counters/) the conversations loaded straight into
    the collections, which made no changes for them to count: one correcting change per hotel, counted by
    state as the loader made them, which the inbox holding the counters' lease folds into the totals (the
    reconciliation's own repair). Waits until it has; returns a note for the table."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    counters = CounterRepository(client["hub"])
    now = datetime.now(UTC)
    counts: dict[str, Counter[str]] = {}
    for n in range(total):
        loaded = conversation(n, locations, now)
        counts.setdefault(loaded["location_id"], Counter())[state_key(loaded)] += 1
    started = time.perf_counter()
    for hotel, by_state in counts.items():
        await counters.correct(hotel, f"bench-load:{hotel}:{uuid.uuid4().hex}", by_state)
    left = await counters.deltas.count_documents({})
    while left and time.perf_counter() - started < FOLD_LIMIT_SECONDS:
        await asyncio.sleep(0.5)
        left = await counters.deltas.count_documents({})
    await client.close()
    waited = time.perf_counter() - started
    if left:
        return f"The counters had not folded the load after {waited:.0f} s: counts leave {left} hotels out."
    return f"The loaded conversations were given to the counters ({len(counts)} hotels) and folded in {waited:.1f} s."


@dataclass(frozen=True)
class QueryResult:
    name: str
    latencies: Latencies
    errors: int
    # p95 target in ms (issue 19), None when the query has none
    target_ms: float | None

    @property
    def met(self) -> bool | None:
        if self.target_ms is None:
            return None
        return self.errors == 0 and self.latencies.p(0.95) < self.target_ms


async def timed(
    client: httpx.AsyncClient, url: str, params: dict[str, str], rounds: int
) -> tuple[list[float], int, Any]:
    """Up to `rounds` requests one after another (fewer when they exhaust `QUERY_BUDGET_SECONDS`); returns
    the latencies in ms of those answered 200, how many failed, and the last answer's body."""
    samples: list[float] = []
    errors, body = 0, None
    spent = time.perf_counter()
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            response = await client.get(url, params=params)
        except httpx.HTTPError:
            errors += 1
            response = None
        if response is not None and response.status_code == 200:
            samples.append((time.perf_counter() - started) * 1000)
            body = response.json()
        elif response is not None:
            errors += 1
        if time.perf_counter() - spent > QUERY_BUDGET_SECONDS:
            break
    return samples, errors, body


@dataclass(frozen=True)
class AgentApiResult:
    conversations: int
    locations: int
    load_seconds: float
    queries: list[QueryResult]
    counts_of_hotel: dict[str, Any]
    chain_counts: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def table(self) -> Table:
        table = Table(
            f"Agent API at {self.conversations:,} conversations in {self.locations} hotels "
            f"(loaded in {self.load_seconds / 60:.1f} min)",
            ["query", "p50 ms", "p95 ms", "answers (errors)", "target p95", "met"],
        )
        for query in self.queries:
            target = "—" if query.target_ms is None else f"< {query.target_ms:.0f} ms"
            table.rows.append(
                [
                    query.name,
                    ms(query.latencies.p(0.5)),
                    ms(query.latencies.p(0.95)),
                    f"{len(query.latencies.samples)} ({query.errors})",
                    target,
                    mark(query.met),
                ]
            )
        hotel_all = self.counts_of_hotel.get("all", "?")
        chain_all = self.chain_counts.get("all", "?")
        table.notes = [
            f"Each query is repeated one at a time (at most {QUERY_BUDGET_SECONDS:.0f} s per query). Counts served: "
            f"{HOTEL} all={hotel_all}, chain-wide all={chain_all} (of {self.conversations:,} loaded, plus any the "
            "pipeline stored).",
            *self.notes,
        ]
        return table


async def measure(
    stack: HubStack, conversations: int, locations: int, rounds: int, load_seconds: float
) -> AgentApiResult:
    """Time the agent API of the stack's inbox, as an agent of one hotel and as an admin (headquarters)."""
    base = f"{stack.url('inbox')}/api/v1/conversations"
    agent = Actor(agent_id="a", name="Bench Agent", initials="BA", email="a@x", role="agent", location_ids=[HOTEL])
    admin = agent.model_copy(update={"role": "admin", "location_ids": []})
    results: list[QueryResult] = []

    async def run(
        client: httpx.AsyncClient, name: str, url: str, params: dict[str, str], target: float | None, times: int
    ) -> Any:
        samples, errors, body = await timed(client, url, params, times)
        results.append(QueryResult(name, Latencies(tuple(samples)), errors, target))
        print(f"  {name}: p50 {ms(results[-1].latencies.p(0.5))} ms, errors {errors}", flush=True)
        return body

    headers = {"Authorization": f"Bearer {issue_token(agent, SECRET)}"}
    async with httpx.AsyncClient(timeout=150, headers=headers) as c:
        page = await run(c, "a hotel's inbox, first page", base, {"location": HOTEL}, 50, rounds)
        cursor = (page or {}).get("next_cursor") or ""
        await run(c, "next page", base, {"location": HOTEL, "cursor": cursor}, 50, rounds)
        await run(c, "closed tab", base, {"location": HOTEL, "view": "closed"}, 50, rounds)
        await run(c, "text search", base, {"location": HOTEL, "q": "parking"}, 200, rounds)
        counts = await run(c, "a hotel's counts", f"{base}/counts", {"location": HOTEL}, 50, rounds)
        opened = (page or {}).get("items", [{}])[0].get("id", "none")
        await run(c, "one conversation + its timeline", f"{base}/{opened}", {}, 50, rounds)
    headers = {"Authorization": f"Bearer {issue_token(admin, SECRET)}"}
    async with httpx.AsyncClient(timeout=150, headers=headers) as c:
        await run(c, "headquarters: chain-wide list", base, {}, 100, rounds)
        chain = await run(c, "headquarters: chain-wide counts", f"{base}/counts", {}, 100, rounds)
    return AgentApiResult(conversations, locations, load_seconds, results, counts or {}, chain or {})


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


async def run(total: int, locations: int, rounds: int, backend: str, gin: bool) -> None:
    with bench_stack("inbox", backend) as stack:
        seconds = await load(stack.mongo_url, total, locations)
        if gin:
            stack.add_gin_indexes()
        note = await after_load(stack, total, locations)
        print(f"stored {total} conversations across {locations} hotels in {seconds:.1f}s. {note}")
        result = await measure(stack, total, locations, rounds, seconds)
        result.notes.append(note)
        print()
        print(result.table().markdown())
        print(f"counts of {HOTEL}: {json.dumps(result.counts_of_hotel)}")
        print("\nFerretDB explain:")
        print(json.dumps(await explain(stack.mongo_url, HOTEL), indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--backend", choices=BACKENDS, default="postgresql", help=BACKEND_HELP)
    parser.add_argument("--no-gin", action="store_true", help="without scripts/ferretdb_indexes.py (to compare)")
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.locations, args.rounds, args.backend, not args.no_gin))


if __name__ == "__main__":
    main()
