"""Issue 20, "Nothing a guest writes is lost": real-world-shaped emails through the SMTP receiver, each
followed to where an agent finds it (the conversation and its timeline, through the inbox API).

The messages are written here as raw RFC 822 bytes, as mail clients and auto-responders send them.
"""

import asyncio
import smtplib
import uuid
from typing import Any

import httpx
import pytest

from shared import tokens
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, REPLY_DOMAIN, TEST_SECRET, Stack
from tests.integration.inbox_helpers import AgentApi
from tests.integration.test_email_ingest import crlf
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

DATE = "Thu, 03 Dec 2026 09:12:44 +0100"


def deliver(stack: Stack, raw: bytes, to: str, mail_from: str = "guest@example.com") -> tuple[int, str]:
    """One SMTP transaction; the final answer (code, text) to DATA, or to the command that refused."""
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.ehlo()
        for code, text in (client.mail(mail_from), client.rcpt(to)):
            if code != 250:
                return code, text.decode(errors="replace")
        code, text = client.data(crlf(raw))
        return code, text.decode(errors="replace")


def guest_mail(location: str, message_id: str, subject: str, *, headers: str = "", sender: str = "") -> bytes:
    sender = sender or f"Claire Dubois <claire.{uuid.uuid4().hex[:6]}@example.com>"
    return (
        f"From: {sender}\n"
        f"To: {location}@{HOTEL_MAIL_DOMAIN}\n"
        f"Subject: {subject}\n"
        f"Date: {DATE}\n"
        f"Message-ID: <{message_id}>\n"
        f"{headers}"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Bonjour,\n"
        "Nous arrivons vers 23h40, après la fermeture de la réception.\n"
        "Claire\n"
    ).encode()


def out_of_office(location: str, to: str, message_id: str, references: str) -> bytes:
    """An Exchange-style out-of-office answer (RFC 3834's Auto-Submitted, a null envelope sender)."""
    return (
        "From: Claire Dubois <claire@example.com>\n"
        f"To: {to}\n"
        "Subject: Automatic reply: Re: Late arrival\n"
        f"Date: {DATE}\n"
        f"Message-ID: <{message_id}>\n"
        f"In-Reply-To: {references.split()[-1]}\n"
        f"References: {references}\n"
        "Auto-Submitted: auto-replied\n"
        "X-Auto-Response-Suppress: All\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "I am out of the office until 14 December with limited access to email.\n"
    ).encode()


async def detail(api: AgentApi, conversation_id: str) -> dict[str, Any]:
    return await api.get(conversation_id)


def messages(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in found["timeline"] if entry["kind"] == "message"]


class TestAutomaticReplies:
    async def test_an_auto_reply_to_an_answered_request_joins_it_and_leaves_it_closed(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        root = f"late.{uuid.uuid4().hex}@example.com"
        to = f"{location}@{HOTEL_MAIL_DOMAIN}"
        raw = guest_mail(location, root, "Late arrival", sender="Claire Dubois <claire@example.com>")
        assert (await asyncio.to_thread(deliver, stack, raw, to))[0] == 250
        [conversation] = await api.wait_for(location)
        cid = conversation["id"]
        await api.ok("POST", cid, "messages", {"text": "The night porter will wait for you."})
        await api.ok("POST", cid, "read")
        await api.ok("PUT", cid, "status", {"status": "closed"})
        before = (await detail(api, cid))["conversation"]
        assert (before["status"], before["unread"]) == ("closed", False)

        address = f"reply+{tokens.sign('reply', cid, TEST_SECRET)}@{location}.{REPLY_DOMAIN}"
        auto = out_of_office(location, address, f"ooo.{uuid.uuid4().hex}@example.com", f"<{root}>")
        assert await asyncio.to_thread(deliver, stack, auto, address, "") == (250, "2.0.0 Accepted")

        after = await eventually(lambda: detail(api, cid), lambda d: len(messages(d)) == 3)
        entry = messages(after)[-1]
        assert (entry["direction"], entry["automatic"], entry["subject"]) == (
            "inbound",
            "auto_reply",
            "Automatic reply: Re: Late arrival",
        )
        state = after["conversation"]
        assert (state["status"], state["unread"]) == ("closed", False), "an out-of-office reopens nothing"
        for unchanged in ("last_activity_at", "snippet", "last_message_id"):
            assert state.get(unchanged) == before.get(unchanged), unchanged
        assert [e for e in after["timeline"] if e["kind"] == "status" and e.get("reason") == "guest_wrote"] == []
        assert await api.conversations(location=location, view="inbox") == []
        assert len(await api.conversations(location=location, view="all")) == 1

    async def test_an_auto_reply_answering_nothing_known_is_kept_as_a_closed_request(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        """The rule: it opens a request already closed (and read), flagged `automatic`, found among the
        closed requests; never an open request asking for an answer."""
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        to = f"{location}@{HOTEL_MAIL_DOMAIN}"
        auto = out_of_office(location, to, f"ooo.{uuid.uuid4().hex}@example.com", "<unknown.campaign@crm.example>")
        assert await asyncio.to_thread(deliver, stack, auto, to, "") == (250, "2.0.0 Accepted")
        [conversation] = await api.wait_for(location, view="closed")
        assert (conversation["status"], conversation["unread"], conversation["automatic"]) == (
            "closed",
            False,
            "auto_reply",
        )
        [entry] = messages(await detail(api, conversation["id"]))
        assert entry["automatic"] == "auto_reply"
        assert "out of the office" in entry["text"]
        for view in ("inbox", "open"):
            assert await api.conversations(location=location, view=view) == [], view


class TestPeopleWhoseMailLooksAutomatic:
    @pytest.mark.parametrize(
        "subject", ["Absence of hot water in room 412", "Out of office hours arrival: is there a key box?"]
    )
    async def test_a_guest_subject_is_a_new_request(
        self, stack: Stack, http: httpx.AsyncClient, location: str, subject: str
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        raw = guest_mail(location, f"s.{uuid.uuid4().hex}@example.com", subject)
        assert await asyncio.to_thread(deliver, stack, raw, f"{location}@{HOTEL_MAIL_DOMAIN}") == (
            250,
            "2.0.0 Accepted",
        )
        [conversation] = await api.wait_for(location, view="inbox")
        assert (conversation["status"], conversation["unread"], conversation["subject"]) == ("open", True, subject)
        assert messages(await detail(api, conversation["id"]))[0].get("automatic") is None

    @pytest.mark.parametrize("precedence", ["bulk", "junk"])
    async def test_a_reply_copied_to_a_mailing_list_is_stored(
        self, stack: Stack, http: httpx.AsyncClient, location: str, precedence: str
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        headers = (
            f"Precedence: {precedence}\nList-Id: <wedding-guests.lists.example.org>\n"
            "List-Unsubscribe: <mailto:leave-wedding-guests@lists.example.org>\n"
        )
        raw = guest_mail(
            location, f"l.{uuid.uuid4().hex}@example.com", "Re: [wedding] rooms for Saturday", headers=headers
        )
        code, _ = await asyncio.to_thread(
            deliver, stack, raw, f"{location}@{HOTEL_MAIL_DOMAIN}", "wedding-guests-bounces@lists.example.org"
        )
        assert code == 250
        [conversation] = await api.wait_for(location, view="inbox")
        assert conversation["subject"] == "Re: [wedding] rooms for Saturday"
        assert "23h40" in messages(await detail(api, conversation["id"]))[0]["text"]


def booking_confirmation(boundary: str) -> str:
    """A booking platform's confirmation with its own PDF voucher, as a guest's client attaches it."""
    return (
        "From: Booking Desk <noreply@booking.example>\n"
        "To: claire@example.com\n"
        "Subject: Your booking 4711: confirmed\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0100\n"
        "Message-ID: <conf4711@booking.example>\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\n'
        "\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Booking 4711 is confirmed: 2 nights, 1 double room.\n"
        f"--{boundary}\n"
        'Content-Type: application/pdf; name="voucher-4711.pdf"\n'
        'Content-Disposition: attachment; filename="voucher-4711.pdf"\n'
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "JVBERi0xLjQgdm91Y2hlciA0NzEx\n"
        f"--{boundary}--\n"
    )


class TestForwardedEmails:
    @pytest.mark.parametrize("as_whole_body", [False, True])
    async def test_a_forwarded_email_is_one_eml_with_its_sender_date_and_subject(
        self, stack: Stack, http: httpx.AsyncClient, location: str, as_whole_body: bool
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        head = (
            "From: Claire Dubois <claire@example.com>\n"
            f"To: {location}@{HOTEL_MAIL_DOMAIN}\n"
            "Subject: Fwd: Your booking 4711: confirmed\n"
            f"Date: {DATE}\n"
            f"Message-ID: <fwd.{uuid.uuid4().hex}@example.com>\n"
            "MIME-Version: 1.0\n"
        )
        if as_whole_body:
            raw = head + "Content-Type: message/rfc822\nContent-Disposition: inline\n\n" + booking_confirmation("in")
        else:
            raw = (
                head + 'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
                "Content-Type: text/plain; charset=utf-8\n\nHere is my booking, see attached.\n--out\n"
                'Content-Type: message/rfc822\nContent-Disposition: attachment; filename="booking.eml"\n\n'
                + booking_confirmation("in")
                + "--out--\n"
            )
        assert (await asyncio.to_thread(deliver, stack, raw.encode(), f"{location}@{HOTEL_MAIL_DOMAIN}"))[0] == 250
        [conversation] = await api.wait_for(location)
        [entry] = messages(await detail(api, conversation["id"]))
        [eml] = entry["attachments"]
        assert (eml["filename"], eml["content_type"]) == ("Your booking 4711_ confirmed.eml", "message/rfc822")
        [forwarded] = entry["forwarded"]
        assert forwarded["date"].startswith("2026-12-01T09:00:00"), forwarded  # 10:00 +01:00, kept as UTC
        assert {k: v for k, v in forwarded.items() if k != "date"} == {
            "sender": "Booking Desk <noreply@booking.example>",
            "subject": "Your booking 4711: confirmed",
            "attachment_id": eml["id"],
        }
        assert "Booking 4711 is confirmed" not in entry["text"], "not merged into the guest's own text"
        download = await http.get(f"{stack.url('inbox')}/api/v1/attachments/{eml['id']}", headers=ADMIN)
        assert download.status_code == 200
        assert b"From: Booking Desk <noreply@booking.example>" in download.content
        assert b"JVBERi0xLjQgdm91Y2hlciA0NzEx" in download.content, "its own voucher stays inside it"


class TestSenderWithoutFrom:
    async def test_the_envelope_sender_is_answered_when_there_is_no_from(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        raw = (
            f"To: {location}@{HOTEL_MAIL_DOMAIN}\nSubject: Parking?\nDate: {DATE}\n"
            f"Message-ID: <nofrom.{uuid.uuid4().hex}@example.com>\n\nIs there a parking for a van?\n"
        ).encode()
        sender = f"van.{uuid.uuid4().hex[:6]}@example.com"
        assert (await asyncio.to_thread(deliver, stack, raw, f"{location}@{HOTEL_MAIL_DOMAIN}", sender))[0] == 250
        [conversation] = await api.wait_for(location)
        assert conversation["guest"]["email"] == sender
        assert messages(await detail(api, conversation["id"]))[0]["author"]["email"] == sender

    async def test_no_address_at_all_is_refused(self, stack: Stack, location: str) -> None:
        raw = f"To: {location}@{HOTEL_MAIL_DOMAIN}\nSubject: ?\nDate: {DATE}\n\nWho am I?\n".encode()
        code, text = await asyncio.to_thread(deliver, stack, raw, f"{location}@{HOTEL_MAIL_DOMAIN}", "")
        assert code == 550
        assert "no address to answer" in text


class TestMessageIds:
    async def test_two_ids_that_a_parser_reads_alike_are_two_messages(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        """`<x@mailer@host-a>` and `<x@mailer@host-b>`: both read `x@mailer` by Python's parser."""
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        tag = uuid.uuid4().hex[:8]
        for host, subject in (("host-a", "Breakfast"), ("host-b", "Parking")):
            raw = guest_mail(location, f"{tag}@mailer@{host}", subject)
            assert (await asyncio.to_thread(deliver, stack, raw, f"{location}@{HOTEL_MAIL_DOMAIN}"))[0] == 250
        conversations = await api.wait_for(location, count=2)
        assert sorted(c["subject"] for c in conversations) == ["Breakfast", "Parking"]
        ids = [messages(await detail(api, c["id"]))[0]["message_id"] for c in conversations]
        assert sorted(ids) == [f"{tag}@mailer@host-a", f"{tag}@mailer@host-b"]
