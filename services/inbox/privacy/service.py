"""What the inbox does for the contacts service: follow a merge, carry out an erasure, export a guest's requests.

All three walk the contact's conversations through the `contact_id` index. Merges and erasures go
through `Inbox.act`, so each conversation change is versioned, lands in the timeline and is announced
like any other; a redelivered event finds nothing left to do.
"""

import json
from datetime import datetime
from typing import Any

from shared.attachments import AttachmentStore
from shared.bus import (
    ContactErased,
    ContactExportPage,
    ContactExportRequest,
    ContactLinked,
    ContactMerged,
    ContactRenamed,
    ConversationErased,
    ErasureApplied,
)
from shared.db import Document

from ..conversations.service import Change, Inbox, about, public_conversation, public_entry, with_contact

ERASED = "[erased]"
BATCH = 100
EXPORT_PAGE_ENTRIES = 200
# Under NATS's default 1 MB payload limit, with room for the envelope; one entry is at most ~300 KB.
EXPORT_PAGE_BYTES = 600 * 1024
# Free text an agent or a guest wrote, which may name the guest: blanked on erasure.
_TEXT_FIELDS = ("text", "note", "notes", "reference")


def redacted(entry: Document) -> dict[str, Any]:
    """The changes that strip a timeline entry of the guest's personal data, keeping what happened and when."""
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if entry.get(name) and entry[name] != ERASED:
            changes[name] = ERASED
    for name in ("html", "review"):
        if entry.get(name) is not None:
            changes[name] = None
    if entry.get("subject") and entry["subject"] != ERASED:
        changes["subject"] = ERASED
    for name in ("subject", "text"):  # a call's summary names the caller's number
        if entry.get(f"{name}_key") is not None or entry.get(f"{name}_values"):
            changes |= {f"{name}_key": None, f"{name}_values": {}}
    if entry.get("kind") == "subject" and ERASED not in (entry.get("from"), entry.get("to")):
        changes.update({"from": ERASED, "to": ERASED})  # a subject's before and after are the guest's words too
    if isinstance(entry.get("to"), list) and entry["to"]:  # addresses a reply or a forward went to
        changes["to"] = []
    author = entry.get("author") or {}
    if author.get("type") == "guest" and set(author) != {"type"}:
        changes["author"] = {"type": "guest"}
    if entry.get("attachments"):
        changes["attachments"] = []
    return changes


async def follow_merge(inbox: Inbox, merged: ContactMerged) -> int:
    """Re-point the merged-away contact's conversations to the survivor; returns how many moved."""
    moved = 0

    def decide(document: Document) -> Change:
        if document.get("contact_id") != merged.merged_id:
            return Change()
        return Change(
            event=ContactLinked(**about(document), contact_id=merged.survivor_id),
            set={"contact_id": merged.survivor_id},
            entries=[
                {
                    "kind": "contact_link",
                    "from": merged.merged_id,
                    "to": merged.survivor_id,
                    "reason": "merged",
                }
            ],
        )

    while batch := await inbox.repository.of_contact(merged.merged_id, limit=BATCH):
        for document in batch:
            _, entries = await inbox.act(str(document["_id"]), None, decide)
            moved += bool(entries)
    return moved


async def follow_rename(inbox: Inbox, renamed: ContactRenamed) -> int:
    """Show the contact's new name on its requests where they showed its old one or none (the name a guest
    gave themselves stays); returns how many changed. No timeline entry: the guest did not change."""
    changed, after = 0, None

    def decide(document: Document) -> Change:
        if document.get("contact_id") != renamed.contact_id:
            return Change()
        guest = document.get("guest") or {}
        shown = with_contact(guest, renamed.display_name, None, document.get("contact_name"))
        changes: dict[str, Any] = {"guest": shown} if shown != guest else {}
        if document.get("contact_name") != renamed.display_name:
            changes["contact_name"] = renamed.display_name
        return Change(set=changes)

    while batch := await inbox.repository.of_contact(renamed.contact_id, after_id=after, limit=BATCH):
        for document in batch:
            before = document.get("guest")
            updated, _ = await inbox.act(str(document["_id"]), None, decide)
            changed += updated.get("guest") != before
        after = str(batch[-1]["_id"])
    return changed


async def erase(inbox: Inbox, store: AttachmentStore, erased: ContactErased) -> ErasureApplied:
    """Redact every request of the contact: timeline texts, guest identity, attachments; then unlink it.

    The timeline is redacted before the conversation is unlinked, so a crash in between leaves it
    linked and the redelivered event finishes the work.
    """
    report = ErasureApplied(erasure_id=erased.erasure_id, contact_id=erased.contact_id, service="inbox")

    def decide(document: Document) -> Change:
        if document.get("contact_id") != erased.contact_id:
            return Change()
        return Change(
            event=ConversationErased(**about(document), erasure_id=erased.erasure_id),
            set={
                "contact_id": None,
                "contact_name": None,
                "guest": {},
                "subject": ERASED,
                "subject_key": None,
                "subject_values": {},
                "snippet": "",
                "snippet_key": None,
                "snippet_values": {},
                "erasure_id": erased.erasure_id,
            },
            entries=[{"kind": "erased", "erasure_id": erased.erasure_id}],
        )

    while batch := await inbox.repository.of_contact(erased.contact_id, limit=BATCH):
        for document in batch:
            conversation_id = str(document["_id"])
            after: tuple[datetime, str] | None = None
            while entries := await inbox.repository.entries(conversation_id, after=after, limit=BATCH):
                for entry in entries:
                    for attachment in entry.get("attachments") or []:
                        report.attachments += await store.delete(str(attachment["id"]))
                    if changes := redacted(entry):
                        await inbox.repository.redact_entry(str(entry["_id"]), changes)
                        report.entries += 1
                after = (entries[-1]["at"], str(entries[-1]["_id"]))
            _, added = await inbox.act(conversation_id, None, decide)
            report.conversations += bool(added)
    return report


def _size(document: Document) -> int:
    return len(json.dumps(document, default=str))


async def export_page(inbox: Inbox, request: ContactExportRequest) -> ContactExportPage:
    """One conversation of the contact with a size-bounded slice of its timeline.

    The cursor is `<conversation id>` (start at that conversation's first entry) or
    `<conversation id>:<entry time>:<entry id>` (continue after that entry).
    """
    conversation_id, after = _parse_cursor(request.cursor)
    if conversation_id is None:
        first = await inbox.repository.of_contact(request.contact_id, limit=1)
        if not first:
            return ContactExportPage()
        conversation_id = str(first[0]["_id"])
    document = await inbox.repository.get(conversation_id)
    if document is None or document.get("contact_id") != request.contact_id:
        return ContactExportPage()
    entries = await inbox.repository.entries(conversation_id, after=after, limit=EXPORT_PAGE_ENTRIES)
    page = ContactExportPage(conversation=public_conversation(document) if after is None else None)
    budget = EXPORT_PAGE_BYTES - _size(page.conversation or {})
    for entry in entries:
        shown = public_entry(entry)
        budget -= _size(shown)
        if page.entries and budget < 0:
            break
        page.entries.append(shown)
    if len(page.entries) < len(entries) or len(entries) == EXPORT_PAGE_ENTRIES:
        last = entries[len(page.entries) - 1]
        page.next = f"{conversation_id}:{last['at'].isoformat()}:{last['_id']}"
    else:
        following = await inbox.repository.of_contact(request.contact_id, after_id=conversation_id, limit=1)
        page.next = str(following[0]["_id"]) if following else None
    return page


def _parse_cursor(cursor: str | None) -> tuple[str | None, tuple[datetime, str] | None]:
    if not cursor:
        return None, None
    conversation_id, _, rest = cursor.partition(":")
    if not rest:
        return conversation_id, None
    at, _, entry_id = rest.rpartition(":")
    return conversation_id, (datetime.fromisoformat(at), entry_id)
