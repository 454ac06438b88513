"""The inbox's MongoDB access for its directory: `locations`, `location_groups`, `agents`, `templates`,
`settings`, and for access control: `login_failures`, `api_tokens`, `audit`."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

DIRECTORY_INDEXES: dict[str, list[IndexSpec]] = {
    # One agent per email: the unique insert is what answers a duplicate with 409, even between replicas.
    "agents": [IndexSpec(keys=[("email", 1)], name="email", unique=True)],
    "location_groups": [IndexSpec(keys=[("location_ids", 1)], name="members")],
    "templates": [
        IndexSpec(keys=[("name", 1)], name="name"),
        IndexSpec(keys=[("location_ids", 1)], name="locations"),
    ],
    "login_failures": [IndexSpec(keys=[("email", 1), ("at", 1)], name="email_at")],
}
CHAIN_SETTINGS_ID = "chain"


class AlreadyExistsError(Exception):
    pass


class DirectoryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db

    async def insert(self, collection: str, document: Document) -> Document:
        try:
            await self.db[collection].insert_one(document)
        except DuplicateKeyError as exc:
            raise AlreadyExistsError(collection) from exc
        return document

    async def get(self, collection: str, object_id: str) -> Document | None:
        return await self.db[collection].find_one({"_id": object_id})

    async def all(self, collection: str, limit: int = 1000) -> list[Document]:
        return [doc async for doc in self.db[collection].find({}).sort("_id", 1).limit(limit)]

    async def set(self, collection: str, object_id: str, changes: Mapping[str, Any]) -> Document | None:
        if changes:
            await self.db[collection].update_one({"_id": object_id}, {"$set": dict(changes)})
        return await self.get(collection, object_id)

    async def delete(self, collection: str, object_id: str) -> bool:
        return (await self.db[collection].delete_one({"_id": object_id})).deleted_count == 1

    async def advance_session_epoch(self, agent_id: str) -> int | None:
        """The agent's next session epoch (None for an unknown agent); tokens of earlier ones end."""
        document = await self.db["agents"].find_one_and_update(
            {"_id": agent_id}, {"$inc": {"session_epoch": 1}}, return_document=ReturnDocument.AFTER
        )
        return None if document is None else int(document["session_epoch"])

    async def agents_in_group(self, group_id: str) -> list[str]:
        return [str(agent["_id"]) async for agent in self.db["agents"].find({"group_ids": group_id}, {"_id": 1})]

    async def agent_by_email(self, email: str) -> Document | None:
        return await self.db["agents"].find_one({"email": email})

    async def any_agent(self) -> bool:
        return await self.db["agents"].find_one({}, {"_id": 1}) is not None

    async def groups_of(self, location_id: str) -> list[str]:
        return [str(group["_id"]) async for group in self.db["location_groups"].find({"location_ids": location_id})]

    async def groups_by_location(self) -> dict[str, list[str]]:
        """Every hotel's groups, in one read (for the list of hotels)."""
        members: dict[str, list[str]] = {}
        async for group in self.db["location_groups"].find({}, {"location_ids": 1}).sort("_id", 1):
            for location_id in group.get("location_ids") or []:
                members.setdefault(str(location_id), []).append(str(group["_id"]))
        return members

    async def chain_settings(self) -> Document:
        return await self.get("settings", CHAIN_SETTINGS_ID) or {}

    async def save_chain_settings(self, settings: Document) -> None:
        await self.db["settings"].replace_one({"_id": CHAIN_SETTINGS_ID}, settings, upsert=True)

    # --- sign-in failures, API tokens and the audit trail ----------------------------------------------

    async def failures_since(self, email: str, since: datetime) -> list[datetime]:
        cursor = self.db["login_failures"].find({"email": email, "at": {"$gt": since}}, {"at": 1})
        return [doc["at"] async for doc in cursor.limit(1000)]

    async def record_failure(self, email: str, at: datetime, forget_before: datetime) -> None:
        """One failed sign-in; this address's failures older than the window are dropped on the way."""
        await self.db["login_failures"].delete_many({"email": email, "at": {"$lte": forget_before}})
        await self.db["login_failures"].insert_one({"_id": uuid.uuid4().hex, "email": email, "at": at})

    async def clear_failures(self, email: str) -> None:
        await self.db["login_failures"].delete_many({"email": email})

    async def audit_page(self, before: str | None, limit: int) -> list[Document]:
        query: Document = {"_id": {"$lt": before}} if before else {}
        return [doc async for doc in self.db["audit"].find(query).sort("_id", -1).limit(limit)]
