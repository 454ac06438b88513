"""How an outbound message looks as an email: headers that thread, a text and an HTML part, files.

Pure functions of the command and the files' bytes, so the same command always gives the same
email: its Message-ID comes from the command's key, and a retry sends the very same message.
"""

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from shared.bus import AttachmentRef, OutboundKind, OutboundMessage
from shared.mail_threads import bare, capped, solicitation_message_id
from shared.mail_threads import reference_tag as reference_tag  # where it was defined before: still read here

_URL = re.compile(r"https?://[^\s<>\"']+")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|réf|ref)\s*:", re.IGNORECASE)
# Light formatting: **bold** and *italic*, each around at least one character that is not a space.
_BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(\S(?:[^*\n]*?\S)?)\*(?![*\w])")
_TAG = re.compile(r"\[#[A-Z2-7]{6}\]")
_NOT_IN_ID = re.compile(r"[\s\x00-\x1f\x7f<>]")
MAX_LINE = 78
# Headers stored raw (`set_raw`: In-Reply-To, References) are written as given, never refolded.
POLICY = SMTP.clone(refold_source="none")
# Kinds whose answers come back, by the local part ingest routes on: a guest's to the inbox, an
# external person's to solicit. Forwards, delegations and shares are answered by colleagues directly.
REPLY_PREFIXES = {"reply": "reply", "solicitation": "solicit"}
# Kinds sent outside the request's email thread.
UNTHREADED = frozenset({OutboundKind.SURVEY})


@dataclass(frozen=True)
class File:
    """An attachment's description and bytes, read from the attachments bucket."""

    ref: AttachmentRef
    data: bytes

    @property
    def inline_image(self) -> bool:
        return bool(self.ref.content_id) and self.ref.content_type.startswith("image/")


@dataclass(frozen=True)
class Envelope:
    """What the email is sent as: its sender, where answers go, and the console for hand-over links."""

    sender_name: str
    sender_address: str
    reply_domain: str
    console_url: str


def message_id(key: str, domain: str) -> str:
    """The email's Message-ID (without angle brackets), the same for every attempt at one command."""
    return f"hub.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}"


def message_id_of(message: OutboundMessage, reply_domain: str) -> str:
    """The Message-ID of the email a command sends: a solicitation's carries its token (ingest routes an
    answer to the hotel's main address by it), every other one only its key."""
    if message.kind == OutboundKind.SOLICITATION and message.reply_token:
        return solicitation_message_id(message.key, message.reply_token, message.location_id, reply_domain)
    return message_id(message.key, reply_domain)


def reply_address(token: str, location_id: str, reply_domain: str, prefix: str = "reply") -> str:
    """Where the answer goes; ingest routes it back by the signed token (to the inbox, or to solicit)."""
    return f"{prefix}+{token}@{location_id}.{reply_domain}"


# The subject of an email written without one, in the hotel's language (French when unknown).
NO_SUBJECT = {"fr": "Votre demande", "en": "Your request"}


def subject_of(message: OutboundMessage) -> str:
    subject = " ".join(message.subject.split()) or NO_SUBJECT[message.language or "fr"]
    if _TAG.search(subject) is None:
        subject = f"{subject} [#{reference_tag(message.conversation_id)}]"
    if message.kind == OutboundKind.REPLY and not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}"
    return subject


def _angle(message_ids: Sequence[str]) -> str:
    """Message-IDs as In-Reply-To and References write them, folded between ids only (`set_raw` keeps
    it so): the library would fold a long id as an RFC 2047 encoded word, which no mail program reads
    as an id. An id with a space or a control character in it is no id, and could end the header."""
    line_ids = [f"<{m}>" for m in (bare(m) for m in message_ids) if m and not _NOT_IN_ID.search(m)]
    lines: list[str] = []
    for line_id in line_ids:
        if lines and len(lines[-1]) + len(line_id) < MAX_LINE - len("References: "):
            lines[-1] += f" {line_id}"
        else:
            lines.append(line_id)
    return "\n ".join(lines)


def text_of(message: OutboundMessage, envelope: Envelope) -> str:
    """The text as written, with a console link only for an agent's notification: guests, suppliers and
    colleagues who get a forward may have no account, and an internal address is none of their business."""
    text = message.text
    if message.kind == OutboundKind.NOTIFICATION:
        link = console_link(message, envelope)
        if f"/conversations/{message.conversation_id}" not in text:
            text = f"{text}\n\nOpen it in the console: {link}"
    return text


def console_link(message: OutboundMessage, envelope: Envelope) -> str:
    return f"{envelope.console_url.rstrip('/')}/conversations/{message.conversation_id}"


def html_of(text: str, inline_images: Sequence[File], formatted: bool = False) -> str:
    """The text as HTML: paragraphs, line breaks and links kept, inline images shown after it; with
    `formatted`, **bold**, *italic* and blocks of "- " lines as lists too. Everything is escaped first,
    so the text can add no markup of its own."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        if formatted:  # before the links, which then stop at the tags (a URL holds no "<")
            escaped = _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escaped))
        escaped = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        if formatted:
            lines = escaped.split("\n")
            if all(line.startswith("- ") for line in lines):
                items = "".join(f"<li>{line[2:]}</li>" for line in lines)
                paragraphs.append(f"<ul>{items}</ul>")
                continue
        paragraphs.append("<p>" + escaped.replace("\n", "<br>\n") + "</p>")
    images = [
        f'<p><img src="cid:{html.escape(f.ref.content_id or "")}" alt="{html.escape(f.ref.filename)}"></p>'
        for f in inline_images
    ]
    body = "\n".join(paragraphs + images)
    return f'<!doctype html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


def compose(message: OutboundMessage, envelope: Envelope, files: Sequence[File]) -> EmailMessage:
    email = EmailMessage(policy=POLICY)
    email["From"] = formataddr((envelope.sender_name, envelope.sender_address))
    email["To"] = ", ".join(message.to)
    email["Subject"] = subject_of(message)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = f"<{message_id_of(message, envelope.reply_domain)}>"
    # A survey is a new email from the hotel, not an answer in the guest's thread (no In-Reply-To, no
    # References, no Reply-To token): an answer to it reaches the hotel's own address.
    threaded = message.kind not in UNTHREADED
    parents = [*message.references] if threaded else []
    if message.in_reply_to and threaded:
        email.set_raw("In-Reply-To", _angle([message.in_reply_to]))
        parents.append(message.in_reply_to)  # last, as the parent of this email (a repeat is dropped)
    if parents := capped(parents):
        email.set_raw("References", _angle(parents))
    prefix = REPLY_PREFIXES.get(message.kind.value)
    if message.reply_token and prefix:
        address = reply_address(message.reply_token, message.location_id, envelope.reply_domain, prefix)
        email["Reply-To"] = formataddr((envelope.sender_name, address))
    text = text_of(message, envelope)
    inline = [f for f in files if f.inline_image]
    email.set_content(text)
    email.add_alternative(html_of(text, inline, message.formatted), subtype="html")
    html_part = email.get_payload()[1]  # type: ignore[index]
    if not isinstance(html_part, EmailMessage):  # pragma: no cover - add_alternative made it one
        raise TypeError("the HTML part is missing")
    for file in inline:
        maintype, _, subtype = file.ref.content_type.partition("/")
        html_part.add_related(
            file.data,
            maintype,
            subtype,
            cid=f"<{file.ref.content_id}>",
            filename=file.ref.filename,
            disposition="inline",
        )
    for file in files:
        if not file.inline_image:
            maintype, _, subtype = file.ref.content_type.partition("/")
            email.add_attachment(file.data, maintype, subtype or "octet-stream", filename=file.ref.filename)
    return email


def as_bytes(email: EmailMessage) -> bytes:
    return email.as_bytes(policy=POLICY)
