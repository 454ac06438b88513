"""The pipeline at fixed offered loads: signed review webhooks, each from a new guest, into ingest, stored
by the inbox (with the contact resolved by contacts), all on the raw limits' servers.

An open-loop scheduler sends request i at `start + i / rate` whatever the earlier ones became (a closed
loop would slow down with the hub and hide its queue). Each 202 gives the message's key; the inbox's
`conversation.message_received` event carries it, read on a core NATS subscription to `hub.events.>`, so
accepted → visible is the time from the 202 to that event. Stored per second counts the
`conversation.created` events within the step; the backlog is what was accepted and not yet stored.
Over each step the run also reads FerretDB's command counters (its debug page), PostgreSQL's row writes
(pg_stat_database), the streams' sequence numbers and every process's CPU time (/proc), each divided by
the messages stored in the step, and the inbox's own histogram of the pipeline latency (/metrics).
"""

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
from nats.aio.msg import Msg
from prometheus_client.parser import text_string_to_metric_families

from bench.processes import cpu_snapshot
from bench.report import Latencies, Table, mark, ms
from bench.stack import SECRET, WEBHOOK_SECRET, HubStack
from shared import signatures
from shared.auth import Actor, issue_token
from shared.bus import INBOUND

HOTELS = 20
# Commands a driver sends to watch the server, not to read or write data.
HANDSHAKES = {"ismaster", "isMaster", "hello", "ping", "endSessions", "buildInfo", "getParameter", "saslStart"}
PIPELINE_HISTOGRAM = "hub_pipeline_latency_seconds"
# Requests the load generator has in flight at most. Beyond, it waits to send (the rate it really offers is
# then what ingest answers): thousands of requests queued in httpx's pool cost it time quadratic in their
# number, and a full run once spent its 100/s step with the generator at 100% CPU sending nothing.
IN_FLIGHT = 256


@dataclass(frozen=True)
class Step:
    rate: float
    seconds: float


def parse_steps(text: str) -> list[Step]:
    """`15:20,50:20,100:60` → offered rate (messages/s) : duration (s) per step."""
    steps = []
    for part in text.split(","):
        rate, _, seconds = part.partition(":")
        steps.append(Step(float(rate), float(seconds or 20)))
    return steps


@dataclass
class Counters:
    """What the stack had done at one instant (each step reads it at its start and its end)."""

    at: float
    cpu: dict[str, float]
    ferretdb: Counter[str]
    postgres_rows: int
    stream_messages: dict[str, int]
    histogram: dict[float, float]


@dataclass
class Cost:
    """What the stack did over a stretch of time, and the messages it stored meanwhile."""

    stored: int
    seconds: float
    cpu: dict[str, float]
    ferretdb: Counter[str]
    postgres_rows: int
    stream_messages: dict[str, int]

    @classmethod
    def between(cls, before: Counters, after: Counters, stored: int) -> "Cost":
        return cls(
            stored=stored,
            seconds=after.at - before.at,
            cpu={name: after.cpu[name] - before.cpu.get(name, 0) for name in after.cpu},
            ferretdb=after.ferretdb - before.ferretdb,
            postgres_rows=after.postgres_rows - before.postgres_rows,
            stream_messages={name: n - before.stream_messages[name] for name, n in after.stream_messages.items()},
        )

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(
            stored=self.stored + other.stored,
            seconds=self.seconds + other.seconds,
            cpu={name: self.cpu.get(name, 0) + other.cpu.get(name, 0) for name in self.cpu | other.cpu},
            ferretdb=self.ferretdb + other.ferretdb,
            postgres_rows=self.postgres_rows + other.postgres_rows,
            stream_messages={
                name: self.stream_messages.get(name, 0) + other.stream_messages.get(name, 0)
                for name in self.stream_messages | other.stream_messages
            },
        )


@dataclass
class StepResult:
    step: Step
    offered: int
    offered_seconds: float
    accepted: int
    refused: Counter[str]
    answered: Latencies  # how long ingest took to answer 202
    stored: int
    seconds: float
    backlog_start: int
    backlog_end: int
    drained_seconds: float | None
    latencies: Latencies
    seen: int
    histogram: tuple[float, float, float]
    # from the step's start until its backlog drained (or the drain limit), so that the work the step's
    # messages caused is all in it
    cost: Cost

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds

    @property
    def stored_per_second(self) -> float:
        return self.stored / self.seconds


@dataclass
class Observer:
    """The events the inbox publishes for the bench's hotels, as they arrive."""

    accepted_at: dict[str, float] = field(default_factory=dict)
    visible_at: dict[str, float] = field(default_factory=dict)
    answered_in: dict[str, float] = field(default_factory=dict)
    created: int = 0

    async def on_event(self, msg: Msg) -> None:
        now = time.perf_counter()
        event, hotel = msg.subject.split(".")[3:5]  # hub.events.conversation.<event>.<hotel>
        if event == "created" and hotel.startswith("bench-pipe-"):
            self.created += 1
        elif event == "message_received":
            # kept whether or not its 202 was read yet (this process may read the event first)
            self.visible_at.setdefault(json.loads(msg.data).get("message_key"), now)

    @property
    def accepted(self) -> int:
        return len(self.accepted_at)

    def visible_after(self, keys: list[str]) -> list[float]:
        """Milliseconds from each message's 202 to its event, for those whose event came."""
        return [1000 * max(0.0, self.visible_at[key] - self.accepted_at[key]) for key in keys if key in self.visible_at]

    @property
    def backlog(self) -> int:
        return self.accepted - self.created


def hotel_ids() -> list[str]:
    return [f"bench-pipe-{n:03d}" for n in range(HOTELS)]


async def create_hotels(inbox_url: str) -> None:
    """Ingest accepts messages only for the directory's hotels (issue 18)."""
    admin = Actor(
        agent_id="bench-admin", name="Bench Admin", initials="BA", email="admin@bench", role="admin", location_ids=[]
    )
    headers = {"Authorization": f"Bearer {issue_token(admin, SECRET)}"}
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        for hotel in hotel_ids():
            answer = await client.post(f"{inbox_url}/api/v1/locations", json={"id": hotel, "name": hotel})
            if answer.status_code != 201:
                raise RuntimeError(f"hotel {hotel} not created: {answer.status_code} {answer.text}")


def signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, body),
    }
    return body, headers


def review(n: int, run: str) -> dict[str, Any]:
    """A new guest's review (its own review id and address, so each opens a new conversation)."""
    return {
        "platform": "bench",
        "review_id": f"{run}-{n}",
        "location": f"bench-pipe-{n % HOTELS:03d}",
        "author": f"Guest {run} {n}",
        "author_email": f"guest-{run}-{n}@example.com",
        "rating": 2,
        "scale": 5,
        "title": "Noisy room",
        "text": "Construction work from 7am, and nobody at the desk could tell us when it would stop.",
    }


async def offer(client: httpx.AsyncClient, url: str, step: Step, observer: Observer) -> tuple[int, float, Counter[str]]:
    """Send `rate` reviews a second for `seconds`, open loop; returns what was offered, over how long,
    and the refusals by status."""
    run = uuid.uuid4().hex[:8]
    refused: Counter[str] = Counter()
    total = round(step.rate * step.seconds)

    gate = asyncio.Semaphore(IN_FLIGHT)

    async def send(n: int) -> None:
        body, headers = signed(review(n, run))
        async with gate:
            sent = time.perf_counter()
            try:
                answer = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                refused[type(exc).__name__] += 1
                return
        if answer.status_code == 202:
            key = answer.json()["key"]
            observer.accepted_at[key] = now = time.perf_counter()
            observer.answered_in[key] = now - sent
        else:
            refused[str(answer.status_code)] += 1

    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    for n in range(total):
        delay = started + n / step.rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    offered_seconds = loop.time() - started
    await asyncio.gather(*tasks)
    return total, offered_seconds, refused


async def counters(stack: HubStack, client: httpx.AsyncClient, js: Any) -> Counters:
    ferret: Counter[str] = Counter()
    for family in text_string_to_metric_families((await client.get(stack.servers.ferretdb_metrics_url)).text):
        for sample in family.samples:
            if sample.name == "ferretdb_client_requests_total" and sample.labels["command"] not in HANDSHAKES:
                ferret[sample.labels["command"]] += int(sample.value)
    rows = 0
    if stack.servers.postgres is not None:
        sql = "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = 'postgres'"
        rows = int(await asyncio.to_thread(stack.servers.psql, sql) or 0)
    streams = {name: (await js.stream_info(name)).state.messages for name in ("INBOUND", "EVENTS")}
    histogram: dict[float, float] = {}
    for family in text_string_to_metric_families((await client.get(f"{stack.url('inbox')}/metrics")).text):
        for sample in family.samples:
            if sample.name == f"{PIPELINE_HISTOGRAM}_bucket" and sample.labels.get("channel") == "review":
                histogram[float(sample.labels["le"])] = sample.value
    return Counters(time.perf_counter(), cpu_snapshot(stack.processes()), ferret, rows, streams, histogram)


def histogram_quantile(buckets: dict[float, float], fraction: float) -> float:
    """Prometheus's estimate from cumulative buckets (linear within a bucket), in milliseconds."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return float("nan")
    rank = fraction * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if bound == float("inf"):
                return lower * 1000
            share = (rank - below) / (buckets[bound] - below) if buckets[bound] > below else 1.0
            return (lower + (bound - lower) * share) * 1000
        lower, below = bound, buckets[bound]
    return lower * 1000


async def wait_for_drain(observer: Observer, limit: float) -> float | None:
    """Wait until everything accepted is stored, at most `limit` seconds; returns how long it took."""
    started = time.perf_counter()
    while observer.backlog > 0:
        if time.perf_counter() - started > limit:
            return None
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


@dataclass
class PipelineResult:
    steps: list[StepResult]
    hotels: int
    # Accepted, still not stored after the last step's drain limit, and purged from INBOUND so that the
    # agent API's load and queries that follow do not compete with them.
    discarded: int

    @property
    def saturation(self) -> StepResult:
        """The step that stored the most per second."""
        return max(self.steps, key=lambda result: result.stored_per_second)

    def step_at(self, rate: float) -> StepResult | None:
        return next((result for result in self.steps if result.step.rate == rate), None)

    def table(self) -> Table:
        table = Table(
            f"Pipeline: signed review webhooks, each a new guest, to ingest + inbox + contacts ({self.hotels} hotels)",
            [
                "offered/s (s)",
                "accepted/s",
                "202 in p50 / p99 ms",
                "refused",
                "stored/s",
                "backlog start → end",
                "drained after",
                "202 → visible p50 / p95 / p99 ms (seen)",
                "inbox histogram p50 / p95 / p99 ms",
            ],
        )
        for r in self.steps:
            refused = ", ".join(f"{count} × {why}" for why, count in sorted(r.refused.items())) or "0"
            drained = "—" if r.drained_seconds is None else f"{r.drained_seconds:.0f} s"
            latency = " / ".join(ms(r.latencies.p(q)) for q in (0.5, 0.95, 0.99))
            table.rows.append(
                [
                    f"{r.offered / r.offered_seconds:.0f} ({r.step.seconds:.0f})",
                    f"{r.accepted_per_second:.1f}",
                    f"{ms(r.answered.p(0.5))} / {ms(r.answered.p(0.99))}",
                    refused,
                    f"{r.stored_per_second:.1f}",
                    f"{r.backlog_start} → {r.backlog_end}",
                    drained,
                    f"{latency} ({r.seen}/{r.accepted})",
                    " / ".join(ms(value) for value in r.histogram),
                ]
            )
        table.notes = [
            "Stored/s: conversations created during the step ÷ its duration. Backlog: accepted, not yet stored. "
            "Between steps the run waits for the backlog to drain (up to a limit: a step that starts with a "
            "backlog measures throughput, not an idle pipeline's latency). 202 → visible: from the webhook's 202 to "
            "the inbox's `conversation.message_received` event, for the step's messages seen before the next "
            "step; the inbox histogram (`hub_pipeline_latency_seconds`, from ingest's acceptance to storage) "
            "is interpolated within its buckets. Stored/s lags accepted/s by the latency: a step lasting a few "
            "latencies understates it."
        ]
        if self.discarded:
            table.notes.append(
                f"{self.discarded} messages still waiting after the last step were purged from INBOUND "
                "(so that they do not compete with what the run measures next)."
            )
        return table

    def cost_table(self) -> Table:
        """What one stored message cost, over the steps whose backlog drained (all of a message's work is
        then in them), or over every step when none did."""
        drained = [result for result in self.steps if result.drained_seconds is not None]
        counted = drained or self.steps
        c = counted[0].cost
        for result in counted[1:]:
            c = c + result.cost
        stored = max(c.stored, 1)
        which = ", ".join(f"{result.step.rate:g}/s" for result in counted)
        table = Table(
            f"What one stored message costs (steps {which} until drained: {c.stored} stored in {c.seconds:.0f} s)",
            ["what", "per stored message"],
        )
        commands = sum(c.ferretdb.values())
        common = [(name, count / stored) for name, count in c.ferretdb.most_common(6) if count / stored >= 0.05]
        detail = ", ".join(f"{per:.1f} {name}" for name, per in common)
        table.rows.append(["FerretDB commands", f"{commands / stored:.1f} ({detail})"])
        if c.postgres_rows:
            table.rows.append(
                ["PostgreSQL row writes (inserted + updated + deleted)", f"{c.postgres_rows / stored:.1f}"]
            )
        for name, count in c.stream_messages.items():
            table.rows.append([f"JetStream messages stored in {name}", f"{count / stored:.2f}"])
        total = sum(seconds for name, seconds in c.cpu.items() if name != "load generator")
        table.rows.append(["CPU, every server and service", f"{1000 * total / stored:.1f} ms"])
        for name, seconds in sorted(c.cpu.items(), key=lambda item: -item[1]):
            share = (
                f"{100 * seconds / total:.0f}% of the stack" if name != "load generator" and total else "not counted"
            )
            table.rows.append([f"CPU, {name}", f"{1000 * seconds / stored:.1f} ms ({share})"])
        busiest = self.saturation
        cores = sum(busiest.cost.cpu.values()) / busiest.cost.seconds
        table.notes = [
            "Counted from each step's start until its backlog drained, so that the work its messages caused is "
            "all in it (with the services' background jobs meanwhile). FerretDB's commands from its debug page "
            f"(handshakes left out). Over the {busiest.step.rate:g}/s step, all the processes together kept "
            f"{cores:.2f} cores busy (load generator included)."
        ]
        if not drained:
            table.notes.append(
                "No step drained within the limit: these include work for messages accepted and not stored yet."
            )
        return table


async def measure(stack: HubStack, steps: list[Step], drain_seconds: float) -> PipelineResult:
    await create_hotels(stack.url("inbox"))
    observer = Observer()
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    subscription = await nc.subscribe("hub.events.conversation.>", cb=observer.on_event, pending_msgs_limit=1_000_000)
    url = f"{stack.url('ingest')}/ingest/reviews"
    results: list[StepResult] = []
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with (
        httpx.AsyncClient(timeout=60, limits=limits) as client,
        httpx.AsyncClient(timeout=30) as probe,
    ):
        # one review first, so the hotels' look-ups and the connections are warm
        await offer(client, url, Step(rate=5, seconds=1), observer)
        await wait_for_drain(observer, 30)
        for step in steps:
            print(f"  offering {step.rate:g}/s for {step.seconds:g} s", flush=True)
            keys_before = set(observer.accepted_at)
            backlog_start, created_before = observer.backlog, observer.created
            before = await counters(stack, probe, js)
            offered, offered_seconds, refused = await offer(client, url, step, observer)
            after = await counters(stack, probe, js)
            stored, backlog_end = observer.created - created_before, observer.backlog
            drained = await wait_for_drain(observer, drain_seconds)
            settled = await counters(stack, probe, js)
            own = [key for key in observer.accepted_at if key not in keys_before]
            latencies = observer.visible_after(own)
            histogram = {le: settled.histogram.get(le, 0) - before.histogram.get(le, 0) for le in settled.histogram}
            results.append(
                StepResult(
                    step=step,
                    offered=offered,
                    offered_seconds=offered_seconds,
                    accepted=len(own),
                    refused=refused,
                    answered=Latencies(tuple(1000 * observer.answered_in[key] for key in own)),
                    stored=stored,
                    seconds=after.at - before.at,
                    backlog_start=backlog_start,
                    backlog_end=backlog_end,
                    drained_seconds=drained,
                    latencies=Latencies(tuple(latencies)),
                    seen=len(latencies),
                    histogram=(
                        histogram_quantile(histogram, 0.5),
                        histogram_quantile(histogram, 0.95),
                        histogram_quantile(histogram, 0.99),
                    ),
                    cost=Cost.between(before, settled, observer.created - created_before),
                )
            )
            r = results[-1]
            print(
                f"    accepted {r.accepted_per_second:.1f}/s, stored {r.stored_per_second:.1f}/s, "
                f"backlog {r.backlog_end}, p99 {ms(r.latencies.p(0.99))} ms",
                flush=True,
            )
    discarded = observer.backlog
    if discarded:
        await js.purge_stream(INBOUND.name, subject="hub.inbound.guest.review.>")
    await subscription.unsubscribe()
    await nc.drain()
    return PipelineResult(results, HOTELS, discarded)


def targets(result: PipelineResult, slower: tuple[str, float]) -> list[list[str]]:
    """The issue's pipeline targets, each with the figure measured beside it."""
    best = result.saturation
    ratio = best.stored_per_second / slower[1] if slower[1] else float("nan")
    sustained = [r for r in result.steps if r.step.rate >= 100 and r.step.seconds >= 60]
    sustained_ok = any(r.stored_per_second >= 100 and r.backlog_end < r.step.rate for r in sustained)
    at_50 = result.step_at(50)
    rows = [
        [
            "stored/s ≥ 50% of the slower raw limit",
            f"{best.stored_per_second:.1f}/s ÷ {slower[1]:,.0f}/s = {ratio:.3f}",
            mark(ratio >= 0.5),
        ],
        [
            "≥ 100 stored/s sustained for 60 s",
            ", ".join(f"{r.stored_per_second:.1f}/s over {r.seconds:.0f} s" for r in sustained) or "no 60 s step run",
            mark(sustained_ok if sustained else None),
        ],
    ]
    if at_50 is not None:
        p99 = at_50.latencies.p(0.99)
        complete = at_50.seen == at_50.accepted
        rows.append(
            [
                "202 → visible p99 < 1 s at 50/s offered",
                f"{ms(p99)} ms ({at_50.seen} of {at_50.accepted} seen)",
                mark(complete and p99 < 1000),
            ]
        )
    return rows
