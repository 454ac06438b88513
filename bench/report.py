"""Markdown tables of a benchmark run, the machine they were measured on, and the targets beside them."""

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.stack import percentile

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Spread:
    """Repeated measurements of one figure: the median, and the smallest and largest."""

    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: list[float]) -> "Spread":
        return cls(tuple(samples))

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    def text(self, digits: int = 0) -> str:
        if not self.samples:
            return "—"
        if len(self.samples) == 1:
            return f"{self.median:,.{digits}f}"
        low, high = min(self.samples), max(self.samples)
        return f"{self.median:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


@dataclass(frozen=True)
class Latencies:
    """Samples in milliseconds, shown as p50 / p95 / p99."""

    samples: tuple[float, ...]

    def p(self, fraction: float) -> float:
        return percentile(list(self.samples), fraction) if self.samples else float("nan")


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |"]
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Text:
    """A section another benchmark wrote as markdown already (bench/live_fanout.py)."""

    title: str
    body: str

    def markdown(self) -> str:
        return f"### {self.title}\n\n{self.body.strip()}\n"


def mark(ok: bool | None) -> str:
    """✓ or ✗ beside a target (— when the figure could not be measured)."""
    return "—" if ok is None else ("✓" if ok else "✗")


def ms(value: float) -> str:
    return "—" if value != value else f"{value:,.1f}"  # NaN when nothing was measured


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine() -> Table:
    """What the figures were measured on: every process of the benchmark shares these cores."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    dirty = " (with uncommitted changes)" if _run(["git", "status", "--porcelain"]) not in ("", "?") else ""
    table = Table("Machine", ["what", "value"])
    table.rows = [
        ["date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")],
        ["git commit", f"`{commit}`{dirty}"],
        ["cores (nproc)", str(os.cpu_count())],
        ["memory", f"{memory_kb / 1024 / 1024:.1f} GiB"],
        ["CPU", cpu],
        ["kernel", platform.release()],
        ["load average at start", " ".join(f"{value:.2f}" for value in os.getloadavg())],
    ]
    return table


def document(title: str, preface: list[str], tables: list[Table | Text]) -> str:
    body = "\n".join(table.markdown() for table in tables)
    return f"# {title}\n\n" + "\n".join(preface) + "\n\n" + body
