"""Bus handlers and sweeps of the inbox: guests' inbound messages, notify's delivery reports, snoozes."""

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from shared.attachments import AttachmentStore
from shared.bus import (
    ERASURE_APPLIED,
    INBOX_CONTACTS,
    INBOX_DELIVERIES,
    INBOX_INBOUND,
    INBOX_SOLICITATIONS,
    ContactErased,
    ContactExportPage,
    ContactExportRequest,
    ContactMerged,
    ConversationBrief,
    ConversationBriefRequest,
    DeliveryStatus,
    InboundMessage,
    SolicitationEvent,
    Subjects,
    utcnow,
)
from shared.messaging import durable_subscriber, publish_durably
from shared.runtime import Runtime

from . import privacy, solicitations, views
from .directory import ensure_bootstrap_admin
from .directory_repository import DirectoryRepository
from .metrics import GAUGED_VIEWS, OLDEST_UNANSWERED_ALERT, REQUESTS
from .repository import ConversationRepository
from .service import Inbox
from .settings import InboxSettings

log = logging.getLogger(__name__)


THOROUGH_SWEEP_SECONDS = 60.0


def inbox_for(runtime: Runtime, settings: InboxSettings) -> Inbox:
    return Inbox(
        repository=ConversationRepository(runtime.db),
        broker=runtime.broker,
        secret=runtime.settings.secret_key.get_secret_value(),
        contacts_timeout=settings.contacts_timeout_seconds,
    )


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_INBOUND, runtime.policy)
    async def on_inbound(message: InboundMessage) -> None:
        await inbox_for(runtime, settings).receive(message)

    @durable_subscriber(runtime.broker, INBOX_DELIVERIES, runtime.policy)
    async def on_delivery(status: DeliveryStatus) -> None:
        await inbox_for(runtime, settings).record_delivery(status)

    @durable_subscriber(runtime.broker, INBOX_CONTACTS, runtime.policy)
    async def on_contact_event(event: ContactMerged | ContactErased) -> None:
        inbox = inbox_for(runtime, settings)
        if isinstance(event, ContactMerged):
            moved = await privacy.follow_merge(inbox, event)
            log.info("followed a contact merge", extra={"moved": moved})
            return
        report = await privacy.erase(inbox, AttachmentStore(runtime.db), event)
        await publish_durably(runtime.broker, ERASURE_APPLIED, report, msg_id=f"erasure:inbox:{event.erasure_id}")

    @durable_subscriber(runtime.broker, INBOX_SOLICITATIONS, runtime.policy)
    async def on_solicitation(event: SolicitationEvent) -> None:
        await solicitations.show(inbox_for(runtime, settings), event)

    @runtime.broker.subscriber(Subjects.CONVERSATION_BRIEF, queue="inbox")
    async def conversation_brief(request: ConversationBriefRequest) -> ConversationBrief:
        return await solicitations.brief(inbox_for(runtime, settings), request)

    # A queue group: replicas of the inbox share the export requests.
    @runtime.broker.subscriber(Subjects.CONTACT_EXPORT, queue="inbox")
    async def export_contact(request: ContactExportRequest) -> ContactExportPage:
        return await privacy.export_page(inbox_for(runtime, settings), request)


def snooze_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Every replica sweeps; the versioned update lets exactly one of them reopen each request. Each
    sweep reads the holds ending around now; the first and then one a minute read them all."""

    async def sweep(runtime: Runtime) -> None:
        thorough_every = max(1, round(THOROUGH_SWEEP_SECONDS / settings.snooze_sweep_seconds))
        for n in itertools.count():
            await asyncio.sleep(settings.snooze_sweep_seconds)
            try:
                woken = await inbox_for(runtime, settings).wake_snoozed(utcnow(), thorough=n % thorough_every == 0)
            except Exception:
                log.warning("snooze sweep failed", exc_info=True)
                continue
            if woken:
                log.info("reopened snoozed requests", extra={"count": woken})

    return sweep


def count_gauges(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Refresh the per-hotel request gauges: one grouped count per hotel of the directory, each an
    equality on the indexed hotel, every `HUB_INBOX_COUNT_METRICS_SECONDS`."""

    async def refresh(runtime: Runtime) -> None:
        repository = ConversationRepository(runtime.db)
        directory = DirectoryRepository(runtime.db)
        while True:
            try:
                for location in await directory.all("locations"):
                    hotel = str(location["_id"])
                    totals = views.totals_of(await repository.state_counts(hotel, None))
                    for view, key in GAUGED_VIEWS.items():
                        REQUESTS.labels(location=hotel, view=view).set(totals.get(key, 0))
                    waiting = [
                        utcnow() - alert["created_at"]
                        for alert in await repository.unanswered_alerts(hotel)
                        if alert.get("status") in ("open", "on_hold") and not alert.get("bot_active")
                    ]
                    oldest = max(waiting).total_seconds() if waiting else 0.0
                    OLDEST_UNANSWERED_ALERT.labels(location=hotel).set(max(oldest, 0.0))
            except Exception:
                log.warning("request gauges not refreshed", exc_info=True)
            await asyncio.sleep(settings.count_metrics_seconds)

    return refresh


async def fill_derived(runtime: Runtime) -> None:
    """Complete conversations stored by an older version (see `fill_derived`), retrying until it is done."""
    while True:
        try:
            filled = await ConversationRepository(runtime.db).fill_derived()
        except Exception:
            log.warning("older conversations not completed yet; retrying", exc_info=True)
            await asyncio.sleep(5)
            continue
        if filled:
            log.info("conversations given their activity day", extra={"count": filled})
        return


def bootstrap_admin(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    async def create(runtime: Runtime) -> None:
        password = settings.bootstrap_admin_password.get_secret_value() if settings.bootstrap_admin_password else None
        await ensure_bootstrap_admin(DirectoryRepository(runtime.db), settings.bootstrap_admin_email, password)

    return create
