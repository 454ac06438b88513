"""Bounces: what a delivery status notification reports (the email it is about, each recipient's fate),
read from the raw report, and handed to notify, which sent that email and knows its request.

Standard reports (RFC 3464: `multipart/report; report-type=delivery-status`, from Postfix, Exim, Exchange,
Gmail…) carry a `message/delivery-status` part, one block per recipient (Final-Recipient, Action, Status,
Diagnostic-Code), and the original's headers (`message/rfc822` or `text/rfc822-headers`). Older servers
(qmail, old Exim, some Gmail answers) write plain text: then the report is read best-effort, and the
email it is about is found by a Message-ID of ours quoted anywhere in it (`hub.<32 hex>@<reply domain>`,
services/notify/composer.py).
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_string
from email.message import Message
from email.policy import default as default_policy

from shared.bus import (
    INBOUND_BOUNCE,
    BouncedRecipient,
    BounceKind,
    BounceReceived,
    Channel,
    Guest,
    InboundMessage,
    Subjects,
    ThreadHints,
)
from shared.messaging import publish_durably
from shared.mime import MimeLimitError, parse_bounded
from shared.runtime import Runtime
from shared.system_texts import NO_TEXT

from .email_parsing import LIMITS, MAX_DEPTH, ParsedEmail, message_ids, valid_address

log = logging.getLogger(__name__)

# Why an unmatched report opens in the hotel's spam view: it is kept, and out of the agents' way.
UNMATCHED_REASON = "undelivered mail report"
MAX_ORIGINAL_IDS = 20
MAX_RECIPIENTS = 50
MAX_PARTS = 200
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_REPLY = re.compile(r"(?<![\d.])([45]\d\d)[ -]")
_HEADER_ID = re.compile(r"(?im)^(?:x-)?(?:original-)?message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,900}>)")
# A recipient on its own line, as qmail (`<guest@example.com>:`) and Exim (`  guest@example.com`) write it,
# or named in a sentence (Gmail: "wasn't delivered to guest@example.com").
_LONE_ADDRESS = re.compile(r"(?m)^[ \t]*<?([^\s<>@]{1,64}@[^\s<>@:]{1,255})>?:?\s*$")
_DELIVERED_TO = re.compile(r"(?i)\bdelivered to:?\s*<?([^\s<>@]{1,64}@[^\s<>@,;:]{1,255}?)>?[\s.,;:]")
_DELAY_SUBJECT = re.compile(r"(?i)\bdelay|\bretard|still (being )?tried|not (yet )?been delivered yet")
_FINAL = {"failed": "failed", "delayed": "delayed"}  # delivered, relayed, expanded: no bounce


@dataclass(frozen=True)
class Report:
    """What a bounce says: the Message-IDs of the email it is about (surest first), and the recipients
    it failed or delayed."""

    original_message_ids: list[str]
    recipients: list[BouncedRecipient]


def kind_of(action: str, status: str | None, diagnostic: str | None) -> BounceKind:
    """Delayed is delayed; a failure is hard when its status (or, without one, the SMTP reply) is 5xx."""
    if action == "delayed":
        return BounceKind.DELAYED
    found = _STATUS.search(status or "") or _STATUS.search(diagnostic or "")
    code = found.group(1) if found else (m.group(1)[0] if (m := _SMTP_REPLY.search(diagnostic or "")) else None)
    return BounceKind.HARD if code == "5" else BounceKind.SOFT


def read_report(raw: bytes, reply_domain: str) -> Report:
    """Read a bounce; whatever it does not say is left out (never an error: the bytes were read once already)."""
    try:
        message = parse_bounded(raw, LIMITS)
    except MimeLimitError:
        return Report([], [])
    # Our Message-IDs (services/notify/composer.py, shared/mail_threads.py): a reply's, or a solicitation's
    # that carries its token and hotel.
    ours = re.compile(
        rf"(?:hub\.[0-9a-f]{{32}}@|solicit\.[A-Za-z0-9._-]{{1,300}}@(?:[a-z0-9-]+\.)?){re.escape(reply_domain)}",
        re.IGNORECASE,
    )
    found_ids: list[str] = []
    texts: list[str] = []
    recipients: list[BouncedRecipient] = []
    standard = False
    for name in ("X-Original-Message-ID", "Original-Message-ID", "In-Reply-To", "References"):
        found_ids += message_ids(_raw_header(message, name))
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            standard = True
            blocks = _status_blocks(part)
            for block in blocks:
                found_ids += message_ids(_raw_header(block, "Original-Message-ID"))
                found_ids += message_ids(_raw_header(block, "X-Original-Message-ID"))
            recipients += [r for block in blocks[1:] if (r := _recipient(block)) is not None]
            texts += [block.as_string() for block in blocks]
        elif content_type == "message/rfc822":
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(original, Message):
                found_ids += message_ids(_raw_header(original, "Message-ID"))
                texts.append("\n".join(f"{k}: {v}" for k, v in original.raw_items()))
        elif content_type in {"text/rfc822-headers", "text/plain", "text/html"}:
            text = _text(part)
            if content_type == "text/rfc822-headers":
                found_ids += _HEADER_ID.findall(text)
            texts.append(text)
    everything = "\n".join(texts)
    found_ids += ours.findall(everything)
    if not standard:
        recipients = _plain_text_recipients(everything, _raw_header(message, "Subject"))
    ids = list(dict.fromkeys(i.strip().strip("<>") for i in found_ids if i.strip().strip("<>")))
    return Report(ids[:MAX_ORIGINAL_IDS], recipients[:MAX_RECIPIENTS])


def _raw_header(message: Message, name: str) -> str:
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), "")
    return " ".join(str(raw).split())


def _parts(message: Message, depth: int = 0) -> Iterator[Message]:
    """Every part (multiparts and attached emails entered, bounded in depth and number)."""
    stack: list[tuple[Message, int]] = [(message, depth)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, level = stack.pop(0)
        seen += 1
        yield part
        if part.get_content_type() in {"message/delivery-status", "message/rfc822"} or level >= MAX_DEPTH:
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, level + 1) for child in payload if isinstance(child, Message))


def _status_blocks(part: Message) -> list[Message]:
    """The per-message block, then one per recipient (the parser splits them; a report it left as text
    is split here)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [message_from_string(block.strip() + "\n", policy=default_policy) for block in re.split(r"\n\s*\n", text)]


def _field(block: Message, name: str) -> str:
    value = _raw_header(block, name)
    # "rfc822; guest@example.com", "smtp; 550 5.1.1 …": the type before the semicolon is not shown.
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and " " not in kind.strip() else value


def _recipient(block: Message) -> BouncedRecipient | None:
    action = _FINAL.get(_raw_header(block, "Action").lower().split(" ")[0])
    if action is None:
        return None
    address = valid_address(_field(block, "Original-Recipient").strip("<>")) or valid_address(
        _field(block, "Final-Recipient").strip("<>")
    )
    found = _STATUS.search(_raw_header(block, "Status"))
    status = found.group(0) if found else None
    diagnostic = _field(block, "Diagnostic-Code")[:500] or None
    return BouncedRecipient(
        address=address, kind=kind_of(action, status, diagnostic), status=status, diagnostic=diagnostic
    )


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    return str(part.get_payload() or "")


def _plain_text_recipients(text: str, subject: str) -> list[BouncedRecipient]:
    """A report without a delivery-status part, read best-effort: the line that carries an SMTP reply is
    the diagnostic; the addresses alone on their line, or "delivered to" one, are the recipients."""
    action = "delayed" if _DELAY_SUBJECT.search(subject) else "failed"
    diagnostic = next(
        (
            " ".join(line.split())[:500]
            for line in text.splitlines()
            if _SMTP_REPLY.search(line) or _STATUS.search(line)
        ),
        None,
    )
    found = _STATUS.search(diagnostic or "")
    status = found.group(0) if found else None
    kind = kind_of(action, status, diagnostic)
    addresses = [a for raw in _LONE_ADDRESS.findall(text) + _DELIVERED_TO.findall(text) if (a := valid_address(raw))]
    named: list[str | None] = list(dict.fromkeys(addresses)) or [None]
    return [BouncedRecipient(address=a, kind=kind, status=status, diagnostic=diagnostic) for a in named]


async def accept(
    runtime: Runtime, raw: bytes, parsed: ParsedEmail, location_id: str, key: str, reply_domain: str
) -> None:
    """Hand a bounce that came to the hotel's address to notify; return once JetStream has it.

    It carries the report as the hotel's inbox would keep it, in case it is about no email of ours.
    """
    report = read_report(raw, reply_domain)
    kept = InboundMessage(
        key=key,
        channel=Channel.EMAIL,
        location_id=location_id,
        # A mail server is nobody's contact: no address, so none is created for it.
        guest=Guest(name=parsed.sender_name or "Mail Delivery System"),
        subject=parsed.subject,
        text=parsed.text or NO_TEXT.english(),
        text_key=None if parsed.text else NO_TEXT.key,
        html=parsed.html,
        spam=UNMATCHED_REASON,
        thread=ThreadHints(message_id=parsed.message_id),
    )
    bounce = BounceReceived(
        key="bounce:" + key.removeprefix("email:"),
        location_id=location_id,
        original_message_ids=report.original_message_ids,
        recipients=report.recipients,
        report=kept,
    )
    await publish_durably(
        runtime.broker,
        INBOUND_BOUNCE,
        bounce,
        subject=Subjects.inbound_bounce(location_id),
        msg_id=bounce.key,
        timeout=runtime.settings.nats_publish_timeout_seconds,
    )
    log.info(
        "bounce handed to notify",
        extra={"location": location_id, "ids": len(report.original_message_ids), "recipients": len(report.recipients)},
    )


__all__ = ["Report", "accept", "kind_of", "read_report"]
