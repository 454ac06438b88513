"""The contacts service's only access to MongoDB.

`contacts` and `contact_identities` hold who guests are; `contact_history` is the projection of the
inbox's events (one document per request); `location_regions` the hotels' phone regions;
`contact_imports` and `contact_erasures` the reports of headquarters imports and GDPR erasures.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

INDEXES = {
    "contacts": [
        IndexSpec(keys=[("emails", 1)], name="emails"),
        IndexSpec(keys=[("phones", 1)], name="phones"),
    ],
    # One small document per contact and scope (the chain, each of its hotels): see service.search_entries.
    "contact_search": [
        IndexSpec(keys=[("keys", 1)], name="keys"),
        IndexSpec(keys=[("names", 1)], name="names"),
        IndexSpec(keys=[("contact_id", 1)], name="contact_id"),
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


class ContactRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.contacts = db["contacts"]
        self.search_index = db["contact_search"]
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

    async def search(self, key: str, limit: int, *, also: str | None = None) -> list[Document]:
        """Search entries holding the bucketed `key` and, if given, the name prefix `also` (both equalities)."""
        query: Document = {"keys": key} if also is None else {"keys": key, "names": also}
        return [entry async for entry in self.search_index.find(query).limit(limit)]

    async def index_search(self, contact_id: str, entries: list[Document]) -> None:
        """Replace the contact's search entries (a search may briefly miss it; it never shows a stranger)."""
        for entry in entries:
            try:
                await self.search_index.replace_one({"_id": entry["_id"]}, entry, upsert=True)
            except DuplicateKeyError:  # FerretDB's upsert is a read then an insert: someone inserted between
                await self.search_index.replace_one({"_id": entry["_id"]}, entry)
        current = {str(entry["_id"]) for entry in entries}
        async for stale in self.search_index.find({"contact_id": contact_id}, {"_id": 1}):
            if stale["_id"] not in current:
                await self.search_index.delete_one({"_id": stale["_id"]})

    async def search_version(self) -> int | None:
        marker = await self.search_meta.find_one({"_id": "version"})
        return int(marker["v"]) if marker else None

    async def set_search_version(self, version: int) -> None:
        await self.search_meta.replace_one({"_id": "version"}, {"_id": "version", "v": version}, upsert=True)

    async def contacts_page(self, after: str | None, limit: int) -> list[Document]:
        query: Document = {"_id": {"$gt": after}} if after else {}
        return [doc async for doc in self.contacts.find(query).sort("_id", 1).limit(limit)]

    async def unindex_search(self, contact_id: str) -> None:
        await self.search_index.delete_many({"contact_id": contact_id})

    async def update(self, contact_id: str, changes: Document) -> Document | None:
        await self.contacts.update_one({"_id": contact_id}, {"$set": changes})
        return await self.get(contact_id)

    async def replace(self, contact_id: str, document: Document) -> None:
        """Swap a contact for its tombstone (merged or erased): the id stays, the data goes."""
        await self.contacts.replace_one({"_id": contact_id}, document)

    async def set_attributes(self, contact_id: str, attributes: Mapping[str, Any], now: datetime) -> None:
        changes = {f"attributes.{name}": value for name, value in attributes.items()}
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
