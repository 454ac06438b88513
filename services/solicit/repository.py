"""The solicit service's only access to MongoDB.

`solicitations` (one per thread), `solicitation_messages` (each message of a thread, both ways),
`solicitation_recipients` (how often and when each address was solicited, per hotel) and
`solicitation_unmatched` (answers that matched no live solicitation, kept aside for operators).
"""

from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

INDEXES = {
    "solicitations": [IndexSpec(keys=[("conversation_id", 1)], name="conversation")],
    # `key` is the real-world event (an outbound message's key, an inbound email's key): stored once.
    "solicitation_messages": [
        IndexSpec(keys=[("key", 1)], name="key", unique=True),
        IndexSpec(keys=[("solicitation_id", 1), ("at", 1)], name="thread"),
    ],
    # `_id` is "<hotel>|<address>"; `prefixes` lets the recipient field search as you type.
    "solicitation_recipients": [IndexSpec(keys=[("location_id", 1), ("prefixes", 1)], name="location_prefix")],
    "solicitation_uses": [IndexSpec(keys=[("recipient", 1)], name="recipient")],
    "solicitation_unmatched": [IndexSpec(keys=[("received_at", DESCENDING)], name="received_at")],
}


class SolicitRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.solicitations = db["solicitations"]
        self.messages = db["solicitation_messages"]
        self.recipients = db["solicitation_recipients"]
        self.uses = db["solicitation_uses"]
        self.unmatched = db["solicitation_unmatched"]

    async def create(self, solicitation: Document) -> None:
        await self.solicitations.insert_one(solicitation)

    async def get(self, solicitation_id: str) -> Document | None:
        return await self.solicitations.find_one({"_id": solicitation_id})

    async def of_conversation(self, conversation_id: str) -> list[Document]:
        cursor = self.solicitations.find({"conversation_id": conversation_id}).sort("created_at", 1)
        return [doc async for doc in cursor]

    async def update(self, solicitation_id: str, changes: Document) -> None:
        await self.solicitations.update_one({"_id": solicitation_id}, {"$set": changes})

    async def add_message(self, message: Document) -> bool:
        """Store a thread message once; False if its key was stored already (a redelivery)."""
        try:
            await self.messages.insert_one(message)
        except DuplicateKeyError:
            return False
        return True

    async def thread(self, solicitation_id: str) -> list[Document]:
        cursor = self.messages.find({"solicitation_id": solicitation_id}).sort([("at", 1), ("_id", 1)])
        return [doc async for doc in cursor]

    async def record_use(self, use_id: str, location_id: str, email: str, prefixes: list[str], at: datetime) -> None:
        """Count one use of an address at a hotel: a unique use record, then a recount (no `$inc`:
        FerretDB v1 loses concurrent increments, a recount cannot)."""
        recipient = f"{location_id}|{email}"
        try:
            await self.uses.insert_one({"_id": use_id, "recipient": recipient, "at": at})
        except DuplicateKeyError:
            return
        count = await self.uses.count_documents({"recipient": recipient})
        fields: dict[str, Any] = {"location_id": location_id, "email": email, "prefixes": prefixes, "count": count}
        existing = await self.recipients.find_one({"_id": recipient})
        last = max(at, existing["last_used_at"]) if existing else at
        document = {**fields, "last_used_at": last}
        try:
            await self.recipients.replace_one({"_id": recipient}, document, upsert=True)
        except DuplicateKeyError:  # FerretDB's upsert reads then inserts: another use inserted first
            await self.recipients.replace_one({"_id": recipient}, document)

    async def recipients_matching(self, location_id: str, prefix: str) -> list[Document]:
        return [doc async for doc in self.recipients.find({"location_id": location_id, "prefixes": prefix})]

    async def keep_aside(self, document: Document) -> bool:
        try:
            await self.unmatched.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def unmatched_page(self, limit: int) -> list[Document]:
        return [doc async for doc in self.unmatched.find().sort("received_at", DESCENDING).limit(limit)]
