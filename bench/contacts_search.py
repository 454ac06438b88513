"""Benchmark: contact search as you type with many stored contacts (prints figures).

    .venv/bin/python -m bench.contacts_search [--contacts 200000] [--locations 50] [--rounds 40]
                                              [--backend postgresql|sqlite]

Starts its own NATS, FerretDB (on Debian's PostgreSQL, as `make up` does, or on SQLite) and the
contacts service in a temporary folder, stores the contacts straight into the contacts' collections
(with the search entries the service computes), then times `GET /api/v1/contacts?q=` through HTTP
for an agent of one hotel and for an admin: name prefixes (common and rare, accented or not), two
words, an email prefix, phone digits. Prints p50/p95 per kind of query and over all of them.
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.stack import BACKEND_HELP, BACKENDS, SECRET, bench_stack, p95
from services.contacts.repository import FerretDbSearch
from shared.auth import Actor, issue_token

FIRST = ["Marie", "Jean", "Zoé", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Paul", "Emma", "Noah", "Anaïs", "Oliver"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Roux", "Smith"]
QUERIES = {
    "name prefix, common": ["ma", "mar", "mart", "jea", "dub"],
    "name prefix, accents": ["zoe", "léa", "lefe", "ines", "chlo"],
    "two words": ["marie mar", "jean dub", "zoé lef"],
    "email prefix": ["marie.m", "hugo.s", "guest1"],
    "phone digits": ["0600", "+33 6 00", "06 00 01"],
}


def contact(n: int, locations: int, now: datetime) -> dict[str, Any]:
    rng = random.Random(n)  # noqa: S311 - synthetic data, not security
    first, last = rng.choice(FIRST), rng.choice(LAST)
    hotels = sorted({f"hotel-{rng.randrange(locations):03d}" for _ in range(rng.choice([1, 1, 1, 2, 3]))})
    fields: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "display_name": f"{first} {last}",
        "emails": [f"{first.lower()}.{last.lower()}.{n}@example.com"],
        "phones": [f"+336{n:08d}"],
        "location_ids": hotels,
    }
    return {"_id": uuid.UUID(int=n).hex, **fields, "created_at": now, "updated_at": now}


async def load(mongo_url: str, total: int, locations: int) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    collection, index = client["hub"]["contacts"], client["hub"]["contact_search"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, total, 1000):
        batch = [contact(n, locations, now) for n in range(start, min(start + 1000, total))]
        await collection.insert_many(batch)
        await index.insert_many([entry for document in batch for entry in FerretDbSearch.entries_of(document)])
    await client.close()
    return time.perf_counter() - started


async def timed(client: httpx.AsyncClient, url: str, queries: list[str], rounds: int) -> tuple[list[float], int]:
    samples, found = [], 0
    for round_number in range(rounds):
        q = queries[round_number % len(queries)]
        started = time.perf_counter()
        response = await client.get(url, params={"q": q})
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        found += len(response.json()["items"])
    return samples, found


async def run(total: int, locations: int, rounds: int, backend: str, gin: bool) -> None:
    with bench_stack("contacts", backend) as stack:
        seconds = await load(stack.mongo_url, total, locations)
        if gin:
            stack.add_gin_indexes()
        print(f"stored {total} contacts across {locations} hotels in {seconds:.1f}s")
        base = f"{stack.service_url}/api/v1/contacts"
        agent = Actor(agent_id="a", name="Bench", initials="B", email="a@x", role="agent", location_ids=["hotel-007"])
        admin = agent.model_copy(update={"role": "admin", "location_ids": []})
        print(f"\n{'who':<6} {'query':<24} {'p50 ms':>8} {'p95 ms':>8} {'results/query':>14}")
        for who, actor in (("agent", agent), ("admin", admin)):
            every: list[float] = []
            headers = {"Authorization": f"Bearer {issue_token(actor, SECRET)}"}
            async with httpx.AsyncClient(timeout=60, headers=headers) as client:
                await timed(client, base, ["warm"], 3)
                for name, queries in QUERIES.items():
                    samples, found = await timed(client, base, queries, rounds)
                    every += samples
                    print(
                        f"{who:<6} {name:<24} {statistics.median(samples):>8.1f} {p95(samples):>8.1f}"
                        f" {found / rounds:>14.1f}"
                    )
            print(f"{who:<6} {'ALL QUERIES':<24} {statistics.median(every):>8.1f} {p95(every):>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backend", choices=BACKENDS, default="postgresql", help=BACKEND_HELP)
    parser.add_argument("--no-gin", action="store_true", help="without scripts/ferretdb_indexes.py (to compare)")
    args = parser.parse_args()
    asyncio.run(run(args.contacts, args.locations, args.rounds, args.backend, not args.no_gin))


if __name__ == "__main__":
    main()
