"""The contacts service's only access to MongoDB.

`contacts` and `contact_identities` hold who guests are; `contact_history` is the projection of the
inbox's events (one document per request); `location_regions` the hotels' phone regions;
`contact_imports` and `contact_erasures` the reports of headquarters imports and GDPR erasures;
`contact_search` the entries search-as-you-type reads, in the shape of the database's variant
(`ContactSearch`: FerretDB's bucketed keys, or MongoDB's indexed prefix queries).
"""

import asyncio
import math
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec
from shared.settings import MongoFlavour
from shared.turns import Turns

from .search_words import contact_words, is_name_word, name_keys, search_keys, sort_name

INDEXES: dict[str, list[IndexSpec]] = {
    "contacts": [
        IndexSpec(keys=[("emails", 1)], name="emails"),
        IndexSpec(keys=[("phones", 1)], name="phones"),
    ],
    # `_id` is the identity ("email:anna@example.com", "phone:+33612345678", "customer:C-1"): its
    # uniqueness makes concurrent resolves of the same new address agree on one contact.
    "contact_identities": [IndexSpec(keys=[("contact_id", 1)], name="contact_id")],
    # `_id` is the conversation id.
    "contact_history": [IndexSpec(keys=[("contact_id", 1), ("last_activity_at", DESCENDING)], name="contact_activity")],
    "contact_erasures": [IndexSpec(keys=[("contact_id", 1)], name="contact_id")],
    "contact_imports": [IndexSpec(keys=[("started_at", DESCENDING)], name="started_at")],
}
MAX_MERGE_HOPS = 10
# Writes to one contact take turns in this process: FerretDB v1 runs an update as a read then a write,
# so an agent's edit and a projection's `$set` landing together would lose one of them.
WRITES = Turns()


def indexes_for(flavour: MongoFlavour) -> dict[str, list[IndexSpec]]:
    """The service's indexes, with those of its search variant."""
    search = FerretDbSearch.INDEXES if flavour == "ferretdb" else MongoDbSearch.INDEXES
    return {**INDEXES, "contact_search": search}


# --- search-as-you-type: one seam, two variants ----------------------------------------------------


class ContactSearch(Protocol):
    """Where search-as-you-type finds contacts: entries kept beside each contact, one per scope (the
    chain, "*", and each of its hotels), so an agent's search never reads other hotels' guests."""

    # The shape of the entries; a different one stored rebuilds every contact's entries at start.
    version: str

    async def index(self, contact: Document) -> None:
        """Replace the contact's entries (a search may briefly miss it; it never shows a stranger)."""

    async def unindex(self, contact_id: str) -> None: ...

    async def find(self, words: list[str], hotels: list[str] | None, limit: int) -> list[str]:
        """Ids of contacts, in the hotels (None: the whole chain), having a word starting with each of `words`."""


CHAIN = "*"


class _ScopedEntries:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.entries = collection

    async def _replace(self, contact_id: str, entries: list[Document]) -> None:
        for entry in entries:
            try:
                await self.entries.replace_one({"_id": entry["_id"]}, entry, upsert=True)
            except DuplicateKeyError:  # FerretDB's upsert is a read then an insert: someone inserted between
                await self.entries.replace_one({"_id": entry["_id"]}, entry)
        current = {str(entry["_id"]) for entry in entries}
        async for stale in self.entries.find({"contact_id": contact_id}, {"_id": 1}):
            if stale["_id"] not in current:
                await self.entries.delete_one({"_id": stale["_id"]})

    async def unindex(self, contact_id: str) -> None:
        await self.entries.delete_many({"contact_id": contact_id})


def scopes_of(contact: Document) -> list[str]:
    return [CHAIN, *(contact.get("location_ids") or [])]


class MongoDbSearch(_ScopedEntries):
    """MongoDB: each entry holds the contact's folded words; a query is one anchored regular expression per
    word typed, which MongoDB answers from the `(scope, words)` index as a range of keys."""

    version = "mongodb-1"
    INDEXES: ClassVar[list[IndexSpec]] = [
        IndexSpec(keys=[("scope", ASCENDING), ("words", ASCENDING)], name="scope_words")
    ]

    async def index(self, contact: Document) -> None:
        contact_id, words, name = str(contact["_id"]), contact_words(contact), sort_name(contact)
        entries = [
            {"_id": f"{contact_id}|{scope}", "contact_id": contact_id, "scope": scope, "words": words, "name": name}
            for scope in scopes_of(contact)
        ]
        await self._replace(contact_id, entries)

    async def find(self, words: list[str], hotels: list[str] | None, limit: int) -> list[str]:
        scopes = [CHAIN] if hotels is None else hotels
        if not scopes or not words:
            return []
        query: Document = {
            "scope": scopes[0] if len(scopes) == 1 else {"$in": scopes},
            "$and": [{"words": {"$regex": f"^{re.escape(word)}"}} for word in words],
        }
        # A contact of several of the agent's hotels has an entry in each: read enough for `limit` distinct.
        cursor = self.entries.find(query, {"contact_id": 1}).sort([("name", 1), ("contact_id", 1)])
        found: list[str] = []
        async for entry in cursor.limit(limit * len(scopes)):
            if str(entry["contact_id"]) not in found:
                found.append(str(entry["contact_id"]))
            if len(found) == limit:
                break
        return found


class FerretDbSearch(_ScopedEntries):
    """FerretDB: entries hold every prefix of the contact's words as `<scope>|<prefix>#<bucket>`, so a
    search is an equality on an array (which FerretDB pushes down) rather than a scan with a regex.

    Buckets bound what one look-up reads: FerretDB streams every match of a filtered query (it applies
    no limit), and a two-letter prefix can match a third of the chain; one bucket holds a slice of them,
    and search reads buckets until it has enough. Entries are small (keys only), because what FerretDB
    reads costs by the byte.
    """

    version = "3"
    INDEXES: ClassVar[list[IndexSpec]] = [
        IndexSpec(keys=[("keys", 1)], name="keys"),
        IndexSpec(keys=[("names", 1)], name="names"),
        IndexSpec(keys=[("contact_id", 1)], name="contact_id"),
    ]
    HOTEL_BUCKETS = 16
    # Chain-wide, short prefixes ("ma", "0600") match a large share of the guests: many small buckets
    # keep what one look-up reads small; longer prefixes are selective: a few buckets keep rare ones to
    # a few round trips. (One bucket count of 64 for every length: admin p95 at 200,000 contacts just
    # over 50 ms.)
    CHAIN_BUCKETS_SHORT = 256
    CHAIN_BUCKETS_LONG = 32
    SHORT_PREFIX = 5
    SCAN = 50  # entries read per bucket: more than a page, for the queries of several words

    @staticmethod
    def scope_code(scope: str) -> str:
        """A short stand-in for a hotel id in search keys (entries are read by the byte)."""
        return scope if scope == CHAIN else format(zlib.crc32(scope.encode()), "x")

    @classmethod
    def buckets_for(cls, scope: str, prefix: str) -> int:
        if scope != CHAIN:
            return cls.HOTEL_BUCKETS
        return cls.CHAIN_BUCKETS_SHORT if len(prefix) <= cls.SHORT_PREFIX else cls.CHAIN_BUCKETS_LONG

    @classmethod
    def bucket_of(cls, contact_id: str, scope: str, prefix: str) -> int:
        """The contact's bucket for a key; every bucket count divides the largest, so the hash is one."""
        return zlib.crc32(contact_id.encode()) % cls.buckets_for(scope, prefix)

    @classmethod
    def entries_of(cls, contact: Document) -> list[Document]:
        contact_id = str(contact["_id"])
        keys, names = search_keys(contact), name_keys(contact)
        entries = []
        for scope in scopes_of(contact):
            code = cls.scope_code(scope)
            entries.append(
                {
                    "_id": f"{contact_id}|{scope}",
                    "contact_id": contact_id,
                    "keys": [f"{code}|{k}#{cls.bucket_of(contact_id, scope, k)}" for k in keys],
                    # A query's second word is filtered here, beside the first's bucket (names only:
                    # entries are read by the element, and names are a quarter of the keys).
                    "names": [f"{code}|{k}" for k in names],
                }
            )
        return entries

    async def index(self, contact: Document) -> None:
        await self._replace(str(contact["_id"]), self.entries_of(contact))

    async def _look_up(self, key: str, also: str | None) -> list[Document]:
        """Entries holding the bucketed `key` and, if given, the name prefix `also` (both equalities)."""
        query: Document = {"keys": key} if also is None else {"keys": key, "names": also}
        return [entry async for entry in self.entries.find(query).limit(self.SCAN)]

    async def find(self, words: list[str], hotels: list[str] | None, limit: int) -> list[str]:
        if not words:
            return []
        key = max(words, key=len)
        # A second word that can only be a name is filtered by the database too (an equality on `names`),
        # so that a look-up reads the guests matching both, not every guest matching the first.
        others = [word for word in words if word != key and is_name_word(word)]
        second = max(others, key=len) if others else None
        found: list[str] = []
        for scope in [CHAIN] if hotels is None else hotels:
            buckets, code = self.buckets_for(scope, key), self.scope_code(scope)
            also = f"{code}|{second}" if second else None
            first, width, matched = 0, 1, 0
            # One bucket first: a common prefix fills the page from it. Otherwise the buckets still
            # needed are estimated from what the ones read gave (see `next_width`), so that a query
            # costs a round trip or two, not one per bucket.
            while first < buckets and len(found) < limit:
                chosen = range(first, min(first + width, buckets))
                batches = await asyncio.gather(*(self._look_up(f"{code}|{key}#{b}", also) for b in chosen))
                for entries in batches:
                    for entry in entries:
                        contact_id, keys = str(entry["contact_id"]), set(entry["keys"])
                        wanted = (f"{code}|{word}#{self.bucket_of(contact_id, scope, word)}" for word in words)
                        if all(k in keys for k in wanted) and contact_id not in found:
                            found.append(contact_id)
                            matched += 1
                first += len(chosen)
                width = next_width(width, matched=matched, read=first, missing=limit - len(found))
            if len(found) >= limit:
                break
        return found[:limit]


MAX_PARALLEL = 32  # bucket look-ups at once


def next_width(width: int, *, matched: int, read: int, missing: int) -> int:
    """How many buckets to read next: as many as should give the `missing` matches at the rate the
    `read` buckets gave (with a margin), or twice as many as last time when none matched yet."""
    if matched == 0:
        return min(width * 2, MAX_PARALLEL)
    return max(1, min(math.ceil(1.5 * missing * read / matched), MAX_PARALLEL))


def search_of(flavour: MongoFlavour, db: AsyncDatabase[Document]) -> ContactSearch:
    """The search variant of the database the hub runs on (`HUB_MONGO_FLAVOUR`)."""
    collection = db["contact_search"]
    return FerretDbSearch(collection) if flavour == "ferretdb" else MongoDbSearch(collection)


class ContactRepository:
    def __init__(self, db: AsyncDatabase[Document], flavour: MongoFlavour = "ferretdb") -> None:
        self.contacts = db["contacts"]
        self.search: ContactSearch = search_of(flavour, db)
        self.search_meta = db["contact_search_meta"]
        self.identities = db["contact_identities"]
        self.history = db["contact_history"]
        self.regions = db["location_regions"]
        self.erasures = db["contact_erasures"]
        self.imports = db["contact_imports"]

    # --- identities -------------------------------------------------------------------------------

    async def claim_identity(self, identity: str, contact_id: str, now: datetime) -> str:
        """Bind the identity to `contact_id` unless it is bound already; return the contact it is bound to."""
        try:
            await self.identities.insert_one({"_id": identity, "contact_id": contact_id, "created_at": now})
        except DuplicateKeyError:
            existing = await self.identities.find_one({"_id": identity})
            if existing is None:  # erased between our insert and our read: claim it again
                return await self.claim_identity(identity, contact_id, now)
            return str(existing["contact_id"])
        return contact_id

    async def owner_of(self, identity: str) -> str | None:
        found = await self.identities.find_one({"_id": identity})
        return str(found["contact_id"]) if found else None

    async def claim_of(self, identity: str) -> Document | None:
        """The identity's claim: the contact it is bound to and since when."""
        return await self.identities.find_one({"_id": identity})

    async def release_identities(self, identities: list[str], contact_id: str) -> None:
        """Unbind the identities still bound to `contact_id` (a creation that failed): a claim another
        contact holds is never touched."""
        await self.identities.delete_many({"_id": {"$in": identities}, "contact_id": contact_id})

    async def release_identity(self, identity: str, contact_id: str) -> None:
        """Unbind the identity from the contact (a number an agent replaced); another owner's stays."""
        await self.identities.delete_one({"_id": identity, "contact_id": contact_id})

    async def identities_of(self, contact_id: str) -> list[Document]:
        return [doc async for doc in self.identities.find({"contact_id": contact_id})]

    async def move_identities(self, from_id: str, to_id: str) -> None:
        await self.identities.update_many({"contact_id": from_id}, {"$set": {"contact_id": to_id}})

    async def forget_identities(self, contact_id: str) -> int:
        return (await self.identities.delete_many({"contact_id": contact_id})).deleted_count

    # --- contacts ---------------------------------------------------------------------------------

    async def ensure_contact(self, contact_id: str, fields: Document, now: datetime) -> Document:
        """Create the contact document if it does not exist yet (idempotent, safe under races).

        Insert-or-read rather than an upsert: FerretDB v1 runs updates as a read then a write, so
        only unique inserts decide races there. A merged-away contact answers with its survivor.
        """
        existing = await self.get(contact_id)
        if existing is not None:
            return existing
        document = {"_id": contact_id, **fields, "created_at": now, "updated_at": now}
        try:
            await self.contacts.insert_one(document)
        except DuplicateKeyError:
            return await self.get(contact_id) or document
        return document

    async def raw(self, contact_id: str) -> Document | None:
        """The document as stored: a contact, or the tombstone of a merged or erased one."""
        return await self.contacts.find_one({"_id": contact_id})

    async def get(self, contact_id: str) -> Document | None:
        """The contact, following merges to the survivor; None if unknown or erased."""
        for _ in range(MAX_MERGE_HOPS):
            document = await self.raw(contact_id)
            if document is None or document.get("erased_at"):
                return None
            if not document.get("merged_into"):
                return document
            contact_id = str(document["merged_into"])
        return None

    async def search_version(self) -> str | None:
        marker = await self.search_meta.find_one({"_id": "version"})
        return str(marker["v"]) if marker else None

    async def set_search_version(self, version: str) -> None:
        await self.search_meta.replace_one({"_id": "version"}, {"_id": "version", "v": version}, upsert=True)

    async def contacts_page(self, after: str | None, limit: int) -> list[Document]:
        query: Document = {"_id": {"$gt": after}} if after else {}
        return [doc async for doc in self.contacts.find(query).sort("_id", 1).limit(limit)]

    async def unindex_search(self, contact_id: str) -> None:
        await self.search.unindex(contact_id)

    async def update(self, contact_id: str, changes: Document) -> Document | None:
        async with WRITES.holding([contact_id]):
            await self.contacts.update_one({"_id": contact_id}, {"$set": changes})
        return await self.get(contact_id)

    async def replace(self, contact_id: str, document: Document) -> None:
        """Swap a contact for its tombstone (merged or erased): the id stays, the data goes."""
        async with WRITES.holding([contact_id]):
            await self.contacts.replace_one({"_id": contact_id}, document)

    async def set_attributes(self, contact_id: str, attributes: Mapping[str, Any], now: datetime) -> None:
        changes = {f"attributes.{name}": value for name, value in attributes.items()}
        async with WRITES.holding([contact_id]):
            await self.contacts.update_one({"_id": contact_id}, {"$set": {**changes, "updated_at": now}})

    # --- history (projection of the inbox's events) -----------------------------------------------

    async def open_request(self, document: Document) -> None:
        """The first record of a request; a redelivered 'created' event leaves it as it is."""
        try:
            await self.history.insert_one(document)
        except DuplicateKeyError:
            return

    async def set_if_newer(self, conversation_id: str, field: str, value: Any, at: datetime) -> None:
        """Set one field unless a later event set it already (events may be redelivered out of order)."""
        stamp = f"as_of.{field}"
        await self.history.update_one(
            {"_id": conversation_id, "$or": [{stamp: {"$exists": False}}, {stamp: {"$lte": at}}]},
            {"$set": {field: value, stamp: at}},
        )

    async def history_of(self, contact_id: str, locations: list[str] | None, *, limit: int) -> list[Document]:
        """The contact's requests, newest activity first; `locations` None means every hotel."""
        query: Document = {"contact_id": contact_id}
        if locations is not None:
            query["location_id"] = {"$in": locations}
        cursor = self.history.find(query, {"as_of": 0}).sort([("last_activity_at", DESCENDING), ("_id", 1)])
        return [doc async for doc in cursor.limit(limit)]

    async def rated_requests(self, contact_id: str, limit: int = 10_000) -> list[Document]:
        """The contact's requests the guest rated in the satisfaction survey (`rating`, `rated_at`)."""
        cursor = self.history.find({"contact_id": contact_id, "rating": {"$gte": 1}}, {"rating": 1, "rated_at": 1})
        return [doc async for doc in cursor.limit(limit)]

    async def contact_of_request(self, conversation_id: str) -> str | None:
        document = await self.history.find_one({"_id": conversation_id}, {"contact_id": 1})
        return str(document["contact_id"]) if document and document.get("contact_id") else None

    async def move_history(self, from_id: str, to_id: str) -> None:
        await self.history.update_many({"contact_id": from_id}, {"$set": {"contact_id": to_id}})

    async def forget_history(self, contact_id: str) -> int:
        return (await self.history.delete_many({"contact_id": contact_id})).deleted_count

    async def forget_request(self, conversation_id: str) -> None:
        await self.history.delete_one({"_id": conversation_id})

    # --- hotels' phone regions --------------------------------------------------------------------

    async def region_of(self, location_id: str) -> str | None:
        found = await self.regions.find_one({"_id": location_id})
        return str(found["region"]) if found else None

    async def set_region(self, location_id: str, region: str, at: datetime) -> None:
        existing = await self.regions.find_one({"_id": location_id})
        if existing is None:
            try:
                await self.regions.insert_one({"_id": location_id, "region": region, "at": at})
            except DuplicateKeyError:
                pass
            else:
                return
        await self.regions.update_one({"_id": location_id, "at": {"$lte": at}}, {"$set": {"region": region, "at": at}})

    # --- erasures and imports ---------------------------------------------------------------------

    async def record_erasure(self, document: Document) -> None:
        await self.erasures.insert_one(document)

    async def erasure(self, erasure_id: str) -> Document | None:
        return await self.erasures.find_one({"_id": erasure_id})

    async def erasure_applied(self, erasure_id: str, service: str, report: Document) -> None:
        await self.erasures.update_one({"_id": erasure_id}, {"$set": {f"applied.{service}": report}})

    async def save_import(self, report: Document) -> None:
        await self.imports.replace_one({"_id": report["_id"]}, report, upsert=True)

    async def import_report(self, import_id: str) -> Document | None:
        return await self.imports.find_one({"_id": import_id})
