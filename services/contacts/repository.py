"""The contacts service's only access to MongoDB (`contacts`, `contact_identities`)."""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

INDEXES = {
    "contacts": [
        IndexSpec(keys=[("emails", 1)], name="emails"),
        IndexSpec(keys=[("phones", 1)], name="phones"),
        IndexSpec(keys=[("search_keys", 1)], name="search_keys"),
    ],
    # `_id` is the identity ("email:anna@example.com"): its uniqueness makes concurrent resolves of
    # the same new address agree on one contact without a transaction.
    "contact_identities": [IndexSpec(keys=[("contact_id", 1)], name="contact_id")],
}


class ContactRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.contacts = db["contacts"]
        self.identities = db["contact_identities"]

    async def claim_identity(self, identity: str, contact_id: str, now: datetime) -> str:
        """Bind the identity to `contact_id` unless it is bound already; return the contact it is bound to."""
        try:
            await self.identities.insert_one({"_id": identity, "contact_id": contact_id, "created_at": now})
        except DuplicateKeyError:
            existing = await self.identities.find_one({"_id": identity})
            if existing is None:  # pragma: no cover - identities are never deleted
                raise
            return str(existing["contact_id"])
        return contact_id

    async def ensure_contact(self, contact_id: str, fields: Document, now: datetime) -> Document:
        """Create the contact document if it does not exist yet (idempotent, safe under races).

        Insert-or-read rather than an upsert: FerretDB v1 runs updates as a read then a write, so
        only unique inserts decide races there.
        """
        existing = await self.contacts.find_one({"_id": contact_id})
        if existing is not None:
            return existing
        document = {"_id": contact_id, **fields, "created_at": now, "updated_at": now}
        try:
            await self.contacts.insert_one(document)
        except DuplicateKeyError:
            return await self.contacts.find_one({"_id": contact_id}) or document
        return document

    async def get(self, contact_id: str) -> Document | None:
        return await self.contacts.find_one({"_id": contact_id})

    async def search(self, key: str, limit: int) -> list[Document]:
        cursor = self.contacts.find({"search_keys": key}).limit(limit)
        return [contact async for contact in cursor]

    async def update(self, contact_id: str, changes: Document) -> Document | None:
        await self.contacts.update_one({"_id": contact_id}, {"$set": changes})
        return await self.get(contact_id)
