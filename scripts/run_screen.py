"""What `make up` shows on screen (scripts/up.sh): each process once it is up, then the URLs and the demo
logins, last, then one plain line per request or error. The full JSON logs stay in .run/logs/ (`make logs`).

While the hub starts, the logs are read but not shown (services waiting for each other is not news); a
process that stops is, with the end of its log, and then the whole hub stops.
"""

import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from scripts.demo_chain import ADMIN, AGENTS, PASSWORD

RUN = Path(os.environ.get("HUB_RUN_DIR", ".run"))
SERVICES = {"ingest": 8001, "inbox": 8002, "contacts": 8003, "notify": 8004, "solicit": 8005}
# Probes that would fill the screen: load balancers', Prometheus's, and this script's own.
QUIET_PATHS = re.compile(r"^/(readyz|healthz|metrics)\b")
ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
# Lines of the processes that do not log JSON (NATS, PostgreSQL, FerretDB, nginx) worth a look.
PLAIN_TROUBLE = re.compile(r"\[(ERR|WRN|FTL)\]|\b(ERROR|FATAL|PANIC|WARN|WARNING|error|warn)\b|Traceback|\[emerg\]")
SHOWN_LEVELS = {"warning", "error", "critical"}


def port(variable: str, default: int) -> int:
    return int(os.environ.get(variable, default))


def clock(iso_time: str | None) -> str:
    """The line's time on the reader's clock; now when the line has none (or one unreadable)."""
    try:
        moment = datetime.fromisoformat(iso_time) if iso_time else datetime.now().astimezone()
    except ValueError:
        moment = datetime.now().astimezone()
    return moment.astimezone().strftime("%H:%M:%S")


def screen_line(process: str, line: str) -> str | None:
    """One log line as `HH:MM:SS process LEVEL message`, or None for a line not worth the screen.

    Shown: requests (uvicorn's access lines, without the health probes) and warnings or worse.
    """
    line = line.strip()
    if not line:
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        return f"{clock(None)} {process} {line[:300]}" if PLAIN_TROUBLE.search(line) else None
    service = str(entry.get("service") or process)
    level = str(entry.get("level", "")).lower()
    message = (str(entry.get("message", "")).strip().splitlines() or [""])[0]
    if entry.get("logger") == "uvicorn.access":
        access = ACCESS.search(message)
        if access is None or QUIET_PATHS.match(access["path"]):
            return None
        return f"{clock(entry.get('time'))} {service} {access['method']} {access['path']} {access['status']}"
    if level not in SHOWN_LEVELS:
        return None
    detail = ""
    if error := entry.get("error_type") or entry.get("error"):
        detail = f" ({error})"
    elif exception := entry.get("exception"):
        detail = f" ({str(exception).strip().splitlines()[-1]})"
    return f"{clock(entry.get('time'))} {service} {level.upper()} {message}{detail}"[:400]


@dataclass
class Tail:
    """The new complete lines of one log file, each time it is read."""

    path: Path
    position: int = 0
    partial: str = field(default="", repr=False)

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.position)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.position += len(chunk)
        text = self.partial + chunk.decode("utf-8", errors="replace")
        *complete, self.partial = text.split("\n")
        return complete


def tcp_open(number: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", number), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def http_ready(number: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{number}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def log_says(process: str, *texts: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            log = (RUN / "logs" / f"{process}.log").read_text(errors="replace")
        except FileNotFoundError:
            return False
        return any(text in log for text in texts)

    return check


def readiness() -> dict[str, Callable[[], bool]]:
    """How each process of the Procfile shows it is up (a process not named here: alive for 2 s)."""
    checks = {
        "nats": tcp_open(port("HUB_NATS_PORT", 4222)),
        "postgres": tcp_open(port("HUB_POSTGRES_PORT", 5433)),
        "ferretdb": tcp_open(port("HUB_FERRETDB_PORT", 27017)),
        "mail": tcp_open(port("HUB_NOTIFY_SMTP_PORT", 2526)),
        "gateway": tcp_open(port("HUB_GATEWAY_PORT", 8080)),
        "demo": log_says("demo", "demo chain loaded"),
        "faqbot": lambda: tcp_open(port("HUB_FAQBOT_PORT", 8006))() or log_says("faqbot", "not connected")(),
    }
    for name, default in SERVICES.items():
        checks[name] = http_ready(port(f"HUB_{name.upper()}_PORT", default))
    return checks


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def summary() -> str:
    """The block printed once everything is up: where things are, and the logins last."""
    gateway = f"http://127.0.0.1:{port('HUB_GATEWAY_PORT', 8080)}"
    logs = RUN / "logs"
    if logs.is_absolute() and logs.is_relative_to(Path.cwd()):
        logs = logs.relative_to(Path.cwd())
    services = "  ".join(f"{name} :{port(f'HUB_{name.upper()}_PORT', default)}" for name, default in SERVICES.items())
    domain = os.environ.get("HUB_INGEST_HOTEL_MAIL_DOMAIN", "hotels.localhost")
    admin = (
        os.environ.get("HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL", ADMIN[0]),
        os.environ.get("HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD", ADMIN[1]),
    )
    logins = [f"      {'admin':<8} {admin[0]:<20} {admin[1]}"]
    logins += [f"      {a['role']:<8} {a['email']:<20} {PASSWORD}" for a in AGENTS]
    return "\n".join(
        [
            "",
            f"  Hotel hub up. Full logs in {logs}/ (make logs); Ctrl+C or `make down` stops it.",
            f"    gateway   {gateway}   (API under /api/v1, public ingest under /ingest)",
            f"    chat      {gateway}/ingest/demo/paris-opera   (a hotel page with the widget)",
            f"    email     SMTP 127.0.0.1:{port('HUB_INGEST_SMTP_PORT', 2525)}, to <hotel id>@{domain}; "
            f"outbound mail in {logs}/mail.log",
            f"    services  {services}  (each /readyz /metrics)",
            f"    FAQ bot   :{port('HUB_FAQBOT_PORT', 8006)}, answers the demo hotel's chat; "
            '"un conseiller" hands over to a person',
            f"    NATS      nats://127.0.0.1:{port('HUB_NATS_PORT', 4222)}   "
            f"FerretDB mongodb://127.0.0.1:{port('HUB_FERRETDB_PORT', 27017)} (on PostgreSQL)",
            "  Below: one line per request, warning or error.",
            "",
            f"  console   {gateway}/   sign in with:",
            *logins,
            "",
        ]
    )


def stopped_on_purpose() -> bool:
    return (RUN / "stopping").exists()


def run() -> int:
    pids = {p.stem: int(p.read_text()) for p in sorted((RUN / "pids").glob("*.pid"))}
    checks = readiness()
    tails = {name: Tail(RUN / "logs" / f"{name}.log") for name in pids}
    started = time.monotonic()
    waiting = dict(pids)
    up = False
    reminded = False
    while True:
        for name, pid in pids.items():
            if alive(pid):
                continue
            if stopped_on_purpose() or not (RUN / "pids" / f"{name}.pid").exists():
                return 0
            print(f"{clock(None)} {name} stopped; the end of {RUN / 'logs' / f'{name}.log'}:", flush=True)
            for line in tails[name].path.read_text(errors="replace").splitlines()[-15:]:
                print(f"    {line[:300]}", flush=True)
            return 1
        for name, tail in tails.items():
            for line in tail.lines():
                if up and (shown := screen_line(name, line)):
                    print(shown, flush=True)
        if not up:
            for name in list(waiting):
                check = checks.get(name, lambda: time.monotonic() - started > 2)
                if check():
                    del waiting[name]
                    print(f"  {time.monotonic() - started:5.1f} s  {name:<9} up", flush=True)
            if not waiting:
                up = True
                print(summary(), flush=True)
            elif not reminded and time.monotonic() - started > 120:
                reminded = True
                print(f"  still waiting for {', '.join(waiting)} (their logs: {RUN / 'logs'})", flush=True)
        time.sleep(0.25)


def main() -> None:
    try:
        sys.exit(run())
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
