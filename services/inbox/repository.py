"""The inbox's only access to MongoDB (`conversations`, `timeline`)."""

from datetime import datetime

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
        IndexSpec(keys=[("last_activity_at", DESCENDING)], name="activity"),
    ],
    "timeline": [
        # The real-world event's key: a redelivered or republished message is stored once.
        IndexSpec(keys=[("key", 1)], name="key", unique=True),
        IndexSpec(keys=[("conversation_id", 1), ("at", 1)], name="conversation_at"),
    ],
}


class ConversationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.conversations = db["conversations"]
        self.timeline = db["timeline"]

    async def open_thread(self, thread_key: str, new_conversation: Document) -> tuple[Document, bool]:
        """Return the thread's conversation, creating it from `new_conversation` if it has none.

        The unique index on `thread_key` decides races between replicas: the loser of a concurrent
        upsert gets a DuplicateKeyError and reads the winner's document.
        """
        try:
            document = await self.conversations.find_one_and_update(
                {"thread_key": thread_key},
                {"$setOnInsert": new_conversation},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            document = await self.conversations.find_one({"thread_key": thread_key})
        if document is None:  # pragma: no cover - the upsert always yields a document
            raise LookupError(thread_key)
        return document, document["_id"] == new_conversation["_id"]

    async def add_entry(self, entry: Document) -> bool:
        """Insert a timeline entry; False if an entry with the same key is there already."""
        try:
            await self.timeline.insert_one(entry)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, conversation_id: str) -> Document | None:
        return await self.conversations.find_one({"_id": conversation_id})

    async def entries(self, conversation_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Document]:
        query: Document = {"conversation_id": conversation_id}
        if after is not None:
            at, last_id = after
            query["$or"] = [{"at": {"$gt": at}}, {"at": at, "_id": {"$gt": last_id}}]
        cursor = self.timeline.find(query).sort([("at", 1), ("_id", 1)]).limit(limit)
        return [entry async for entry in cursor]

    async def page(self, filters: Document, *, before: tuple[datetime, str] | None, limit: int) -> list[Document]:
        query = dict(filters)
        if before is not None:
            at, last_id = before
            query["$or"] = [
                {"last_activity_at": {"$lt": at}},
                {"last_activity_at": at, "_id": {"$lt": last_id}},
            ]
        cursor = self.conversations.find(query).sort([("last_activity_at", DESCENDING), ("_id", DESCENDING)])
        return [doc async for doc in cursor.limit(limit)]

    async def count(self, filters: Document) -> int:
        return await self.conversations.count_documents(filters)
