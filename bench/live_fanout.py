"""Benchmark: many agents' live streams (SSE) on one inbox process while the chain's events flow.

    .venv/bin/python -m bench.live_fanout [--streams 2000] [--hotels 500] [--rate 100] [--seconds 30]

Starts its own NATS, FerretDB on PostgreSQL and one inbox (bench/stack.py), stores `hotels` hotels and
`streams` agents of one hotel each (stream i belongs to hotel i mod `hotels`) straight into the
directory's collections, and opens one live stream (`GET /api/v1/events`) per agent from this process
with httpx. It then publishes `rate` events a second for `seconds` seconds, round robin over the hotels,
as the hub's producers do (a `NoteAdded` as JSON on `hub.events.conversation.note_added.<hotel>`), but on
core NATS without waiting for JetStream's acknowledgement, so the publisher keeps its pace.

It measures whether each event reached every stream of its hotel (or, when it did not, whether that
stream was sent a `resync` event afterwards, telling the console to refetch), the delivery latency, the
inbox's CPU (its /proc utime + stime, as a share of one core) with the streams open and idle, then during
the run, its resident memory, the resyncs it counted (`/metrics`, when the live service exports a
resync counter), and the CPU this load generator took itself: on a 2-core machine it competes with
the inbox. Target (issue 19): every event delivered or resynced, inbox CPU < 50% of a core at 2,000
streams, 500 hotels and 100 events/s.

Streams go to the inbox directly, not through the nginx gateway: deploy/nginx's `worker_connections
1024` would hold about 500 proxied streams (two connections each).
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from pymongo import AsyncMongoClient

from bench.processes import cpu_seconds, own_cpu_seconds, rss_megabytes
from bench.stack import SECRET, bench_stack, percentile
from services.inbox.directory.schemas import LocationIn
from services.inbox.directory.service import new_agent
from shared.auth import Actor, issue_token
from shared.bus import NoteAdded
from shared.messaging import MSG_ID_HEADER
from tests.support.servers import Process

EVENT_NAME = NoteAdded.type_name()
RESYNC = "resync"  # the live stream's "you missed events: refetch" (issue 19)
SESSION_ENDED = "session.ended"
OPENING_AT_ONCE = 50  # streams being opened concurrently: each one costs the inbox a token check and subscribing
OPEN_TIMEOUT_SECONDS = 60.0
IDLE_SECONDS = 5.0  # streams open, nothing published: what holding them costs
HEALTH_PROBE_SECONDS = 0.25
LAG_PROBE_SECONDS = 0.05  # how often the load generator checks that its own event loop keeps up
DRAIN_SECONDS = 15.0  # after the last publish, how long late events may still arrive
QUIET_SECONDS = 3.0  # ... unless nothing arrived for this long
CPU_TARGET = 50.0  # % of one core
RESYNC_SAMPLE = re.compile(r"^(\w*resync\w*_total)(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.MULTILINE)
# A counter with labels has no sample before its first increment, only its declaration.
RESYNC_DECLARED = re.compile(r"^# TYPE (\w*resync\w*) counter$", re.MULTILINE)


# --- pure helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: str


def split_frames(buffer: str) -> tuple[list[SseEvent], str]:
    """The complete server-sent events in `buffer`, and what remains of an incomplete one. Comments
    (keep-alives) and frames without data (`retry:`) are no events; a frame without a name is `message`."""
    *complete, rest = buffer.replace("\r\n", "\n").split("\n\n")
    events = []
    for frame in complete:
        name, data = "message", []
        for line in frame.split("\n"):
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data:
            events.append(SseEvent(name, "\n".join(data)))
    return events, rest


def milliseconds(samples: list[float], fraction: float) -> str:
    return f"{percentile(samples, fraction):.1f} ms" if samples else "—"


def open_files_limit(limits: str) -> str:
    """The soft 'Max open files' in the text of /proc/<pid>/limits."""
    for line in limits.splitlines():
        if line.startswith("Max open files"):
            return line.split()[3]
    return "?"


def resync_metric(exposition: str) -> tuple[str, float] | None:
    """The live service's resync counter in a Prometheus exposition (summed over its labels), or None
    when the service has none."""
    samples = RESYNC_SAMPLE.findall(exposition)
    if not samples:
        declared = RESYNC_DECLARED.search(exposition)
        return (declared[1].removesuffix("_total") + "_total", 0.0) if declared else None
    return samples[0][0], sum(float(value) for name, value in samples if name == samples[0][0])


@dataclass
class StreamRecord:
    """What one live stream saw: when each event arrived (by conversation id) and when it was told to resync."""

    hotel: str
    opened: bool = False
    received: dict[str, float] = field(default_factory=dict)
    resyncs: list[float] = field(default_factory=list)
    ended: str | None = None  # why the stream stopped before the benchmark closed it


@dataclass(frozen=True)
class Delivery:
    owed: int  # (event, open stream of its hotel) pairs
    delivered: int
    resynced: int  # not delivered, but the stream was told to refetch after the event was sent
    lost: int
    latencies_ms: list[float]


def score(sent: Mapping[str, tuple[str, float]], streams: Sequence[StreamRecord]) -> Delivery:
    """Each event (conversation id -> hotel, sent at) against every opened stream of its hotel."""
    by_hotel: dict[str, list[StreamRecord]] = {}
    for stream in streams:
        if stream.opened:
            by_hotel.setdefault(stream.hotel, []).append(stream)
    owed = delivered = resynced = 0
    latencies = []
    for key, (hotel, sent_at) in sent.items():
        for stream in by_hotel.get(hotel, []):
            owed += 1
            arrived = stream.received.get(key)
            if arrived is not None:
                delivered += 1
                latencies.append((arrived - sent_at) * 1000)
            elif any(at >= sent_at for at in stream.resyncs):
                resynced += 1
    return Delivery(owed, delivered, resynced, owed - delivered - resynced, latencies)


@dataclass(frozen=True)
class Figures:
    streams: int
    hotels: int
    rate: float
    seconds: float
    opened: int
    open_seconds: float
    published: int
    publish_seconds: float  # longer than `seconds` when the publisher could not keep its pace
    delivery: Delivery
    ended_early: dict[str, int]
    inbox_cpu_idle: float  # % of one core
    inbox_cpu_run: float
    load_cpu_run: float
    load_lag_ms: list[float]  # how late the load generator's event loop woke up: its share of the latency
    health_ms: list[float]  # the inbox's /healthz round trips during the run: how its other requests fare
    rss_before_mb: float
    rss_open_mb: float
    rss_after_mb: float
    resync_events: int
    resync_counter: tuple[str, float] | None
    open_files: str


def share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.2f}%)" if whole else str(part)


def met(figures: Figures) -> bool:
    d = figures.delivery
    return figures.opened == figures.streams and d.lost == 0 and d.owed > 0 and figures.inbox_cpu_run < CPU_TARGET


def table(figures: Figures) -> str:
    """The figures as a markdown table, with the target of issue 19 beside them."""
    f, d = figures, figures.delivery
    per_hotel = f.streams / f.hotels
    counter = f"{f.resync_counter[1]:.0f} (`{f.resync_counter[0]}`)" if f.resync_counter else "no resync metric"
    ended = ", ".join(f"{n} × {why}" for why, n in sorted(f.ended_early.items())) or "none"
    rows = [
        (
            "live streams on one inbox process",
            f"{f.opened} of {f.streams} open ({per_hotel:g} per hotel, {f.hotels} hotels), in {f.open_seconds:.1f} s",
            f"{f.streams}",
        ),
        (
            "events published (core NATS)",
            f"{f.published} in {f.publish_seconds:.1f} s ({f.rate:g}/s for {f.seconds:g} s asked)",
            "",
        ),
        ("deliveries owed (event × open stream of its hotel)", str(d.owed), ""),
        ("delivered", share(d.delivered, d.owed), "every one, or a resync"),
        ("not delivered, resync sent after it", share(d.resynced, d.owed), ""),
        ("lost (neither)", share(d.lost, d.owed), "0"),
        (
            "delivery latency p50 / p99",
            f"{milliseconds(d.latencies_ms, 0.5)} / {milliseconds(d.latencies_ms, 0.99)}",
            "",
        ),
        ("`resync` events received / inbox counter", f"{f.resync_events} / {counter}", ""),
        (
            "inbox `/healthz` round trip p50 / p99 during the run",
            f"{milliseconds(f.health_ms, 0.5)} / {milliseconds(f.health_ms, 0.99)}",
            "",
        ),
        ("inbox CPU, streams open, no events", f"{f.inbox_cpu_idle:.1f}% of a core", ""),
        ("inbox CPU during the run", f"{f.inbox_cpu_run:.1f}% of a core", f"< {CPU_TARGET:g}% of a core"),
        (
            "inbox RSS: before the streams / streams open / after the run",
            f"{f.rss_before_mb:.0f} / {f.rss_open_mb:.0f} / {f.rss_after_mb:.0f} MB",
            "",
        ),
        ("load generator CPU (SSE clients + publisher, one process)", f"{f.load_cpu_run:.1f}% of a core", ""),
        (
            "load generator event-loop lag p50 / p99 (its share of the latency)",
            f"{milliseconds(f.load_lag_ms, 0.5)} / {milliseconds(f.load_lag_ms, 0.99)}",
            "",
        ),
        ("streams ended early", ended, "none"),
        ("open files limit (this process and the inbox)", f.open_files, ""),
    ]
    lines = ["| what | measured | target |", "|---|---|---|"]
    lines += [f"| {what} | {measured} | {target} |" for what, measured, target in rows]
    lines.append(f"| **target met** | **{'yes' if met(figures) else 'no'}** | |")
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------------------------


def open_files_of(process: Process) -> str:
    if process.popen is None:
        return "?"
    return open_files_limit(Path(f"/proc/{process.popen.pid}/limits").read_text())


def raise_open_files_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard one, before the stack starts: the inbox inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def hotel_ids(hotels: int) -> list[str]:
    return [f"hotel-{n:03d}" for n in range(hotels)]


async def store_directory(mongo_url: str, hotels: list[str], streams: int) -> list[dict[str, Any]]:
    """The hotels and their agents as the directory stores them (one password hash for all: hashing
    thousands would take minutes); stream i's agent works at hotel i mod len(hotels)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    db = client["hub"]
    locations = [LocationIn(id=hotel, name=f"Bench {hotel}").model_dump(exclude={"id"}) for hotel in hotels]
    await db["locations"].insert_many(
        [{"_id": hotel, **fields} for hotel, fields in zip(hotels, locations, strict=True)]
    )
    template = new_agent(
        {"name": "Bench Agent", "email": "agent@bench.example", "role": "agent", "password": "bench-password-1"}
    )
    agents = [
        {
            **template,
            "_id": uuid.uuid4().hex[:12],
            "name": f"Agent {n}",
            "email": f"agent{n}@bench.example",
            "initials": "BA",
            "location_ids": [hotels[n % len(hotels)]],
            "group_ids": [],
            "notify_on_assignment": False,
            "language": "en",
        }
        for n in range(streams)
    ]
    for start in range(0, len(agents), 500):
        await db["agents"].insert_many(agents[start : start + 500])
    await client.close()
    return agents


def token_of(agent: Mapping[str, Any]) -> str:
    """A signed-in session's token for the agent (what `POST /api/v1/login` would answer)."""
    actor = Actor(
        agent_id=agent["_id"],
        name=agent["name"],
        initials=agent["initials"],
        email=agent["email"],
        role="agent",
        location_ids=list(agent["location_ids"]),
        token_id="ses_" + uuid.uuid4().hex,
    )
    return issue_token(actor, SECRET)


@dataclass
class Live:
    """The streams this process holds open, and the count of events they received (to stop draining early)."""

    records: list[StreamRecord]
    ready: list[asyncio.Event]
    arrivals: int = 0
    resyncs: int = 0
    last_arrival: float = 0.0


async def follow(client: httpx.AsyncClient, url: str, token: str, live: Live, index: int) -> None:
    """Read one stream until cancelled, noting each event's arrival."""
    record, ready = live.records[index], live.ready[index]
    try:
        async with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status_code != 200:
                record.ended = f"HTTP {response.status_code}"
                return
            buffer = ""
            async for chunk in response.aiter_text():
                now = time.perf_counter()
                # The first bytes (`retry:`) come once the stream's subscriptions are in place.
                record.opened = True
                ready.set()
                events, buffer = split_frames(buffer + chunk)
                for event in events:
                    if event.name == EVENT_NAME:
                        record.received[json.loads(event.data)["conversation_id"]] = now
                        live.arrivals += 1
                        live.last_arrival = now
                    elif event.name == RESYNC:
                        record.resyncs.append(now)
                        live.resyncs += 1
                        live.last_arrival = now
                    elif event.name == SESSION_ENDED:
                        record.ended = SESSION_ENDED
            record.ended = record.ended or "closed by the inbox"
    except httpx.HTTPError as exc:
        record.ended = type(exc).__name__
    finally:
        ready.set()


async def open_streams(
    client: httpx.AsyncClient, url: str, agents: list[dict[str, Any]], live: Live
) -> list[asyncio.Task[None]]:
    """Open every stream, `OPENING_AT_ONCE` at a time, each counted open once its first bytes arrived."""
    tasks: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def open_one(index: int) -> None:
        async with gate:
            tasks.append(asyncio.create_task(follow(client, url, token_of(agents[index]), live, index)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.ready[index].wait(), OPEN_TIMEOUT_SECONDS)

    await asyncio.gather(*(open_one(index) for index in range(len(agents))))
    return tasks


async def publish(nats_url: str, hotels: list[str], rate: float, seconds: float) -> dict[str, tuple[str, float]]:
    """`rate` events a second for `seconds`, round robin over the hotels; conversation id -> (hotel, sent at)."""
    connection = await nats.connect(nats_url)
    sent: dict[str, tuple[str, float]] = {}
    started = time.perf_counter()
    for n in range(round(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        hotel = hotels[n % len(hotels)]
        event = NoteAdded(
            location_id=hotel, conversation_id=f"bench-{n:08d}", actor_id="bench", entry_id=f"e{n}", version=n
        )
        headers = {MSG_ID_HEADER: event.dedup_key(), "content-type": "application/json"}
        sent[event.conversation_id] = (hotel, time.perf_counter())
        await connection.publish(event.bus_subject, event.model_dump_json().encode(), headers=headers)
    await connection.flush()
    await connection.drain()
    return sent


async def watch_lag(lags: list[float]) -> None:
    """Note how late each short sleep of this process's event loop ends, until cancelled."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        lags.append((time.perf_counter() - started - LAG_PROBE_SECONDS) * 1000)


async def watch_health(client: httpx.AsyncClient, url: str, round_trips: list[float]) -> None:
    """Time a `/healthz` request every `HEALTH_PROBE_SECONDS` until cancelled: the inbox's event loop
    serves the streams and every other request, so a busy loop shows here first."""
    while True:
        started = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            (await client.get(url)).raise_for_status()
            round_trips.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(HEALTH_PROBE_SECONDS)


async def drain(live: Live, owed: int) -> None:
    """Wait for late events: until every one owed arrived, nothing arrived for a while, or the drain ends."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_SECONDS and live.arrivals < owed:
        if time.perf_counter() - max(live.last_arrival, started) > QUIET_SECONDS:
            return
        await asyncio.sleep(0.2)


async def run(streams: int = 2000, hotels: int = 500, events_per_second: float = 100, seconds: float = 30) -> str:
    """Measure the live streams' fan-out (see the module's docstring); returns the figures as a markdown table."""
    raise_open_files_limit()
    load_average = os.getloadavg()[0]  # others' work on a shared machine slows the inbox down too
    names = hotel_ids(hotels)
    with bench_stack("inbox", "postgresql") as stack:
        inbox = stack.services["inbox"]
        agents = await store_directory(stack.mongo_url, names, streams)
        live = Live(
            records=[StreamRecord(hotel=agent["location_ids"][0]) for agent in agents],
            ready=[asyncio.Event() for _ in agents],
        )
        rss_before = rss_megabytes(inbox)
        limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, read=None)) as client:
            started = time.perf_counter()
            tasks = await open_streams(client, f"{stack.service_url}/api/v1/events", agents, live)
            open_seconds = time.perf_counter() - started
            opened = sum(record.opened for record in live.records)
            print(f"{opened} of {streams} streams open in {open_seconds:.1f}s", flush=True)

            cpu, at = cpu_seconds(inbox), time.perf_counter()
            await asyncio.sleep(IDLE_SECONDS)
            idle = 100 * (cpu_seconds(inbox) - cpu) / (time.perf_counter() - at)
            rss_open = rss_megabytes(inbox)

            cpu, load, at = cpu_seconds(inbox), own_cpu_seconds(), time.perf_counter()
            lags: list[float] = []
            health: list[float] = []
            watching = [
                asyncio.create_task(watch_lag(lags)),
                asyncio.create_task(watch_health(client, f"{stack.service_url}/healthz", health)),
            ]
            sent = await publish(stack.servers.nats_url, names, events_per_second, seconds)
            for task in watching:
                task.cancel()
            wall = time.perf_counter() - at
            busy, load_busy = cpu_seconds(inbox) - cpu, own_cpu_seconds() - load
            streams_of = Counter(record.hotel for record in live.records if record.opened)
            await drain(live, sum(streams_of[hotel] for hotel, _ in sent.values()))

            rss_after = rss_megabytes(inbox)
            metrics = (await client.get(f"{stack.service_url}/metrics")).text
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        figures = Figures(
            streams=streams,
            hotels=hotels,
            rate=events_per_second,
            seconds=seconds,
            opened=opened,
            open_seconds=open_seconds,
            published=len(sent),
            publish_seconds=wall,
            delivery=score(sent, live.records),
            ended_early=dict(Counter(record.ended for record in live.records if record.ended)),
            inbox_cpu_idle=idle,
            inbox_cpu_run=100 * busy / wall,
            load_cpu_run=100 * load_busy / wall,
            load_lag_ms=lags,
            health_ms=health,
            rss_before_mb=rss_before,
            rss_open_mb=rss_open,
            rss_after_mb=rss_after,
            resync_events=live.resyncs,
            resync_counter=resync_metric(metrics),
            open_files=open_files_of(inbox),
        )
    heading = (
        f"Live stream fan-out: {streams} streams, {hotels} hotels, {events_per_second:g} events/s for {seconds:g} s "
        f"(one inbox process, FerretDB on PostgreSQL, {os.cpu_count()} cores shared with the load generator; "
        f"load average {load_average:.1f} before the run)"
    )
    return f"{heading}\n\n{table(figures)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--hotels", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100, help="events published per second, across the hotels")
    parser.add_argument("--seconds", type=float, default=30, help="how long the events are published")
    args = parser.parse_args()
    print(asyncio.run(run(args.streams, args.hotels, args.rate, args.seconds)))


if __name__ == "__main__":
    main()
