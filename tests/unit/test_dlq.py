"""The DLQ command line's pure parts: filters, the headers of a replay, the table."""

import base64
from datetime import UTC, datetime

import pytest

from scripts.dlq import Entry, format_entry, format_table, parse_entry, replay_headers, subject_matches
from shared.bus import DeadLetter, Header


def entry(
    seq: int = 7, *, subject: str = "hub.inbound.guest.form.paris", headers: dict[str, str] | None = None
) -> Entry:
    letter = DeadLetter(
        stream="INBOUND",
        consumer="inbox-inbound",
        subject=subject,
        stream_sequence=42,
        deliveries=4,
        error="LookupError: gone\nsecond line",
        payload_base64=base64.b64encode(b'{"text": "hi"}').decode(),
        headers=[Header(name=k, value=v) for k, v in (headers or {}).items()],
        failed_at=datetime(2026, 5, 1, 12, 30, tzinfo=UTC),
    )
    return Entry(seq, None, letter.model_dump_json().encode(), letter)


class TestSubjectMatches:
    @pytest.mark.parametrize(
        ("pattern", "subject", "matches"),
        [
            ("hub.inbound.guest.*.paris", "hub.inbound.guest.form.paris", True),
            ("hub.inbound.guest.*.paris", "hub.inbound.guest.form.nice", False),
            ("hub.inbound.>", "hub.inbound.guest.form.paris", True),
            ("hub.inbound.>", "hub.inbound", False),
            ("hub.inbound.guest", "hub.inbound.guest.form", False),
            ("hub.outbound.email", "hub.outbound.email", True),
        ],
    )
    def test_nats_wildcards(self, pattern: str, subject: str, matches: bool) -> None:
        assert subject_matches(pattern, subject) is matches


class TestReplayHeaders:
    def test_original_headers_under_an_id_of_the_entry_without_publish_preconditions(self) -> None:
        original = {"Nats-Msg-Id": "form:paris:1", "Nats-Expected-Stream": "INBOUND", "correlation_id": "c-1"}
        assert replay_headers(entry(7, headers=original)) == {
            "correlation_id": "c-1",
            "Nats-Msg-Id": "replay:7:form:paris:1",
            "Hub-Replay-Of": "DLQ 7",
        }

    def test_a_message_that_had_no_id_gets_one(self) -> None:
        assert replay_headers(entry(3))["Nats-Msg-Id"] == "replay:3"


class TestOutput:
    def test_table_has_a_row_per_entry_with_the_payload_size(self) -> None:
        table = format_table([entry(7), entry(12, subject="")]).splitlines()
        assert table[0].split()[:3] == ["SEQ", "FAILED", "AT"]
        assert table[1].split()[:6] == ["7", "2026-05-01", "12:30:00", "INBOUND", "hub.inbound.guest.form.paris", "14"]
        assert "(lost)" in table[2]
        assert "LookupError: gone second line" in table[1], "the reason fits one line"

    def test_show_pretty_prints_json_and_indents_the_error(self) -> None:
        shown = format_entry(entry(headers={"Nats-Msg-Id": "k"}))
        assert "  LookupError: gone\n  second line\n" in shown
        assert "  Nats-Msg-Id: k\n" in shown
        assert shown.endswith('payload (14 bytes, JSON):\n{\n  "text": "hi"\n}')

    def test_a_message_that_is_no_dead_letter_is_shown_not_fatal(self) -> None:
        junk = parse_entry(5, None, b"\xff\x00")
        assert not junk.replayable
        assert "not a dead letter" in format_entry(junk)
        assert "binary, base64" in format_entry(junk)
