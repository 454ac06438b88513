"""CPU time and resident memory of the stack's processes, read from /proc (Linux)."""

import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import Process

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Stat:
    pid: int
    parent: int
    cpu_ticks: int  # its own user + system time, and that of its children it has waited for


def _stat(pid: int) -> Stat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone in between
        return None
    # The command name may hold spaces and parentheses: the fields start after its last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return Stat(pid=pid, parent=int(fields[1]), cpu_ticks=utime + stime + cutime + cstime)


def tree(root: int) -> list[Stat]:
    """`root` and every process below it (PostgreSQL's backends, behind runuser when run as root)."""
    stats = [stat for entry in Path("/proc").iterdir() if entry.name.isdigit() and (stat := _stat(int(entry.name)))]
    children: dict[int, list[Stat]] = {}
    for stat in stats:
        children.setdefault(stat.parent, []).append(stat)
    own = [stat for stat in stats if stat.pid == root]
    below: list[Stat] = []
    while own:
        stat = own.pop()
        below.append(stat)
        own.extend(children.get(stat.pid, []))
    return below


def cpu_seconds(process: Process) -> float:
    """CPU time of the process and its descendants so far: those alive, and those that ended (counted in
    their parent's children time once it waited for them), so nothing is counted twice."""
    if process.popen is None:
        return 0.0
    return sum(stat.cpu_ticks for stat in tree(process.popen.pid)) / TICKS


def own_cpu_seconds() -> float:
    """This process's CPU time (the load generator and the measurements)."""
    times = os.times()
    return times.user + times.system


def _field_kb(path: str, name: str) -> int:
    try:
        text = Path(path).read_text()
    except OSError:  # gone in between
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith(name)), 0)


def rss_megabytes(process: Process) -> float:
    """Resident memory: VmRSS of a single process; for a tree (PostgreSQL's postmaster and backends), the
    sum of their Pss, each shared page divided among the processes sharing it (a sum of their VmRSS
    would count the shared buffers once per backend)."""
    if process.popen is None:
        return 0.0
    below = tree(process.popen.pid)
    if len(below) == 1:
        return _field_kb(f"/proc/{below[0].pid}/status", "VmRSS:") / 1024
    return sum(_field_kb(f"/proc/{stat.pid}/smaps_rollup", "Pss:") for stat in below) / 1024


def cpu_snapshot(processes: dict[str, Process]) -> dict[str, float]:
    return {name: cpu_seconds(process) for name, process in processes.items()} | {"load generator": own_cpu_seconds()}
