"""The inbox's MongoDB access for conversations, their timeline, thread references and view counters.

Two variants behind one interface, chosen by `HUB_MONGO_FLAVOUR` (`conversation_repository`):
FerretDB v1 (local and tests) runs updates as a read then a write and pushes only equalities down to
its backend, so its variant claims versions by unique insert, reads a view day by day and finds due
holds by their minute; MongoDB 7 (production) has atomic single-document updates and index-driven
sorts, so its variant uses them and keeps none of those workarounds.
"""

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.db import Document, IndexSpec
from shared.settings import MongoFlavour

from ..counters.repository import COUNTER_INDEXES, CounterRepository, transition, view_groups
from .states import LISTED, Status, ViewCondition

COMMON_INDEXES: dict[str, list[IndexSpec]] = {
    "conversations": [
        # One conversation per thread, whichever replica gets there first.
        IndexSpec(keys=[("thread_key", 1)], name="thread_key", unique=True),
        # A contact's requests: merges re-point them, erasures redact them, exports read them.
        IndexSpec(keys=[("contact_id", 1)], name="contact"),
        # A hotel-day's requests, which its scores are rebuilt from (reports/): equalities only.
        IndexSpec(keys=[("location_id", 1), ("score_day", 1)], name="location_score_day"),
    ],
    "timeline": [
        # The real-world event's key: a redelivered or republished message is stored once.
        IndexSpec(keys=[("key", 1)], name="key", unique=True),
        IndexSpec(keys=[("conversation_id", 1), ("at", 1)], name="conversation_at"),
    ],
    # `_id` is a reference ("<hotel>|msgid:<id>", "<hotel>|chat:<session>", "<hotel>|review:<id>",
    # "<hotel>|tag:<request tag>:<guest address>"; older ones lack the hotel, see threading.py): equality
    # look-ups only.
    "thread_refs": [IndexSpec(keys=[("conversation_id", 1)], name="conversation")],
    # `_id` is "<hotel>|<label>": the labels a hotel's requests have used, which the label filter suggests.
    "labels_in_use": [IndexSpec(keys=[("location_id", 1)], name="location")],
    # `_id` is "<conversation>:<version>": the FerretDB variant's claim that makes a change exclusive
    # (see update_if_version); its writer deletes the older ones, the sweep those past their lease.
    "conversation_versions": [
        IndexSpec(keys=[("at", 1)], name="at"),
        IndexSpec(keys=[("conversation_id", 1)], name="conversation"),
    ],
}
FERRETDB_INDEXES: dict[str, list[IndexSpec]] = {
    "conversations": [
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
        # The SLA sweep reads the minutes since it last swept, each an equality (sla/repository.py).
        IndexSpec(keys=[("sla_check_minute", 1)], name="sla_check_minute"),
        IndexSpec(keys=[("last_activity_at", DESCENDING)], name="activity"),
        # The alerts that lead the inbox: equalities only, read at once (see `FerretDBConversationRepository.page`).
        IndexSpec(keys=[("location_id", 1), ("status", 1), ("alert", 1)], name="location_status_alert"),
        # Lists sorted by due time (`page_by_due`): the hotel and status narrow, the due time orders.
        IndexSpec(keys=[("location_id", 1), ("status", 1), ("sla_due_at", 1)], name="location_status_due"),
        IndexSpec(keys=[("status", 1), ("sla_due_at", 1)], name="status_due"),
    ],
}
# MongoDB walks these in the page's order (the id breaks ties), so a page reads `limit` documents;
# with several hotels or statuses (`$in`) it merges the sorted index ranges. Named apart from
# FerretDB's, which lack the id: an index name cannot change its keys.
MONGODB_INDEXES: dict[str, list[IndexSpec]] = {
    "conversations": [
        IndexSpec(
            keys=[("location_id", 1), ("status", 1), ("last_activity_at", DESCENDING), ("_id", DESCENDING)],
            name="location_status_activity_id",
        ),
        IndexSpec(
            keys=[("location_id", 1), ("last_activity_at", DESCENDING), ("_id", DESCENDING)],
            name="location_activity_id",
        ),
        IndexSpec(
            keys=[("status", 1), ("last_activity_at", DESCENDING), ("_id", DESCENDING)], name="status_activity_id"
        ),
        IndexSpec(keys=[("last_activity_at", DESCENDING), ("_id", DESCENDING)], name="activity_id"),
        # A list ordered alerts first reads the alerts, then the others, each an equality on `alert`.
        IndexSpec(
            keys=[
                ("location_id", 1),
                ("status", 1),
                ("alert", 1),
                ("last_activity_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="location_status_alert_activity_id",
        ),
        IndexSpec(
            keys=[("status", 1), ("alert", 1), ("last_activity_at", DESCENDING), ("_id", DESCENDING)],
            name="status_alert_activity_id",
        ),
        IndexSpec(keys=[("status", 1), ("snoozed_until", 1)], name="snoozed"),
        # The SLA sweep's read: the requests whose next check has come, earliest first (sla/repository.py).
        IndexSpec(keys=[("sla_check_at", 1)], name="sla_check"),
        # Lists sorted by due time, earliest first (the id breaks ties), in a hotel or chain-wide.
        IndexSpec(
            keys=[("location_id", 1), ("status", 1), ("sla_due_at", 1), ("_id", 1)], name="location_status_due_id"
        ),
        IndexSpec(keys=[("status", 1), ("sla_due_at", 1), ("_id", 1)], name="status_due_id"),
    ],
}


def indexes_for(flavour: MongoFlavour) -> dict[str, list[IndexSpec]]:
    """The conversations' indexes for this database (each variant creates only those its queries use)."""
    extra = FERRETDB_INDEXES if flavour == "ferretdb" else MONGODB_INDEXES
    return {name: [*specs, *extra.get(name, [])] for name, specs in {**COMMON_INDEXES, **COUNTER_INDEXES}.items()}


MAX_KEYS_REMEMBERED = 1000
DUPLICATE_KEY = 11000
# What a change must know of the conversation before it to count it (and the version it changes).
COUNTED_FIELDS = {"location_id": 1, "channel": 1, "status": 1, "unread": 1, "alert": 1, "bot_active": 1, "version": 1}
CLAIM_LEASE = timedelta(seconds=30)
# A page walks this many days back, newest first, before it reads the rest of its view in one query.
DAYS_WALKED = 14
DERIVED_VERSION = 1  # conversations stored before `activity_day` existed get it at start
log = logging.getLogger(__name__)
_days_ready: set[str] = set()  # the databases whose conversations all have their day (it never goes back)


def activity_day(at: datetime) -> str:
    """The UTC day of a conversation's last activity, stored beside it (`activity_day`)."""
    return at.astimezone(UTC).date().isoformat()


def utc_minute(at: datetime) -> str:
    """An instant's UTC minute ("2026-12-04T03:40"), the form of the minutes stored for equality look-ups."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def snooze_minute(until: datetime) -> str:
    """The UTC minute a hold ends, stored beside it (`snooze_minute`)."""
    return utc_minute(until)


def sla_check_minute(check_at: datetime, written_at: datetime) -> str:
    """The minute the SLA sweep finds a request in (`sla_check_minute`): its check's, or the minute it is
    written in when the check is due already (a step before a short target's due time), so the sweep, which
    reads the minutes since it last swept, never passes it by."""
    return utc_minute(max(check_at, written_at))


DERIVED_FIELDS = ("activity_day", "snooze_minute", "sla_check_minute")


def with_derived(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with the values derived from them, kept so that FerretDB can filter by equality, which
    it pushes down to its backend (ranges it reads in memory, after fetching every candidate)."""
    derived = dict(fields)
    if isinstance(fields.get("last_activity_at"), datetime):
        derived["activity_day"] = activity_day(fields["last_activity_at"])
    if "snoozed_until" in fields:
        until = fields["snoozed_until"]
        derived["snooze_minute"] = snooze_minute(until) if isinstance(until, datetime) else None
    if "sla_check_at" in fields:
        check, now = fields["sla_check_at"], datetime.now(UTC)
        derived["sla_check_minute"] = sla_check_minute(check, now) if isinstance(check, datetime) else None
    return derived


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def by_recent_activity(documents: list[Document]) -> list[Document]:
    """Conversations in a list's order: most recent activity first, the id breaking ties."""
    return sorted(documents, key=lambda d: (d["last_activity_at"], str(d["_id"])), reverse=True)


def by_due_time(documents: list[Document]) -> list[Document]:
    """Conversations with a due time in a due-sorted list's order: earliest first, the id breaking ties."""
    return sorted(documents, key=lambda d: (d["sla_due_at"], str(d["_id"])))


# Every stored due time is after it: `sla_due_at >= DATED` keeps the requests that have one (a range on
# dates only, which an index walks; `$ne: None` would not narrow it).
DATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ConversationQuery:
    """Which conversations a list or a count reads: a view's condition (states.VIEWS) within some hotels,
    narrowed by an agent's filters. Plain values; each repository variant makes its query from them."""

    condition: ViewCondition = field(default_factory=ViewCondition)
    locations: tuple[str, ...] | None = None  # None: every hotel
    channel: str | None = None
    assignee_id: str | None = None  # one agent's requests
    assigned: bool | None = None  # False: nobody's, True: someone's
    label: str | None = None
    priority: str | None = None
    text: str | None = None  # in the subject, the snippet, the guest's name or email (any case)
    # A list that shows the open alerts (the alerts bucket) first, then the rest by activity.
    alerts_first: bool = False
    care_group_id: str | None = None  # the requests handed to this central care group
    due_by: datetime | None = None  # a running target due before this instant (due soon, overdue)
    without_due: bool = False  # no running target (the end of a due-sorted list)

    def with_status(self, status: Status) -> "ConversationQuery":
        return replace(self, condition=replace(self.condition, statuses=frozenset({status})))

    def leading_alerts(self) -> "ConversationQuery":
        """The part of an alerts-first list that leads it: its open requests with an alert."""
        statuses = self.condition.statuses
        leading = frozenset({Status.OPEN}) if statuses is None or Status.OPEN in statuses else frozenset()
        return replace(self, condition=replace(self.condition, statuses=leading, alert=True), alerts_first=False)

    def after_alerts(self) -> list["ConversationQuery"]:
        """The parts of an alerts-first list that follow its alerts, merged by activity: its open
        requests without an alert, and its other statuses whatever their alert."""
        statuses = self.condition.statuses if self.condition.statuses is not None else LISTED
        parts = []
        if Status.OPEN in statuses:
            parts.append(replace(self.condition, statuses=frozenset({Status.OPEN}), alert=False))
        if others := statuses - {Status.OPEN}:
            parts.append(replace(self.condition, statuses=frozenset(others)))
        return [replace(self, condition=part, alerts_first=False) for part in parts]

    def leads(self, conversation: Mapping[str, Any]) -> bool:
        """Whether the conversation is among the alerts leading this list (a cursor after it says so)."""
        return self.alerts_first and self.leading_alerts().condition.holds_for(conversation)


def conversation_filter(query: ConversationQuery) -> Document:
    """The MongoDB filter of a query; equalities on indexed fields first (hotel, status), which both
    servers narrow by, the text search last."""
    found: Document = {}
    if query.locations is not None:
        locations = list(query.locations)
        found["location_id"] = locations[0] if len(locations) == 1 else {"$in": locations}
    statuses = query.condition.statuses
    if statuses is not None:
        ordered = [status.value for status in Status if status in statuses]
        found["status"] = ordered[0] if len(ordered) == 1 else {"$in": ordered}
    else:
        # Any listed status: a merged request is in no view (few are: checked after the hotel's equality).
        found["status"] = {"$ne": Status.MERGED.value}
    for flag in ("bot_active", "alert", "unread"):
        wanted = getattr(query.condition, flag)
        if wanted is not None:
            found[flag] = wanted
    if query.channel:
        found["channel"] = query.channel
    if query.assignee_id is not None:
        found["assignee_id"] = query.assignee_id
    elif query.assigned is not None:
        found["assignee_id"] = {"$ne": None} if query.assigned else None
    if query.label:
        found["labels"] = query.label
    if query.priority:
        found["priority"] = query.priority
    if query.care_group_id is not None:
        found["care_group_id"] = query.care_group_id
    if query.due_by is not None:
        found["sla_due_at"] = {"$gte": DATED, "$lt": query.due_by}
    elif query.without_due:
        found["sla_due_at"] = None
    if query.text:
        pattern = {"$regex": re.escape(query.text), "$options": "i"}
        found["$or"] = [{"subject": pattern}, {"snippet": pattern}, {"guest.name": pattern}, {"guest.email": pattern}]
    return found


class ConversationRepository(ABC):
    """What both variants share; the methods marked abstract are where FerretDB and MongoDB differ."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.conversations = db["conversations"]
        self.timeline = db["timeline"]
        self.thread_refs = db["thread_refs"]
        self.versions = db["conversation_versions"]
        self.agents = db["agents"]
        self.settings = db["settings"]
        self.groups = db["location_groups"]
        self.locations = db["locations"]
        self.meta = db["inbox_meta"]
        self.labels = db["labels_in_use"]
        self.counters = CounterRepository(db)

    # --- where the variants differ ----------------------------------------------------------------

    @abstractmethod
    def _stored(self, conversation: Document) -> Document:
        """A new conversation as this variant stores it."""

    @abstractmethod
    async def _claim_version(
        self, conversation_id: str, version: int, location_id: str, counted: dict[str, int]
    ) -> bool:
        """Make this writer the only one that may write `version`, and record its change of the counts
        (`counted`, maybe empty) before it writes; False if another writer has it."""

    @abstractmethod
    async def _write(
        self, conversation_id: str, version: int, changes: Mapping[str, Any], *, applied_key: str | None
    ) -> bool:
        """Write `changes` as `version + 1` if the conversation is still at `version`."""

    @abstractmethod
    async def _written(self, conversation_id: str, version: int) -> None:
        """After `version` is written (FerretDB deletes the older claims)."""

    async def page(
        self,
        query: ConversationQuery,
        *,
        before: tuple[datetime, str] | None,
        limit: int,
        before_alert: bool = False,
    ) -> list[Document]:
        """The `limit` conversations of `query` after the cursor, most recent activity first (the id breaks
        ties); with `query.alerts_first`, its leading alerts first, then the rest (`before_alert`: the
        cursor is among the alerts). Each part is read along its own index and sorted the same way, so
        a cursor continues exactly, across the end of the alerts too."""
        if not query.alerts_first:
            return await self.by_activity(query, before=before, limit=limit)
        found: list[Document] = []
        if before is None or before_alert:
            found = await self.by_activity(query.leading_alerts(), before=before, limit=limit)
            if len(found) >= limit:
                return found
            before = None  # the rest starts at its top
        wanted = limit - len(found)
        parts = await asyncio.gather(
            *(self.by_activity(part, before=before, limit=wanted) for part in query.after_alerts())
        )
        return found + by_recent_activity([document for part in parts for document in part])[:wanted]

    @abstractmethod
    async def by_activity(
        self, query: ConversationQuery, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """The `limit` conversations of `query` after the cursor, most recent activity first (the id breaks ties)."""

    async def page_by_due(
        self,
        query: ConversationQuery,
        *,
        after_due: tuple[datetime, str] | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Document]:
        """The `limit` conversations of `query` in a due-sorted list: those with a running target, earliest
        due time first (the id breaks ties), then those without one, most recent activity first. A cursor
        is in the first part (`after_due`: its due time and id) or in the second (`before`: its activity
        and id); a due filter (`query.due_by`) leaves no second part."""
        found: list[Document] = []
        if before is None:
            found = await self.by_due(query, after=after_due, limit=limit)
            if len(found) >= limit or query.due_by is not None:
                return found
        rest = replace(query, without_due=True, alerts_first=False)
        return found + await self.by_activity(rest, before=before, limit=limit - len(found))

    @abstractmethod
    async def by_due(
        self, query: ConversationQuery, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """The `limit` conversations of `query` with a running target after the cursor, earliest due time
        first (the id breaks ties)."""

    async def _read_due(self, filters: Document, after: tuple[datetime, str] | None, limit: int) -> list[Document]:
        query = dict(filters)
        conditions = [query.pop("$or")] if "$or" in query else []
        query["sla_due_at"] = {"$gte": DATED, **(query.get("sla_due_at") or {})}
        if after is not None:
            at, last_id = after
            conditions.append([{"sla_due_at": {"$gt": at}}, {"sla_due_at": at, "_id": {"$gt": last_id}}])
        if len(conditions) == 1:
            query["$or"] = conditions[0]
        elif conditions:
            query["$and"] = [{"$or": alternatives} for alternatives in conditions]
        cursor = self.conversations.find(query, {"applied_keys": 0}).sort([("sla_due_at", 1), ("_id", 1)]).limit(limit)
        return [doc async for doc in cursor]

    @abstractmethod
    async def due_snoozes(self, now: datetime, *, thorough: bool = False, limit: int = 100) -> list[Document]:
        """Requests on hold whose time has passed (`thorough`: the sweep that also finds what a stopped
        service missed)."""

    @abstractmethod
    async def labels_in_use(self, locations: list[str] | None, limit: int = 1000) -> list[Document]:
        """The labels of these hotels (None: all)."""

    @abstractmethod
    async def fill_derived(self, batch: int = 500) -> int:
        """Complete the conversations stored by an older version at start; returns how many changed."""

    async def update_if_version(
        self,
        conversation_id: str,
        version: int,
        changes: Mapping[str, Any],
        *,
        applied_key: str | None = None,
        before: Document | None = None,
    ) -> bool:
        """Apply `changes` only if nobody changed the conversation since `version` was read (then the
        version becomes `version + 1`); `applied_key` joins the keys of the guest messages applied.

        `before` is the conversation as read at `version` (read here if not given): the change it makes
        to the state the conversation counts in is recorded for its hotel's counters before the write,
        and counted once the conversation has that version (counters/repository.py), so a writer that
        dies between the two never leaves the counters wrong."""
        if before is None or int(before.get("version", 0)) != version:
            before = await self.conversations.find_one({"_id": conversation_id}, COUNTED_FIELDS)
            if before is None or int(before.get("version", 0)) != version:
                return False
        written = version + 1
        counted = transition(before, {**before, **changes})
        if not await self._claim_version(conversation_id, written, str(before.get("location_id")), counted):
            return False
        if not await self._write(conversation_id, version, changes, applied_key=applied_key):
            await self.counters.withdraw(conversation_id, written)
            return False
        await self._written(conversation_id, written)
        return True

    # --- threads ----------------------------------------------------------------------------------

    async def find_thread(self, references: Iterable[str], location_id: str) -> str | None:
        """The first conversation of this hotel that one of the references leads to. References name
        their hotel, but those stored before they did do not: a conversation of another hotel is skipped.

        The references are looked up at once (an equality on `_id` each); only an older reference,
        which does not name its hotel, needs its conversation read to know whose it is."""
        ordered = list(dict.fromkeys(references))
        found = await asyncio.gather(*(self.thread_refs.find_one({"_id": reference}) for reference in ordered))
        own = f"{location_id}|"
        for reference, record in zip(ordered, found, strict=True):
            if record is None:
                continue
            if reference.startswith(own):
                # This hotel's own reference is its thread, even to a conversation that is gone (a partial
                # restore): the message then fails and waits in the DLQ for an operator rather than open a second one.
                return str(record["conversation_id"])
            conversation = await self.conversations.find_one({"_id": record["conversation_id"]}, {"location_id": 1})
            if conversation is not None and conversation["location_id"] == location_id:
                return str(record["conversation_id"])
        return None

    async def remember_references(self, references: Iterable[str], conversation_id: str) -> None:
        """Record that these references lead to the conversation; the first conversation to claim one keeps it
        (one unordered insert: the references already taken are refused, the others stored)."""
        records = [{"_id": reference, "conversation_id": conversation_id} for reference in dict.fromkeys(references)]
        if not records:
            return
        try:
            await self.thread_refs.insert_many(records, ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise

    async def lead_references(self, from_id: str, to_id: str) -> int:
        """Have every reference of one conversation lead to another (a merge): one update on an equality."""
        result = await self.thread_refs.update_many({"conversation_id": from_id}, {"$set": {"conversation_id": to_id}})
        return result.modified_count

    async def point_references(self, references: Iterable[str], conversation_id: str) -> None:
        """Have these references lead to the conversation, whichever they led to before (a split's messages)."""
        for reference in dict.fromkeys(references):
            await self.thread_refs.update_one(
                {"_id": reference}, {"$set": {"conversation_id": conversation_id}}, upsert=True
            )

    async def merged_into(self, conversation_id: str) -> str | None:
        """The request a conversation was merged into (None: not merged, or no such conversation)."""
        found = await self.conversations.find_one({"_id": conversation_id}, {"merged_into": 1})
        merged_into = None if found is None else found.get("merged_into")
        return None if merged_into is None else str(merged_into)

    async def of_contact_at(self, contact_id: str, location_id: str, limit: int = 1000) -> list[str]:
        """The ids of a contact's requests at one hotel (an equality on the indexed contact, then the hotel)."""
        cursor = self.conversations.find({"contact_id": contact_id, "location_id": location_id}, {"_id": 1})
        return [str(document["_id"]) async for document in cursor.limit(limit)]

    async def open_thread(
        self, thread_key: str, new_conversation: Document, *, surely_new: bool = False
    ) -> tuple[Document, bool]:
        """Return the thread's conversation, creating it from `new_conversation` if it has none.

        The unique index on `thread_key` decides races between replicas: the loser's insert fails
        and it reads the winner's document. (An upsert would do the same on MongoDB, but FerretDB
        v1 runs updates as a read then a write, so only unique inserts are atomic there.) `surely_new`:
        the caller knows this message is new (its entry was just stored), so the insert comes first.
        """
        if not surely_new:
            existing = await self.conversations.find_one({"thread_key": thread_key})
            if existing is not None:
                return existing, False
        new_conversation = self._stored(new_conversation)
        conversation_id, location = str(new_conversation["_id"]), str(new_conversation.get("location_id"))
        # Counted once the conversation exists (and dropped if it never does): see `update_if_version`.
        await self.counters.intend(location, conversation_id, 0, transition(None, new_conversation), replace=True)
        try:
            await self.conversations.insert_one(new_conversation)
        except DuplicateKeyError:
            existing = await self.conversations.find_one({"thread_key": thread_key})
            if existing is None:  # pragma: no cover - the winner's document is there
                raise
            if existing["_id"] != conversation_id:  # another conversation won the thread: ours never was
                await self.counters.withdraw(conversation_id, 0)
            return existing, False
        return new_conversation, True

    # --- conversations ----------------------------------------------------------------------------

    async def get(self, conversation_id: str) -> Document | None:
        return await self.conversations.find_one({"_id": conversation_id})

    async def prune_claims(self, now: datetime) -> int:
        """Delete the version claims older than their lease (those a writer left behind); returns how many."""
        result = await self.versions.delete_many({"at": {"$lt": now - CLAIM_LEASE}})
        return result.deleted_count

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

    async def _complete_older(self, batch: int, fill_day: bool) -> int:
        """Note the labels of every conversation as in use and, `fill_day`, give those without one their
        activity day; returns how many got a day. Replicas may run it together. A conversation whose
        activity changes meanwhile gets its day from that change, which this never overwrites."""
        filled, after = 0, ""
        fields = {"activity_day": 1, "last_activity_at": 1, "location_id": 1, "labels": 1}
        while True:
            cursor = self.conversations.find({"_id": {"$gt": after}}, fields).sort("_id", 1).limit(batch)
            page = [document async for document in cursor]
            if not page:
                return filled
            for document in page:
                if document.get("labels") and document.get("location_id"):
                    await self.remember_labels(str(document["location_id"]), document["labels"])
                if fill_day and "activity_day" not in document:
                    missing = {"_id": document["_id"], "activity_day": {"$exists": False}}
                    day = {"$set": {"activity_day": activity_day(document["last_activity_at"])}}
                    filled += (await self.conversations.update_one(missing, day)).modified_count
            after = str(page[-1]["_id"])

    async def remember_labels(self, location_id: str, labels: Iterable[str]) -> None:
        """Note that the hotel's requests use these labels (a unique insert each: replicas may race)."""
        for label in labels:
            try:
                await self.labels.insert_one(
                    {"_id": f"{location_id}|{label}", "location_id": location_id, "label": label}
                )
            except DuplicateKeyError:
                continue

    async def count(self, query: ConversationQuery) -> int:
        return await self.conversations.count_documents(conversation_filter(query))

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

    async def by_thread_key(self, thread_key: str) -> Document | None:
        return await self.conversations.find_one({"thread_key": thread_key})

    async def latest_public_reply(self, conversation_id: str) -> Document | None:
        """The hotel's latest public reply on the review's platform (an outbound entry marked `public`)."""
        query = {"conversation_id": conversation_id, "kind": "message", "direction": "outbound", "public": True}
        cursor = self.timeline.find(query).sort([("at", -1), ("_id", -1)]).limit(1)
        found = [entry async for entry in cursor]
        return found[0] if found else None

    async def update_entry(self, key: str, changes: Mapping[str, Any]) -> Document | None:
        return await self.timeline.find_one_and_update(
            {"key": key}, {"$set": dict(changes)}, return_document=ReturnDocument.AFTER
        )

    async def entry(self, conversation_id: str, entry_id: str) -> Document | None:
        return await self.timeline.find_one({"_id": entry_id, "conversation_id": conversation_id})

    async def redact_entry(self, entry_id: str, changes: Mapping[str, Any]) -> None:
        await self.timeline.update_one({"_id": entry_id}, {"$set": dict(changes)})

    async def move_entries(self, from_id: str, to_id: str) -> int:
        """Move every timeline entry of one conversation to another (a merge), each keeping its id, key and
        time: one update on the indexed conversation's equality."""
        result = await self.timeline.update_many({"conversation_id": from_id}, {"$set": {"conversation_id": to_id}})
        return result.modified_count

    async def move_entry(self, entry_id: str, from_id: str, to_id: str) -> bool:
        """Move one entry (a split), an equality on its id and its conversation: False if it is not there."""
        moved = await self.timeline.update_one(
            {"_id": entry_id, "conversation_id": from_id}, {"$set": {"conversation_id": to_id}}
        )
        return moved.modified_count == 1

    async def all_entries(self, conversation_id: str, limit: int = 10000) -> list[Document]:
        """A conversation's whole timeline, oldest first (what a split chooses from), without the bodies."""
        fields = {"html": 0, "review": 0, "forwarded": 0}
        cursor = self.timeline.find({"conversation_id": conversation_id}, fields).sort([("at", 1), ("_id", 1)])
        return [entry async for entry in cursor.limit(limit)]

    async def entries(self, conversation_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Document]:
        query: Document = {"conversation_id": conversation_id}
        if after is not None:
            at, last_id = after
            query["$or"] = [{"at": {"$gt": at}}, {"at": at, "_id": {"$gt": last_id}}]
        cursor = self.timeline.find(query).sort([("at", 1), ("_id", 1)]).limit(limit)
        return [entry async for entry in cursor]

    # --- view counts -----------------------------------------------------------------------------

    async def state_counts(self, location_id: str, channel: str | None) -> list[Document]:
        """How many of a hotel's conversations are in each combination of the fields views depend on,
        from the hotel's counters (counters/repository.py): two equality look-ups, whatever its size."""
        return view_groups(await self.counters.of_hotel(location_id), channel)

    async def all_state_counts(self, channel: str | None) -> list[Document]:
        """The same, for every hotel at once (the chain-wide view of admins): the sum of their counters."""
        return view_groups(await self.counters.of_chain_total(), channel)

    # --- directory look-ups (read-only here; the directory owns their lifecycle) ------------------

    async def agent(self, agent_id: str) -> Document | None:
        return await self.agents.find_one({"_id": agent_id}, {"password_hash": 0})

    async def all_agents(self, limit: int = 5000) -> list[Document]:
        return [agent async for agent in self.agents.find({}, {"password_hash": 0}).limit(limit)]

    async def groups_with(self, location_id: str) -> list[str]:
        """The ids of the groups a hotel belongs to."""
        return [str(group["_id"]) async for group in self.groups.find({"location_ids": location_id}, {"_id": 1})]

    async def chain_settings(self) -> Document:
        return await self.settings.find_one({"_id": "chain"}) or {}

    async def alert_rule(self) -> Document:
        rule = (await self.chain_settings()).get("alert_rule")
        return dict(rule) if isinstance(rule, dict) else {}

    async def locations_of_group(self, group_id: str) -> list[str]:
        group = await self.groups.find_one({"_id": group_id})
        return [str(location) for location in (group or {}).get("location_ids", [])]

    async def location(self, location_id: str) -> Document | None:
        return await self.locations.find_one({"_id": location_id})

    async def latest_guest_message(self, conversation_id: str) -> Document | None:
        """The guest's latest message on the request's timeline (a chat's, an email's, a review's)."""
        query = {"conversation_id": conversation_id, "kind": "message", "direction": "inbound"}
        cursor = self.timeline.find(query).sort([("at", -1), ("_id", -1)]).limit(1)
        return next(iter([entry async for entry in cursor]), None)


class FerretDBConversationRepository(ConversationRepository):
    """For FerretDB v1: no atomic update, and only equalities pushed down to its backend."""

    def _stored(self, conversation: Document) -> Document:
        return with_derived(conversation)

    async def _claim_version(
        self, conversation_id: str, version: int, location_id: str, counted: dict[str, int]
    ) -> bool:
        """Compare-and-set built on a unique insert, the one atomic operation FerretDB v1 offers
        (its updates read then write, so a filter on `version` alone lets two writers through):
        whoever inserts the claim for `version` is the only one allowed to write it.

        The write's filter keeps the version too: claims of written versions are deleted (`_written`,
        and the sweep), so a writer that read long ago can claim one again, but finds its version gone.
        """
        if not await self._claim(conversation_id, version):
            return False
        if counted:
            await self.counters.intend(location_id, conversation_id, version, counted, replace=True)
        return True

    async def _write(
        self, conversation_id: str, version: int, changes: Mapping[str, Any], *, applied_key: str | None
    ) -> bool:
        update: Document = {"$set": {**with_derived(changes), "version": version + 1}}
        if applied_key is not None:
            # The keys of the guest messages already applied, so a redelivery is recognised.
            update["$push"] = {"applied_keys": {"$each": [applied_key], "$slice": -MAX_KEYS_REMEMBERED}}
        result = await self.conversations.update_one({"_id": conversation_id, "version": version}, update)
        return result.matched_count == 1

    async def _written(self, conversation_id: str, version: int) -> None:
        # The older claims guard versions that are written now: they can go (an equality on the
        # indexed conversation, so FerretDB reads only this conversation's claims).
        await self.versions.delete_many({"conversation_id": conversation_id, "version": {"$lt": version}})

    async def _claim(self, conversation_id: str, version: int) -> bool:
        now = datetime.now(UTC)
        claim = {"_id": f"{conversation_id}:{version}", "conversation_id": conversation_id, "version": version}
        try:
            await self.versions.insert_one({**claim, "at": now})
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
        recovery = {"_id": f"{conversation_id}:{version}:recovered", "conversation_id": conversation_id}
        try:
            await self.versions.insert_one({**recovery, "version": version, "at": now})
        except DuplicateKeyError:
            return False
        log.warning("recovered an abandoned change", extra={"conversation": conversation_id, "version": version})
        # The version is written with no change: the dead writer's intent, if it left one, must not count.
        await self.counters.withdraw(conversation_id, version)
        await self.conversations.update_one({"_id": conversation_id}, {"$set": {"version": version}})
        return False

    async def by_activity(
        self, query: ConversationQuery, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """FerretDB pushes only equalities down to its backend and sorts in memory: a query on a hotel's
        open requests reads and sorts all of them, 4,000 in a hotel of 10,000. So a view is read day
        by day, newest first, with the day as an equality (`activity_day`), until the page is full;
        after `DAYS_WALKED` days the older rest comes in one query. A busy view fills its page from
        a day or two; a quiet one costs a few empty look-ups more than before.
        """
        statuses = query.condition.statuses
        if statuses is not None and len(statuses) > 1:
            # A page per status (the inbox tab is open + on hold): each is an equality, so each is pushed down.
            parts = await asyncio.gather(
                *(self.by_activity(query.with_status(status), before=before, limit=limit) for status in statuses)
            )
            return by_recent_activity([document for part in parts for document in part])[:limit]
        filters = conversation_filter(query)
        if query.condition.alert or not await self.activity_days_ready():
            # Alerts are few (they lead the inbox until answered): one query of equalities, sorted in memory.
            return await self._read(filters, before, limit)
        day = (before[0] if before else datetime.now(UTC) + timedelta(days=1)).astimezone(UTC).date()
        found: list[Document] = []
        for _ in range(DAYS_WALKED):
            found += await self._read({**filters, "activity_day": day.isoformat()}, before, limit - len(found))
            if len(found) >= limit:
                return found
            day -= timedelta(days=1)
        return found + await self._read(filters, before, limit - len(found), older_than=_start_of(day + timedelta(1)))

    async def by_due(
        self, query: ConversationQuery, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """A query per status (each an equality FerretDB pushes down), merged; the due times are compared
        in memory, among the hotel's requests of that status."""
        statuses = query.condition.statuses
        if statuses is not None and len(statuses) > 1:
            parts = await asyncio.gather(
                *(self.by_due(query.with_status(status), after=after, limit=limit) for status in statuses)
            )
            return by_due_time([document for part in parts for document in part])[:limit]
        return await self._read_due(conversation_filter(query), after, limit)

    async def activity_days_ready(self) -> bool:
        """Whether every conversation has its `activity_day` (true once `fill_derived` has run, and
        no MongoDB-variant replica has run since: that variant keeps no days)."""
        if self.meta.database.name not in _days_ready:
            marker = await self.meta.find_one({"_id": "derived"})
            if marker and marker.get("v") == DERIVED_VERSION and marker.get("days", True):
                _days_ready.add(self.meta.database.name)
        return self.meta.database.name in _days_ready

    async def fill_derived(self, batch: int = 500) -> int:
        """Give the conversations stored before `activity_day` existed their day, and note their labels
        as in use; returns how many got a day. Runs in the background at start."""
        if await self.activity_days_ready():
            return 0
        filled = await self._complete_older(batch, fill_day=True)
        marker = {"_id": "derived", "v": DERIVED_VERSION, "days": True}
        await self.meta.replace_one({"_id": "derived"}, marker, upsert=True)
        _days_ready.add(self.meta.database.name)
        return filled

    async def labels_in_use(self, locations: list[str] | None, limit: int = 1000) -> list[Document]:
        """Each hotel's labels by an equality on the hotel (FerretDB reads `$in` in memory)."""
        if locations is None:
            return [record async for record in self.labels.find({}).limit(limit)]
        parts = await asyncio.gather(
            *(self.labels.find({"location_id": loc}).limit(limit).to_list() for loc in locations)
        )
        return [record for part in parts for record in part][:limit]

    async def due_snoozes(self, now: datetime, *, thorough: bool = False, limit: int = 100) -> list[Document]:
        """Holds ending this minute or the last (each minute an equality, so only they are read), or,
        `thorough`, every request on hold."""
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


class MongoDBConversationRepository(ConversationRepository):
    """For MongoDB 7: a single-document update is atomic (filter and change together), and a range or
    a sort on an index reads only what it returns. It stores no derived fields."""

    def _stored(self, conversation: Document) -> Document:
        return conversation

    async def _claim_version(
        self, conversation_id: str, version: int, location_id: str, counted: dict[str, int]
    ) -> bool:
        """The intent of the change (even one that leaves the counts alone) is the claim: recorded by
        unique insert, so a writer that died after its intent can never have its change counted once
        another writer has written the version (the fold counts an intent by version)."""
        return await self.counters.intend(location_id, conversation_id, version, counted, replace=False)

    async def _write(
        self, conversation_id: str, version: int, changes: Mapping[str, Any], *, applied_key: str | None
    ) -> bool:
        """Compare-and-set in one update with the version in its filter: MongoDB applies a single-document
        update atomically, filter and change together, so of two writers of one version only one matches.
        (`update_one` rather than `find_one_and_update`: the same guarantee, no document sent back.)"""
        update: Document = {"$set": {**changes, "version": version + 1}}
        if applied_key is not None:
            update["$push"] = {"applied_keys": {"$each": [applied_key], "$slice": -MAX_KEYS_REMEMBERED}}
        # Days and minutes a FerretDB replica once derived go stale here: removed, FerretDB re-derives them.
        if stale := {name: "" for name in DERIVED_FIELDS if name not in changes}:
            update["$unset"] = stale
        result = await self.conversations.update_one({"_id": conversation_id, "version": version}, update)
        return result.matched_count == 1

    async def _written(self, conversation_id: str, version: int) -> None:
        return None  # no claims to clean up: the intents are folded or dropped by the fold

    async def by_activity(
        self, query: ConversationQuery, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """One query, sorted and limited along an index of `MONGODB_INDEXES`."""
        return await self._read(conversation_filter(query), before, limit)

    async def by_due(
        self, query: ConversationQuery, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Document]:
        """One query along `location_status_due_id` or `status_due_id` (several statuses: merged ranges)."""
        return await self._read_due(conversation_filter(query), after, limit)

    async def fill_derived(self, batch: int = 500) -> int:
        """Note the labels of older conversations as in use, once; mark that no activity days are kept."""
        marker = await self.meta.find_one({"_id": "derived"})
        if marker is None or marker.get("v") != DERIVED_VERSION:
            await self._complete_older(batch, fill_day=False)
        if marker is None or marker.get("v") != DERIVED_VERSION or marker.get("days", True):
            await self.meta.replace_one(
                {"_id": "derived"}, {"_id": "derived", "v": DERIVED_VERSION, "days": False}, upsert=True
            )
        return 0

    async def labels_in_use(self, locations: list[str] | None, limit: int = 1000) -> list[Document]:
        query: Document = {} if locations is None else {"location_id": {"$in": locations}}
        return [record async for record in self.labels.find(query).limit(limit)]

    async def due_snoozes(self, now: datetime, *, thorough: bool = False, limit: int = 100) -> list[Document]:
        """Every due hold, a range on the `snoozed` index (so every sweep is thorough)."""
        query = {"status": Status.ON_HOLD.value, "snoozed_until": {"$lte": now}}
        cursor = self.conversations.find(query, {"_id": 1}).sort("snoozed_until", 1).limit(limit)
        return [document async for document in cursor]


VARIANTS: Mapping[MongoFlavour, type[ConversationRepository]] = {
    "ferretdb": FerretDBConversationRepository,
    "mongodb": MongoDBConversationRepository,
}


def conversation_repository(db: AsyncDatabase[Document], flavour: MongoFlavour) -> ConversationRepository:
    """The conversations' repository for the server `HUB_MONGO_FLAVOUR` names."""
    return VARIANTS[flavour](db)
