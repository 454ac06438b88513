"""The servers and services the benchmarks run on: NATS as production configures it, FerretDB on Debian's
PostgreSQL (or on SQLite), and the hub's own services, each a real process in a temporary folder."""

import math
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts import ferretdb_indexes
from tests.support import servers
from tests.support.servers import Process

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - long enough for HUB_ENVIRONMENT=production
WEBHOOK_SECRET = "bench-webhook-secret-not-for-production"  # noqa: S105

BACKENDS = ("postgresql", "sqlite")
BACKEND_HELP = (
    "FerretDB's backend: postgresql (the default, as `make up` and the tests run it) or sqlite, which remains "
    "an option but whose updates run at single-digit rates (each one reads the whole collection)"
)

# deploy/nats/local.conf and nats.conf: every write is fsynced before JetStream acknowledges it. The
# tests' NATS (tests/support/servers.py) keeps the server's default (a sync every 2 minutes), which would
# flatter the bus in a measurement.
NATS_CONFIG = """
listen: 127.0.0.1:{port}
http: 127.0.0.1:{monitor_port}
jetstream {{
  store_dir: "{store_dir}"
  sync_interval: always
}}
"""


@dataclass(frozen=True)
class Servers:
    nats: Process
    ferretdb: Process
    postgres: Process | None
    ferretdb_debug_port: int

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats.port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb.port}"

    @property
    def ferretdb_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ferretdb_debug_port}/debug/metrics"

    @property
    def backend(self) -> str:
        return "postgresql" if self.postgres is not None else "sqlite"

    def processes(self) -> dict[str, Process]:
        found = {"nats": self.nats, "ferretdb": self.ferretdb}
        return found | ({"postgresql": self.postgres} if self.postgres is not None else {})

    def add_gin_indexes(self) -> int:
        """scripts/ferretdb_indexes.py: what the test stack and `make up` add once the services made their
        indexes (nothing to add on SQLite)."""
        return ferretdb_indexes.apply(self.postgres.port or 0) if self.postgres is not None else 0

    def drop_gin_indexes(self) -> int:
        """Drop what `add_gin_indexes` made, so that a bulk load does not maintain them row by row."""
        if self.postgres is None:
            return 0
        names = self.psql("SELECT schemaname || '.' || indexname FROM pg_indexes WHERE indexname LIKE 'hub_gin_%'")
        for name in names.split():
            schema, index = name.split(".", 1)
            self.psql(f'DROP INDEX "{schema}"."{index}"')
        return len(names.split())

    def psql(self, sql: str) -> str:
        """One statement through Debian's psql (unaligned, tab-separated rows)."""
        if self.postgres is None:
            raise RuntimeError("FerretDB runs on SQLite here: there is no PostgreSQL to ask")
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.postgres.port), "-U", "postgres", "-d", "postgres"]
        done = subprocess.run([*command, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True)  # noqa: S603
        return done.stdout


def nats_server(root: Path) -> Process:
    port, monitor_port = servers.free_port(), servers.free_port()
    store_dir = root / "nats"
    store_dir.mkdir(parents=True, exist_ok=True)
    config = root / "nats.conf"
    config.write_text(NATS_CONFIG.format(port=port, monitor_port=monitor_port, store_dir=store_dir))
    return Process(
        name="nats", argv=[servers.tool("nats-server"), "-c", str(config)], log_path=root / "nats.log", port=port
    )


@contextmanager
def running_servers(root: Path, backend: str = "postgresql") -> Iterator[Servers]:
    """NATS, then PostgreSQL (unless `backend` is sqlite), then FerretDB with its metrics page on."""
    with ExitStack() as stack:
        nats = nats_server(root).start()
        stack.callback(nats.stop)
        database = None
        url = None
        if backend == "postgresql":
            database = servers.postgres(root / "postgres").start()
            stack.callback(database.remove_data)
            stack.callback(database.stop)
            url = f"postgres://postgres@127.0.0.1:{database.port}/postgres"
        ferret = servers.ferretdb(root / "ferretdb", postgresql_url=url)
        # servers.ferretdb turns the debug page off; the pipeline reads its command counters there.
        debug_port = servers.free_port()
        ferret.argv = [
            f"--debug-addr=127.0.0.1:{debug_port}" if a.startswith("--debug-addr=") else a for a in ferret.argv
        ]
        ferret.start()
        stack.callback(ferret.stop)
        yield Servers(nats=nats, ferretdb=ferret, postgres=database, ferretdb_debug_port=debug_port)


def service_env(running: Servers) -> dict[str, str]:
    """The services' settings: production's (the secret checks on), with a database timeout long enough
    to time a slow query rather than its failure."""
    return {
        "HUB_ENVIRONMENT": "production",
        "HUB_NATS_URL": running.nats_url,
        "HUB_MONGO_URL": running.mongo_url,
        "HUB_MONGO_DATABASE": "hub",
        "HUB_SECRET_KEY": SECRET,
        "HUB_INGEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HUB_INGEST_SMTP_PORT": "0",
        # Production refuses a development machine's addresses (shared/settings.py): no mail leaves the bench.
        "HUB_INBOX_CONSOLE_URL": "https://hub.bench.invalid",
        "HUB_NOTIFY_CONSOLE_URL": "https://hub.bench.invalid",
        "HUB_NOTIFY_SMTP_HOST": "smtp.bench.invalid",
        "HUB_NOTIFY_REPLY_DOMAIN": "reply.bench.invalid",
        "HUB_NOTIFY_DEFAULT_SENDER_DOMAIN": "hotels.bench.invalid",
        "HUB_MONGO_TIMEOUT_MS": "60000",
        "HUB_SHUTDOWN_DELAY_SECONDS": "0",
    }


@dataclass(frozen=True)
class HubStack:
    """The servers and the services started on them."""

    root: Path
    servers: Servers
    services: dict[str, Process]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.services[service].port}"

    @property
    def mongo_url(self) -> str:
        return self.servers.mongo_url

    @property
    def nats_url(self) -> str:
        return self.servers.nats_url

    @property
    def service_url(self) -> str:
        """The first service's URL (the single-service benchmarks start one)."""
        return self.url(next(iter(self.services)))

    @property
    def service_pid(self) -> int:
        """The first service's process id."""
        popen = next(iter(self.services.values())).popen
        assert popen is not None, "the services are started before the stack is handed out"  # noqa: S101
        return popen.pid

    def processes(self) -> dict[str, Process]:
        return self.services | self.servers.processes()

    def add_gin_indexes(self) -> None:
        print(f"GIN indexes added: {self.servers.add_gin_indexes()}", flush=True)


@contextmanager
def hub_stack(
    services: tuple[str, ...],
    backend: str = "postgresql",
    *,
    gin: bool = True,
    prefix: str = "bench-",
    env: Mapping[str, str] | None = None,
) -> Iterator[HubStack]:
    """Start the servers and `services` (with `env` over `service_env`) in a temporary folder; the services'
    indexes (and, on PostgreSQL with `gin`, their GIN twins) exist when this yields."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    with running_servers(root, backend) as running, ExitStack() as stopping:
        print(f"FerretDB backend: {backend}; logs in {root}", flush=True)
        settings = service_env(running) | dict(env or {})
        processes = {name: servers.service(name, settings, root) for name in services}
        for process in processes.values():
            stopping.callback(process.stop)
            process.start()
        stack = HubStack(root=root, servers=running, services=processes)
        for name in services:
            servers.wait_ready(stack.url(name), timeout=120)
        if gin:
            stack.add_gin_indexes()
        yield stack


@contextmanager
def bench_stack(service: str, backend: str = "postgresql") -> Iterator[HubStack]:
    """One service on its own servers (bench.contacts_search, bench.console_load), without the GIN indexes:
    the caller adds them once its data is loaded (faster than indexing row by row)."""
    with hub_stack((service,), backend, gin=False, prefix=f"bench-{service}-") as stack:
        yield stack


def percentile(samples: list[float], fraction: float) -> float:
    """The percentile by nearest rank: with few samples, the largest, never below the median."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * fraction) - 1))]


def p95(samples: list[float]) -> float:
    return percentile(samples, 0.95)
