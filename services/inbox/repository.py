"""The inbox's MongoDB access for conversations, their timeline, thread references and view counters."""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

INDEXES = {
    "conversations": [
        # One conversation per thread, whichever replica gets there first.
        IndexSpec(keys=[("thread_key", 1)], name="thread_key", unique=True),
        # Lists are equalities on the hotel (and status) before the sort, so FerretDB narrows first.
        IndexSpec(keys=[("location_id", 1), ("last_activity_at", DESCENDING)], name="location_activity"),
        IndexSpec(keys=[("location_id", 1), ("status", 1), ("last_activity_at", DESCENDING)], name="location_status"),
        IndexSpec(keys=[("status", 1), ("snoozed_until", 1)], name="snoozed"),
        IndexSpec(keys=[("last_activity_at", DESCENDING)], name="activity"),
        # A contact's requests: merges re-point them, erasures redact them, exports read them.
        IndexSpec(keys=[("contact_id", 1)], name="contact"),
    ],
    "timeline": [
        # The real-world event's key: a redelivered or republished message is stored once.
        IndexSpec(keys=[("key", 1)], name="key", unique=True),
        IndexSpec(keys=[("conversation_id", 1), ("at", 1)], name="conversation_at"),
    ],
    # `_id` is a reference ("msgid:<id>", "chat:<session>", "review:<id>"): equality look-ups only.
    "thread_refs": [IndexSpec(keys=[("conversation_id", 1)], name="conversation")],
    # `_id` is "<conversation>:<version>": the claim that makes a change exclusive (see update_if_version).
    "conversation_versions": [IndexSpec(keys=[("at", 1)], name="at")],
}

MAX_KEYS_REMEMBERED = 1000
CLAIM_LEASE = timedelta(seconds=30)
log = logging.getLogger(__name__)


class ConversationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.conversations = db["conversations"]
        self.timeline = db["timeline"]
        self.thread_refs = db["thread_refs"]
        self.versions = db["conversation_versions"]
        self.agents = db["agents"]
        self.settings = db["settings"]
        self.groups = db["location_groups"]

    # --- threads ----------------------------------------------------------------------------------

    async def find_thread(self, references: Iterable[str]) -> str | None:
        for reference in references:
            found = await self.thread_refs.find_one({"_id": reference})
            if found is not None:
                return str(found["conversation_id"])
        return None

    async def remember_references(self, references: Iterable[str], conversation_id: str) -> None:
        """Record that these references lead to the conversation; the first conversation to claim one keeps it."""
        for reference in dict.fromkeys(references):
            try:
                await self.thread_refs.insert_one({"_id": reference, "conversation_id": conversation_id})
            except DuplicateKeyError:
                continue

    async def open_thread(self, thread_key: str, new_conversation: Document) -> tuple[Document, bool]:
        """Return the thread's conversation, creating it from `new_conversation` if it has none.

        The unique index on `thread_key` decides races between replicas: the loser's insert fails
        and it reads the winner's document. (An upsert would do the same on MongoDB, but FerretDB
        v1 runs updates as a read then a write, so only unique inserts are atomic there.)
        """
        existing = await self.conversations.find_one({"thread_key": thread_key})
        if existing is not None:
            return existing, False
        try:
            await self.conversations.insert_one(new_conversation)
        except DuplicateKeyError:
            existing = await self.conversations.find_one({"thread_key": thread_key})
            if existing is None:  # pragma: no cover - the winner's document is there
                raise
            return existing, False
        return new_conversation, True

    # --- conversations ----------------------------------------------------------------------------

    async def get(self, conversation_id: str) -> Document | None:
        return await self.conversations.find_one({"_id": conversation_id})

    async def update_if_version(
        self, conversation_id: str, version: int, changes: Mapping[str, Any], *, applied_key: str | None = None
    ) -> bool:
        """Apply `changes` only if nobody changed the conversation since `version` was read.

        Compare-and-set built on a unique insert, the one atomic operation FerretDB v1 offers
        (its updates read then write, so a filter on `version` alone lets two writers through):
        whoever inserts the claim for `version + 1` is the only one allowed to write it.
        """
        if not await self._claim(conversation_id, version + 1):
            return False
        update: Document = {"$set": {**changes, "version": version + 1}}
        if applied_key is not None:
            # The keys of the guest messages already applied, so a redelivery is recognised.
            update["$push"] = {"applied_keys": {"$each": [applied_key], "$slice": -MAX_KEYS_REMEMBERED}}
        await self.conversations.update_one({"_id": conversation_id}, update)
        return True

    async def _claim(self, conversation_id: str, version: int) -> bool:
        now = datetime.now(UTC)
        try:
            await self.versions.insert_one({"_id": f"{conversation_id}:{version}", "at": now})
        except DuplicateKeyError:
            return await self._recover_abandoned_claim(conversation_id, version, now)
        return True

    async def _recover_abandoned_claim(self, conversation_id: str, version: int, now: datetime) -> bool:
        """A claim whose writer died before writing would block the conversation: after a lease,
        one recoverer (again by unique insert) writes the version with no change, and everyone retries."""
        claim = await self.versions.find_one({"_id": f"{conversation_id}:{version}"})
        if claim is None or now - claim["at"] < CLAIM_LEASE:
            return False
        current = await self.conversations.find_one({"_id": conversation_id}, {"version": 1})
        if current is None or int(current.get("version", 0)) >= version:
            return False
        try:
            await self.versions.insert_one({"_id": f"{conversation_id}:{version}:recovered", "at": now})
        except DuplicateKeyError:
            return False
        log.warning("recovered an abandoned change", extra={"conversation": conversation_id, "version": version})
        await self.conversations.update_one({"_id": conversation_id}, {"$set": {"version": version}})
        return False

    async def page(self, filters: Document, *, before: tuple[datetime, str] | None, limit: int) -> list[Document]:
        statuses = filters.get("status")
        if isinstance(statuses, dict) and list(statuses) == ["$in"] and len(statuses["$in"]) > 1:
            # FerretDB pushes only equalities down: a page per status (the inbox tab is open + on hold) reads
            # only those conversations of the hotel, not all of them; measured 2x faster at 10,000 a hotel.
            parts = await asyncio.gather(
                *(self.page({**filters, "status": status}, before=before, limit=limit) for status in statuses["$in"])
            )
            merged = [document for part in parts for document in part]
            merged.sort(key=lambda d: (d["last_activity_at"], str(d["_id"])), reverse=True)
            return merged[:limit]
        query = dict(filters)
        if before is not None:
            at, last_id = before
            cursor_clause = [
                {"last_activity_at": {"$lt": at}},
                {"last_activity_at": at, "_id": {"$lt": last_id}},
            ]
            query = {"$and": [query, {"$or": cursor_clause}]} if "$or" in query else {**query, "$or": cursor_clause}
        cursor = self.conversations.find(query, {"applied_keys": 0})
        cursor = cursor.sort([("last_activity_at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [doc async for doc in cursor]

    async def count(self, filters: Document) -> int:
        return await self.conversations.count_documents(filters)

    async def of_contact(self, contact_id: str, *, after_id: str | None = None, limit: int = 100) -> list[Document]:
        """A contact's conversations in id order (equality on the indexed contact, then the cursor)."""
        query: Document = {"contact_id": contact_id}
        if after_id is not None:
            query["_id"] = {"$gt": after_id}
        cursor = self.conversations.find(query, {"applied_keys": 0}).sort("_id", 1).limit(limit)
        return [doc async for doc in cursor]

    async def unanswered_alerts(self, location_id: str) -> list[Document]:
        """A hotel's alerts no agent has answered yet (the hotel's equality narrows; the rest is read here)."""
        query = {"location_id": location_id, "alert": True, "first_response_at": None}
        cursor = self.conversations.find(query, {"status": 1, "created_at": 1, "bot_active": 1})
        return [doc async for doc in cursor]

    async def due_snoozes(self, now: datetime, limit: int = 100) -> list[Document]:
        query = {"status": "on_hold", "snoozed_until": {"$lte": now}}
        return [doc async for doc in self.conversations.find(query, {"_id": 1}).limit(limit)]

    # --- timeline ---------------------------------------------------------------------------------

    async def add_entry(self, entry: Document) -> bool:
        """Insert a timeline entry; False if an entry with the same key is there already."""
        try:
            await self.timeline.insert_one(entry)
        except DuplicateKeyError:
            return False
        return True

    async def entry_by_key(self, key: str) -> Document | None:
        return await self.timeline.find_one({"key": key})

    async def update_entry(self, key: str, changes: Mapping[str, Any]) -> Document | None:
        return await self.timeline.find_one_and_update(
            {"key": key}, {"$set": dict(changes)}, return_document=ReturnDocument.AFTER
        )

    async def entry(self, conversation_id: str, entry_id: str) -> Document | None:
        return await self.timeline.find_one({"_id": entry_id, "conversation_id": conversation_id})

    async def redact_entry(self, entry_id: str, changes: Mapping[str, Any]) -> None:
        await self.timeline.update_one({"_id": entry_id}, {"$set": dict(changes)})

    async def entries(self, conversation_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Document]:
        query: Document = {"conversation_id": conversation_id}
        if after is not None:
            at, last_id = after
            query["$or"] = [{"at": {"$gt": at}}, {"at": at, "_id": {"$gt": last_id}}]
        cursor = self.timeline.find(query).sort([("at", 1), ("_id", 1)]).limit(limit)
        return [entry async for entry in cursor]

    # --- view counts -----------------------------------------------------------------------------

    async def state_counts(self, location_id: str, channel: str | None) -> list[Document]:
        """How many of a hotel's conversations are in each combination of the fields views depend on.

        Counted from the conversations themselves, so counts always equal a recount: counters kept
        with `$inc` lose increments on FerretDB v1 under concurrency. The `$match` is an equality
        on the indexed hotel, so only that hotel's conversations are read.
        """
        match: Document = {"location_id": location_id}
        if channel is not None:
            match["channel"] = channel
        pipeline: list[Document] = [
            {"$match": match},
            {
                "$group": {
                    "_id": {"status": "$status", "unread": "$unread", "alert": "$alert", "bot": "$bot_active"},
                    "n": {"$sum": 1},
                }
            },
        ]
        cursor = await self.conversations.aggregate(pipeline)
        return [group async for group in cursor]

    async def all_state_counts(self, channel: str | None) -> list[Document]:
        """The same, for every hotel at once (the chain-wide view of admins)."""
        pipeline: list[Document] = [{"$match": {"channel": channel}}] if channel else []
        pipeline.append(
            {
                "$group": {
                    "_id": {"status": "$status", "unread": "$unread", "alert": "$alert", "bot": "$bot_active"},
                    "n": {"$sum": 1},
                }
            }
        )
        cursor = await self.conversations.aggregate(pipeline)
        return [group async for group in cursor]

    # --- directory look-ups (read-only here; the directory owns their lifecycle) ------------------

    async def agent(self, agent_id: str) -> Document | None:
        return await self.agents.find_one({"_id": agent_id}, {"password_hash": 0})

    async def chain_settings(self) -> Document:
        return await self.settings.find_one({"_id": "chain"}) or {}

    async def alert_rule(self) -> Document:
        rule = (await self.chain_settings()).get("alert_rule")
        return dict(rule) if isinstance(rule, dict) else {}

    async def locations_of_group(self, group_id: str) -> list[str]:
        group = await self.groups.find_one({"_id": group_id})
        return [str(location) for location in (group or {}).get("location_ids", [])]
