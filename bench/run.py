"""`make bench`: the product measured beside the raw limits of the bus and the database, in one run.

    .venv/bin/python -m bench.run [--quick] [--conversations 1000000] [--locations 500]
                                  [--steps 15:20,50:30,100:60,200:20] [--drain-seconds 120]
                                  [--skip agent-api,sla-sweep,live-fanout] [--output bench/RESULTS.md]

On one stack (NATS fsyncing every write, FerretDB on PostgreSQL, ingest + inbox + contacts), in order:
1. the raw limits: JetStream publish-with-ack, FerretDB inserts of a conversation + its first entry and
   updates by `_id` (bench/raw_limits.py);
2. the pipeline at fixed offered loads of signed review webhooks (bench/pipeline.py), with what one stored
   message costs in database commands and CPU per process;
3. the agent API at `--conversations` in `--locations` hotels, loaded straight into the collections
   (bench/inbox_list.py);
4. each process's resident memory: idle, after the pipeline, after the agent API;
5. the SLA sweep among `--conversations` more, seeded in a database of their own (bench/sla_sweep.py): its
   query and `SlaSweeper.sweep` with 10, 100 and 1,000 due, beside one scan of the open requests;
then, on its own stack, 6. the live streams' fan-out (bench/live_fanout.py, when it exists).
Prints each table as it is measured and writes them all, with the machine and the targets of issues 19 and
24, to bench/RESULTS.md (rewritten after each part, so a run cut short keeps what it measured).

`--quick` (or BENCH_QUICK=1) runs 100,000 conversations in 100 hotels and short steps: for development.
The full run takes about half an hour on 2 cores, most of it loading the million conversations. Never
run two at once: on a 2-core machine they measure each other.
"""

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import inbox_list, pipeline, raw_limits, sla_sweep
from bench.processes import rss_megabytes
from bench.report import Table, Text, document, machine, mark, ms
from bench.stack import HubStack, hub_stack

SERVICES = ("ingest", "inbox", "contacts")
RSS_TARGET_MB = 150
OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
SETTLE_SECONDS = 5  # after start, before "idle" memory is read


@dataclass(frozen=True)
class Options:
    quick: bool
    conversations: int
    locations: int
    steps: list[pipeline.Step]
    drain_seconds: float
    rounds: int
    skip: frozenset[str]
    output: Path

    @property
    def sizes(self) -> raw_limits.Sizes:
        return raw_limits.QUICK if self.quick else raw_limits.FULL


def options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    parser.add_argument("--conversations", type=int, help="default 1,000,000 (100,000 with --quick)")
    parser.add_argument("--locations", type=int, help="default 500 (100 with --quick)")
    parser.add_argument(
        "--steps",
        help="rate:seconds of each pipeline step (15:20,50:30,100:60,200:20; quick 15:5,50:10,100:10,200:5)",
    )
    parser.add_argument("--drain-seconds", type=float, help="longest wait for the backlog after a step (120; 30 quick)")
    parser.add_argument("--rounds", type=int, help="repetitions of each agent API query (30; 10 quick)")
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to leave out: agent-api, sla-sweep, live-fanout"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    quick = bool(args.quick)
    steps = args.steps or ("15:5,50:10,100:10,200:5" if quick else "15:20,50:30,100:60,200:20")
    return Options(
        quick=quick,
        conversations=args.conversations or (100_000 if quick else 1_000_000),
        locations=args.locations or (100 if quick else 500),
        steps=pipeline.parse_steps(steps),
        drain_seconds=args.drain_seconds or (30 if quick else 120),
        rounds=args.rounds or (10 if quick else 30),
        skip=frozenset(part.strip() for part in args.skip.split(",") if part.strip()),
        output=args.output,
    )


@dataclass
class Memory:
    """Resident memory per process at the moments the run reads it."""

    moments: list[str] = field(default_factory=list)
    readings: dict[str, list[float]] = field(default_factory=dict)

    def read(self, moment: str, stack: HubStack) -> None:
        self.moments.append(moment)
        for name, process in stack.processes().items():
            self.readings.setdefault(name, []).append(rss_megabytes(process))

    def table(self) -> Table:
        table = Table("Resident memory (MB)", ["process", *self.moments, f"idle < {RSS_TARGET_MB} MB"])
        for name, values in self.readings.items():
            met = mark(values[0] < RSS_TARGET_MB) if name in SERVICES else "—"
            table.rows.append([name, *(f"{value:.0f}" for value in values), met])
        table.notes = [
            "VmRSS of each process; for PostgreSQL (and runuser in front of it when run as root), the Pss of the "
            "postmaster and its backends summed: shared buffers divided among them, not counted once per backend."
        ]
        return table

    def targets(self) -> list[list[str]]:
        rows = []
        for name in SERVICES:
            if self.readings.get(name):
                idle = self.readings[name][0]
                rows.append(
                    [f"{name} < {RSS_TARGET_MB} MB resident idle", f"{idle:.0f} MB", mark(idle < RSS_TARGET_MB)]
                )
        return rows


@dataclass
class Run:
    options: Options
    tables: list[Table | Text] = field(default_factory=list)
    targets: list[list[str]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    machine: Table = field(default_factory=machine)

    def add(self, *tables: Table | Text) -> None:
        for table in tables:
            print("\n" + table.markdown(), flush=True)
            self.tables.append(table)
        self.write()

    def write(self) -> None:
        mode = "quick (`--quick`)" if self.options.quick else "full"
        preface = [
            f"Written by `make bench` (bench/run.py), {mode} run, {(time.perf_counter() - self.started) / 60:.0f} "
            "min. Every server, service and the load generator share the machine below: read the ratios, "
            "which were measured in the same run on the same servers.",
        ]
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        machine_now = Table(
            self.machine.title, self.machine.header, [*self.machine.rows, ["load average when written", load]]
        )
        tables = [machine_now, self.targets_table(), *self.tables]
        self.options.output.write_text(document("Benchmark results", preface, tables))

    def targets_table(self) -> Table:
        return Table("Targets (issues 19 and 24)", ["target", "measured", "met"], rows=self.targets)


def agent_api_targets(result: inbox_list.AgentApiResult) -> list[list[str]]:
    return [
        [
            f"{query.name} p95 < {query.target_ms:.0f} ms",
            f"{ms(query.latencies.p(0.95))} ms" + (f", {query.errors} errors" if query.errors else ""),
            mark(query.met),
        ]
        for query in result.queries
        if query.target_ms is not None
    ]


async def measure_stack(run: Run) -> None:
    o = run.options
    memory = Memory()
    with hub_stack(SERVICES, gin=False, prefix="bench-run-") as stack:
        await raw_limits.prepare(stack)  # the inbox's indexes on the raw collections, GIN twins next
        stack.add_gin_indexes()
        await asyncio.sleep(SETTLE_SECONDS)
        memory.read("idle", stack)

        print("raw limits", flush=True)
        raw = await raw_limits.measure(stack, o.sizes)
        run.add(raw.table())

        print("pipeline", flush=True)
        flow = await pipeline.measure(stack, o.steps, o.drain_seconds)
        memory.read("after the pipeline", stack)
        name, slower = raw.slower
        best = flow.saturation
        ratio = Table(
            "Ratio: the pipeline ÷ the slower raw limit",
            ["stored/s at saturation", "slower raw limit", "ratio"],
            rows=[
                [
                    f"{best.stored_per_second:.1f} (offered {best.step.rate:g}/s)",
                    f"{slower:,.0f}/s ({name})",
                    f"{best.stored_per_second / slower:.3f}",
                ]
            ],
        )
        run.targets += pipeline.targets(flow, raw.slower)
        run.add(flow.table(), flow.cost_table(), ratio)

        if "agent-api" not in o.skip:
            print(f"agent API: loading {o.conversations:,} conversations in {o.locations} hotels", flush=True)
            # A bulk load is faster without the GIN indexes; they are made again, all at once, after it.
            stack.servers.drop_gin_indexes()
            seconds = await inbox_list.load(stack.mongo_url, o.conversations, o.locations)
            indexed = time.perf_counter()
            stack.add_gin_indexes()
            seconds_indexing = time.perf_counter() - indexed
            print("agent API: counters", flush=True)
            note = await inbox_list.after_load(stack, o.conversations, o.locations)
            api = await inbox_list.measure(stack, o.conversations, o.locations, o.rounds, seconds)
            api.notes.extend([f"The GIN indexes were made again in {seconds_indexing:.0f} s after the load.", note])
            memory.read("after the agent API", stack)
            run.targets += agent_api_targets(api)
            run.add(api.table())
        if "sla-sweep" not in o.skip:
            sweep = await sla_sweep.measure(stack.servers, o.conversations, o.locations, 3 if o.quick else 5)
            run.targets += sla_sweep.targets(sweep)
            run.add(sweep.table())
        run.targets += memory.targets()
        run.add(memory.table())


async def measure_live_fanout(run: Run) -> None:
    """bench/live_fanout.py, written beside this runner: its `run(...)` starts its own stack and returns
    its figures as markdown."""
    if "live-fanout" in run.options.skip or importlib.util.find_spec("bench.live_fanout") is None:
        return
    module = importlib.import_module("bench.live_fanout")
    measure: Callable[..., object] = module.run
    print("live stream fan-out", flush=True)
    quick = {"streams": 200, "hotels": 50, "events_per_second": 50, "seconds": 10} if run.options.quick else {}
    answer = measure(**quick)
    text = str(await answer if inspect.isawaitable(answer) else answer)
    heading, _, body = text.partition("\n\n")
    run.add(Text(heading.strip(), body))


async def main() -> None:
    run = Run(options())
    print(f"writing {run.options.output}", flush=True)
    await measure_stack(run)
    await measure_live_fanout(run)
    print("\n" + run.targets_table().markdown())
    print(f"\nwritten to {run.options.output} in {(time.perf_counter() - run.started) / 60:.1f} min")


def stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a `timeout`, a `kill`) ends the run like Ctrl-C: the stacks' context managers stop the
    servers and services they started, instead of leaving them running, and loading the next run."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    asyncio.run(main())
