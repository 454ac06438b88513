"""Bounces end to end: an agent's reply reaches the test's SMTP sink, a mail server's delivery report about it
comes back through ingest's SMTP receiver, and the reply's timeline entry shows it (notify matches it to the
email it sent from that hotel); a hard bounce marks the guest's address on their contact, a delay or a soft
failure does not, and a report to another hotel's address never touches this one's reply."""

import smtplib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from tests.integration.conftest import HOTEL_MAIL_DOMAIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.integration.test_metrics import sample
from tests.integration.test_notify import received
from tests.support import bounce_mail
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

Bounce = Callable[[str, str, str], bytes]


def hotel_address(location: str) -> str:
    return f"{location}@{HOTEL_MAIL_DOMAIN}"


def send_report(stack: Stack, raw: bytes, to: str) -> None:
    """Deliver a report as mail servers do: with the null sender (MAIL FROM:<>)."""
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.sendmail("", [to], raw)


class Reply:
    """An agent's email reply to a guest, sent and delivered to the sink."""

    def __init__(self, api: AgentApi, conversation_id: str, entry_id: str, guest: str, message_id: str) -> None:
        self.api, self.conversation_id, self.entry_id = api, conversation_id, entry_id
        self.guest, self.message_id = guest, message_id

    async def entry(self) -> dict[str, Any]:
        timeline = (await self.api.get(self.conversation_id))["timeline"]
        found: dict[str, Any] = next(e for e in timeline if e["id"] == self.entry_id)
        return found

    async def delivery_when(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        entry = await eventually(self.entry, lambda e: check(e.get("delivery") or {}))
        delivery: dict[str, Any] = entry["delivery"]
        return delivery

    async def contact(self, http: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
        contact_id = (await self.api.get(self.conversation_id))["conversation"]["contact_id"]
        assert contact_id, "the guest's request is linked to their contact"
        # As the hotel's agent sees it on the contact card.
        answer = await http.get(f"{stack.url('contacts')}/api/v1/contacts/{contact_id}", headers=self.api.headers)
        assert answer.status_code == 200, answer.text
        contact: dict[str, Any] = answer.json()
        return contact


async def sent_reply(stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str) -> Reply:
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    guest = f"guest-{uuid.uuid4().hex[:10]}@example.com"
    await publish_inbound(nc, location, email=guest, subject="Late arrival")
    conversation_id = str((await api.wait_for(location))[0]["id"])
    entry = (await api.ok("POST", conversation_id, "messages", {"text": "Dear guest, your room is ready."}))["entries"][
        0
    ]
    assert stack.sink is not None
    await received(stack.sink, guest)
    reply = Reply(api, conversation_id, entry["id"], guest, "")
    sent = await reply.delivery_when(lambda d: d.get("state") == "sent")
    assert sent["state"] == "sent"
    reply.message_id = (await reply.entry())["message_id"]
    return reply


def bounces(http: httpx.AsyncClient, stack: Stack, kind: str) -> Any:
    return sample(http, stack.url("notify"), "hub_notify_bounces_total", kind=kind)


@pytest.mark.parametrize(
    ("build", "diagnostic"),
    [
        (bounce_mail.postfix, "550 5.1.1 mailbox unavailable"),
        (bounce_mail.exchange, "550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
        (bounce_mail.gmail, "550-5.1.1 The email account that you tried to reach does not exist"),
        (bounce_mail.qmail, "550 5.1.1"),
    ],
    ids=["postfix", "exchange", "gmail", "qmail"],
)
async def test_a_hard_bounce_fails_the_reply_and_marks_the_guests_address(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str, build: Bounce, diagnostic: str
) -> None:
    reply = await sent_reply(stack, http, nc, location)
    before = await bounces(http, stack, "hard")
    send_report(stack, build(hotel_address(location), reply.guest, reply.message_id), hotel_address(location))

    delivery = await reply.delivery_when(lambda d: d.get("state") == "failed")
    assert delivery["bounce"] == "hard"
    assert delivery["reason"].startswith("not delivered: ")
    assert diagnostic in delivery["reason"]
    assert diagnostic in delivery["diagnostic"]
    assert await bounces(http, stack, "hard") >= before + 1

    contact = await eventually(lambda: reply.contact(http, stack), lambda c: bool(c.get("bounced_emails")))
    [mark] = contact["bounced_emails"]
    assert mark["email"] == reply.guest
    assert diagnostic in mark["reason"]
    # The report is shown on the reply, not kept as a message of its own.
    detail = await reply.api.get(reply.conversation_id)
    assert [e for e in detail["timeline"] if e.get("direction") == "inbound"][1:] == []


async def test_a_delay_shows_the_reply_delayed_and_marks_nothing(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    reply = await sent_reply(stack, http, nc, location)
    before = await bounces(http, stack, "delayed")
    report = bounce_mail.postfix(
        hotel_address(location),
        reply.guest,
        reply.message_id,
        action="delayed",
        status="4.4.1",
        diagnostic="connect to mx.example.com[192.0.2.10]:25: Connection timed out",
    )
    send_report(stack, report, hotel_address(location))

    delivery = await reply.delivery_when(lambda d: d.get("bounce") == "delayed")
    assert delivery["state"] == "queued"
    assert delivery["reason"].startswith("delayed: connect to mx.example.com")
    assert await bounces(http, stack, "delayed") >= before + 1

    # Then the server gives up, for a reason that may pass: not delivered, and still no mark.
    expired = bounce_mail.postfix(
        hotel_address(location), reply.guest, reply.message_id, status="4.4.7", diagnostic="4.4.7 Message expired"
    )
    send_report(stack, expired, hotel_address(location))
    delivery = await reply.delivery_when(lambda d: d.get("state") == "failed")
    assert (delivery["bounce"], delivery["reason"]) == ("soft", "not delivered: 4.4.7 Message expired")
    contact = await reply.contact(http, stack)
    assert not contact.get("bounced_emails")


async def test_a_report_to_another_hotel_never_touches_this_ones_reply(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    reply = await sent_reply(stack, http, nc, location)
    other = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    before = await bounces(http, stack, "unmatched")
    # Hotel B's address receives a report quoting hotel A's reply.
    send_report(stack, bounce_mail.postfix(hotel_address(other), reply.guest, reply.message_id), hotel_address(other))

    other_api = AgentApi(http, stack.url("inbox"), agent_headers([other]))
    [kept] = await other_api.wait_for(other, view="spam")
    assert kept["subject"] == "Undelivered Mail Returned to Sender"
    assert kept["spam_reason"] == "undelivered mail report"
    assert kept["contact_id"] is None
    assert await bounces(http, stack, "unmatched") >= before + 1
    # Hotel A's reply is still sent, and its guest's address unmarked.
    assert (await reply.entry())["delivery"]["state"] == "sent"
    assert not (await reply.contact(http, stack)).get("bounced_emails")


async def test_a_report_about_no_email_of_ours_is_kept_in_the_spam_view(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    report = bounce_mail.exchange(hotel_address(location), "someone@example.org", "sent-by-hand@staff.example")
    send_report(stack, report, hotel_address(location))
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    [kept] = await api.wait_for(location, view="spam")
    assert kept["subject"] == "Undeliverable: Re: Late arrival"
    assert await api.conversations(location=location, view="inbox") == []
