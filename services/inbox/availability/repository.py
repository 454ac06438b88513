"""The inbox's MongoDB access for availability: `agent_presence` (when each agent's console was last seen),
`rr_turns` (the round-robin's claimed turns), and the directory look-ups a rotation's pool needs."""

import os
import socket
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.db import Document, IndexSpec

AVAILABILITY_INDEXES: dict[str, list[IndexSpec]] = {
    # A rotation's last turn, and its old turns to prune: equalities on `pool`, then its numbers in order.
    "rr_turns": [IndexSpec(keys=[("pool", 1), ("n", -1)], name="pool_n")],
}
# The agent fields a pool needs: never the password hash.
AGENT_FIELDS = {"password_hash": 0}
MAX_POOL = 1000
# Which process claimed a turn (a replica: host and process id), for whoever reads `rr_turns` to follow a rotation.
CLAIMER = f"{socket.gethostname()}:{os.getpid()}"


class PresenceRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.presence = db["agent_presence"]

    async def seen(self, agent_id: str, at: datetime) -> None:
        """The agent's console is open at `at` (one document per agent, rewritten)."""
        await self.presence.replace_one({"_id": agent_id}, {"_id": agent_id, "seen_at": at}, upsert=True)

    async def seen_since(self, agent_ids: list[str], since: datetime) -> set[str]:
        """Which of these agents' consoles were seen at or after `since`."""
        if not agent_ids:
            return set()
        cursor = self.presence.find({"_id": {"$in": agent_ids}}, {"seen_at": 1})
        return {str(doc["_id"]) async for doc in cursor if doc.get("seen_at") is not None and doc["seen_at"] >= since}


class RoundRobinRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.turns = db["rr_turns"]
        self.agents = db["agents"]
        self.groups = db["location_groups"]
        self.presence = PresenceRepository(db)

    async def groups_of(self, location_id: str) -> list[str]:
        return [str(group["_id"]) async for group in self.groups.find({"location_ids": location_id}, {"_id": 1})]

    async def candidates(self, location_id: str, hotel_groups: list[str], group_id: str | None) -> list[Document]:
        """The agents who see the hotel (directly or through one of its groups) and, with `group_id`, are in
        that group; the caller filters out the disabled and the away (decided in round_robin.py)."""
        sees: list[dict[str, Any]] = [{"location_ids": location_id}]
        if hotel_groups:
            sees.append({"group_ids": {"$in": hotel_groups}})
        query: dict[str, Any] = {"$or": sees}
        if group_id is not None:
            query = {"$and": [query, {"group_ids": group_id}]}
        cursor = self.agents.find(query, AGENT_FIELDS).sort("_id", 1).limit(MAX_POOL)
        return [agent async for agent in cursor]

    async def last_turn(self, pool: str) -> int | None:
        """The highest turn number claimed in the pool's rotation, or None before its first turn."""
        cursor = self.turns.find({"pool": pool}, {"n": 1}).sort("n", -1).limit(1)
        async for turn in cursor:
            return int(turn["n"])
        return None

    async def claim(self, pool: str, n: int, agent_id: str, at: datetime) -> bool:
        """Claim turn `n` of the pool's rotation: False when another process (replica) claimed it first.
        The unique `_id` decides, since FerretDB v1 has no atomic counter to increment."""
        try:
            turn = {"_id": f"{pool}:{n}", "pool": pool, "n": n, "agent_id": agent_id, "at": at, "by": CLAIMER}
            await self.turns.insert_one(turn)
        except DuplicateKeyError:
            return False
        return True

    async def prune(self, pool: str, below: int, before: datetime) -> int:
        """Forget the pool's turns numbered below `below` and claimed before `before`."""
        result = await self.turns.delete_many({"pool": pool, "n": {"$lt": below}, "at": {"$lt": before}})
        return int(result.deleted_count)
