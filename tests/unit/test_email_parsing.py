"""Reading inbound email: sanitizing, automatic mail, strict addresses, where it goes."""

from email.message import EmailMessage

import pytest

from services.ingest.email_intake import destination_of
from services.ingest.email_parsing import UnreadableEmailError, parse, sanitize_html, valid_address
from services.ingest.settings import IngestSettings
from shared import signatures, tokens


def email(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Anna Martin <Anna@Example.com>")
    message["To"] = headers.pop("To", "paris-opera@hotels.test")
    message["Subject"] = headers.pop("Subject", "Late check-in")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("We land at 23:40.")
    return message


class TestParse:
    def test_headers_text_and_thread(self) -> None:
        message = email(In_Reply_To="<a@x>", References="<root@x> <a@x>")
        message.add_alternative("<p>We land at <b>23:40</b>.</p><script>steal()</script>", subtype="html")
        parsed = parse(message.as_bytes())
        assert (parsed.sender_email, parsed.sender_name) == ("anna@example.com", "Anna Martin")
        assert parsed.message_id == "m1@example.com"
        assert parsed.references == ["root@x", "a@x"]
        assert parsed.text == "We land at 23:40."
        assert parsed.html is not None
        assert "<script" not in parsed.html
        assert parsed.automatic is None

    def test_encoded_words_and_charsets(self) -> None:
        raw = (
            b"From: =?utf-8?q?Zo=C3=A9?= <zoe@example.fr>\r\nTo: nice@hotels.test\r\n"
            b"Subject: =?iso-8859-1?q?R=E9servation?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
            b"Merci beaucoup, \xe0 bient\xf4t\r\n"
        )
        parsed = parse(raw)
        assert parsed.sender_name == "Zoé"
        assert parsed.subject == "Réservation"
        assert parsed.text == "Merci beaucoup, à bientôt"

    def test_nul_characters_are_dropped_so_the_mail_can_be_stored(self) -> None:
        # Found by the OpenAPI fuzzer: accepted, such a mail was dead-lettered by the inbox (its database
        # cannot store a NUL), so the guest's message never arrived.
        raw = (
            b"From: =?utf-8?q?Zo=00=C3=A9?= <zoe@example.fr>\r\nTo: nice@hotels.test\r\nSubject: R\x00oom\r\n"
            b"Message-ID: <a\x00b@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Late=00 check-in\r\n--b\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="plan\x00.pdf"\r\n\r\n%PDF\x00\r\n--b--\r\n'
        )
        parsed = parse(raw)
        assert (parsed.sender_name, parsed.subject, parsed.text) == ("Zoé", "Room", "Late check-in")
        assert parsed.message_id is None
        assert (parsed.attachments[0].filename, parsed.attachments[0].data) == ("plan.pdf", b"%PDF\x00")

    @pytest.mark.parametrize(
        "headers",
        [
            {"Auto_Submitted": "auto-replied"},
            {"X_Autoreply": "yes"},
            {"Subject": "Out of office: back Monday"},
            {"Precedence": "bulk"},
        ],
    )
    def test_automatic_replies_are_recognised(self, headers: dict[str, str]) -> None:
        assert parse(email(**headers).as_bytes()).automatic == "auto_reply"

    def test_delivery_reports_are_bounces(self) -> None:
        raw = (
            b"From: MAILER-DAEMON@mx.example.com\r\nTo: paris@hotels.test\r\nSubject: Undelivered\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain\r\n\r\nCould not deliver\r\n--b--\r\n"
        )
        assert parse(raw).automatic == "bounce"

    @pytest.mark.parametrize(
        "sender",
        [
            "nina@example.org <attacker@evil.example>",
            "nina@example.org)<attacker@evil.example>",
            "<nina@example.org>attacker@evil.example",
            "=?utf-8?q?nina=40example.org?= <attacker@evil.example>",
            "nina@example.org, attacker@evil.example",
        ],
    )
    def test_a_from_read_as_two_senders_is_kept_and_flagged(self, sender: str) -> None:
        """Issue 18, finding 9 (CVE-2023-27043): kept, never dropped, but flagged as ambiguous."""
        raw = f"From: {sender}\r\nTo: x@hotels.test\r\nSubject: s\r\n\r\nbody".encode()
        assert parse(raw).ambiguous_sender

    def test_two_from_headers_are_ambiguous(self) -> None:
        raw = b"From: Nina <nina@example.org>\r\nFrom: attacker@evil.example\r\nTo: x@hotels.test\r\n\r\nbody"
        assert parse(raw).ambiguous_sender

    @pytest.mark.parametrize(
        "sender",
        ["Nina <nina@example.org>", "nina@example.org", '"nina@example.org" <NINA@example.org>', '"Bob, Jr" <b@x.org>'],
    )
    def test_one_plain_mailbox_is_not_ambiguous(self, sender: str) -> None:
        raw = f"From: {sender}\r\nTo: x@hotels.test\r\nSubject: s\r\n\r\nbody".encode()
        assert not parse(raw).ambiguous_sender

    @pytest.mark.parametrize("sender", ["", "no address", "alice@example.com@evil.example", '"a@b"@c'])
    def test_no_usable_sender_is_refused(self, sender: str) -> None:
        raw = f"From: {sender}\r\nTo: x@hotels.test\r\nSubject: s\r\n\r\nbody".encode()
        with pytest.raises(UnreadableEmailError):
            parse(raw)


class TestSanitize:
    @pytest.mark.parametrize(
        ("html", "forbidden"),
        [
            ('<p onclick="steal()">hi</p>', "onclick"),
            ('<a href="javascript:steal()">x</a>', "javascript:"),
            ("<script>steal()</script>", "<script"),
            ('<img src="https://tracker.example/pixel.gif">', ' src="https://tracker.example'),
            ("<svg><script>alert(1)</script></svg>", "<svg"),
            ('<div style="background:url(javascript:x)">y</div>', "style"),
            ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ],
    )
    def test_active_content_and_remote_resources_go(self, html: str, forbidden: str) -> None:
        assert forbidden not in sanitize_html(html)

    def test_remote_images_are_parked_not_loaded(self) -> None:
        cleaned = sanitize_html('<img src="https://tracker.example/p.gif" alt="x" onerror="steal()">')
        assert cleaned == '<img data-remote-src="https://tracker.example/p.gif" alt="x">'

    def test_inline_images_and_links_stay(self) -> None:
        cleaned = sanitize_html('<p><img src="cid:logo@x" alt="logo"> <a href="https://hotel.example">site</a></p>')
        assert 'src="cid:logo@x"' in cleaned
        assert 'href="https://hotel.example"' in cleaned


class TestRouting:
    settings = IngestSettings(
        hotel_mail_domain="hotels.test",
        reply_domain="reply.hotels.test",
        mailboxes={"Contact@Opera.example": "paris-opera"},
    )

    def test_hotel_mailboxes(self) -> None:
        assert destination_of("nice@hotels.test", self.settings).location_id == "nice"  # type: ignore[union-attr]
        assert destination_of("contact@opera.example", self.settings).location_id == "paris-opera"  # type: ignore[union-attr]
        assert destination_of("someone@elsewhere.example", self.settings) is None
        assert destination_of("Bad.Hotel@hotels.test", self.settings) is None

    def test_reply_addresses_carry_hotel_and_token(self) -> None:
        token = tokens.sign("reply", "c0ffee", "secret")
        found = destination_of(f"REPLY+{token.upper()}@Paris-Opera.Reply.Hotels.test", self.settings)
        assert found is not None
        assert found.location_id == "paris-opera"
        assert tokens.verify("reply", found.reply_token or "", "secret") == "c0ffee", "case changes do not matter"

    def test_reply_address_fits_the_64_character_local_part(self) -> None:
        token = tokens.sign("reply", "0" * 32, "secret")
        assert len(f"reply+{token}") <= 64
        assert destination_of(f"reply+{token}@x.y.reply.hotels.test", self.settings) is None

    def test_addresses_are_strict(self) -> None:
        assert valid_address("a@b.example") == "a@b.example"
        assert valid_address("a@b") is None
        assert valid_address("a b@c.example") is None


class TestSignatures:
    def test_good_stale_and_forged(self) -> None:
        body = b'{"x": 1}'
        good = signatures.sign("s3cret", 1_000_000, body)
        signatures.verify("s3cret", "1000000", good, body, now=1_000_010)
        with pytest.raises(signatures.SignatureError, match="older"):
            signatures.verify("s3cret", "1000000", good, body, now=1_000_000 + 3600)
        with pytest.raises(signatures.SignatureError, match="does not match"):
            signatures.verify("s3cret", "1000000", good, body + b" ", now=1_000_010)
        with pytest.raises(signatures.SignatureError, match="not signed"):
            signatures.verify("s3cret", None, None, body)
