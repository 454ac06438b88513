"""What `make up` puts on screen from the processes' logs (scripts/run_screen.py)."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from scripts import run_screen
from scripts.demo_chain import AGENTS
from scripts.run_screen import Tail, screen_line

TIME = "2026-12-03T21:40:05.123456+00:00"
LOCAL = datetime.fromisoformat(TIME).astimezone().strftime("%H:%M:%S")


def json_line(**fields: object) -> str:
    return json.dumps({"time": TIME, "service": "inbox", "logger": "services.inbox", **fields})


class TestScreenLine:
    def test_a_request_is_one_short_line(self) -> None:
        line = json_line(
            level="info", logger="uvicorn.access", message='127.0.0.1:40148 - "GET /api/v1/conversations HTTP/1.1" 200'
        )
        assert screen_line("inbox", line) == f"{LOCAL} inbox GET /api/v1/conversations 200"

    @pytest.mark.parametrize("path", ["/readyz", "/healthz", "/metrics"])
    def test_probes_are_not_shown(self, path: str) -> None:
        line = json_line(level="info", logger="uvicorn.access", message=f'127.0.0.1:1 - "GET {path} HTTP/1.1" 200')
        assert screen_line("inbox", line) is None

    def test_info_is_not_shown(self) -> None:
        assert screen_line("inbox", json_line(level="info", message="lease taken")) is None

    def test_a_warning_has_its_level_and_error_type(self) -> None:
        line = json_line(level="warning", message="dead-lettering message", error_type="ValidationError", seq=3)
        assert screen_line("inbox", line) == f"{LOCAL} inbox WARNING dead-lettering message (ValidationError)"

    def test_an_exception_shows_its_last_line(self) -> None:
        trace = "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'hotel'"
        line = json_line(level="error", message="email could not be processed", exception=trace)
        assert screen_line("ingest", line) == f"{LOCAL} inbox ERROR email could not be processed (KeyError: 'hotel')"

    def test_plain_lines_only_when_they_say_trouble(self) -> None:
        assert screen_line("nats", "[1] 2026/12/03 21:40:05.000000 [INF] Server is ready") is None
        shown = screen_line("nats", "[1] 2026/12/03 21:40:05.000000 [ERR] 127.0.0.1:4222 - cid:5 - read error")
        assert shown is not None
        assert shown.split(" ", 2)[1:] == [
            "nats",
            "[1] 2026/12/03 21:40:05.000000 [ERR] 127.0.0.1:4222 - cid:5 - read error",
        ]
        assert screen_line("postgres", "") is None


class TestTail:
    def test_only_new_complete_lines(self, tmp_path: Path) -> None:
        log = tmp_path / "inbox.log"
        tail = Tail(log)
        assert tail.lines() == []
        log.write_text("one\ntw")
        assert tail.lines() == ["one"]
        with log.open("a") as f:
            f.write("o\nthree\n")
        assert tail.lines() == ["two", "three"]
        assert tail.lines() == []


class TestSummary:
    def test_the_logins_are_the_last_lines(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HUB_GATEWAY_PORT", "18080")
        lines = [line for line in run_screen.summary().splitlines() if line.strip()]
        console = next(i for i, line in enumerate(lines) if "sign in with:" in line)
        assert "http://127.0.0.1:18080/" in lines[console]
        assert len(lines) - console - 1 == 1 + len(AGENTS)
        assert all("@" in line for line in lines[console + 1 :])


def test_times_are_on_the_readers_clock() -> None:
    assert run_screen.clock(TIME) == LOCAL
    assert len(run_screen.clock("not a time")) == len("21:40:05")  # now, for a line without a readable time
