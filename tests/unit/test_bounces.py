"""Bounces without servers: reading the reports (ingest), attributing them to a sent email (notify), marking
an address on its contact (contacts)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.contacts.bounces import marked
from services.ingest.bounces import kind_of, read_report
from services.ingest.email_parsing import parse
from services.notify.bounces import attributed, reason_of
from shared.bus import BouncedRecipient, BounceKind
from tests.support import bounce_mail

DOMAIN = "reply.hotels.test"
OURS = "hub.0123456789abcdef0123456789abcdef@reply.hotels.test"
HOTEL = "hotel-a@hotels.test"
GUEST = "guest@example.com"


class TestReadReport:
    @pytest.mark.parametrize(
        ("build", "status", "diagnostic"),
        [
            (bounce_mail.postfix, "5.1.1", "550 5.1.1 mailbox unavailable"),
            (bounce_mail.exchange, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
            (bounce_mail.gmail, "5.1.1", "550-5.1.1 The email account that you tried to reach does not exist."),
            (bounce_mail.qmail, "5.1.1", "Remote host said: 550 5.1.1"),
        ],
        ids=["postfix", "exchange", "gmail", "qmail"],
    )
    def test_finds_the_original_and_the_failed_recipient(
        self, build: Callable[..., bytes], status: str, diagnostic: str
    ) -> None:
        raw = build(HOTEL, GUEST, OURS)
        assert parse(raw).automatic == "bounce"
        report = read_report(raw, DOMAIN)
        assert report.original_message_ids[0] == OURS
        [recipient] = report.recipients
        assert (recipient.address, recipient.kind, recipient.status) == (GUEST, BounceKind.HARD, status)
        assert recipient.diagnostic is not None
        assert recipient.diagnostic.startswith(diagnostic)

    def test_a_delay_is_not_a_failure(self) -> None:
        raw = bounce_mail.postfix(HOTEL, GUEST, OURS, action="delayed", status="4.4.1", diagnostic="connect timed out")
        [recipient] = read_report(raw, DOMAIN).recipients
        assert recipient.kind == BounceKind.DELAYED

    def test_a_failure_with_a_4xx_status_is_soft(self) -> None:
        raw = bounce_mail.postfix(HOTEL, GUEST, OURS, status="4.4.7", diagnostic="Message expired")
        [recipient] = read_report(raw, DOMAIN).recipients
        assert recipient.kind == BounceKind.SOFT

    def test_a_report_of_success_names_no_failure(self) -> None:
        raw = bounce_mail.postfix(HOTEL, GUEST, OURS, action="delivered", status="2.0.0", diagnostic="250 ok")
        assert read_report(raw, DOMAIN).recipients == []

    def test_someone_elses_message_id_is_kept_as_it_is(self) -> None:
        report = read_report(bounce_mail.postfix(HOTEL, GUEST, "abc@staff.example"), DOMAIN)
        assert report.original_message_ids == ["abc@staff.example"]

    def test_unreadable_bytes_report_nothing(self) -> None:
        report = read_report(b"From: MAILER-DAEMON@x.example\r\n\r\n", DOMAIN)
        assert report.original_message_ids == []
        assert [r.address for r in report.recipients] == [None]


@pytest.mark.parametrize(
    ("action", "status", "diagnostic", "kind"),
    [
        ("failed", "5.1.1", None, BounceKind.HARD),
        ("failed", None, "550 no such user", BounceKind.HARD),
        ("failed", "4.2.2", "452 mailbox full", BounceKind.SOFT),
        ("failed", None, None, BounceKind.SOFT),
        ("delayed", "5.0.0", None, BounceKind.DELAYED),
    ],
)
def test_kind_of(action: str, status: str | None, diagnostic: str | None, kind: BounceKind) -> None:
    assert kind_of(action, status, diagnostic) == kind


class TestAttribution:
    def test_worst_first_and_only_addresses_the_email_went_to(self) -> None:
        found = attributed(
            [
                BouncedRecipient(address="other@example.com", kind=BounceKind.DELAYED),
                BouncedRecipient(address="Guest@Example.com", kind=BounceKind.HARD, diagnostic="550 5.1.1 gone"),
            ],
            [GUEST, "second@example.com"],
        )
        assert [(r.address, r.kind) for r in found] == [(GUEST, BounceKind.HARD), (None, BounceKind.DELAYED)]

    def test_an_unnamed_recipient_stands_for_the_only_one(self) -> None:
        [found] = attributed([BouncedRecipient(kind=BounceKind.HARD)], [GUEST])
        assert found.address == GUEST

    def test_reasons(self) -> None:
        hard = BouncedRecipient(address=GUEST, kind=BounceKind.HARD, diagnostic="550 5.1.1 mailbox unavailable")
        assert reason_of([hard]) == "not delivered: 550 5.1.1 mailbox unavailable"
        late = BouncedRecipient(address="b@example.com", kind=BounceKind.DELAYED, status="4.4.1")
        assert reason_of([hard, late]) == (
            f"not delivered to {GUEST}: 550 5.1.1 mailbox unavailable; delayed to b@example.com: 4.4.1"
        )


def test_a_contact_keeps_one_mark_per_address_the_latest() -> None:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    first = marked([], GUEST, at, "550 gone")
    assert first == [{"email": GUEST, "at": at, "reason": "550 gone"}]
    assert marked(first, GUEST, at, "550 gone") is None  # a redelivered event changes nothing
    later = marked(first, GUEST, at + timedelta(days=1), "550 still gone")
    assert later == [{"email": GUEST, "at": at + timedelta(days=1), "reason": "550 still gone"}]
