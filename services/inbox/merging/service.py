"""Merge two requests of one hotel, or split a guest's message out into a new request: the steps, in an
order that keeps every message findable at each moment, each one idempotent (see decisions.py).

Merge: the request merged away is marked first (`merged_into`), so a guest message arriving meanwhile is
handed to the survivor (`Inbox.surviving`); then its entries and references move, then the survivor takes
its labels, unread mark and counts in one versioned change with the merge's entry and event.
Split: the new request is opened first (its thread key names the message, so asking again finds it), then
the entries and their messages' references move, then each request gets its split entry.
"""

import uuid

from shared.auth import Actor
from shared.bus import ConversationCreated, utcnow
from shared.db import Document
from shared.messaging import publish_event
from shared.problems import Problem

from ..conversations import schemas
from ..conversations.queries import conversation_out, entry_out
from ..conversations.service import Inbox, about, merged_away
from ..conversations.threading import email_ref, legacy_email_ref
from . import decisions
from .schemas import MergeIn, SplitIn, SplitResult


async def merge(inbox: Inbox, survivor_id: str, body: MergeIn, actor: Actor) -> schemas.ActionResult:
    """Merge the request `body.conversation_id` into `survivor_id` (both of one hotel, both visible)."""
    survivor = await inbox.visible(survivor_id, actor)
    merged = await inbox.visible(body.conversation_id, actor)
    merged_id = str(merged["_id"])
    now = utcnow()
    if not decisions.check_merge(survivor, merged):
        merged, _ = await inbox.act(merged_id, actor, decisions.merge_away(survivor_id, now))
    moved = await inbox.repository.move_entries(merged_id, survivor_id)
    await inbox.repository.lead_references(merged_id, survivor_id)
    away = decisions.merge_entry_away(uuid.uuid4().hex, merged_id, survivor_id, actor.author(), now)
    await inbox.repository.add_entry(away)
    document, entries = await inbox.act(survivor_id, actor, decisions.merge_into(merged, moved))
    return schemas.ActionResult(conversation=conversation_out(document), entries=[entry_out(e) for e in entries])


def _references(document: Document, moved: list[Document]) -> list[str]:
    """The thread references of the messages moved (guests' and agents' emails): replies to them follow."""
    hotel = str(document["location_id"])
    found: list[str] = []
    for entry in moved:
        if message_id := entry.get("message_id"):
            found += [email_ref(hotel, str(message_id)), legacy_email_ref(str(message_id))]
    return found


async def split(inbox: Inbox, conversation_id: str, body: SplitIn, actor: Actor) -> SplitResult:
    """Split a guest's message (and with `with_following`, the entries after it) into a new request."""
    original = await inbox.visible(conversation_id, actor)
    if original.get("merged_into"):
        raise merged_away(original)
    timeline = await inbox.repository.all_entries(conversation_id)
    moved = decisions.entries_to_split(timeline, body.entry_id, body.with_following)
    now = utcnow()
    opened = decisions.split_request(original, moved, uuid.uuid4().hex, now)
    if inbox.sla is not None:
        location, channel = str(opened["location_id"]), str(opened["channel"])
        opened |= await inbox.sla.at_creation(location, channel, False, now, str(opened["status"]))
    new, created = await inbox.repository.open_thread(str(opened["thread_key"]), opened)
    new_id = str(new["_id"])
    if new.get("split_from") != conversation_id:  # pragma: no cover - a thread key only a split writes
        raise Problem(409, "Busy", "The request was changed many times at once; try again.")
    for entry in moved:
        await inbox.repository.move_entry(str(entry["_id"]), conversation_id, new_id)
    await inbox.repository.point_references(_references(original, moved), new_id)
    moving = {str(entry["_id"]) for entry in moved}
    remaining = [entry for entry in timeline if str(entry["_id"]) not in moving]
    before, from_entries = await inbox.act(
        conversation_id, actor, decisions.split_from(remaining, moved, new_id, body.entry_id)
    )
    after, new_entries = await inbox.act(
        new_id, actor, decisions.split_into(conversation_id, body.entry_id, len(moved))
    )
    if created:
        await inbox._mark_scores(after)
        await publish_event(
            inbox.broker,
            ConversationCreated(
                **about(new),
                channel=new["channel"],
                contact_id=new.get("contact_id"),
                subject=str(new.get("subject") or ""),
                status=str(new["status"]),
                occurred_at=now,
            ),
        )
    return SplitResult(
        conversation=conversation_out(after),
        entries=[entry_out(e) for e in [*new_entries, *from_entries]],
        from_=conversation_out(before),
    )
