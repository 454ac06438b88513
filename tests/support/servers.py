"""Real servers for the tests: NATS with JetStream, FerretDB on SQLite, and the hub's own services.

Each is a separate process on a free port with its data in a temporary folder, so tests talk to them
exactly as production code talks to its servers.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.gateway import render

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "bin"


_GIVEN: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one this process handed out before: the kernel may offer a
    port again once its probe socket is closed, before the server it was meant for has bound it."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make tools` (scripts/install-tools.sh) first")
    return str(path)


@dataclass
class Process:
    """A child process with its log file, which tests can stop, kill -9, pause and restart."""

    name: str
    argv: list[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    # A folder the process's data lives in that the caller did not choose (removed by `remove_data`).
    owned_dir: Path | None = None

    def start(self) -> "Process":
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}, cwd=ROOT
        )
        if self.port is not None:
            try:
                wait_for_port(self.port)
            except TimeoutError as exc:
                raise RuntimeError(f"{self.name} did not start; log:\n{self.log_tail()}") from exc
        return self

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def remove_data(self) -> None:
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@contextmanager
def gateway(folder: Path, ports: Mapping[str, int]) -> Iterator[str]:
    """The nginx gateway of deploy/nginx (rendered under `folder`) in front of the services at `ports`;
    yields its URL."""
    port = free_port()
    config = render(folder, port, dict(ports))
    proc = Process(
        name="gateway",
        argv=[shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(config.parent), "-c", str(config)],
        log_path=folder / "gateway.log",
        port=port,
    ).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()
        # nginx's workers outlive a master stopped before they started
        subprocess.run(["pkill", "-f", str(config)], check=False)


def nats_server(data_dir: Path, port: int | None = None) -> Process:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    return Process(
        name="nats",
        argv=[tool("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(data_dir)],
        log_path=data_dir.parent / "nats.log",
        port=port,
    )


def nats_cluster(root: Path, size: int = 3) -> list[Process]:
    """`size` JetStream nodes on loopback, routed to each other (a cluster named `hub`)."""
    ports = [(free_port(), free_port()) for _ in range(size)]
    routes = ",".join(f"nats://127.0.0.1:{cluster}" for _, cluster in ports)
    nodes = []
    for index, (client, cluster) in enumerate(ports):
        data_dir = root / f"nats-{index}"
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [tool("nats-server"), "-a", "127.0.0.1", "-p", str(client), "-js", "-sd", str(data_dir)]
        argv += ["-n", f"node-{index}", "--cluster_name", "hub", "--cluster", f"nats://127.0.0.1:{cluster}"]
        argv += ["--routes", routes]
        nodes.append(Process(name=f"nats-{index}", argv=argv, log_path=root / f"nats-{index}.log", port=client))
    return nodes


def postgres(data_dir: Path, port: int | None = None) -> Process:
    """Debian's PostgreSQL server in a throw-away cluster (for FerretDB's PostgreSQL backend, in bench/).

    PostgreSQL refuses to run as root, so as root the cluster is made and run as the `postgres` user.
    """
    port = port or free_port()
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not binaries:
        raise FileNotFoundError("PostgreSQL server binaries not found: apt-get install postgresql")
    bin_dir = binaries[-1]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / "postgres.log"
    as_user: list[str] = []
    if os.geteuid() == 0:
        # The cluster lives where the postgres user can reach it: test folders are private to root.
        data_dir = Path(tempfile.mkdtemp(prefix="hub-postgres-"))
        data_dir.chmod(0o700)
        shutil.chown(data_dir, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    return Process(
        name="postgres",
        argv=[
            *as_user,
            str(bin_dir / "postgres"),
            "-D",
            str(data_dir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(data_dir),
            "-c",
            "fsync=on",
            # FerretDB names the field as a parameter: planned with its value, a statement can use the
            # GIN indexes of scripts/ferretdb_indexes.py.
            "-c",
            "plan_cache_mode=force_custom_plan",
        ],
        log_path=log_path,
        port=port,
        owned_dir=data_dir if os.geteuid() == 0 else None,
    )


DOVECOT_CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot(password: str, port: int | None = None) -> Process:
    """Debian's Dovecot as a real IMAP server: any user name logs in with `password`; mail in Maildir."""
    port = port or free_port()
    root = Path(tempfile.mkdtemp(prefix="hub-dovecot-"))
    root.chmod(0o755)
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    if os.geteuid() == 0:
        shutil.chown(root / "mail", "dovecot", "dovecot")
    config = root / "dovecot.conf"
    config.write_text(DOVECOT_CONFIG.format(root=root, port=port, password=password))
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    return Process(
        name="dovecot",
        argv=[binary, "-F", "-c", str(config)],
        log_path=root / "stdout.log",
        port=port,
        owned_dir=root,
    )


def spamd(log_dir: Path, port: int | None = None) -> Process:
    """SpamAssassin's spamd from Debian (as `nobody` when run as root)."""
    port = port or free_port()
    binary = shutil.which("spamd") or "/usr/sbin/spamd"
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    return Process(
        name="spamd",
        argv=[
            binary,
            f"--listen=127.0.0.1:{port}",
            *user,
            "--max-children=2",
            "--min-children=1",
            "--syslog=stderr",
            "--pidfile",
            str(log_dir / "spamd.pid"),
        ],
        log_path=log_dir / "spamd.log",
        port=port,
    )


def ferretdb(data_dir: Path, port: int | None = None, postgresql_url: str | None = None) -> Process:
    """FerretDB on SQLite (files in `data_dir`), or on PostgreSQL when `postgresql_url` is given."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    backend = (
        ["--handler=postgresql", f"--postgresql-url={postgresql_url}"]
        if postgresql_url
        else ["--handler=sqlite", f"--sqlite-url=file:{data_dir}/"]
    )
    return Process(
        name="ferretdb",
        argv=[
            tool("ferretdb"),
            *backend,
            f"--listen-addr=127.0.0.1:{port}",
            "--debug-addr=-",
            "--telemetry=disable",
            f"--state-dir={data_dir}",
            "--log-level=warn",
        ],
        log_path=data_dir.parent / "ferretdb.log",
        port=port,
    )


SERVICES = ("ingest", "inbox", "contacts", "notify", "solicit")


def service(name: str, env: Mapping[str, str], log_dir: Path, port: int | None = None) -> Process:
    port = port or free_port()
    return Process(
        name=name,
        argv=[sys.executable, "-m", f"services.{name}"],
        log_path=log_dir / f"{name}.log",
        env={**env, f"HUB_{name.upper()}_PORT": str(port), f"HUB_{name.upper()}_HOST": "127.0.0.1"},
        port=port,
    )


def wait_ready(base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} not ready after {timeout}s: {last}")
