"""The contacts service's projections of the bus's events.

A guest's history (their requests across channels and hotels: channel, hotel, subject, status, last
activity) is kept from the inbox's conversation events, one document per request; the hotels' phone
regions from the inbox's hotel events; erasure reports from the services that carried them out.
Each field carries the time of the event that set it, so redelivered or late events never roll a
request back.
"""

from typing import Any

from shared.bus import (
    ConversationCreated,
    ConversationUpdated,
    ErasureApplied,
    LocationChanged,
    MessageReceived,
)

from .repository import ContactRepository

# What a request's history shows, as its events change it.
TRACKED = ("contact_id", "status", "subject")


async def project(repository: ContactRepository, event: dict[str, Any]) -> None:
    """Apply one event of the EVENTS stream; other kinds of event are not this projection's."""
    kind = event.get("type")
    if kind == "conversation.created":
        created = ConversationCreated.model_validate(event)
        await repository.open_request(
            {
                "_id": created.conversation_id,
                "contact_id": created.contact_id,
                "location_id": created.location_id,
                "channel": created.channel.value,
                "subject": created.subject,
                "status": created.status,
                "created_at": created.occurred_at,
                "last_activity_at": created.occurred_at,
                "as_of": dict.fromkeys(TRACKED, created.occurred_at),
            }
        )
    elif kind == "conversation.message_received":
        received = MessageReceived.model_validate(event)
        await repository.set_if_newer(
            received.conversation_id, "last_activity_at", received.occurred_at, received.occurred_at
        )
    elif kind == "conversation.updated":
        updated = ConversationUpdated.model_validate(event)
        if updated.event == "erased":
            await repository.forget_request(updated.conversation_id)
            return
        for field in TRACKED:
            if field in updated.changes:
                await repository.set_if_newer(
                    updated.conversation_id, field, updated.changes[field], updated.occurred_at
                )
    elif kind == "location.changed":
        changed = LocationChanged.model_validate(event)
        await repository.set_region(changed.location_id, changed.default_phone_region, changed.occurred_at)
    elif kind == "erasure.applied":
        applied = ErasureApplied.model_validate(event)
        report = applied.model_dump(exclude={"type", "schema_version", "erasure_id", "contact_id", "service"})
        await repository.erasure_applied(applied.erasure_id, applied.service, report)
