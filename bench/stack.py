"""One hub service on its own NATS and FerretDB (on SQLite or Debian's PostgreSQL), for the benchmarks."""

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts import ferretdb_indexes
from tests.support import servers

SECRET = "bench-secret"  # noqa: S105


@dataclass(frozen=True)
class BenchStack:
    mongo_url: str
    service_url: str
    postgres_port: int | None

    def add_gin_indexes(self) -> None:
        """scripts/ferretdb_indexes.py, once the data is loaded (faster than indexing row by row)."""
        if self.postgres_port is not None:
            print(f"GIN indexes added: {ferretdb_indexes.apply(self.postgres_port)}")


@contextmanager
def bench_stack(service: str, backend: str) -> Iterator[BenchStack]:
    """Start the servers and `service` in a temporary folder (its indexes exist when this yields)."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-{service}-"))
    nats = servers.nats_server(root / "nats").start()
    database = servers.postgres(root / "postgres").start() if backend == "postgresql" else None
    url = f"postgres://postgres@127.0.0.1:{database.port}/postgres" if database else None
    ferret = servers.ferretdb(root / "ferretdb", postgresql_url=url).start()
    print(f"FerretDB backend: {backend}")
    mongo_url = f"mongodb://127.0.0.1:{ferret.port}"
    env = {
        "HUB_NATS_URL": f"nats://127.0.0.1:{nats.port}",
        "HUB_MONGO_URL": mongo_url,
        "HUB_SECRET_KEY": SECRET,
        "HUB_MONGO_TIMEOUT_MS": "60000",
        "HUB_ENVIRONMENT": "test",
    }
    process = servers.service(service, env, root)
    try:
        process.start()
        service_url = f"http://127.0.0.1:{process.port}"
        servers.wait_ready(service_url)
        yield BenchStack(mongo_url, service_url, database.port if database else None)
    finally:
        process.stop()
        nats.stop()
        ferret.stop()
        if database is not None:
            database.stop()
            database.remove_data()


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank): with few samples, the largest, never below the median."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)]
