"""Reading an inbound email: headers, text, sanitized HTML, attachments, and what kind of mail it is.

Pure functions over the raw RFC 822 bytes, with the standard library's `email` package
(policy=default). Nothing here trusts the sender: addresses are validated strictly before anything
is routed on them (Python 3.11's parser can misread crafted addresses, CVE-2023-27043), HTML is
sanitized with nh3, and headers are kept as name/value pairs, never as document keys.
"""

import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from itertools import islice
from typing import Literal

import nh3

from shared.mime import MimeLimitError, MimeLimits, parse_bounded

MAX_TEXT = 100_000
MAX_HEADERS = 100
MAX_ATTACHMENTS = 20
MAX_HEADER_VALUES = 10  # of one header (To, Cc…): more are read as none
MAX_DEPTH = 50  # multiparts inside multiparts: a person's email has a handful
# What an email may hold (shared/mime.py says why): 25 MB in base64's 78-byte lines is 330,000 lines; a
# person's email has a few dozen parts and a few hundred headers, none of them 8 kB long.
LIMITS = MimeLimits(lines=1_000_000, parts=200, headers=5000, header_chars=8192)
MAX_FILENAME = 255
# Strict enough to refuse what the 3.11 parser may have misread: one local part, one domain.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Something a reader takes for an address, in a display name ("nina@example.org <attacker@evil.example>").
_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")
_MESSAGE_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]{1,900})>")
_TAG = re.compile(r"<[^>]+>")
# Auto-responders that do not write RFC 3834's Auto-Submitted but say what they are in their X-Mailer.
_VACATION_MAILER = re.compile(r"^\s*(vacation|auto[ -]?(reply|responder))\b", re.IGNORECASE)
# An attached email written back with its headers as they came (not refolded), in CRLF lines.
_AS_SENT = email.policy.default.clone(linesep="\r\n", refold_source="none")
_FOLDING = re.compile(r"\r?\n[ \t]")
_UNSAFE_FILENAME = re.compile(r"[^\w .,()&+'-]+")
# What survives sanitizing: formatting, links and inline (cid:) images; no script, style, event
# handler, form or remote resource.
_ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}}


SenderSource = Literal["From", "Sender", "Reply-To", "envelope", "Return-Path"]


class UnreadableEmailError(ValueError):
    """The bytes are not an email the hub can take (no sender, nothing to read)."""


@dataclass(frozen=True)
class Forwarded:
    """What an attached email says of itself (shown on the timeline; never routed on)."""

    sender: str
    date: datetime | None
    subject: str


@dataclass(frozen=True)
class Part:
    filename: str
    data: bytes
    declared_type: str
    content_id: str | None = None
    forwarded: Forwarded | None = None  # an attached email, kept whole as a .eml file


@dataclass
class ParsedEmail:
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    sender_email: str
    sender_name: str | None
    recipients: list[str]
    subject: str
    text: str
    html: str | None
    attachments: list[Part] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    automatic: Literal["auto_reply", "bounce"] | None = None  # not written by a person (see `_automatic`)
    # The From header can be read as more than one sender (see `_sender`): kept, but never taken as proof
    # of who wrote it.
    ambiguous_sender: bool = False
    # Where the address answered comes from: the From header, else (no From address at all) Sender,
    # Reply-To, the SMTP envelope's MAIL FROM, or the Return-Path an IMAP server wrote.
    sender_source: SenderSource = "From"


def valid_address(address: str) -> str | None:
    """The address lower-cased if it is one plain mailbox, else None."""
    address = address.strip()
    return address.lower() if _ADDRESS.match(address) else None


def message_ids(value: str | None) -> list[str]:
    """The `<id>`s of a Message-ID, In-Reply-To or References value, read from the header as sent: the
    standard library's reading cuts `<x@mailer@host-a>` to `x@mailer`, and two emails become one."""
    return _MESSAGE_ID.findall(value or "")[:500]


def sanitize_html(html: str) -> str:
    """Inert HTML: scripts, styles, event handlers and `javascript:` URLs go; cid: images stay and remote
    images keep their address in `data-remote-src`, so no tracker loads when an agent opens the message."""
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # Remote images are parked, not loaded: the console restores them only when the agent asks.
    parked = re.sub(r'(<img\b[^>]*?)\bsrc="(https?://[^"]*)"', r'\1data-remote-src="\2"', cleaned)
    return re.sub(r'<img\b[^>]*\ssrc="(?!cid:)[^"]*"[^>]*>', "", parked)


def html_to_text(html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", html)
    text = _TAG.sub("", text)
    text = re.sub(r"&nbsp;", " ", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _automatic(message: EmailMessage) -> Literal["auto_reply", "bounce"] | None:
    """Whether a machine wrote the email: a delivery report ("bounce") or an automatic reply ("auto_reply").

    Only what auto-responders declare counts (RFC 3834): `Auto-Submitted` other than `no`, `X-Autoreply`,
    `X-Autorespond`, `X-Autogenerated: Reply` (older Exchange and hosting-panel responders),
    `Precedence: auto_reply`, or an `X-Mailer` naming a vacation program. Never the subject (a guest
    writes "Absence of hot water in room 412"), nor `Precedence: bulk`/`junk` (a guest's reply copied to a
    mailing list), nor `X-Auto-Response-Suppress` (Outlook writes it on people's mail), nor
    `X-MS-Exchange-Inbox-Rules-Loop` (also on a guest's mail that a rule forwarded). An automatic reply is
    kept all the same: the inbox files it without reopening anything.
    """
    content_type = message.get_content_type()
    report = str(message.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report == "delivery-status":
        return "bounce"
    sender = _header(message, "From").lower()
    subject = _header(message, "Subject")
    if "mailer-daemon@" in sender or ("postmaster@" in sender and "delivery" in subject.lower()):
        return "bounce"
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto_reply"
    if _header(message, "X-Autogenerated").strip().lower() == "reply":
        return "auto_reply"
    if _header(message, "Precedence").strip().lower() == "auto_reply":
        return "auto_reply"
    if _VACATION_MAILER.match(_header(message, "X-Mailer")):
        return "auto_reply"
    return None


def _valid(text: str) -> str:
    """Text the bus can encode: a lone surrogate (from 8-bit bytes, or a charset such as unicode-escape)
    becomes U+FFFD."""
    return text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")


def _storable(text: str) -> str:
    """Valid text without its NUL characters: the database cannot store them, and a mail is kept without
    them rather than refused (its sender is a mail server, not the guest)."""
    return _valid(text).replace("\x00", "")


def _header_text(message: EmailMessage, name: str, raw: str) -> str:
    """A header's decoded text. The standard library's header parser raises on some crafted values
    (IndexError on a malformed Message-ID, UnicodeEncodeError on an encoded word whose charset yields lone
    surrogates, RecursionError on nested comments): such a value is read as sent."""
    try:
        text = str(message.policy.header_fetch_parse(name, raw))
    except Exception:  # noqa: BLE001 - not a closed list: CPython keeps fixing new ones
        text = raw
    return _valid(text)


def _listed(raw: str) -> str:
    """A header as the list of headers shows it: encoded words decoded, its structure not parsed (each
    address or parameter parsed would cost milliseconds, a hundred times)."""
    try:
        text = str(make_header(decode_header(raw[:2000])))
    except (MessageError, LookupError, ValueError):  # an unknown charset, a broken encoded word
        text = raw
    return _valid(text)[:2000]


def _header_texts(message: EmailMessage, name: str, limit: int = MAX_HEADER_VALUES) -> list[str]:
    """The text of a header's first `limit` occurrences."""
    found = (_header_text(message, key, raw) for key, raw in message.raw_items() if key.lower() == name.lower())
    return list(islice(found, limit))


def _header(message: EmailMessage, name: str) -> str:
    found = _header_texts(message, name, 1)
    return found[0] if found else ""


def _raw_header(message: EmailMessage, name: str) -> str:
    """A header's first value as sent, unfolded: what identifies an email must not go through a parser
    that may read it otherwise (see `message_ids`)."""
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), "")
    return _valid(_FOLDING.sub(" ", str(raw))).strip()


def _addresses(texts: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs of address headers; none from one whose comments nest thousands deep (the
    standard library reads them recursively)."""
    try:
        return getaddresses(texts)
    except RecursionError:
        return []


def _sender(message: EmailMessage, header_name: str = "From") -> tuple[str, str | None, bool]:
    """An address header's (display name, address, ambiguous): From's, or Sender's or Reply-To's.

    Read twice, strictly (the header registry's RFC 5322 parser, with its defects) and leniently (the
    `getaddresses` that CVE-2023-27043 is about): one plain mailbox both agree on, without defects, is
    unambiguous. Anything else (two From headers, two mailboxes, a defect, the parsers disagreeing, or a
    display name that looks like another address) is ambiguous: `nina@example.org <attacker@evil.example>`
    shows Nina to one reader and sends from the attacker to another. The address kept is the strict
    parser's; the caller stores the mail but must not take it as the guest's identity.
    """
    values = _header_texts(message, header_name, 2)
    lenient = [(n, a) for n, a in _addresses(values[:1]) if n or a]
    name, address = lenient[0] if lenient else ("", "")
    ambiguous = len(values) != 1 or len(lenient) != 1
    try:
        header = message[header_name]
        strict = list(getattr(header, "addresses", ()))
        defects = list(getattr(header, "defects", ()))
    except Exception:  # noqa: BLE001 - as in _header_text: a value the registry cannot parse is ambiguous
        strict, defects = [], [None]
    if len(strict) == 1 and strict[0].addr_spec:
        name, address = strict[0].display_name or name, strict[0].addr_spec
    if len(strict) != 1 or defects or address.lower() != (lenient[0][1].lower() if lenient else ""):
        ambiguous = True
    sender = valid_address(address)
    named = {found.lower() for found in _ADDRESS_LIKE.findall(name)}
    if sender is not None and named - {sender}:
        ambiguous = True
    return name, sender, ambiguous


def _answerable(message: EmailMessage, envelope_sender: str | None) -> tuple[str, str | None, bool, SenderSource]:
    """Who to answer: the From header's sender (see `_sender`), unless From names no address at all.

    Then, in order: the Sender header, the Reply-To header (each only when it is one unambiguous mailbox),
    the SMTP envelope sender, or, where the mail was not received by SMTP (`envelope_sender` is None: IMAP,
    a provider's webhook), the Return-Path header the delivering server wrote. A From that names an
    address that is not a plain mailbox is no reason to look elsewhere: the caller refuses it, as before.
    """
    name, sender, ambiguous = _sender(message)
    # As sent and as decoded: the standard library reads `a@b@c` as `<>`, and an encoded word hides an @.
    said = [str(raw) for key, raw in message.raw_items() if key.lower() == "from"][:2]
    if sender is not None or "@" in " ".join([*said, *_header_texts(message, "From", 2)]):
        return name, sender, ambiguous, "From"
    headers: tuple[Literal["Sender", "Reply-To"], ...] = ("Sender", "Reply-To")
    for header_name in headers:
        other_name, other, other_ambiguous = _sender(message, header_name)
        if other is not None and not other_ambiguous:
            return other_name, other, False, header_name
    if envelope_sender is not None:
        return "", valid_address(envelope_sender.strip().strip("<>")), False, "envelope"
    return_path = _raw_header(message, "Return-Path").strip().strip("<>")
    return "", valid_address(return_path), False, "Return-Path"


def _email_filename(subject: str) -> str:
    """A safe file name for an attached email, from its subject."""
    stem = " ".join(_UNSAFE_FILENAME.sub("_", subject).split()).strip(". _")[:100]
    return f"{stem}.eml" if stem else "forwarded.eml"


def _forwarded(part: EmailMessage) -> Part | None:
    """An attached email (message/rfc822), whole: its bytes as a .eml file and what it says of itself."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, EmailMessage):
        return None
    try:
        data = inner.as_bytes(policy=_AS_SENT)
    except Exception:  # noqa: BLE001 - as in _header_text: an email the generator cannot write is kept as sent
        body = part.get_payload(decode=False)
        data = str(body).encode("utf-8", errors="surrogateescape")
    subject = " ".join(_storable(_header(inner, "Subject")).split())[:500]
    date_text = _header(inner, "Date")
    try:
        date = parsedate_to_datetime(date_text) if date_text else None
    except (TypeError, ValueError, IndexError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)  # RFC 5322's "-0000": the time zone is unknown
    sender = " ".join(_storable(_header(inner, "From")).split())[:500]
    return Part(_email_filename(subject), data, "message/rfc822", None, Forwarded(sender, date, subject))


def _leaves(part: EmailMessage, depth: int = 0) -> Iterator[EmailMessage]:
    """The parts that are not multiparts, in order (as `walk`, but bounded in depth). An attached email
    (message/rfc822) is one part: it is kept whole, never merged into the guest's own text."""
    if not part.is_multipart() or part.get_content_type() == "message/rfc822":
        yield part
        return
    if depth == MAX_DEPTH:
        raise UnreadableEmailError(f"its parts are nested more than {MAX_DEPTH} deep")
    for child in part.get_payload():
        if isinstance(child, EmailMessage):
            yield from _leaves(child, depth + 1)


def _describe(part: EmailMessage) -> tuple[str | None, str, str | None, str | None]:
    """A part's disposition, content type, file name and Content-ID. A part whose headers the standard
    library cannot read (see `_header_texts`) is kept as a file rather than lost."""
    try:
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        filename = part.get_filename()
    except Exception:  # noqa: BLE001 - as in _header_texts
        disposition, content_type, filename = "attachment", "application/octet-stream", None
    content_id = _storable(_header(part, "Content-ID")).strip("<> ")[:998] or None
    return disposition, content_type, _storable(filename or "")[-MAX_FILENAME:] or None, content_id


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")
    return _storable(content if isinstance(content, str) else content.decode("utf-8", errors="replace"))


def parse(raw: bytes, envelope_sender: str | None = None) -> ParsedEmail:
    """Read an email; raises UnreadableEmailError when it has no usable sender.

    `envelope_sender` is the SMTP MAIL FROM (empty for a null sender), None where there was no SMTP
    session (see `_answerable`).
    """
    try:
        message = parse_bounded(raw, LIMITS)
    except MimeLimitError as exc:
        raise UnreadableEmailError(str(exc)) from None
    name, sender, ambiguous, source = _answerable(message, envelope_sender)
    if sender is None:
        raise UnreadableEmailError(
            "the sender's address (From) is missing or not a plain mailbox"
            if source == "From"
            else "no address to answer: From, Sender, Reply-To and the envelope sender are all missing or unusable"
        )
    recipients = []
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for _, recipient in _addresses(_header_texts(message, header)):
            checked = valid_address(recipient)
            if checked and checked not in recipients:
                recipients.append(checked)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Part] = []
    for part in _leaves(message):
        disposition, content_type, filename, content_id = _describe(part)
        if content_type == "message/rfc822":
            forwarded = _forwarded(part)
            if forwarded is not None and len(attachments) < MAX_ATTACHMENTS:
                attachments.append(forwarded)
        elif disposition == "attachment" or (filename and content_type not in {"text/plain", "text/html"}):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data and len(attachments) < MAX_ATTACHMENTS:
                attachments.append(Part(filename or "attachment", data, content_type, content_id))
        elif content_type == "text/plain":
            text_parts.append(_text_of(part))
        elif content_type == "text/html":
            html_parts.append(_text_of(part))
        elif content_type.startswith("image/"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data and len(attachments) < MAX_ATTACHMENTS:
                attachments.append(Part(filename or "image", data, content_type, content_id))
    html = sanitize_html("\n".join(html_parts)) if html_parts else None
    text = "\n".join(t.strip() for t in text_parts if t.strip()) or (html_to_text(html) if html else "")
    subject = " ".join(_storable(_header(message, "Subject")).split())[:500]
    headers = [(key, _listed(raw)) for key, raw in islice(message.raw_items(), MAX_HEADERS)]
    own_id = message_ids(_raw_header(message, "Message-ID"))
    return ParsedEmail(
        message_id=own_id[0] if own_id else None,
        in_reply_to=message_ids(_raw_header(message, "In-Reply-To")),
        references=message_ids(_raw_header(message, "References")),
        sender_email=sender,
        sender_name=" ".join(_storable(name).split())[:200] or None,
        recipients=recipients,
        subject=subject,
        text=text[:MAX_TEXT],
        html=html[: MAX_TEXT * 2] if html else None,
        attachments=attachments,
        headers=headers,
        automatic=_automatic(message),
        ambiguous_sender=ambiguous,
        sender_source=source,
    )
