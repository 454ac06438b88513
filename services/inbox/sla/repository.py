"""The inbox's MongoDB access for response-time targets: the policies (`sla_policies`), the requests the
sweep must look at (`conversations.sla_check_at`), and the directory look-ups targets and escalation need
(hotels' calendars and groups, managers, care groups)."""

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document, IndexSpec
from shared.settings import MongoFlavour

from ..conversations.repository import utc_minute

# The sweep's own index on conversations is the conversations' (conversations/repository.py): `sla_check_at`
# on MongoDB, `sla_check_minute` on FerretDB.
SLA_INDEXES: dict[str, list[IndexSpec]] = {"sla_policies": [IndexSpec(keys=[("group_id", 1)], name="group")]}
# A sweep rereads the minute it last swept up to (a change written as it read), and a replica's first sweep
# the last day: what came due while no replica swept.
MINUTE = timedelta(minutes=1)
CATCH_UP = timedelta(days=1)
MAX_POLICIES = 1000


class SlaRepository:
    def __init__(self, db: AsyncDatabase[Document], flavour: MongoFlavour = "ferretdb") -> None:
        self.flavour = flavour
        self.policies = db["sla_policies"]
        self.conversations = db["conversations"]
        self.locations = db["locations"]
        self.groups = db["location_groups"]
        self.agents = db["agents"]

    # --- policies ---------------------------------------------------------------------------------------

    async def all_policies(self) -> list[Document]:
        cursor = self.policies.find({}).sort([("position", 1), ("_id", 1)]).limit(MAX_POLICIES)
        return [policy async for policy in cursor]

    async def policy(self, policy_id: str) -> Document | None:
        return await self.policies.find_one({"_id": policy_id})

    async def insert_policy(self, policy: Document) -> None:
        await self.policies.insert_one(policy)

    async def replace_policy(self, policy: Document) -> None:
        await self.policies.replace_one({"_id": policy["_id"]}, policy)

    async def delete_policy(self, policy_id: str) -> None:
        await self.policies.delete_one({"_id": policy_id})

    # --- the sweep ----------------------------------------------------------------------------------------

    async def due_checks(self, now: datetime, limit: int, since: datetime | None = None) -> list[str]:
        """The requests whose next check is at or before `now`, earliest first: O(requests due), never
        O(open requests). MongoDB walks the `sla_check_at` index. FerretDB pushes only equalities down to
        PostgreSQL (a range it applies after reading every document), so there each minute since the last
        sweep (`since`, else the last day) is an equality on `sla_check_minute`; a check already due when
        written is filed under its writing minute, so no minute behind the sweep gets new requests."""
        if self.flavour == "mongodb":
            cursor = self.conversations.find({"sla_check_at": {"$lte": now}}, {"_id": 1}).sort("sla_check_at", 1)
            return [str(document["_id"]) async for document in cursor.limit(limit)]
        minute = (since - MINUTE if since is not None else now - CATCH_UP).replace(second=0, microsecond=0)
        due: list[tuple[datetime, str]] = []
        while minute <= now:
            query = {"sla_check_minute": utc_minute(minute), "sla_check_at": {"$lte": now}}
            async for document in self.conversations.find(query, {"sla_check_at": 1}):
                due.append((document["sla_check_at"], str(document["_id"])))
            minute += MINUTE
        return [conversation_id for _, conversation_id in sorted(due)[:limit]]

    # --- directory look-ups (read-only here) --------------------------------------------------------------

    async def location(self, location_id: str) -> Document | None:
        return await self.locations.find_one({"_id": location_id}, {"business_hours": 1, "timezone": 1, "name": 1})

    async def groups_of(self, location_id: str) -> list[str]:
        return [str(group["_id"]) async for group in self.groups.find({"location_ids": location_id}, {"_id": 1})]

    async def group(self, group_id: str) -> Document | None:
        return await self.groups.find_one({"_id": group_id})

    async def agent(self, agent_id: str) -> Document | None:
        return await self.agents.find_one({"_id": agent_id}, {"password_hash": 0})

    async def managers_of(self, location_id: str, group_ids: list[str]) -> list[Document]:
        """The managers covering the hotel, directly or through one of its groups."""
        covers: list[dict[str, Any]] = [{"location_ids": location_id}]
        if group_ids:
            covers.append({"group_ids": {"$in": group_ids}})
        query = {"role": "manager", "$or": covers}
        cursor = self.agents.find(query, {"password_hash": 0}).sort("_id", 1).limit(200)
        return [agent async for agent in cursor if not agent.get("disabled")]
