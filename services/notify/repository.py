"""The notify service's only access to MongoDB: `deliveries`, one per outbound command and how it went.

Created by unique insert (the one operation FerretDB v1 performs atomically), so two replicas given
one command agree on one delivery; its later changes are made by the attempt holding the command.
"""

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.bus import utcnow
from shared.db import Document, IndexSpec

INDEXES = {
    # One delivery per outbound command key: a redelivered command never sends twice.
    "deliveries": [
        IndexSpec(keys=[("key", 1)], name="key", unique=True),
        # A bounce names the email it is about by its Message-ID.
        IndexSpec(keys=[("message_id", 1)], name="message_id"),
    ],
}


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.deliveries = db["deliveries"]
        self.commits = db["delivery_commits"]

    async def get(self, key: str) -> Document | None:
        return await self.deliveries.find_one({"_id": key})

    async def start(self, delivery: Document) -> tuple[Document, bool]:
        """Record a delivery before its first attempt; (the existing one, False) if it was there already."""
        try:
            await self.deliveries.insert_one(delivery)
        except DuplicateKeyError:
            existing = await self.get(str(delivery["_id"]))
            if existing is None:  # pragma: no cover - a duplicate key always has its document
                raise
            return existing, False
        return delivery, True

    async def sent_from(self, location_id: str, message_ids: list[str]) -> Document | None:
        """The hotel's email with one of these Message-IDs (the first found, in their order); another
        hotel's email with the same id is never it."""
        for message_id in message_ids:
            found = await self.deliveries.find_one({"message_id": message_id, "location_id": location_id})
            if found is not None:
                return found
        return None

    async def update(self, key: str, changes: Mapping[str, Any]) -> Document | None:
        # Read-then-write on FerretDB; only the attempt holding the command writes its delivery.
        return await self.deliveries.find_one_and_update(
            {"_id": key}, {"$set": {**changes, "updated_at": utcnow()}}, return_document=True
        )
