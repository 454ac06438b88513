"""The inbox's MongoDB access for automation rules (`rules`), and the look-ups the engine needs: the
agents it assigns or emails, the hotels' managers, the reply templates."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document, IndexSpec

RULE_INDEXES: dict[str, list[IndexSpec]] = {"rules": [IndexSpec(keys=[("group_id", 1)], name="group")]}
MAX_RULES = 2000


class RuleRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.rules = db["rules"]
        self.agents = db["agents"]
        self.groups = db["location_groups"]
        self.templates = db["templates"]

    async def all_rules(self) -> list[Document]:
        cursor = self.rules.find({}).sort([("position", 1), ("_id", 1)]).limit(MAX_RULES)
        return [rule async for rule in cursor]

    async def rule(self, rule_id: str) -> Document | None:
        return await self.rules.find_one({"_id": rule_id})

    async def insert_rule(self, rule: Document) -> None:
        await self.rules.insert_one(rule)

    async def replace_rule(self, rule: Document) -> None:
        await self.rules.replace_one({"_id": rule["_id"]}, rule)

    async def delete_rule(self, rule_id: str) -> None:
        await self.rules.delete_one({"_id": rule_id})

    async def count_fired(self, rule_id: str) -> None:
        await self.rules.update_one({"_id": rule_id}, {"$inc": {"fired": 1}})

    async def count_stopped(self, rule_id: str, at: datetime, conversation_id: str) -> None:
        """Best effort (two replicas counting at once may count once): the number shows there is a loop."""
        await self.rules.update_one(
            {"_id": rule_id},
            {
                "$inc": {"loop_guard.stopped": 1},
                "$set": {"loop_guard.last_at": at, "loop_guard.last_conversation_id": conversation_id},
            },
        )

    # --- look-ups (read-only here) ----------------------------------------------------------------------

    async def group(self, group_id: str) -> Document | None:
        return await self.groups.find_one({"_id": group_id}, {"_id": 1})

    async def agent(self, agent_id: str) -> Document | None:
        return await self.agents.find_one({"_id": agent_id}, {"password_hash": 0})

    async def template(self, template_id: str) -> Document | None:
        return await self.templates.find_one({"_id": template_id})

    async def managers_of(self, location_id: str, group_ids: list[str]) -> list[Document]:
        covers: list[dict[str, Any]] = [{"location_ids": location_id}]
        if group_ids:
            covers.append({"group_ids": {"$in": group_ids}})
        cursor = self.agents.find({"role": "manager", "$or": covers}, {"password_hash": 0}).sort("_id", 1).limit(200)
        return [agent async for agent in cursor if not agent.get("disabled")]
