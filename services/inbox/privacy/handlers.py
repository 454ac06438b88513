"""Bus handlers of privacy: contacts' merges and erasures, and the export of a guest's requests."""

import logging

from shared.attachments import AttachmentStore
from shared.bus import (
    INBOX_CONTACTS,
    ContactErased,
    ContactEventIn,
    ContactExportPage,
    ContactExportRequest,
    ContactMerged,
    ContactRenamed,
    Subjects,
    UnknownEvent,
)
from shared.messaging import durable_subscriber, publish_event
from shared.runtime import Runtime

from ..conversations.service import inbox_for
from ..settings import InboxSettings
from . import service as privacy

log = logging.getLogger(__name__)


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_CONTACTS, runtime.policy)
    async def on_contact_event(event: ContactEventIn) -> None:
        inbox = inbox_for(runtime, settings)
        match event:
            case ContactMerged():
                moved = await privacy.follow_merge(inbox, event)
                log.info("followed a contact merge", extra={"moved": moved})
            case ContactErased():
                report = await privacy.erase(inbox, AttachmentStore(runtime.db), event)
                await publish_event(runtime.broker, report)
            case ContactRenamed():
                renamed = await privacy.follow_rename(inbox, event)
                log.info("followed a contact's new name", extra={"conversations": renamed})
            case UnknownEvent():
                log.info("contact event of an unknown type skipped", extra={"type": event.type})

    # A queue group: replicas of the inbox share the export requests.
    @runtime.broker.subscriber(Subjects.CONTACT_EXPORT, queue="inbox")
    async def export_contact(request: ContactExportRequest) -> ContactExportPage:
        return await privacy.export_page(inbox_for(runtime, settings), request)
