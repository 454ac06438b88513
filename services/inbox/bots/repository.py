"""The inbox's MongoDB access for chatbots: `bots`, one per hotel (keyed by the hotel's id)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document


class BotRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.bots = db["bots"]

    async def get(self, location_id: str) -> Document | None:
        return await self.bots.find_one({"_id": location_id})

    async def put(self, location_id: str, fields: dict[str, Any]) -> None:
        await self.bots.replace_one({"_id": location_id}, {"_id": location_id, **fields}, upsert=True)

    async def delete(self, location_id: str) -> bool:
        return (await self.bots.delete_one({"_id": location_id})).deleted_count == 1
