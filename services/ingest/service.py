"""Rules of ingest: turn a channel's input into an InboundMessage and hand it to JetStream durably."""

import csv
import hashlib
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import ValidationError

from shared import system_texts
from shared.attachments import AttachmentStore
from shared.bus import INBOUND_GUEST_MESSAGE, AttachmentRef, Channel, Guest, InboundMessage, Subjects, ThreadHints
from shared.http import NUL_MESSAGE, UploadedFile, nul_fields
from shared.messaging import publish_durably
from shared.runtime import Runtime

from . import spam
from .metrics import INBOUND_ACCEPTED
from .schemas import Call, FormSubmission, Review

log = logging.getLogger(__name__)


def form_key(location_id: str, submission_id: str) -> str:
    return f"form:{location_id}:{submission_id}"


def content_id(form: FormSubmission) -> str:
    """A form without a submission id is keyed by its content: when the website (or the guest) sends
    it again after a time-out, it is the same message, accepted once."""
    fields = [form.email, form.name or "", form.phone or "", form.subject, form.message]
    return "c-" + hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:32]


async def accept_form(
    runtime: Runtime, location_id: str, form: FormSubmission, files: list[UploadedFile] | None = None
) -> str:
    """Publish the submission and return its key once JetStream has stored it.

    Raises PublishFailedError when JetStream did not confirm: the caller answers 503 and the
    website (or the guest) retries with the same submission id, which is accepted once.
    """
    key = form_key(location_id, form.submission_id or content_id(form))
    store = AttachmentStore(runtime.db)
    attachments = []
    for index, upload in enumerate(files or []):
        # Derived from the submission, so a resent form does not store its files twice.
        file_id = "att_f" + hashlib.sha256(f"{key}:{index}".encode()).hexdigest()[:40]
        stored = await store.put(upload.data, upload.filename, location_id, "form", file_id=file_id)
        attachments.append(AttachmentRef(**stored.public()))
    message = InboundMessage(
        key=key,
        channel=Channel.FORM,
        location_id=location_id,
        guest=Guest(name=form.name or None, email=form.email, phone=form.phone or None),
        subject=form.subject,
        text=form.message,
        spam=spam.verdict(form.message, form.subject),
        attachments=attachments,
    )
    await publish_durably(
        runtime.broker,
        INBOUND_GUEST_MESSAGE,
        message,
        subject=Subjects.inbound_guest(Channel.FORM, location_id),
        msg_id=key,
        timeout=runtime.settings.nats_publish_timeout_seconds,
    )
    INBOUND_ACCEPTED.labels(channel=Channel.FORM.value, location=location_id).inc()
    return key


async def accept_review(runtime: Runtime, review: Review) -> str:
    """Publish a review. The same review sent again is accepted once; an edited one (new text or
    rating) joins the same conversation as a new entry, since the inbox threads reviews by id."""
    content = hashlib.sha256(f"{review.rating}/{review.scale}\x1f{review.title}\x1f{review.text}".encode()).hexdigest()
    # The hotel is part of the key: a review id is the platform's, and the same id sent for another
    # hotel is that hotel's review (a key without it would be dropped as a repeat of the first).
    key = f"review:{review.location}:{review.platform}:{review.review_id}:{content[:16]}"
    subject = system_texts.review_subject(review.platform)
    message = InboundMessage(
        key=key,
        channel=Channel.REVIEW,
        location_id=review.location,
        guest=Guest(name=review.author, email=review.author_email),
        subject=review.title or subject.english(),
        subject_key=None if review.title else subject.key,
        subject_values={} if review.title else subject.values,
        text=review.text or system_texts.RATING_ONLY.english(),
        text_key=None if review.text else system_texts.RATING_ONLY.key,
        rating=review.stars(),
        thread=ThreadHints(review_id=f"{review.platform}:{review.review_id}"),
        review={
            "platform": review.platform,
            "review_id": review.review_id,  # the platform's: a public reply is posted to it
            "url": review.url,
            "language": review.language,
            "date": review.date,
            "rating": review.rating,
            "scale": review.scale,
        },
    )
    await _publish(runtime, message)
    return key


async def accept_review_deletion(runtime: Runtime, location_id: str, platform: str, review_id: str) -> str:
    """Tell the review's conversation that the platform no longer lists the review (once)."""
    key = f"review-deleted:{location_id}:{platform}:{review_id}"
    subject = system_texts.review_subject(platform)
    message = InboundMessage(
        key=key,
        channel=Channel.REVIEW,
        location_id=location_id,
        guest=Guest(),
        subject=subject.english(),
        subject_key=subject.key,
        subject_values=subject.values,
        text=system_texts.REVIEW_DELETED.english(),
        text_key=system_texts.REVIEW_DELETED.key,
        thread=ThreadHints(review_id=f"{platform}:{review_id}"),
        review={"platform": platform, "review_id": review_id, "deleted": True},
    )
    await _publish(runtime, message)
    return key


def phone_digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit() or ch == "+")


async def accept_call(runtime: Runtime, call: Call) -> str:
    """Publish a call; every call from one number to one hotel joins the same conversation."""
    number = phone_digits(call.caller)
    text = system_texts.call_text(call.direction, call.caller, call.duration_seconds, call.recording_url)
    subject = system_texts.call_subject(call.caller)
    message = InboundMessage(
        key=f"call:{call.location}:{call.call_id}",
        channel=Channel.PHONE,
        location_id=call.location,
        guest=Guest(name=call.caller_name, phone=number),
        subject=subject.english(),
        subject_key=subject.key,
        subject_values=subject.values,
        text=text.english(),
        text_key=text.key,
        text_values=text.values,
        thread=ThreadHints(caller=f"{call.location}:{number}"),
    )
    await _publish(runtime, message)
    return message.key


async def _publish(runtime: Runtime, message: InboundMessage) -> None:
    await publish_durably(
        runtime.broker,
        INBOUND_GUEST_MESSAGE,
        message,
        subject=Subjects.inbound_guest(message.channel, message.location_id),
        msg_id=message.key,
        timeout=runtime.settings.nats_publish_timeout_seconds,
    )
    INBOUND_ACCEPTED.labels(channel=message.channel.value, location=message.location_id).inc()


def redirect_target(redirect_to: str | None, referer: str | None) -> str | None:
    """Where an HTML form sends the guest back: only a page of the site the form was on."""
    if not redirect_to or not referer:
        return None
    target, origin = urlsplit(redirect_to), urlsplit(referer)
    if target.scheme not in {"http", "https"} or (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
        return None
    separator = "&" if target.query else "?"
    return f"{redirect_to}{separator}sent=1"


@dataclass
class ImportReport:
    applied: int = 0
    rejected: list[dict[str, object]] = field(default_factory=list)


def review_rows(body: bytes, kind: str) -> list[object]:
    """Rows of a review history: JSON lines, or CSV with a header line."""
    text = body.decode("utf-8-sig")
    if kind == "text/csv":
        return list(csv.DictReader(io.StringIO(text)))
    rows: list[object] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            rows.append(ValueError(f"not JSON: {exc.msg}"))
    return rows


async def import_reviews(
    runtime: Runtime,
    rows: list[object],
    may_write: Callable[[str], bool] = lambda _: True,
    hotel_exists: Callable[[str], Awaitable[bool]] | None = None,
) -> ImportReport:
    """Publish every valid row (each once, by its key) and say which rows were refused and why.
    `may_write` says which hotels the caller may write for (an API token can be limited to some);
    `hotel_exists`, which hotels there are (a row for another is refused)."""
    report = ImportReport()
    for number, row in enumerate(rows, start=1):
        if isinstance(row, ValueError):
            report.rejected.append({"row": number, "reason": str(row)})
            continue
        if nul := nul_fields(row):  # the inbox could not store it: it would be dead-lettered, not refused
            report.rejected.append({"row": number, "reason": f"{nul[0]}: {NUL_MESSAGE}"})
            continue
        try:
            review = Review.model_validate(row)
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
            report.rejected.append({"row": number, "reason": reason})
            continue
        if not may_write(review.location):
            report.rejected.append(
                {"row": number, "reason": f"location: this token may not write for {review.location!r}"}
            )
            continue
        if hotel_exists is not None and not await hotel_exists(review.location):
            report.rejected.append({"row": number, "reason": f"location: no hotel has the id {review.location!r}"})
            continue
        await accept_review(runtime, review)
        report.applied += 1
    return report
