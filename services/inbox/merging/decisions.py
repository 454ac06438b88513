"""What a merge and a split do to the requests, decided from their current state (pure: no I/O).

A merge moves the request merged away into the survivor: its timeline entries (each once, with its id, key
and time, so the survivor's timeline interleaves both by time), its thread references (and so its reply
tokens and tags, which lead through `merged_into`), its labels and unread mark. It stays, `merged`, so its
id and links lead to the survivor, and counts nowhere. A split moves a guest's message (and maybe the
entries after it) into a new request of the same hotel and guest, with its own thread key; the message's
references lead there, so the guest's replies to it do too.

The steps are idempotent (the merged request's `merged_into`, the survivor's `merged_ids`, the original's
`split_ids`, entry keys): a merge stopped half-way is completed by asking again, and a split asked again
finds the request it opened by its thread key.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from shared.bus import ConversationMerged, ConversationSplit
from shared.db import Document
from shared.problems import Problem

from ..conversations.service import Change, about, merged_away, snippet
from ..conversations.states import Status

Decide = Callable[[Document], Change]


def is_guest_message(entry: Document) -> bool:
    return entry.get("kind") == "message" and entry.get("direction") == "inbound"


# --- merge --------------------------------------------------------------------------------------------


def check_merge(survivor: Document, merged: Document) -> bool:
    """Refuse a merge that cannot be (409 with the reason, 422 for a request merged into itself); True when
    the request was merged into this survivor already (a merge stopped half-way, completed again)."""
    if survivor["_id"] == merged["_id"]:
        raise Problem(422, "Invalid request", "conversation_id: a request cannot be merged into itself.")
    if survivor["location_id"] != merged["location_id"]:
        raise Problem(409, "Not allowed now", "Only two requests of the same hotel can be merged.")
    if survivor.get("merged_into"):
        raise merged_away(survivor)
    if merged.get("merged_into"):
        if merged["merged_into"] == survivor["_id"]:
            return True
        raise merged_away(merged)
    return False


def merge_away(survivor_id: str, now: datetime) -> Decide:
    """The request merged away: `merged`, leading to the survivor; out of every view and score."""

    def decide(document: Document) -> Change:
        if document.get("merged_into"):
            return Change()
        return Change(
            set={
                "status": Status.MERGED.value,
                "merged_into": survivor_id,
                "merged_at": now,
                "snoozed_until": None,
            }
        )

    return decide


def merge_entry_away(entry_id: str, merged_id: str, survivor_id: str, author: Document, now: datetime) -> Document:
    """The merge's entry on the request merged away (stored once: its key names the merge)."""
    return {
        "_id": entry_id,
        "key": f"merge:{merged_id}:away",
        "conversation_id": merged_id,
        "kind": "merge",
        "merged_into": survivor_id,
        "author": author,
        "at": now,
    }


def _labels(*lists: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(label for labels in lists for label in labels))


def merge_into(merged: Document, moved: int) -> Decide:
    """The survivor after taking `merged` in (its state before the merge): its labels, unread mark, alert,
    message count and latest activity join the survivor's; a merge entry and the event."""
    merged_id = str(merged["_id"])

    def decide(document: Document) -> Change:
        taken = list(document.get("merged_ids") or [])
        if merged_id in taken:
            return Change()
        changes: dict[str, Any] = {
            "merged_ids": [*taken, merged_id],
            "labels": _labels(document.get("labels") or [], merged.get("labels") or []),
            "unread": bool(document.get("unread")) or bool(merged.get("unread")),
            "message_count": int(document.get("message_count", 0)) + int(merged.get("message_count", 0)),
        }
        later = merged.get("last_activity_at")
        if isinstance(later, datetime) and later > document["last_activity_at"]:
            changes["last_activity_at"] = later
            for name in ("snippet", "snippet_key", "snippet_values"):
                if name in merged:
                    changes[name] = merged[name]
        if merged.get("alert") and not document.get("alert"):
            changes |= {"alert": True, "alert_reason": merged.get("alert_reason")}
        if merged.get("contact_id") and not document.get("contact_id"):
            changes |= {"contact_id": merged["contact_id"], "contact_name": merged.get("contact_name")}
        entry = {"kind": "merge", "key": f"merge:{merged_id}:into", "merged_id": merged_id, "moved": moved}
        return Change(event=ConversationMerged(**about(document), merged_id=merged_id), set=changes, entries=[entry])

    return decide


# --- split --------------------------------------------------------------------------------------------


def split_thread_key(original_id: str, entry_id: str) -> str:
    """The new request's thread key: one per message split out, so asking again finds the same request."""
    return f"split:{original_id}:{entry_id}"


def entries_to_split(entries: Sequence[Document], entry_id: str, with_following: bool) -> list[Document]:
    """The entries a split moves (`entries`: the request's timeline in order): the guest's message, and with
    `with_following` every entry after it. Refused (422) for another kind of entry, or a split that would
    leave the request without a guest message."""
    index = next((i for i, entry in enumerate(entries) if str(entry["_id"]) == entry_id), None)
    if index is None:
        raise Problem(422, "Invalid request", f"entry_id: this request has no entry {entry_id!r}.")
    if not is_guest_message(entries[index]):
        raise Problem(422, "Invalid request", "entry_id: only a guest's message can be split into a new request.")
    moved = list(entries[index:]) if with_following else [entries[index]]
    moving = {str(entry["_id"]) for entry in moved}
    if not any(is_guest_message(entry) for entry in entries if str(entry["_id"]) not in moving):
        raise Problem(
            422, "Invalid request", "entry_id: the request would keep no guest message; split a later one out."
        )
    return moved


def _latest_message_fields(messages: Sequence[Document]) -> dict[str, Any]:
    """What a request shows of its latest guest message: its time, snippet and Message-ID."""
    latest = messages[-1]
    fields: dict[str, Any] = {
        "last_activity_at": latest["at"],
        "snippet": snippet(str(latest.get("text") or "")),
        "snippet_key": latest.get("text_key"),
        "snippet_values": latest.get("text_values") or {},
    }
    with_id = [message for message in messages if message.get("message_id")]
    if with_id:
        fields["last_message_id"] = with_id[-1]["message_id"]
        fields["reply_references"] = [with_id[-1]["message_id"]]
    return fields


def split_request(original: Document, moved: Sequence[Document], new_id: str, now: datetime) -> Document:
    """The new request a split opens: the original's hotel, guest, contact, channel, priority and assignee;
    open, read (the agent splitting it has it in front of them); its guest messages are those moved."""
    messages = [entry for entry in moved if is_guest_message(entry)]
    first = messages[0]
    return {
        "_id": new_id,
        "thread_key": split_thread_key(str(original["_id"]), str(first["_id"])),
        "version": 0,
        "applied_keys": [str(message["key"]) for message in messages],
        "location_id": original["location_id"],
        "channel": original["channel"],
        "status": Status.OPEN.value,
        "spam_reason": None,
        "automatic": None,
        "snoozed_until": None,
        "bot_active": False,
        "has_bot": False,
        "subject": str(first.get("subject") or original.get("subject") or ""),
        "guest": dict(original.get("guest") or {}),
        "contact_id": original.get("contact_id"),
        "contact_name": original.get("contact_name"),
        "priority": original.get("priority") or "low",
        "contact_reason": None,
        "assignee": original.get("assignee"),
        "assignee_id": original.get("assignee_id"),
        "labels": [],
        "unread": False,
        "alert": False,
        "alert_reason": None,
        "rating": None,
        "chat_session_id": None,
        "message_count": len(messages),
        "created_at": now,
        "split_from": str(original["_id"]),
        **_latest_message_fields(messages),
    }


def split_from(remaining: Sequence[Document], moved: Sequence[Document], new_id: str, entry_id: str) -> Decide:
    """The original after a split: its message count, latest activity and Message-ID from the guest
    messages it keeps (`remaining`, in order), and a split entry naming the new request."""

    def decide(document: Document) -> Change:
        done = list(document.get("split_ids") or [])
        if new_id in done:
            return Change()
        messages = [entry for entry in remaining if is_guest_message(entry)]
        changes: dict[str, Any] = {"split_ids": [*done, new_id], "message_count": len(messages)}
        if messages:
            changes |= _latest_message_fields(messages)
        entry = {
            "kind": "split",
            "key": f"split:{new_id}:from",
            "entry_id": entry_id,
            "moved": len(moved),
            "to_conversation_id": new_id,
        }
        return Change(set=changes, entries=[entry])

    return decide


def split_into(original_id: str, entry_id: str, moved: int) -> Decide:
    """The new request's split entry and its event."""

    def decide(document: Document) -> Change:
        entry = {
            "kind": "split",
            "key": f"split:{document['_id']}:to",
            "entry_id": entry_id,
            "moved": moved,
            "from_conversation_id": original_id,
        }
        event = ConversationSplit(**about(document), from_conversation_id=original_id)
        return Change(event=event, entries=[entry])

    return decide
