"""Bus handlers of privacy: contacts' merges and erasures, and the export of a guest's requests."""

import logging

from shared.attachments import AttachmentStore
from shared.bus import (
    ERASURE_APPLIED,
    INBOX_CONTACTS,
    ContactErased,
    ContactExportPage,
    ContactExportRequest,
    ContactMerged,
    Subjects,
)
from shared.messaging import durable_subscriber, publish_durably
from shared.runtime import Runtime

from ..conversations.service import inbox_for
from ..settings import InboxSettings
from . import service as privacy

log = logging.getLogger(__name__)


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_CONTACTS, runtime.policy)
    async def on_contact_event(event: ContactMerged | ContactErased) -> None:
        inbox = inbox_for(runtime, settings)
        if isinstance(event, ContactMerged):
            moved = await privacy.follow_merge(inbox, event)
            log.info("followed a contact merge", extra={"moved": moved})
            return
        report = await privacy.erase(inbox, AttachmentStore(runtime.db), event)
        await publish_durably(runtime.broker, ERASURE_APPLIED, report, msg_id=f"erasure:inbox:{event.erasure_id}")

    # A queue group: replicas of the inbox share the export requests.
    @runtime.broker.subscriber(Subjects.CONTACT_EXPORT, queue="inbox")
    async def export_contact(request: ContactExportRequest) -> ContactExportPage:
        return await privacy.export_page(inbox_for(runtime, settings), request)
