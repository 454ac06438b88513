"""The contacts service's projections of the bus's events.

A guest's history (their requests across channels and hotels: channel, hotel, subject, status, last
activity) is kept from the inbox's conversation events, one document per request, and an agent's
answer, link or request opened for the guest makes its hotel one that served the guest; the hotels' phone
regions from the inbox's hotel events; erasure reports from the services that carried them out.
Each field carries the time of the event that set it, so redelivered or late events never roll a
request back. A hard bounce of an email to a guest marks the address on their contact (bounces.py), and a
rating of the satisfaction survey sums up on it (ratings.py).
"""

from shared.bus import (
    BusEvent,
    ContactLinked,
    ConversationCreated,
    ConversationErased,
    ConversationRated,
    ConversationReplied,
    ConversationUpdated,
    DeliveryFailed,
    ErasureApplied,
    LocationChanged,
    MessageReceived,
    StatusEvent,
    UnknownEvent,
)

from .bounces import mark_bounced
from .ratings import record_rating
from .repository import ContactRepository
from .service import served

# What a request's history shows, as its events change it.
TRACKED = ("contact_id", "status", "subject", "subject_key")


async def project(repository: ContactRepository, event: BusEvent | UnknownEvent) -> None:
    """Apply one event of the EVENTS stream; other kinds of event (and unknown ones) are not this projection's."""
    match event:
        case ConversationCreated():
            if event.actor_id is not None and event.contact_id:  # an agent opened it for the guest
                await served(repository, event.contact_id, event.location_id)
            await repository.open_request(
                {
                    "_id": event.conversation_id,
                    "contact_id": event.contact_id,
                    "location_id": event.location_id,
                    "channel": event.channel.value,
                    "subject": event.subject,
                    # A subject the hub wrote ("Call from …"), which the console shows in its reader's language.
                    "subject_key": event.subject_key,
                    "subject_values": event.subject_values,
                    "status": event.status,
                    "created_at": event.occurred_at,
                    "last_activity_at": event.occurred_at,
                    "as_of": dict.fromkeys(TRACKED, event.occurred_at),
                }
            )
        case MessageReceived():
            await repository.set_if_newer(
                event.conversation_id, "last_activity_at", event.occurred_at, event.occurred_at
            )
        case ConversationErased():
            await repository.forget_request(event.conversation_id)
        case ConversationReplied(actor_id=str()):
            await repository.set_if_newer(event.conversation_id, "status", event.status, event.occurred_at)
            if contact_id := await repository.contact_of_request(event.conversation_id):
                await served(repository, contact_id, event.location_id)
        case ConversationRated():
            await record_rating(repository, event)
        case StatusEvent():
            await repository.set_if_newer(event.conversation_id, "status", event.status, event.occurred_at)
        case ContactLinked():
            await repository.set_if_newer(event.conversation_id, "contact_id", event.contact_id, event.occurred_at)
            if event.actor_id is not None:
                await served(repository, event.contact_id, event.location_id)
        case ConversationUpdated(subject=str() as subject):
            await repository.set_if_newer(event.conversation_id, "subject", subject, event.occurred_at)
            await repository.set_if_newer(event.conversation_id, "subject_key", None, event.occurred_at)  # the agent's
        case LocationChanged():
            await repository.set_region(event.location_id, event.default_phone_region, event.occurred_at)
        case DeliveryFailed(bounces=[_, *_]):
            await mark_bounced(repository, event.bounces, event.occurred_at)
        case ErasureApplied():
            report = event.model_dump(exclude={"type", "schema_version", "erasure_id", "contact_id", "service"})
            await repository.erasure_applied(event.erasure_id, event.service, report)
        case _:
            pass
