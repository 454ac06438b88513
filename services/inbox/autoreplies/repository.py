"""The inbox's MongoDB access for automatic replies: the rules (`auto_reply_rules`) and the replies due
without approval (`auto_replies_due`, what the sweep reads; the reply itself is on its conversation)."""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document, IndexSpec

AUTO_REPLY_INDEXES: dict[str, list[IndexSpec]] = {
    "auto_reply_rules": [IndexSpec(keys=[("location_id", 1)], name="location")],
    "auto_replies_due": [IndexSpec(keys=[("due_at", 1)], name="due_at")],
}


class AutoReplyRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.rules = db["auto_reply_rules"]
        self.due = db["auto_replies_due"]

    async def all_rules(self, limit: int = 1000) -> list[Document]:
        return [rule async for rule in self.rules.find({}).sort([("created_at", 1), ("_id", 1)]).limit(limit)]

    async def rules_for(self, location_id: str) -> list[Document]:
        """The hotel's own rules and the chain-wide ones, oldest first."""
        query = {"location_id": {"$in": [location_id, None]}}
        return [rule async for rule in self.rules.find(query).sort([("created_at", 1), ("_id", 1)])]

    async def rule(self, rule_id: str) -> Document | None:
        return await self.rules.find_one({"_id": rule_id})

    async def insert_rule(self, rule: Document) -> None:
        await self.rules.insert_one(rule)

    async def delete_rule(self, rule_id: str) -> None:
        await self.rules.delete_one({"_id": rule_id})

    async def remember_due(self, conversation_id: str, due_at: datetime) -> None:
        await self.due.update_one({"_id": conversation_id}, {"$set": {"due_at": due_at}}, upsert=True)

    async def due_by(self, now: datetime, limit: int = 100) -> list[str]:
        cursor = self.due.find({"due_at": {"$lte": now}}).sort("due_at", 1).limit(limit)
        return [str(due["_id"]) async for due in cursor]

    async def forget_due(self, conversation_id: str) -> None:
        await self.due.delete_one({"_id": conversation_id})
