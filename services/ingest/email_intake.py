"""Rules of inbound email, whichever way it arrives (SMTP, raw HTTP, later IMAP): which hotel it is
for, whether a person wrote it, and the normalized message published for the inbox."""

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from shared.attachments import AttachmentStore
from shared.bus import (
    INBOUND_GUEST_MESSAGE,
    INBOUND_SOLICITATION_REPLY,
    AttachmentRef,
    Channel,
    ForwardedEmail,
    Guest,
    InboundMessage,
    Subjects,
    ThreadHints,
    is_location_id,
)
from shared.mail_threads import answered_solicitation
from shared.messaging import publish_durably
from shared.runtime import Runtime
from shared.system_texts import NO_TEXT

from . import bounces, spam
from .email_parsing import ParsedEmail, UnreadableEmailError, parse, valid_address
from .metrics import INBOUND_ACCEPTED, INBOUND_REJECTED
from .settings import IngestSettings

log = logging.getLogger(__name__)
MAX_KEYED_MESSAGE_ID = 400  # longer Message-IDs (RFC 5322 allows 998 characters) are keyed by their hash


@dataclass(frozen=True)
class Destination:
    """Where an email goes: a hotel, and the reply token when it answers one of our messages."""

    location_id: str
    reply_token: str | None = None
    solicitation_token: str | None = None  # an external person answering a solicitation


def destination_of(recipient: str, settings: IngestSettings) -> Destination | None:
    """The hotel a recipient address belongs to, or None if it is none of ours."""
    address = valid_address(recipient)
    if address is None:
        return None
    local, _, domain = address.partition("@")
    reply_domain = "." + settings.reply_domain.lower()
    if domain.endswith(reply_domain) and local.startswith(("reply+", "solicit+")):
        # <kind>+<token>@<hotel>.<reply domain>: the hotel in the domain keeps the local part within
        # the 64 characters mail servers accept.
        location = domain.removesuffix(reply_domain)
        kind, _, token = local.partition("+")
        if not is_location_id(location) or not token:
            return None
        if kind == "solicit":
            return Destination(location, solicitation_token=token)
        return Destination(location, reply_token=token)
    mapped = {k.lower(): v for k, v in settings.mailboxes.items()}.get(address)
    if mapped:
        return Destination(mapped)
    if settings.hotel_mail_domain and domain == settings.hotel_mail_domain.lower() and is_location_id(local):
        return Destination(local)
    return None


def email_key(location_id: str, parsed: ParsedEmail, raw: bytes) -> str:
    """The same email, fetched by IMAP and forwarded by SMTP, has one key: its Message-ID (per hotel)."""
    # Without a Message-ID, the content decides; line ends and trailing blank lines differ between
    # SMTP, IMAP and webhooks, so they do not count.
    normalized = raw.replace(b"\r\n", b"\n").strip()
    identity = (parsed.message_id or "sha256:" + hashlib.sha256(normalized).hexdigest()).lower()
    if len(identity) > MAX_KEYED_MESSAGE_ID:  # a key is at most 512 characters on the bus
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return f"email:{location_id}:{identity}"


class NotYoursError(Exception):
    """The email is for a hotel the caller (an API token limited to some hotels) may not write for."""

    def __init__(self, location_id: str) -> None:
        super().__init__(f"This API token may not write for the hotel {location_id!r}, which the email is for.")
        self.location_id = location_id


@dataclass
class EmailOutcome:
    key: str | None
    automatic: str | None = None


async def accept_email(
    runtime: Runtime,
    settings: IngestSettings,
    raw: bytes,
    envelope_recipients: list[str],
    *,
    mailbox_location: str | None = None,
    may_write: Callable[[str], bool] = lambda _: True,
    hotel_exists: Callable[[str], Awaitable[bool]] | None = None,
    envelope_sender: str | None = None,
) -> EmailOutcome:
    """Store the email's files, publish it, and return once JetStream has it.

    `mailbox_location` is the hotel of the mailbox it was fetched from (IMAP); a reply address among
    the recipients still wins, since it names the conversation. Raises UnreadableEmailError
    (permanent: tell the sender), NotYoursError (the hotel the recipients resolve to is not one
    `may_write` allows: nothing is stored) or PublishFailedError (temporary). `hotel_exists` checks the
    hotel a recipient address names (an IMAP mailbox's is configured); it raises HotelsUnavailableError
    (temporary) when the directory cannot say. `envelope_sender` is the SMTP MAIL FROM, answered when the
    email names no sender itself (None without an SMTP session: the Return-Path header is read instead).

    An automatic reply (RFC 3834) is published like a guest's message, flagged: the inbox keeps it without
    reopening anything. A delivery report (a bounce) goes to notify (bounces.py), which shows it on the email
    it is about, or keeps it in the hotel's spam view when it is about none of the hub's.
    """
    parsed = parse(raw, envelope_sender)
    destination = next(
        (d for r in [*envelope_recipients, *parsed.recipients] if (d := destination_of(r, settings)) is not None),
        None,
    )
    if destination is None or (mailbox_location and not destination.reply_token and not destination.solicitation_token):
        destination = Destination(mailbox_location) if mailbox_location else None
    if destination is None:
        raise UnreadableEmailError("none of the recipients is a hotel mailbox of this hub")
    if not destination.reply_token and not destination.solicitation_token:
        # An answer to a solicitation sent to the hotel's own address rather than to its Reply-To still
        # names the solicitation's email (In-Reply-To, References), whose Message-ID carries its token.
        secret = runtime.settings.secret_key.get_secret_value()
        parents = [*parsed.in_reply_to, *parsed.references]
        if token := answered_solicitation(parents, destination.location_id, settings.reply_domain, secret):
            destination = Destination(destination.location_id, solicitation_token=token)
    if not may_write(destination.location_id):
        # A hotel-limited token is checked against where the email goes, not where the caller says.
        INBOUND_REJECTED.labels(channel=Channel.EMAIL.value, reason="forbidden_hotel").inc()
        raise NotYoursError(destination.location_id)
    # An IMAP mailbox's hotel is configured; a hotel named by an address must be in the directory.
    named = destination.location_id != mailbox_location
    if hotel_exists is not None and named and not await hotel_exists(destination.location_id):
        raise UnreadableEmailError(f"no hotel has the id {destination.location_id!r}")
    if parsed.automatic == "bounce":
        # Delivery reports are not guests writing: notify shows them on the email they are about (or
        # keeps them in the hotel's spam view); they never reopen requests.
        key = email_key(destination.location_id, parsed, raw)
        await bounces.accept(runtime, raw, parsed, destination.location_id, key, settings.reply_domain)
        return EmailOutcome(key=key, automatic=parsed.automatic)
    key = email_key(destination.location_id, parsed, raw)
    try:
        guest = Guest(name=parsed.sender_name, email=parsed.sender_email)
    except ValidationError as exc:
        reason = exc.errors(include_url=False)[0]["msg"]
        raise UnreadableEmailError(f"the sender's address cannot receive answers ({reason})") from None
    store = AttachmentStore(runtime.db)
    attachments = []
    forwarded = []
    for index, part in enumerate(parsed.attachments):
        file_id = "att_m" + hashlib.sha256(f"{key}:{index}".encode()).hexdigest()[:40]
        known_type: Literal["message/rfc822"] | None = "message/rfc822" if part.forwarded else None
        stored = await store.put(
            part.data, part.filename, destination.location_id, "email", file_id=file_id, known_type=known_type
        )
        attachments.append(AttachmentRef(**stored.public(), content_id=part.content_id))
        if part.forwarded:
            sender, date, subject = part.forwarded.sender, part.forwarded.date, part.forwarded.subject
            forwarded.append(ForwardedEmail(sender=sender, date=date, subject=subject, attachment_id=stored.id))
    verdict = None
    if settings.spamd_host:
        verdict = await spam.spamassassin(raw, settings.spamd_host, settings.spamd_port)
    message = InboundMessage(
        spam=verdict,
        key=key,
        channel=Channel.EMAIL,
        location_id=destination.location_id,
        guest=guest,
        subject=parsed.subject,
        text=parsed.text or NO_TEXT.english(),
        text_key=None if parsed.text else NO_TEXT.key,
        html=parsed.html,
        attachments=attachments,
        ambiguous_sender=parsed.ambiguous_sender,
        automatic=parsed.automatic,
        forwarded=forwarded,
        thread=ThreadHints(
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to[:100],
            references=parsed.references[:500],
            reply_token=destination.reply_token,
            solicitation_token=destination.solicitation_token,
        ),
    )
    # An answer to a solicitation belongs to the solicit service, never to the guests' inbox.
    publication, subject = (
        (INBOUND_SOLICITATION_REPLY, Subjects.inbound_solicitation(destination.location_id))
        if destination.solicitation_token
        else (INBOUND_GUEST_MESSAGE, Subjects.inbound_guest(Channel.EMAIL, destination.location_id))
    )
    await publish_durably(
        runtime.broker,
        publication,
        message,
        subject=subject,
        msg_id=key,
        timeout=runtime.settings.nats_publish_timeout_seconds,
    )
    INBOUND_ACCEPTED.labels(channel=Channel.EMAIL.value, location=destination.location_id).inc()
    return EmailOutcome(key=key, automatic=parsed.automatic)


__all__ = ["EmailOutcome", "NotYoursError", "UnreadableEmailError", "accept_email", "destination_of"]
