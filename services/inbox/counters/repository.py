"""The per-hotel counters of the views, stored so that reading them costs O(1) and keeping them is exact.

A conversation counts in one *state*: its channel, status, and whether it is unread, an alert and in
the chatbot's hands (all that `states.VIEWS` and the channel filter depend on). Each hotel has

- a *total* (`view_counters`, one document per hotel): how many of its conversations are in each state;
- *deltas* (`view_counter_deltas`): each change of a conversation's state, +1 to the new state and -1
  to the old one, recorded by the change's writer as an *intent* just before it writes the change, with
  `conversation:version` as id. An insert is the one atomic write FerretDB v1 has (its updates read then
  write, so `$inc` from several replicas loses increments); no writer ever updates a counter.

Counts are a hotel's total plus its pending deltas (an equality on the indexed hotel each); an intent
counts from the moment it is recorded, its write following within milliseconds. One replica at a time,
the one holding the counters' lease (shared/leases.py), *folds* the deltas into the totals every few
seconds. It adds an intent once its conversation has reached the intent's version (the write happened:
a writer killed right after its write is still counted, exactly once), and drops an intent whose
conversation is still below it after `INTENT_LEASE` (the write never happened). Per hotel, the new total
names the deltas it folded (`folded`), then they are deleted. A fold that dies between the two leaves
deltas the total already holds: readers skip them, and the next fold deletes them first. Readers read
the deltas before the total, so a fold running in between is seen whole (the deltas it deleted are
named by the total they read).

The recount (`recount`) is the truth the counters are checked against: the reconciliation compares
them per hotel and repairs a difference that stays the same across two looks (a lasting drift, not a
change in flight) with a correcting delta.
"""

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

COUNTER_INDEXES: dict[str, list[IndexSpec]] = {
    "view_counter_deltas": [IndexSpec(keys=[("location_id", 1)], name="location")],
}
# What the fold reads at once; what is left waits for the next fold.
FOLD_BATCH = 5_000
# The `_id` of the chain's total in `view_counters` (hotels' ids never start with an underscore there).
CHAIN_TOTAL = "_chain"
# An intent whose conversation has not reached its version this long after is a write that never happened.
INTENT_LEASE = timedelta(seconds=30)

StateCounts = Counter[str]


def state_key(conversation: Mapping[str, Any]) -> str:
    """The state a conversation counts in: `channel|status|unread|alert|bot` (flags as 0 or 1)."""
    flags = (bool(conversation.get(flag)) for flag in ("unread", "alert", "bot_active"))
    return "|".join([str(conversation.get("channel")), str(conversation.get("status")), *(str(int(f)) for f in flags)])


def state_of(key: str) -> dict[str, Any]:
    """The fields a state key stands for (the inverse of `state_key`)."""
    channel, status, unread, alert, bot = key.split("|")
    return {
        "channel": channel,
        "status": status,
        "unread": unread == "1",
        "alert": alert == "1",
        "bot_active": bot == "1",
    }


def transition(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, int]:
    """What a change of a conversation does to its hotel's counts (empty if its state stays the same)."""
    new = state_key(after)
    if before is None:
        return {new: 1}
    old = state_key(before)
    return {} if old == new else {old: -1, new: 1}


def view_groups(counts: Mapping[str, int], channel: str | None = None) -> list[Document]:
    """Counts per state as `views.totals_of` reads them (`{_id: {status, unread, alert, bot}, n}`),
    within one channel if given."""
    grouped: list[Document] = []
    for key, n in counts.items():
        state = state_of(key)
        if n and (channel is None or state["channel"] == channel):
            shape = {"status": state["status"], "unread": state["unread"], "alert": state["alert"]}
            grouped.append({"_id": {**shape, "bot": state["bot_active"]}, "n": n})
    return grouped


def _encoded(counts: Mapping[str, int]) -> str:
    """Counts as stored: one string, `state=n;state=n` (a state key is data, not a field name). A hotel has
    up to 160 states: FerretDB decodes one string far faster than as many sub-documents (reading 500
    hotels' totals took 580 ms as `{k, n}` pairs)."""
    return ";".join(f"{key}={n}" for key, n in sorted(counts.items()) if n)


def _counts(encoded: str | None) -> StateCounts:
    found: StateCounts = Counter()
    for pair in (encoded or "").split(";"):
        if pair:
            key, _, n = pair.rpartition("=")
            found[key] += int(n)
    return found


class CounterRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.totals = db["view_counters"]
        self.deltas = db["view_counter_deltas"]
        self.conversations = db["conversations"]
        self.meta = db["inbox_meta"]

    # --- writers ----------------------------------------------------------------------------------

    async def intend(
        self, location_id: str, conversation_id: str, version: int, changes: Mapping[str, int], *, replace: bool
    ) -> bool:
        """Record, before writing it, the change the conversation's `version` makes to its hotel's counts.
        The fold adds it once the conversation has reached that version, and drops it if it never does.

        `replace`: the caller alone may write this version (it holds FerretDB's version claim, or opens a
        new conversation), so an intent left by a writer that died is replaced. Otherwise the intent is
        itself the claim (MongoDB): False if someone else's is there, unless it is older than the lease."""
        intent = {
            "_id": f"{conversation_id}:{version}",
            "location_id": location_id,
            "conversation_id": conversation_id,
            "version": version,
            "changes": _encoded(changes),
            "at": datetime.now(UTC),
        }
        try:
            await self.deltas.insert_one(intent)
        except DuplicateKeyError:
            if replace:
                await self.deltas.replace_one({"_id": intent["_id"]}, intent, upsert=True)
                return True
            found = await self.deltas.find_one({"_id": intent["_id"]}, {"at": 1})
            if found is None or intent["at"] - found["at"] < INTENT_LEASE:
                return False
            # Its writer died between its intent and its write: the first to delete it takes its place.
            if (await self.deltas.delete_one({"_id": intent["_id"], "at": found["at"]})).deleted_count != 1:
                return False
            try:
                await self.deltas.insert_one(intent)
            except DuplicateKeyError:
                return False
        return True

    async def withdraw(self, conversation_id: str, version: int) -> None:
        """The change was not written (another writer's won): its intent goes."""
        await self.deltas.delete_one({"_id": f"{conversation_id}:{version}"})

    # --- readers ----------------------------------------------------------------------------------

    async def of_hotel(self, location_id: str) -> StateCounts:
        """A hotel's counts per state: its total and the deltas not folded into it yet."""
        deltas = await self.deltas.find({"location_id": location_id}).to_list()
        total = await self.totals.find_one({"_id": location_id}) or {}
        return _with_pending(total, deltas)

    async def of_chain(self) -> dict[str, StateCounts]:
        """Every hotel's counts per state (headquarters' view, the gauges): every total and pending delta."""
        deltas = await self.deltas.find({}).to_list()
        totals = {str(total["_id"]): total async for total in self.totals.find({"_id": {"$ne": CHAIN_TOTAL}})}
        pending: dict[str, list[Document]] = {}
        for delta in deltas:
            pending.setdefault(str(delta["location_id"]), []).append(delta)
        hotels = set(totals) | set(pending)
        return {hotel: _with_pending(totals.get(hotel, {}), pending.get(hotel, [])) for hotel in sorted(hotels)}

    async def of_chain_total(self) -> StateCounts:
        """The chain's counts per state (headquarters): the chain's total, which each fold writes as the sum
        of the hotels' totals, and the changes not folded yet: two reads, whatever the number of hotels
        (reading 500 hotels' totals takes FerretDB 60 ms). Before the first fold: the sum of `of_chain`."""
        deltas = await self.deltas.find({}).to_list()
        total = await self.totals.find_one({"_id": CHAIN_TOTAL})
        if total is None:
            summed: StateCounts = Counter()
            for counts in (await self.of_chain()).values():
                summed.update(counts)
            return summed
        return _with_pending(total, deltas)

    # --- the lease holder's work ------------------------------------------------------------------

    async def fold(self) -> int:
        """Fold the changes written since the last fold into their hotels' totals; returns how many.

        A change counts once its conversation has reached its version (the write happened); an intent
        whose conversation is still below its version after `INTENT_LEASE` was never written (its writer
        died, or lost the thread to another replica) and is dropped. Only the lease holder folds: two
        folds at once could each add the same changes."""
        now = datetime.now(UTC)
        deltas = await self.deltas.find({}).limit(FOLD_BATCH).to_list()
        if not deltas:
            return 0
        versions = await self._versions({str(d["conversation_id"]) for d in deltas if d.get("conversation_id")})
        pending: dict[str, list[Document]] = {}
        dropped: list[str] = []
        for delta in deltas:
            conversation = delta.get("conversation_id")
            if conversation is None or versions.get(str(conversation), -1) >= int(delta["version"]):
                pending.setdefault(str(delta["location_id"]), []).append(delta)
            elif now - delta["at"] >= INTENT_LEASE:
                dropped.append(str(delta["_id"]))
        totals = {str(t["_id"]): t async for t in self.totals.find({"_id": {"$ne": CHAIN_TOTAL}})}
        folds: list[tuple[Document | None, Document]] = []
        for hotel, written in pending.items():
            total = totals.get(hotel)
            folded_before = set((total or {}).get("folded") or [])
            # Changes a fold that died half-way already added: deleted, not added again.
            dropped += [str(d["_id"]) for d in written if d["_id"] in folded_before]
            fresh = [d for d in written if d["_id"] not in folded_before]
            if not fresh:
                continue
            counts = _counts((total or {}).get("counts"))
            for delta in fresh:
                counts.update(_counts(delta["changes"]))
            ids = [str(d["_id"]) for d in fresh]
            folds.append((total, {"_id": hotel, "counts": _encoded(counts), "folded": ids, "at": now}))
        if dropped:
            await self.deltas.delete_many({"_id": {"$in": dropped}})
        saved = await asyncio.gather(*(self._save_total(before, after) for before, after in folds))
        done = [delta_id for (_, after), ok in zip(folds, saved, strict=True) if ok for delta_id in after["folded"]]
        if done:
            # The chain's total, recomputed from the hotels' totals as saved (so it cannot drift on its own),
            # naming the changes it holds like a hotel's; written before they are deleted.
            totals |= {after["_id"]: after for (_, after), ok in zip(folds, saved, strict=True) if ok}
            chain: StateCounts = Counter()
            for total in totals.values():
                chain.update(_counts(total.get("counts")))
            chain_total = {"_id": CHAIN_TOTAL, "counts": _encoded(chain), "folded": done, "at": now}
            await self.totals.replace_one({"_id": CHAIN_TOTAL}, chain_total, upsert=True)
            await self.deltas.delete_many({"_id": {"$in": done}})
        return len(done)

    async def _save_total(self, before: Document | None, after: Document) -> bool:
        """Write a hotel's new total only over the one the fold read (a second fold, from a replica that
        lost the lease without knowing yet, then adds nothing twice); False if another fold got there first."""
        if before is None:
            try:
                await self.totals.insert_one(after)
            except DuplicateKeyError:
                return False
            return True
        result = await self.totals.replace_one({"_id": after["_id"], "at": before["at"]}, after)
        return result.matched_count == 1

    async def _versions(self, conversation_ids: Iterable[str]) -> dict[str, int]:
        """The current version of each conversation (by `_id`, an equality each: FerretDB reads `$in` whole)."""
        ids = sorted(conversation_ids)
        found: dict[str, int] = {}
        for start in range(0, len(ids), 64):
            chunk = ids[start : start + 64]
            documents = await asyncio.gather(*(self.conversations.find_one({"_id": i}, {"version": 1}) for i in chunk))
            found.update({str(d["_id"]): int(d.get("version", 0)) for d in documents if d is not None})
        return found

    async def recount(self, location_id: str) -> StateCounts:
        """A hotel's counts per state counted from its conversations (the equality on the indexed hotel
        makes the database read only that hotel's): what the counters must equal."""
        pipeline: list[Document] = [
            {"$match": {"location_id": location_id}},
            {
                "$group": {
                    "_id": {
                        "channel": "$channel",
                        "status": "$status",
                        "unread": "$unread",
                        "alert": "$alert",
                        "bot_active": "$bot_active",
                    },
                    "n": {"$sum": 1},
                }
            },
        ]
        counts: StateCounts = Counter()
        async for group in await self.conversations.aggregate(pipeline):
            counts[state_key(group["_id"])] += int(group["n"])
        return counts

    async def hotels_with_conversations(self) -> list[str]:
        """Every hotel that has a conversation (reads them all: the first reconciliation only)."""
        return sorted(str(hotel) for hotel in await self.conversations.distinct("location_id"))

    async def first_reconciliation_done(self) -> bool:
        """Whether the counters have been reconciled once (until then, conversations stored before the
        counters existed are missing from them, which is no drift)."""
        return await self.meta.find_one({"_id": "counters"}) is not None

    async def note_first_reconciliation(self) -> None:
        await self.meta.replace_one({"_id": "counters"}, {"_id": "counters", "v": 1}, upsert=True)

    async def correct(self, location_id: str, correction_id: str, difference: Mapping[str, int]) -> None:
        """Add a correcting change (the reconciliation's repair): it names no conversation, so the next
        fold adds it as it is."""
        correction = {"_id": correction_id, "location_id": location_id, "changes": _encoded(difference)}
        await self.deltas.insert_one({**correction, "at": datetime.now(UTC)})


def _with_pending(total: Mapping[str, Any], deltas: Iterable[Mapping[str, Any]]) -> StateCounts:
    counts = _counts(total.get("counts"))
    folded = set(total.get("folded") or [])
    for delta in deltas:
        if delta["_id"] not in folded:
            counts.update(_counts(delta["changes"]))
    return counts
