"""A stack of its own for the fault-injection suite: every service twice (two replicas of every
consumer), FerretDB on PostgreSQL, NATS with file storage, an SMTP sink; each process can be killed,
paused or restarted without disturbing the integration tests' stack.

The suite prints its summary table at the end of the run (`pytest_terminal_summary`).
"""

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from scripts import ferretdb_indexes
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, REPLY_DOMAIN, TEST_SECRET, WEBHOOK_SECRET
from tests.support import servers
from tests.support.servers import Process
from tests.support.smtp_sink import SmtpSink

REPLICAS = 2
# Messages ingest may hold at once while JetStream stores them (small, so the back-pressure step shows).
MAX_IN_FLIGHT = 20
SUMMARY: list[str] = []

HOTELS = ("fault-hotel-a", "fault-hotel-b")  # the directory's, created with the stack


@dataclass
class FaultStack:
    root: Path
    nats: Process
    postgres: Process
    ferretdb: Process
    sink: SmtpSink
    replicas: dict[str, list[Process]]
    smtp_ports: list[int]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats.port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb.port}"

    def url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.replicas[service][replica].port}"

    def restart(self, process: Process) -> None:
        process.stop()
        process.start()

    def restart_postgres(self) -> None:
        """A fast shutdown of the postmaster itself (runuser, in front of it as root, does not pass SIGTERM
        on), then a start on the same data and port."""
        data_dir = self.postgres.owned_dir or self.root / "postgres"
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (data_dir / "postmaster.pid").exists():
            time.sleep(0.1)
        self.postgres.stop()
        self.postgres.start()
        new_pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        assert new_pid != pid, "PostgreSQL was not restarted"

    def restart_service(self, service: str, replica: int) -> None:
        self.replicas[service][replica].start()
        servers.wait_ready(self.url(service, replica), timeout=120)

    @staticmethod
    def pause(process: Process) -> None:
        assert process.popen is not None
        process.popen.send_signal(signal.SIGSTOP)

    @staticmethod
    def resume(process: Process) -> None:
        assert process.popen is not None
        process.popen.send_signal(signal.SIGCONT)


def _environment(nats_port: int, ferret_port: int, sink_port: int) -> dict[str, str]:
    return {
        "HUB_ENVIRONMENT": "test",
        "HUB_NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "HUB_MONGO_URL": f"mongodb://127.0.0.1:{ferret_port}",
        "HUB_MONGO_DATABASE": "hub",
        "HUB_SECRET_KEY": TEST_SECRET,
        "HUB_SHUTDOWN_DELAY_SECONDS": "2",
        "HUB_INGEST_HOTEL_MAIL_DOMAIN": HOTEL_MAIL_DOMAIN,
        "HUB_INGEST_REPLY_DOMAIN": REPLY_DOMAIN,
        "HUB_INGEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HUB_INGEST_FORM_RATE_PER_MINUTE": "1000000",
        "HUB_INGEST_FORM_RATE_BURST": "100000",
        "HUB_INGEST_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
        "HUB_CONSUMER_ACK_WAIT_SECONDS": "4",
        "HUB_CONSUMER_MAX_DELIVER": "4",
        "HUB_CONSUMER_RETRY_DELAYS_SECONDS": "[0.2, 0.5, 1.0]",
        "HUB_NOTIFY_SMTP_HOST": "127.0.0.1",
        "HUB_NOTIFY_SMTP_PORT": str(sink_port),
        "HUB_NOTIFY_REPLY_DOMAIN": REPLY_DOMAIN,
        "HUB_NOTIFY_RETRY_BASE_SECONDS": "0.5",
        "HUB_NOTIFY_RETRY_MAX_SECONDS": "2",
        "HUB_NOTIFY_MAX_ATTEMPTS": "6",
        "HUB_NOTIFY_DOMAIN_RATE_PER_MINUTE": "1000000",
        "HUB_NOTIFY_DOMAIN_RATE_BURST": "100000",
        "HUB_INBOX_CONTACTS_TIMEOUT_SECONDS": "1",
        "HUB_INBOX_COUNTER_FOLD_SECONDS": "0.5",
        "HUB_INBOX_RECONCILE_SECONDS": "20",
    }


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    root = tmp_path_factory.mktemp("faults")
    nats_server = servers.nats_server(root / "nats").start()
    database = servers.postgres(root / "postgres").start()
    ferret = servers.ferretdb(
        root / "ferretdb", postgresql_url=f"postgres://postgres@127.0.0.1:{database.port}/postgres"
    ).start()
    sink = SmtpSink().start()
    env = _environment(nats_server.port or 0, ferret.port or 0, sink.port)
    smtp_ports = [servers.free_port() for _ in range(REPLICAS)]
    replicas: dict[str, list[Process]] = {}
    for name in servers.SERVICES:
        replicas[name] = []
        for index in range(REPLICAS):
            log_dir = root / f"replica-{index}"
            log_dir.mkdir(exist_ok=True)
            own = {**env, "HUB_INGEST_SMTP_PORT": str(smtp_ports[index])} if name == "ingest" else env
            replicas[name].append(servers.service(name, own, log_dir))
    stack = FaultStack(root, nats_server, database, ferret, sink, replicas, smtp_ports, env)
    try:
        for processes in replicas.values():
            for process in processes:
                process.start()
        for name, processes in replicas.items():
            for index in range(len(processes)):
                servers.wait_ready(stack.url(name, index), timeout=120)
        ferretdb_indexes.apply(database.port or 0)
        for hotel in HOTELS:  # ingest accepts messages only for the directory's hotels
            created = httpx.post(
                f"{stack.url('inbox')}/api/v1/locations", json={"id": hotel, "name": hotel}, headers=ADMIN
            )
            assert created.status_code == 201, created.text
        yield stack
    finally:
        for processes in replicas.values():
            for process in processes:
                if process.popen is not None and process.popen.poll() is None:
                    process.popen.send_signal(signal.SIGCONT)
                process.stop()
        for process in (nats_server, ferret):
            if process.popen is not None and process.popen.poll() is None:
                process.popen.send_signal(signal.SIGCONT)
            process.stop()
        sink.stop()
        database.stop()
        database.remove_data()


def outage_seconds() -> float:
    """The long database outage; HUB_FAULTS_OUTAGE_SECONDS shortens it when iterating on the suite."""
    return float(os.environ.get("HUB_FAULTS_OUTAGE_SECONDS", "125"))


def load_scale() -> float:
    """Messages per second per channel (HUB_FAULTS_RATE raises it for the larger runs)."""
    return float(os.environ.get("HUB_FAULTS_RATE", "2"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("fault injection summary")
        for line in SUMMARY:
            terminalreporter.write_line(line)
