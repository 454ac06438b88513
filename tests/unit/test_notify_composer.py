"""What notify makes of an outbound command: stable ids, subjects with a reference tag, MIME structure."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from services.notify import composer, smtp
from services.notify.composer import Envelope, File, html_of
from services.notify.service import backoff
from shared.bus import AttachmentRef, Channel, OutboundKind, OutboundMessage

ENVELOPE = Envelope(
    sender_name="Hôtel Opéra",
    sender_address="frontdesk@opera.example",
    reply_domain="reply.hub.test",
    console_url="https://hub.example/",
)


def command(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "key": "entry:abc",
        "kind": OutboundKind.REPLY,
        "channel": Channel.EMAIL,
        "conversation_id": "conv1",
        "location_id": "paris-opera",
        "to": ["anna@example.com"],
        "subject": "Late check-in",
        "text": "Hello <Anna>,\n\nsee you at 23:40.",
        "reply_token": "conv1.0123456789abcdef0123",
        "in_reply_to": "m2@guest.example",
        "references": ["m1@guest.example"],
    }
    fields.update(overrides)
    return OutboundMessage.model_validate(fields)


def parsed(message: OutboundMessage, files: list[File] | None = None) -> EmailMessage:
    raw = composer.as_bytes(composer.compose(message, ENVELOPE, files or []))
    email = message_from_bytes(raw, policy=policy.default)
    assert isinstance(email, EmailMessage)
    return email


class TestIdentifiers:
    def test_message_id_is_stable_per_key_and_distinct_between_keys(self) -> None:
        first = composer.message_id("entry:abc", "reply.hub.test")
        assert first == composer.message_id("entry:abc", "reply.hub.test")
        assert first != composer.message_id("entry:abd", "reply.hub.test")
        assert first.endswith("@reply.hub.test")

    def test_reference_tag_is_short_stable_and_upper_case(self) -> None:
        tag = composer.reference_tag("conv1")
        assert tag == composer.reference_tag("conv1")
        assert len(tag) == 6
        assert tag.isupper() or tag.isalnum()
        assert tag != composer.reference_tag("conv2")


class TestSubject:
    def test_reply_gets_re_and_the_tag_once(self) -> None:
        tag = composer.reference_tag("conv1")
        assert composer.subject_of(command()) == f"Re: Late check-in [#{tag}]"
        again = command(subject=f"Re: Late check-in [#{tag}]")
        assert composer.subject_of(again) == f"Re: Late check-in [#{tag}]"

    def test_a_newline_cannot_inject_a_header(self) -> None:
        email = parsed(command(subject="Hi\r\nBcc: evil@example.com"))
        assert email["Bcc"] is None
        assert "Bcc" in str(email["Subject"])

    def test_forward_has_no_re_and_no_console_link(self) -> None:
        forward = command(
            kind=OutboundKind.FORWARD,
            subject="[forward] Late check-in",
            text="Please look.",
            in_reply_to=None,
            references=[],
        )
        email = parsed(forward)
        assert not str(email["Subject"]).startswith("Re:")
        assert email["Reply-To"] is None, "a colleague answers the agent, not the request"
        assert email["In-Reply-To"] is None
        body = email.get_body(("plain",))
        assert body is not None
        assert "/conversations/" not in body.get_content(), "the recipient may have no account"

    def test_only_an_agents_notification_links_to_the_console(self) -> None:
        for kind in (OutboundKind.SOLICITATION, OutboundKind.SHARE, OutboundKind.DELEGATE):
            body = parsed(command(kind=kind, text="Please look.")).get_body(("plain",))
            assert body is not None
            assert "/conversations/" not in body.get_content(), kind
        notice = parsed(command(kind=OutboundKind.NOTIFICATION, text="Assigned.")).get_body(("plain",))
        assert notice is not None
        assert "https://hub.example/conversations/conv1" in notice.get_content()

    def test_the_subject_left_empty_is_in_the_hotels_language(self) -> None:
        assert composer.subject_of(command(subject="", kind=OutboundKind.SHARE, language="en")).startswith(
            "Your request"
        )
        assert composer.subject_of(command(subject="", kind=OutboundKind.SHARE, language="fr")).startswith(
            "Votre demande"
        )


class TestHeadersAndParts:
    def test_threading_headers_and_reply_address(self) -> None:
        email = parsed(command())
        assert email["Message-ID"] == f"<{composer.message_id('entry:abc', 'reply.hub.test')}>"
        assert email["In-Reply-To"] == "<m2@guest.example>"
        assert email["References"] == "<m1@guest.example> <m2@guest.example>"
        assert email["Reply-To"].addresses[0].addr_spec == (
            "reply+conv1.0123456789abcdef0123@paris-opera.reply.hub.test"
        )
        assert email["From"].addresses[0].display_name == "Hôtel Opéra"

    def test_html_escapes_the_text(self) -> None:
        html_part = parsed(command()).get_body(("html",))
        assert html_part is not None
        assert "Hello &lt;Anna&gt;," in html_part.get_content()

    def test_inline_image_and_attachment(self) -> None:
        logo = File(
            AttachmentRef(id="a1", filename="logo.png", content_type="image/png", size=4, content_id="logo@x"),
            b"\x89PNG",
        )
        menu = File(AttachmentRef(id="a2", filename="menu.pdf", content_type="application/pdf", size=5), b"%PDF-")
        email = parsed(command(), [logo, menu])
        assert email.get_content_type() == "multipart/mixed"
        structure = [part.get_content_type() for part in email.walk()]
        assert structure == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf",
        ]
        [attachment] = list(email.iter_attachments())
        assert (attachment.get_filename(), attachment.get_content()) == ("menu.pdf", b"%PDF-")
        image = next(p for p in email.walk() if p.get_content_type() == "image/png")
        assert image["Content-ID"] == "<logo@x>"


class TestRetries:
    def test_backoff_doubles_and_is_capped(self) -> None:
        assert [backoff(n, 30, 3600) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]

    def test_4xx_is_temporary_and_5xx_permanent(self) -> None:
        assert smtp._failure(421, "4.3.0 busy").temporary
        refused = smtp._failure(550, "5.1.1 no\\n such user")
        assert not refused.temporary
        assert refused.reason.startswith("550 5.1.1 no")


def test_light_formatting_is_shown_only_when_asked_and_adds_no_markup_of_the_text() -> None:
    text = "Hello **Marc**, can you do *40* covers?\n\n- white roses\n- 8 tables <b onclick=x>\n\n2 * 3 = 6, see https://x.example/a"
    formatted = html_of(text, [], formatted=True)
    assert "<p>Hello <strong>Marc</strong>, can you do <em>40</em> covers?</p>" in formatted
    assert "<ul><li>white roses</li><li>8 tables &lt;b onclick=x&gt;</li></ul>" in formatted
    assert '<p>2 * 3 = 6, see <a href="https://x.example/a">https://x.example/a</a></p>' in formatted
    plain = html_of(text, [])
    assert "**Marc**" in plain
    assert "<strong>" not in plain
    assert "<ul>" not in plain
