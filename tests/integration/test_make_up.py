"""`make up` as a newcomer sees it: each process up, the URLs and logins as the last lines on screen, the full
logs in the run folder; then `make down` leaves no process behind. On free ports and a folder of its own,
beside the test stack."""

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.demo_chain import PASSWORD
from tests.support.servers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PORTS = [
    "HUB_GATEWAY_PORT",
    "HUB_INGEST_PORT",
    "HUB_INBOX_PORT",
    "HUB_CONTACTS_PORT",
    "HUB_NOTIFY_PORT",
    "HUB_SOLICIT_PORT",
    "HUB_INGEST_SMTP_PORT",
    "HUB_NOTIFY_SMTP_PORT",
    "HUB_FAQBOT_PORT",
    "HUB_NATS_PORT",
    "HUB_NATS_MONITOR_PORT",
    "HUB_POSTGRES_PORT",
    "HUB_FERRETDB_PORT",
    "HUB_FERRETDB_DEBUG_PORT",
]


def read_until(process: subprocess.Popen[bytes], done: str, seconds: float) -> list[str]:
    """The lines printed until one contains `done`, then whatever follows within a second."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    text = ""
    deadline, quiet_until = time.monotonic() + seconds, None
    while time.monotonic() < (quiet_until or deadline):
        readable, _, _ = select.select([fd], [], [], 0.2)
        if not readable:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        text += chunk.decode(errors="replace")
        if quiet_until is None and done in text:
            quiet_until = time.monotonic() + 1.0
    return text.splitlines()


def processes_in(run: Path) -> list[str]:
    """Every process still running with this run folder in its command line or environment."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(run).encode() in seen:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name}: {command[:120]}")
    return found


@pytest.fixture
def run_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which cannot enter root's folders.
    top = Path(tempfile.mkdtemp(prefix="hub-make-up-"))
    top.chmod(0o755)
    yield top / "run"
    for line in processes_in(top):  # a failed test leaves nothing running either
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
    shutil.rmtree(top, ignore_errors=True)


def test_make_up_ends_with_the_logins_and_make_down_stops_everything(run_dir: Path) -> None:
    env = {**os.environ, "HUB_RUN_DIR": str(run_dir), **{name: str(free_port()) for name in PORTS}}
    env.pop("MAKEFLAGS", None)
    up = subprocess.Popen(
        ["make", "--no-print-directory", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        lines = read_until(up, PASSWORD, seconds=150)
        screen = "\n".join(lines)
        assert PASSWORD in screen, f"no logins on screen:\n{screen}\n{list((run_dir / 'logs').glob('*'))}"
        # Each process said it is up, once, before the block.
        for name in ("nats", "postgres", "ferretdb", "ingest", "inbox", "contacts", "notify", "solicit", "gateway"):
            assert sum(line.split()[2:3] == [name] for line in lines if " s  " in line) == 1, screen
        # The logins are the last lines on screen: the admin, then one per role, then an empty line.
        end = [line for line in lines if line.strip()]
        console = max(i for i, line in enumerate(end) if "sign in with:" in line)
        assert f"http://127.0.0.1:{env['HUB_GATEWAY_PORT']}/" in end[console]
        assert end[console + 1].split()[:2] == ["admin", "admin@demo.hotel"]
        assert all(PASSWORD in line for line in end[console + 2 :]), screen
        # No JSON log line reached the screen; they are in the run folder, one file per process.
        assert not any(line.lstrip().startswith("{") for line in lines), screen
        assert '"service": "inbox"' in (run_dir / "logs" / "inbox.log").read_text()
        assert {p.stem for p in (run_dir / "pids").glob("*.pid")} >= {"nats", "inbox", "gateway", "demo"}
    finally:
        down = subprocess.run(
            ["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        up.wait(timeout=30)
    assert down.returncode == 0, down.stderr
    assert up.returncode == 0
    time.sleep(0.5)
    assert processes_in(run_dir) == []
    assert list((run_dir / "pids").glob("*.pid")) == []
