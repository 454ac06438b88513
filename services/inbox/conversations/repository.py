"""The inbox's MongoDB access for conversations, their timeline, thread references and view counters."""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
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
        # A page reads its view day by day (see `page`): the day is an equality, like the hotel and status.
        IndexSpec(
            keys=[("location_id", 1), ("status", 1), ("activity_day", DESCENDING), ("last_activity_at", DESCENDING)],
            name="location_status_day",
        ),
        IndexSpec(keys=[("status", 1), ("snoozed_until", 1)], name="snoozed"),
        IndexSpec(keys=[("snooze_minute", 1)], name="snooze_minute"),
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
    # `_id` is "<hotel>|<label>": the labels a hotel's requests have used, which the label filter suggests.
    "labels_in_use": [IndexSpec(keys=[("location_id", 1)], name="location")],
    # `_id` is "<conversation>:<version>": the claim that makes a change exclusive (see update_if_version).
    "conversation_versions": [IndexSpec(keys=[("at", 1)], name="at")],
}

MAX_KEYS_REMEMBERED = 1000
CLAIM_LEASE = timedelta(seconds=30)
# A page walks this many days back, newest first, before it reads the rest of its view in one query.
DAYS_WALKED = 14
DERIVED_VERSION = 1  # conversations stored before `activity_day` existed get it at start
log = logging.getLogger(__name__)
_days_ready: set[str] = set()  # the databases whose conversations all have their day (it never goes back)


def activity_day(at: datetime) -> str:
    """The UTC day of a conversation's last activity, stored beside it (`activity_day`)."""
    return at.astimezone(UTC).date().isoformat()


def snooze_minute(until: datetime) -> str:
    """The UTC minute a hold ends, stored beside it (`snooze_minute`)."""
    return until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


DERIVED_FIELDS = ("activity_day", "snooze_minute")


def with_derived(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with the values derived from them, kept so that FerretDB can filter by equality, which
    it pushes down to its backend (ranges it reads in memory, after fetching every candidate)."""
    derived = dict(fields)
    if isinstance(fields.get("last_activity_at"), datetime):
        derived["activity_day"] = activity_day(fields["last_activity_at"])
    if "snoozed_until" in fields:
        until = fields["snoozed_until"]
        derived["snooze_minute"] = snooze_minute(until) if isinstance(until, datetime) else None
    return derived


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


class ConversationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.conversations = db["conversations"]
        self.timeline = db["timeline"]
        self.thread_refs = db["thread_refs"]
        self.versions = db["conversation_versions"]
        self.agents = db["agents"]
        self.settings = db["settings"]
        self.groups = db["location_groups"]
        self.meta = db["inbox_meta"]
        self.labels = db["labels_in_use"]

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
        new_conversation = with_derived(new_conversation)
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
        update: Document = {"$set": {**with_derived(changes), "version": version + 1}}
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
        """The `limit` conversations matching `filters` after the cursor, most recent activity first.

        FerretDB pushes only equalities down to its backend and sorts in memory: a query on a hotel's
        open requests reads and sorts all of them, 4,000 in a hotel of 10,000. So a view is read day
        by day, newest first, with the day as an equality (`activity_day`), until the page is full;
        after `DAYS_WALKED` days the older rest comes in one query. A busy view fills its page from
        a day or two; a quiet one costs a few empty look-ups more than before.
        """
        statuses = filters.get("status")
        if isinstance(statuses, dict) and list(statuses) == ["$in"] and len(statuses["$in"]) > 1:
            # A page per status (the inbox tab is open + on hold): each is an equality, so each is pushed down.
            parts = await asyncio.gather(
                *(self.page({**filters, "status": status}, before=before, limit=limit) for status in statuses["$in"])
            )
            merged = [document for part in parts for document in part]
            merged.sort(key=lambda d: (d["last_activity_at"], str(d["_id"])), reverse=True)
            return merged[:limit]
        if not await self.activity_days_ready():
            return await self._read(filters, before, limit)
        day = (before[0] if before else datetime.now(UTC) + timedelta(days=1)).astimezone(UTC).date()
        found: list[Document] = []
        for _ in range(DAYS_WALKED):
            found += await self._read({**filters, "activity_day": day.isoformat()}, before, limit - len(found))
            if len(found) >= limit:
                return found
            day -= timedelta(days=1)
        return found + await self._read(filters, before, limit - len(found), older_than=_start_of(day + timedelta(1)))

    async def _read(
        self, filters: Document, before: tuple[datetime, str] | None, limit: int, older_than: datetime | None = None
    ) -> list[Document]:
        query = dict(filters)
        conditions = [query.pop("$or")] if "$or" in query else []
        if before is not None:
            at, last_id = before
            conditions.append([{"last_activity_at": {"$lt": at}}, {"last_activity_at": at, "_id": {"$lt": last_id}}])
        if older_than is not None:
            query["last_activity_at"] = {"$lt": older_than}
        # The equalities stay at the top, where FerretDB pushes them down; the alternatives go under `$and`.
        if len(conditions) == 1:
            query["$or"] = conditions[0]
        elif conditions:
            query["$and"] = [{"$or": alternatives} for alternatives in conditions]
        cursor = self.conversations.find(query, {"applied_keys": 0})
        cursor = cursor.sort([("last_activity_at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [doc async for doc in cursor]

    async def activity_days_ready(self) -> bool:
        """Whether every conversation has its `activity_day` (true once `fill_derived` has run)."""
        if self.meta.database.name not in _days_ready:
            marker = await self.meta.find_one({"_id": "derived"})
            if marker and marker.get("v") == DERIVED_VERSION:
                _days_ready.add(self.meta.database.name)
        return self.meta.database.name in _days_ready

    async def fill_derived(self, batch: int = 500) -> int:
        """Give the conversations stored before `activity_day` existed their day, and note their labels
        as in use; returns how many got a day.

        Runs in the background at start; replicas may run it together. A conversation whose activity
        changes meanwhile gets its day from that change, which this never overwrites.
        """
        if await self.activity_days_ready():
            return 0
        filled, after = 0, ""
        fields = {"activity_day": 1, "last_activity_at": 1, "location_id": 1, "labels": 1}
        while True:
            cursor = self.conversations.find({"_id": {"$gt": after}}, fields).sort("_id", 1).limit(batch)
            page = [document async for document in cursor]
            if not page:
                break
            for document in page:
                if document.get("labels") and document.get("location_id"):
                    await self.remember_labels(str(document["location_id"]), document["labels"])
                if "activity_day" not in document:
                    missing = {"_id": document["_id"], "activity_day": {"$exists": False}}
                    day = {"$set": {"activity_day": activity_day(document["last_activity_at"])}}
                    filled += (await self.conversations.update_one(missing, day)).modified_count
            after = str(page[-1]["_id"])
        await self.meta.replace_one({"_id": "derived"}, {"_id": "derived", "v": DERIVED_VERSION}, upsert=True)
        _days_ready.add(self.meta.database.name)
        return filled

    async def remember_labels(self, location_id: str, labels: Iterable[str]) -> None:
        """Note that the hotel's requests use these labels (a unique insert each: replicas may race)."""
        for label in labels:
            try:
                await self.labels.insert_one(
                    {"_id": f"{location_id}|{label}", "location_id": location_id, "label": label}
                )
            except DuplicateKeyError:
                continue

    async def labels_in_use(self, locations: list[str] | None, limit: int = 1000) -> list[Document]:
        """The labels of these hotels (None: all), each an equality on the hotel."""
        if locations is None:
            return [record async for record in self.labels.find({}).limit(limit)]
        parts = await asyncio.gather(
            *(self.labels.find({"location_id": loc}).limit(limit).to_list() for loc in locations)
        )
        return [record for part in parts for record in part][:limit]

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

    async def due_snoozes(self, now: datetime, *, thorough: bool = False, limit: int = 100) -> list[Document]:
        """Requests on hold whose time has passed: those ending this minute or the last (each minute an
        equality, so only they are read), or, `thorough`, every request on hold."""
        if thorough:
            queries: list[Document] = [{"status": "on_hold", "snoozed_until": {"$lte": now}}]
        else:
            minutes = [snooze_minute(now - timedelta(minutes=1)), snooze_minute(now)]
            queries = [{"snooze_minute": minute, "snoozed_until": {"$lte": now}} for minute in minutes]
        found: dict[str, Document] = {}
        for query in queries:
            async for document in self.conversations.find(query, {"_id": 1}).limit(limit):
                found.setdefault(str(document["_id"]), document)
        return list(found.values())[:limit]

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
