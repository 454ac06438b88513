"""Reading an inbound email: headers, text, sanitized HTML, attachments, and what kind of mail it is.

Pure functions over the raw RFC 822 bytes, with the standard library's `email` package
(policy=default). Nothing here trusts the sender: addresses are validated strictly before anything
is routed on them (Python 3.11's parser can misread crafted addresses, CVE-2023-27043), HTML is
sanitized with nh3, and headers are kept as name/value pairs, never as document keys.
"""

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

MAX_TEXT = 100_000
MAX_HEADERS = 100
MAX_ATTACHMENTS = 20
# Strict enough to refuse what the 3.11 parser may have misread: one local part, one domain.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_MESSAGE_ID = re.compile(r"<([^<>\s\x00]{1,900})>")
_TAG = re.compile(r"<[^>]+>")
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|absence|r[ée]ponse automatique)", re.IGNORECASE
)
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


class UnreadableEmailError(ValueError):
    """The bytes are not an email the hub can take (no sender, nothing to read)."""


@dataclass(frozen=True)
class Part:
    filename: str
    data: bytes
    declared_type: str
    content_id: str | None = None


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
    automatic: str | None = None  # "auto_reply" or "bounce": not a guest's message


def valid_address(address: str) -> str | None:
    """The address lower-cased if it is one plain mailbox, else None."""
    address = address.strip()
    return address.lower() if _ADDRESS.match(address) else None


def message_ids(value: str | None) -> list[str]:
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


def _automatic(message: EmailMessage) -> str | None:
    content_type = message.get_content_type()
    report = str(message.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report == "delivery-status":
        return "bounce"
    sender = str(message.get("From", "")).lower()
    subject = str(message.get("Subject", "")).lower()
    if "mailer-daemon@" in sender or ("postmaster@" in sender and "delivery" in subject):
        return "bounce"
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto_reply"
    if str(message.get("Precedence", "")).strip().lower() in {"auto_reply", "bulk", "junk"}:
        return "auto_reply"
    if _AUTO_SUBJECT.match(str(message.get("Subject", "")).strip()):
        return "auto_reply"
    return None


def _no_nul(text: str) -> str:
    """Text without its NUL characters: the database cannot store them, and a mail is kept without them
    rather than refused (its sender is a mail server, not the guest)."""
    return text.replace("\x00", "")


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")
    return _no_nul(content if isinstance(content, str) else content.decode("utf-8", errors="replace"))


def parse(raw: bytes) -> ParsedEmail:
    """Read an email; raises UnreadableEmailError when it has no usable sender."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default always builds EmailMessage
    name, address = parseaddr(str(message.get("From", "")))
    sender = valid_address(address)
    if sender is None:
        raise UnreadableEmailError("the sender's address (From) is missing or not a plain mailbox")
    recipients = []
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for _, recipient in getaddresses([str(v) for v in message.get_all(header, [])]):
            checked = valid_address(recipient)
            if checked and checked not in recipients:
                recipients.append(checked)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Part] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        if disposition == "attachment" or (part.get_filename() and content_type not in {"text/plain", "text/html"}):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data and len(attachments) < MAX_ATTACHMENTS:
                content_id = (part.get("Content-ID") or "").strip("<> ") or None
                attachments.append(
                    Part(_no_nul(part.get_filename() or "") or "attachment", data, content_type, content_id)
                )
        elif content_type == "text/plain":
            text_parts.append(_text_of(part))
        elif content_type == "text/html":
            html_parts.append(_text_of(part))
        elif content_type.startswith("image/"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data and len(attachments) < MAX_ATTACHMENTS:
                content_id = (part.get("Content-ID") or "").strip("<> ") or None
                attachments.append(Part(_no_nul(part.get_filename() or "") or "image", data, content_type, content_id))
    html = sanitize_html("\n".join(html_parts)) if html_parts else None
    text = "\n".join(t.strip() for t in text_parts if t.strip()) or (html_to_text(html) if html else "")
    subject = " ".join(_no_nul(str(message.get("Subject", ""))).split())[:500]
    headers = [(str(k), str(v)[:2000]) for k, v in list(message.items())[:MAX_HEADERS]]
    own_id = message_ids(str(message.get("Message-ID", "")))
    return ParsedEmail(
        message_id=own_id[0] if own_id else None,
        in_reply_to=message_ids(str(message.get("In-Reply-To", ""))),
        references=message_ids(str(message.get("References", ""))),
        sender_email=sender,
        sender_name=" ".join(_no_nul(name).split())[:200] or None,
        recipients=recipients,
        subject=subject,
        text=text[:MAX_TEXT],
        html=html[: MAX_TEXT * 2] if html else None,
        attachments=attachments,
        headers=headers,
        automatic=_automatic(message),
    )
