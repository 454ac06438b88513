"""Rules of ingest: turn a channel's input into an InboundMessage and hand it to JetStream durably."""

import hashlib
import logging

from shared.bus import INBOUND_GUEST_MESSAGE, Channel, Guest, InboundMessage, Subjects
from shared.messaging import publish_durably
from shared.runtime import Runtime

from .metrics import INBOUND_ACCEPTED
from .schemas import FormSubmission

log = logging.getLogger(__name__)


def form_key(location_id: str, submission_id: str) -> str:
    return f"form:{location_id}:{submission_id}"


def content_id(form: FormSubmission) -> str:
    """A form without a submission id is keyed by its content: when the website (or the guest) sends
    it again after a time-out, it is the same message, accepted once."""
    fields = [form.email, form.name or "", form.phone or "", form.subject, form.message]
    return "c-" + hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:32]


async def accept_form(runtime: Runtime, location_id: str, form: FormSubmission) -> str:
    """Publish the submission and return its key once JetStream has stored it.

    Raises PublishFailedError when JetStream did not confirm: the caller answers 503 and the
    website (or the guest) retries with the same submission id, which is accepted once.
    """
    key = form_key(location_id, form.submission_id or content_id(form))
    message = InboundMessage(
        key=key,
        channel=Channel.FORM,
        location_id=location_id,
        guest=Guest(name=form.name or None, email=form.email, phone=form.phone or None),
        subject=form.subject,
        text=form.message,
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
