"""Benchmark: the sweep that evaluates response-time targets (services/inbox/sla/) among many stored requests.

    .venv/bin/python -m bench.sla_sweep [--conversations 1000000] [--runs 5] [--backend postgresql|sqlite]

Issue 24 asks that the sweep cost O(requests due soon), not O(open requests). This stores `--conversations`
requests shaped as the inbox writes them with their targets (contract §3: most open requests have their
next check days ahead, closed ones met, some without a policy) straight into FerretDB, in a database of
their own, makes the inbox's indexes (the sweep's `sla_check` included) and their GIN twins, then times,
for K due requests (10, 100, 1000) among them, cheapest first so that a run cut short keeps the most:
- the same requests read by minute, `sla_check_minute` an equality as `snooze_minute` is for holds: what
  FerretDB v1 pushes down to PostgreSQL (it applies ranges itself, after reading every document);
- the sweep's range query alone (`sla_check_at <= now`, sorted, limited), as contract §9 writes it;
- one full scan of the open requests, what a sweep reading every open request would cost at least;
- `SlaSweeper.sweep(now)` (services/inbox/sla/service.py), which also acts on each due request.
It prints FerretDB's explain of both queries (pushed down or not, PostgreSQL's plan) and a table.
`make bench` (bench/run.py) runs it at 1,000,000 conversations, `--quick` at 100,000.
"""

import argparse
import asyncio
import json
import random
import signal
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.inbox_list import conversation as listed_conversation
from bench.report import Spread, Table, mark, ms
from bench.stack import BACKEND_HELP, BACKENDS, Servers, running_servers
from services.inbox.conversations.repository import indexes_for, sla_check_minute, snooze_minute
from services.inbox.settings import InboxSettings
from services.inbox.sla.repository import SLA_INDEXES, SlaRepository
from shared.db import IndexSpec, ensure_indexes
from shared.runtime import Runtime
from shared.settings import HubSettings

DATABASE = "bench_sla"  # apart from the inbox's own `hub`: the inbox's running sweep must not act on these
BATCH = 5000  # conversations per insert_many
WRITERS = 4  # insert_many calls in flight at once
DUE_COUNTS = (10, 100, 1000)
SWEEP_LIMIT = 1000  # the sweep's batch: the largest K is swept in one call
POLICY_ID = "bench-policy"
FIRST_RESPONSE_MINUTES = 240
RESOLUTION_MINUTES = 1440
POLICY_NAME = "Bench: 4 h first response, 24 h resolution"
STEPS = [{"target": "first_response", "at_minutes": 0, "action": "notify_managers", "group_id": None}]
# The MongoDB variant's index for the sweep (conversations/repository.py MONGODB_INDEXES).
SLA_CHECK_INDEX = IndexSpec(keys=[("sla_check_at", 1)], name="sla_check")
# Per measurement, stop repeating once this much time went into it (at least one run); once one run takes
# longer than `SLOW_SECONDS`, larger K are not timed (a read of every request does not get faster).
QUERY_BUDGET_SECONDS = 30.0
SLOW_SECONDS = 10.0
# A read of every document (the range query on FerretDB, the scan of the open requests) is stopped after
# this long: at 1,000,000 it takes 9 minutes, and "at least a minute" already makes the comparison.
CAP_SECONDS = 60.0
SCAN_SHARE_TARGET = 0.01
Document = dict[str, Any]


def target(minutes: int, state: str, due_at: datetime | None, met_at: datetime | None = None) -> Document:
    return {
        "minutes": minutes,
        "state": state,
        "due_at": due_at,
        "remaining_seconds": None,
        "met_at": met_at,
        "missed_at": None,
    }


def sla(first: Document | None, resolution: Document | None) -> Document:
    """A request's `sla` as services/inbox/sla/decisions.py writes it (with its copy of the policy's steps)."""
    return {
        "policy_id": POLICY_ID,
        "policy_name": POLICY_NAME,
        "first_response": first,
        "resolution": resolution,
        "steps_done": [],
        "escalation": None,
        "steps": STEPS,
        "pause_on_hold": True,
    }


def checked_at(document: Document, at: datetime | None) -> Document:
    """`document` with its next check at `at`, and the minute FerretDB's sweep finds it in
    (conversations/repository.py `sla_check_minute`), as for a check written before it came due."""
    return document | {"sla_check_at": at, "sla_check_minute": sla_check_minute(at, at) if at is not None else None}


def conversation(n: int, locations: int, now: datetime) -> Document:
    """One request as `inbox_list` stores it, with the SLA fields of contract §3: an open or held request
    under a policy has its next check 1 to 30 days ahead (nothing is due among the seeded ones), a closed
    one met its targets, spam and one request in ten have no policy."""
    document = listed_conversation(n, locations, now)
    rng = random.Random(-n - 1)  # noqa: S311 - synthetic data, not security
    created: datetime = document["created_at"]
    document |= {
        "score_day": created.date().isoformat(),
        "sla": None,
        "sla_due_at": None,
        "sla_check_at": None,
        "sla_check_minute": None,
        "first_response_business_seconds": None,
        "care_group_id": None,
        "survey": None,
    }
    if document["status"] == "spam" or rng.random() < 0.1:
        return document
    if document["status"] == "closed":
        answered = created + timedelta(minutes=rng.randint(5, 200))
        document["sla"] = sla(
            target(FIRST_RESPONSE_MINUTES, "met", created + timedelta(minutes=FIRST_RESPONSE_MINUTES), answered),
            target(RESOLUTION_MINUTES, "met", created + timedelta(minutes=RESOLUTION_MINUTES), answered),
        )
        document["first_response_business_seconds"] = (answered - created).total_seconds()
        if rng.random() < 0.2:
            document["survey"] = {"rating": rng.randint(1, 5), "at": answered, "channel": document["channel"]}
        return document
    due = now + timedelta(days=rng.uniform(1, 30))
    document["sla"] = sla(None, target(RESOLUTION_MINUTES, "running", due))
    document["sla_due_at"] = due
    return checked_at(document, due)


def due_conversation(key: str, location: str, check_at: datetime) -> Document:
    """An open request whose first-response target is missed at `check_at`: what the sweep must act on."""
    created = check_at - timedelta(minutes=FIRST_RESPONSE_MINUTES)
    document = listed_conversation(0, 1, created)
    document |= {
        "_id": key,
        "thread_key": f"bench:{key}",
        "applied_keys": [f"bench:{key}"],
        "location_id": location,
        "status": "open",
        "created_at": created,
        "last_activity_at": created,
        "score_day": created.date().isoformat(),
        "sla": sla(
            target(FIRST_RESPONSE_MINUTES, "running", check_at),
            target(RESOLUTION_MINUTES, "running", created + timedelta(minutes=RESOLUTION_MINUTES)),
        ),
        "sla_due_at": check_at,
        "first_response_business_seconds": None,
        "care_group_id": None,
        "survey": None,
    }
    return checked_at(document, check_at)


def policy() -> Document:
    """The policy the seeded requests run under (contract §4): a missed first response notifies the managers."""
    return {
        "_id": POLICY_ID,
        "name": POLICY_NAME,
        "group_id": None,
        "channels": [],
        "alerts_only": False,
        "first_response_minutes": FIRST_RESPONSE_MINUTES,
        "resolution_minutes": RESOLUTION_MINUTES,
        "pause_on_hold": True,
        "position": 0,
        "escalation": STEPS,
    }


def sla_indexes() -> dict[str, list[IndexSpec]]:
    """The inbox's indexes on FerretDB (the sweep's `sla_check_minute` among them), with the MongoDB variant's
    `sla_check` on `sla_check_at`, for the range query's explain to show what FerretDB does with it."""
    indexes = {**indexes_for("ferretdb"), **SLA_INDEXES}
    indexes["conversations"] = [*indexes["conversations"], SLA_CHECK_INDEX]
    return indexes


async def seed(db: AsyncDatabase[Document], total: int, locations: int, now: datetime) -> float:
    """Store `total` requests, `WRITERS` batches at a time, before any index (`index` makes them after:
    faster than keeping them up row by row); returns the seconds it took."""
    await db["sla_policies"].replace_one({"_id": POLICY_ID}, policy(), upsert=True)
    collection = db["conversations"]
    started = time.perf_counter()
    starts = iter(range(0, total, BATCH))
    done = 0

    async def writer() -> None:
        nonlocal done
        for start in starts:
            documents = [conversation(n, locations, now) for n in range(start, min(start + BATCH, total))]
            await collection.insert_many(documents, ordered=False)
            done += len(documents)
            if done % 100_000 < BATCH:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} of {total:,} stored ({rate:,.0f}/s)", flush=True)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return time.perf_counter() - started


def sweep_query(now: datetime) -> Document:
    return {"sla_check_at": {"$lte": now}}


async def due_ids(db: AsyncDatabase[Document], now: datetime, limit: int = SWEEP_LIMIT) -> list[str]:
    """The MongoDB variant's read (`SlaRepository.due_checks`): a range on `sla_check_at`, sorted, limited."""
    return await SlaRepository(db, "mongodb").due_checks(now, limit)


async def due_ids_by_minute(db: AsyncDatabase[Document], now: datetime, limit: int = SWEEP_LIMIT) -> list[str]:
    """The FerretDB variant's read (`SlaRepository.due_checks`) of a sweeper that last swept at `now`: the
    minutes since (this one and the last), each an equality PostgreSQL finds in an index."""
    return await SlaRepository(db, "ferretdb").due_checks(now, limit, since=now)


async def capped(work: Awaitable[int]) -> int:
    """A read FerretDB applies after reading every document, stopped after `CAP_SECONDS` (-1: stopped)."""
    try:
        return await asyncio.wait_for(work, CAP_SECONDS)
    except TimeoutError:
        return -1


async def add_due(db: AsyncDatabase[Document], count: int, minute: datetime, location: str) -> datetime:
    """Store `count` requests due within the minute starting at `minute`; returns the instant right after
    the last one's check, at which a sweep finds exactly them (when nothing earlier is still due)."""
    tag = uuid.uuid4().hex[:8]
    spacing = timedelta(seconds=min(1.0, 50 / count))
    documents = [due_conversation(f"due-{tag}-{i}", location, minute + spacing * i) for i in range(count)]
    await db["conversations"].insert_many(documents, ordered=False)
    return minute + spacing * (count - 1) + spacing / 2


class Windows:
    """Minutes for the due requests, each a day before the previous one: what a measurement leaves due
    (the bare queries act on nothing) is later than the next measurement's `now`, so it is never found."""

    def __init__(self, now: datetime) -> None:
        self.start = self.minute = now.replace(second=0, microsecond=0)

    def next(self) -> datetime:
        self.minute -= timedelta(days=1)
        return self.minute


@dataclass
class Timing:
    """Repeated timings of one measurement, in ms, with how many requests each run found (or acted on)."""

    samples: list[float] = field(default_factory=list)
    found: list[int] = field(default_factory=list)
    skipped: str = ""

    @property
    def spread(self) -> Spread:
        return Spread.of(self.samples)

    @property
    def median(self) -> float:
        return self.spread.median

    def cell(self, digits: int = 1) -> str:
        return self.skipped if not self.samples and self.skipped else self.spread.text(digits)


@dataclass
class SweepResult:
    conversations: int
    seed_seconds: float
    index_seconds: float = 0.0
    open_scan_ms: float = float("nan")
    open_count: int = 0
    query: dict[int, Timing] = field(default_factory=dict)
    by_minute: dict[int, Timing] = field(default_factory=dict)
    sweep: dict[int, Timing] = field(default_factory=dict)
    explain_range: Document = field(default_factory=dict)
    explain_minute: Document = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self) -> Table:
        title = (
            f"SLA sweep among {self.conversations:,} stored conversations "
            f"(seeded in {self.seed_seconds / 60:.1f} min, {self.conversations / self.seed_seconds:,.0f}/s)"
        )
        table = Table(
            title,
            [
                "due (K)",
                "range query ms (contract §9)",
                "÷ open scan",
                "per-minute query ms",
                "÷ open scan",
                "`SlaSweeper.sweep` ms",
                "per due request ms",
                "acted on",
            ],
        )
        for k in DUE_COUNTS:
            query, minute, sweep = (part.get(k, Timing()) for part in (self.query, self.by_minute, self.sweep))
            table.rows.append(
                [
                    f"{k:,}",
                    query.cell(1),
                    self.share(query),
                    minute.cell(1),
                    self.share(minute),
                    sweep.cell(0),
                    f"{sweep.median / k:.1f}" if sweep.samples else "—",
                    "/".join(str(n) for n in sweep.found) if sweep.found else "—",
                ]
            )
        table.notes = [
            'Median (min–max) of the runs, one at a time. "÷ open scan": the median over one full scan of the '
            f"open requests (`count_documents` on status open or on hold: {self.scanned()}). "
            "The range query is `find({sla_check_at: {$lte: now}})` sorted "
            "by `sla_check_at`, limited to 1,000, on the `sla_check` index; the per-minute query reads the "
            "checks of this minute and the last by equality on `sla_check_minute` (as `due_snoozes` reads holds).",
            "The inbox's indexes (`indexes_for`, `SLA_INDEXES`, `sla_check_minute`) and their GIN twins "
            f"(scripts/ferretdb_indexes.py) were made after the seed, in {self.index_seconds:.0f} s.",
            f"FerretDB's explain of the range query: {plan_summary(self.explain_range)}; of the per-minute "
            f"query: {plan_summary(self.explain_minute)}.",
            *self.notes,
        ]
        return table

    def scanned(self) -> str:
        if self.open_count < 0:
            return f"stopped after {self.open_scan_ms / 1000:,.0f} s, so the ratios are upper bounds"
        return f"{self.open_count:,} of them, {self.open_scan_ms:,.0f} ms"

    def share(self, timing: Timing) -> str:
        ok = timing.samples and self.open_scan_ms == self.open_scan_ms and self.open_scan_ms > 0
        return f"{timing.median / self.open_scan_ms:.4f}" if ok else "—"


def targets(result: SweepResult) -> list[list[str]]:
    """Issue 24's "O(requests due soon), not O(all open requests)", as two rows of the targets table: the
    sweep with 10 due costs under 1% of one scan of the open requests, and its cost per due request
    does not fall as K grows (within 2× from 10 to 1,000 due), as it would if reading them all dominated."""
    sweep = result.sweep.get(DUE_COUNTS[0], Timing())
    what = "`SlaSweeper.sweep`" if sweep.samples else "the sweep's range query"
    first = sweep if sweep.samples else result.query.get(DUE_COUNTS[0], Timing())
    share = first.median / result.open_scan_ms if first.samples and result.open_scan_ms > 0 else float("nan")
    rows = [
        [
            f"SLA: {what} with {DUE_COUNTS[0]} due among {result.conversations:,} < 1% of a scan of the open requests",
            f"{ms(first.median)} ms ÷ {ms(result.open_scan_ms)} ms = {share:.4f}",
            mark(share < SCAN_SHARE_TARGET if share == share else None),
        ]
    ]
    last = result.sweep.get(DUE_COUNTS[-1], Timing())
    flat = f"SLA: `SlaSweeper.sweep` per due request, {DUE_COUNTS[0]} due ≤ 2× {DUE_COUNTS[-1]:,} due"
    if sweep.samples and last.samples:
        small, large = sweep.median / DUE_COUNTS[0], last.median / DUE_COUNTS[-1]
        rows.append([flat, f"{small:,.1f} ms vs {large:,.1f} ms", mark(small <= 2 * large)])
    else:
        rows.append([flat, "—", mark(None)])
    return rows


def plan_summary(plan: Document) -> str:
    """Pushdown flags and the node types of PostgreSQL's plan, e.g. "filter pushed down, Bitmap Heap Scan"."""
    nodes: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "Node Type" in node:
                index = f" on {node['Index Name']}" if node.get("Index Name") else ""
                nodes.append(f"{node['Node Type']}{index}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(plan.get("queryPlanner"))
    pushed = "filter pushed down" if plan.get("filterPushdown") else "filter NOT pushed down (applied by FerretDB)"
    sort = "sort pushed down" if plan.get("sortPushdown") else "sort in FerretDB"
    return f"{pushed}, {sort}, PostgreSQL: {' > '.join(nodes) or '?'}"


async def explain(db: AsyncDatabase[Document], query: Document, sort: Document | None = None) -> Document:
    """FerretDB's explain: `filterPushdown`/`sortPushdown` say whether PostgreSQL did the work,
    `queryPlanner` holds PostgreSQL's own plan (an index scan or a sequential scan)."""
    command: Document = {"find": "conversations", "filter": query, "limit": SWEEP_LIMIT}
    if sort:
        command["sort"] = sort
    found = await db.command("explain", command)
    keep = ("filterPushdown", "sortPushdown", "limitPushdown", "queryPlanner")
    return {key: found.get(key) for key in keep}


async def repeat(
    runs: int, prepare: Callable[[], Awaitable[datetime]], work: Callable[[datetime], Awaitable[int]]
) -> Timing:
    """Up to `runs` timed calls of `work` at the instant `prepare` returns (untimed), one at a time, fewer
    once `QUERY_BUDGET_SECONDS` went into them (always one); `work` returns how many requests it found
    or acted on."""
    timing = Timing()
    spent = time.perf_counter()
    for _ in range(runs):
        at = await prepare()
        started = time.perf_counter()
        found = await work(at)
        timing.samples.append((time.perf_counter() - started) * 1000)
        timing.found.append(found)
        if time.perf_counter() - spent > QUERY_BUDGET_SECONDS:
            break
    return timing


async def measure(servers: Servers, total: int, locations: int, runs: int) -> SweepResult:
    """Seed `total` requests, then time, for each K of `DUE_COUNTS`, the sweep's range query, the
    per-minute query and `SlaSweeper.sweep` (when services/inbox/sla/service.py has it), and one scan
    of the open requests."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        servers.mongo_url, tz_aware=True, maxPoolSize=WRITERS * 2, socketTimeoutMS=3_600_000
    )
    db = client[DATABASE]
    await client.drop_database(DATABASE)
    now = datetime.now(UTC)
    print(f"SLA sweep: seeding {total:,} conversations", flush=True)
    seconds = await seed(db, total, locations, now)
    result = SweepResult(total, seconds)
    print(f"  seeded in {seconds:.0f} s ({total / seconds:,.0f}/s)", flush=True)
    started = time.perf_counter()
    await ensure_indexes(db, sla_indexes())
    servers.add_gin_indexes()
    result.index_seconds = time.perf_counter() - started
    print(f"  the inbox's indexes and their GIN twins made in {result.index_seconds:.0f} s", flush=True)

    # Cheapest first, so that a run cut short keeps the most: the per-minute query, the range query,
    # one scan of the open requests, then the sweep.
    windows = Windows(now)
    for k in DUE_COUNTS:
        at = await add_due(db, k, windows.next(), "hotel-000")
        result.by_minute[k] = await repeat(runs, fixed(at), lambda at: count(due_ids_by_minute(db, at)))
        print(f"  per-minute query, {k} due: {result.by_minute[k].cell()} ms", flush=True)
        if k == DUE_COUNTS[0]:
            result.explain_range = await explain(db, sweep_query(at), {"sla_check_at": 1})
            minute = {"sla_check_minute": snooze_minute(at), "sla_check_at": {"$lte": at}}
            result.explain_minute = await explain(db, minute)
            print(f"  explain, range query: {plan_summary(result.explain_range)}", flush=True)
            print(f"  explain, per-minute query: {plan_summary(result.explain_minute)}", flush=True)
    slow = ""  # see SLOW_SECONDS
    for k in DUE_COUNTS:
        if slow:
            result.query[k] = Timing(skipped=slow)
            continue
        at = await add_due(db, k, windows.next(), "hotel-000")
        result.query[k] = await repeat(runs, fixed(at), lambda at: capped(count(due_ids(db, at))))
        print(f"  range query, {k} due: {result.query[k].cell()} ms", flush=True)
        if result.query[k].samples[0] > SLOW_SECONDS * 1000:
            slow = f"not timed (K = {k:,} took {result.query[k].samples[0] / 1000:,.0f} s)"
    for k in DUE_COUNTS:
        for timing in (result.query.get(k, Timing()), result.by_minute[k]):
            if any(found not in {k, -1} for found in timing.found):
                result.notes.append(f"With {k} due, a query found {timing.found}: the measurement is wrong.")

    started = time.perf_counter()
    result.open_count = await capped(db["conversations"].count_documents({"status": {"$in": ["open", "on_hold"]}}))
    result.open_scan_ms = (time.perf_counter() - started) * 1000
    stopped = " (stopped: at least that)" if result.open_count < 0 else ""
    print(f"  open requests scanned: {result.open_count:,} in {result.open_scan_ms:,.0f} ms{stopped}", flush=True)

    await measure_sweeper(servers, result, windows, runs)
    await client.close()
    return result


def fixed(at: datetime) -> Callable[[], Awaitable[datetime]]:
    """`repeat`'s preparation when every run reads the same due requests."""

    async def prepare() -> datetime:
        return at

    return prepare


async def count(found: Awaitable[list[str]]) -> int:
    return len(await found)


async def measure_sweeper(servers: Servers, result: SweepResult, windows: Windows, runs: int) -> None:
    """Time `SlaSweeper.sweep(now)` (services/inbox/sla/service.py) on K fresh due requests each run, in an
    inbox runtime of its own on the bench's servers (its events go to the bench's NATS). Each request
    has its first response missed and a step notifying the managers due at once: two changes each."""
    try:
        from services.inbox.sla.service import sla_sweeper_for  # written in parallel: imported when it exists
    except ImportError:
        result.notes.append("`SlaSweeper` did not exist yet (services/inbox/sla/service.py): its columns are empty.")
        return
    settings = HubSettings(
        nats_url=servers.nats_url,
        mongo_url=servers.mongo_url,
        mongo_database=DATABASE,
        mongo_timeout_ms=3_600_000,
    )
    runtime = Runtime.build("inbox", settings, sla_indexes())
    await runtime.start()
    slow = ""
    # The sweeper remembers how far it swept (`swept_to`) and reads forward from there: its due requests
    # come in minutes after the seed's `now` (the seeded checks are a day or more ahead), two apart.
    minute = windows.start + timedelta(minutes=2)
    try:
        sweeper = replace(sla_sweeper_for(runtime, InboxSettings()), batch=SWEEP_LIMIT)
        await sweeper.sweep(minute - timedelta(minutes=1))  # untimed: a first sweep catches up on a day
        for k in DUE_COUNTS:
            if slow:
                result.sweep[k] = Timing(skipped=slow)
                continue

            async def due(k: int = k) -> datetime:
                nonlocal minute
                minute += timedelta(minutes=2)
                return await add_due(runtime.db, k, minute, "hotel-000")

            timing = result.sweep[k] = await repeat(runs, due, sweeper.sweep)
            print(f"  SlaSweeper.sweep, {k} due: {timing.cell(0)} ms, acted on {timing.found}", flush=True)
            if timing.samples[0] > SLOW_SECONDS * 1000:
                slow = f"not timed (K = {k:,} took {timing.samples[0] / 1000:,.0f} s)"
    finally:
        await runtime.stop()


def explain_text(result: SweepResult) -> str:
    plans = {"range query (contract §9)": result.explain_range, "per-minute query": result.explain_minute}
    return json.dumps(plans, indent=2, default=str)


async def run(total: int, locations: int, runs: int, backend: str) -> SweepResult:
    root = Path(tempfile.mkdtemp(prefix="bench-sla-"))
    with running_servers(root, backend) as servers:
        return await measure(servers, total, locations, runs)


def stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a `timeout`, a `kill`) ends the run like Ctrl-C: the servers it started are stopped."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=BACKENDS, default="postgresql", help=BACKEND_HELP)
    args = parser.parse_args()
    result = asyncio.run(run(args.conversations, args.locations, args.runs, args.backend))
    print()
    print(result.table().markdown())
    print("FerretDB explain:")
    print(explain_text(result))


if __name__ == "__main__":
    main()
