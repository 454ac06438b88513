"""Bounces of the emails notify sent: matched to their delivery by Message-ID within the hotel, and reported
on it like any other delivery status (a failure "not delivered: 550 5.1.1 …", a delay as still queued).

A bounce is trusted only as far as it names an email of the hotel it came to: a report to hotel A's
address quoting hotel B's Message-ID matches nothing (B's delivery is never touched), and a report that
matches nothing is not lost either: it goes to the hotel's inbox, in the spam view.
"""

import logging

from faststream.nats import NatsBroker

from shared.bus import (
    UNMATCHED_BOUNCE,
    BouncedRecipient,
    BounceKind,
    BounceReceived,
    Channel,
    DeliveryState,
    Subjects,
    delivery_status,
    utcnow,
)
from shared.messaging import publish_durably, publish_event
from shared.runtime import Runtime

from .metrics import BOUNCES
from .repository import DeliveryRepository

log = logging.getLogger(__name__)
_SEVERITY = {BounceKind.HARD: 0, BounceKind.SOFT: 1, BounceKind.DELAYED: 2}


def attributed(recipients: list[BouncedRecipient], sent_to: list[str]) -> list[BouncedRecipient]:
    """The report's recipients as addresses the email was sent to, the worst first.

    An address the email was not sent to (the guest's mailbox forwarded it elsewhere, or a plain-text
    report named none) stands for the one recipient of an email sent to one; otherwise it names nobody
    (and no contact is marked for it)."""
    sent = [address.lower() for address in sent_to]
    only = sent[0] if len(sent) == 1 else None
    found = []
    for recipient in recipients:
        address = (recipient.address or "").lower()
        found.append(recipient.model_copy(update={"address": address if address in sent else only}))
    return sorted(found, key=lambda r: _SEVERITY[r.kind])


def reason_of(recipients: list[BouncedRecipient]) -> str:
    """What the timeline shows: "not delivered: 550 5.1.1 mailbox unavailable", or "delayed: …"."""

    def one(recipient: BouncedRecipient, named: bool) -> str:
        what = "delayed" if recipient.kind == BounceKind.DELAYED else "not delivered"
        to = f" to {recipient.address}" if named and recipient.address else ""
        why = recipient.diagnostic or recipient.status or "the receiving mail server returned it"
        return f"{what}{to}: {why}"

    named = len(recipients) > 1
    return "; ".join(one(recipient, named) for recipient in recipients)[:1000]


class Bounces:
    def __init__(self, repository: DeliveryRepository, broker: NatsBroker, publish_timeout: float) -> None:
        self.repository = repository
        self.broker = broker
        self.publish_timeout = publish_timeout

    async def receive(self, bounce: BounceReceived) -> None:
        """Report the bounce on the email it is about, or keep it in the hotel's inbox when there is none."""
        delivery = await self.repository.sent_from(bounce.location_id, bounce.original_message_ids)
        if delivery is None or delivery.get("channel") != Channel.EMAIL.value:
            await self._keep_unmatched(bounce)
            return
        recipients = attributed(bounce.recipients, list(delivery.get("to") or []))
        if not recipients:  # a report of success (delivered, relayed): nothing to show
            log.info("delivery report without a failure", extra={"key": delivery["key"]})
            return
        worst = recipients[0]
        reason = reason_of(recipients)
        state = DeliveryState.QUEUED if worst.kind == BounceKind.DELAYED else DeliveryState.FAILED
        if state == DeliveryState.FAILED:
            # A redelivered command then reports it failed, not sent.
            changes = {"state": state.value, "reason": reason, "bounced_at": utcnow()}
            await self.repository.update(str(delivery["key"]), changes)
        status = delivery_status(
            state,
            key=str(delivery["key"]),
            conversation_id=str(delivery["conversation_id"]),
            location_id=bounce.location_id,
            reason=reason,
            bounces=recipients,
            bounce_key=bounce.key,
        )
        await publish_event(self.broker, status)
        BOUNCES.labels(kind=worst.kind.value).inc()

    async def _keep_unmatched(self, bounce: BounceReceived) -> None:
        log.info("bounce about no email of the hotel", extra={"location": bounce.location_id})
        await publish_durably(
            self.broker,
            UNMATCHED_BOUNCE,
            bounce.report,
            subject=Subjects.inbound_guest(Channel.EMAIL, bounce.location_id),
            msg_id=bounce.report.key,
            timeout=self.publish_timeout,
        )
        BOUNCES.labels(kind="unmatched").inc()


def bounces_for(runtime: Runtime) -> Bounces:
    """The bounce handling with the process's connections, for the INBOUND bounce handler."""
    return Bounces(DeliveryRepository(runtime.db), runtime.broker, runtime.settings.nats_publish_timeout_seconds)
