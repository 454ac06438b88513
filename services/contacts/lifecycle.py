"""Merging two contacts into one, erasing a contact (GDPR), exporting everything held about one.

Each step is idempotent and the event goes out before the last step, so a request that fails half
way is simply sent again: a merge or an erasure never stops in a state nobody can finish.
"""

import uuid
from typing import Any

from faststream.nats import NatsBroker

from shared.auth import Actor
from shared.bus import CONTACT_EXPORT, ContactErased, ContactExportRequest, ContactMerged, utcnow
from shared.messaging import publish_event, rpc

from . import ratings
from .repository import ContactRepository
from .service import public_contact, reindex

MAX_EXPORT_PAGES = 10_000


class SameContactError(ValueError):
    """Merging a contact into itself."""


def merged_fields(survivor: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The survivor after absorbing `other`: lists united, its own names and attributes kept first."""
    fields: dict[str, Any] = {}
    for name in ("emails", "phones", "location_ids", "served_location_ids"):
        fields[name] = list(dict.fromkeys([*(survivor.get(name) or []), *(other.get(name) or [])]))
    for name in ("first_name", "last_name", "display_name", "language"):
        fields[name] = survivor.get(name) or other.get(name)
    fields["attributes"] = {**(other.get("attributes") or {}), **(survivor.get("attributes") or {})}
    fields["merged_ids"] = list(
        dict.fromkeys([*(survivor.get("merged_ids") or []), *(other.get("merged_ids") or []), str(other["_id"])])
    )
    return fields


async def merge(
    repository: ContactRepository, broker: NatsBroker, survivor: dict[str, Any], other: dict[str, Any], actor: Actor
) -> dict[str, Any]:
    """Fold `other` into `survivor`; `other`'s id keeps resolving to the survivor from then on."""
    survivor_id, other_id = str(survivor["_id"]), str(other["_id"])
    if survivor_id == other_id:
        raise SameContactError(survivor_id)
    now = utcnow()
    merged = await repository.update(survivor_id, {**merged_fields(survivor, other), "updated_at": now})
    await reindex(repository, merged or survivor)
    await repository.unindex_search(other_id)
    await repository.move_identities(other_id, survivor_id)
    await repository.move_history(other_id, survivor_id)
    await ratings.recount(repository, survivor_id)  # the other's rated requests count for the survivor now
    event = ContactMerged(survivor_id=survivor_id, merged_id=other_id, actor_id=actor.agent_id, occurred_at=now)
    await publish_event(broker, event)
    await repository.replace(other_id, {"_id": other_id, "merged_into": survivor_id, "merged_at": now})
    return merged or survivor


async def erase(
    repository: ContactRepository, broker: NatsBroker, contact: dict[str, Any], actor: Actor, reason: str
) -> dict[str, Any]:
    """Remove the contact's personal data here and ask every service to redact theirs.

    What stays is the erasure record (who asked, when, why, which services confirmed) and a
    tombstone under the contact's id that holds no personal data.
    """
    contact_id = str(contact["_id"])
    now = utcnow()
    merged_ids = [str(merged) for merged in contact.get("merged_ids") or []]
    record: dict[str, Any] = {
        "_id": uuid.uuid4().hex,
        "contact_id": contact_id,
        "merged_ids": merged_ids,
        "requested_by": actor.agent_id,
        "reason": reason,
        "requested_at": now,
        "applied": {},
    }
    await repository.record_erasure(record)
    for erased_id in [contact_id, *merged_ids]:
        event = ContactErased(contact_id=erased_id, erasure_id=record["_id"], occurred_at=now)
        await publish_event(broker, event)
    identities = await repository.forget_identities(contact_id)
    await repository.unindex_search(contact_id)
    requests = await repository.forget_history(contact_id)
    await repository.replace(contact_id, {"_id": contact_id, "erased_at": now, "erasure_id": record["_id"]})
    applied = {"identities": identities, "requests": requests, "at": now}
    await repository.erasure_applied(str(record["_id"]), "contacts", applied)
    return {**record, "applied": {"contacts": applied}}


class InboxUnavailableError(RuntimeError):
    """The inbox did not answer an export page in time."""


async def export(
    repository: ContactRepository, broker: NatsBroker, contact: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """Everything the hub holds about the contact: the contact, its identities, its requests and their timelines."""
    contact_id = str(contact["_id"])
    conversations: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_EXPORT_PAGES):
        request = ContactExportRequest(contact_id=contact_id, cursor=cursor)
        try:
            page = await rpc(broker, CONTACT_EXPORT, request, timeout=timeout)
        except Exception as exc:
            raise InboxUnavailableError(repr(exc)) from exc
        if page.conversation is not None:
            conversations.append({**page.conversation, "entries": []})
        if conversations:
            conversations[-1]["entries"].extend(page.entries)
        if page.next is None:
            break
        cursor = page.next
    identities = await repository.identities_of(contact_id)
    return {
        "exported_at": utcnow(),
        "contact": public_contact(contact),
        "identities": [{"identity": doc["_id"], "since": doc.get("created_at")} for doc in identities],
        "history": [_public_request(doc) for doc in await repository.history_of(contact_id, None, limit=10_000)],
        # Each request as the inbox holds it, with every entry of its timeline.
        "requests": conversations,
    }


def _public_request(document: dict[str, Any]) -> dict[str, Any]:
    return {"conversation_id": document["_id"], **{k: v for k, v in document.items() if k not in {"_id", "as_of"}}}
