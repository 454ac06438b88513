"""The inbox's MongoDB access for the scores: the hotel-days to rebuild (`score_dirty`), the scores per
hotel-day (`score_days`), and the requests and directory documents they are rebuilt and scoped from."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document, IndexSpec

SCORE_INDEXES: dict[str, list[IndexSpec]] = {
    # A period's scores: one hotel's days (an equality on the hotel, then its days), or the chain's.
    "score_days": [IndexSpec(keys=[("location_id", 1), ("day", 1)], name="location_day")],
    "score_dirty": [IndexSpec(keys=[("at", 1)], name="at")],
}
# What a request's scores are counted from (service.tally_of), nothing else of it is read.
SCORED_FIELDS = {
    "status": 1,
    "automatic": 1,
    "alert": 1,
    "created_at": 1,
    "first_response_at": 1,
    "first_response_business_seconds": 1,
    "sla.first_response.state": 1,
    "survey.rating": 1,
}


def mark_id(location_id: str, day: str) -> str:
    return f"{location_id}:{day}"


class ScoreMarks:
    """Writers mark a hotel-day whose scores a change of theirs may have changed (after writing it)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.dirty = db["score_dirty"]

    async def touch(self, location_id: str, day: str) -> None:
        """Mark the hotel-day; a new `token` each time tells the rebuild that it changed since it read it."""
        fields = {"location_id": location_id, "day": day, "token": uuid.uuid4().hex, "at": datetime.now(UTC)}
        await self.dirty.update_one({"_id": mark_id(location_id, day)}, {"$set": fields}, upsert=True)


class ScoreRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.days = db["score_days"]
        self.dirty = db["score_dirty"]
        self.conversations = db["conversations"]
        self.locations = db["locations"]
        self.groups = db["location_groups"]

    # --- the rebuild (the lease holder) -------------------------------------------------------------

    async def marked(self, limit: int) -> list[Document]:
        """The hotel-days marked, oldest mark first."""
        return await self.dirty.find({}).sort("at", 1).limit(limit).to_list()

    async def requests_of(self, location_id: str, day: str) -> list[Document]:
        """The hotel-day's requests (index `location_score_day`), with the fields their scores count."""
        return await self.conversations.find({"location_id": location_id, "score_day": day}, SCORED_FIELDS).to_list()

    async def save(self, score: Document) -> None:
        await self.days.replace_one({"_id": score["_id"]}, score, upsert=True)

    async def unmark(self, mark: Document) -> bool:
        """Remove the mark the rebuild read, unless a writer marked the hotel-day again since (it stays)."""
        result = await self.dirty.delete_one({"_id": mark["_id"], "token": mark.get("token")})
        return result.deleted_count == 1

    # --- readers ----------------------------------------------------------------------------------

    async def scores(self, location_ids: Iterable[str] | None, start: str, end: str) -> list[Document]:
        """The stored hotel-days of the period (days as ISO dates compare as strings), of the hotels given
        (None: every hotel)."""
        query: Document = {"day": {"$gte": start, "$lte": end}}
        if location_ids is not None:
            query["location_id"] = {"$in": sorted(location_ids)}
        return await self.days.find(query).to_list()

    async def hotels(self) -> list[Document]:
        """Every hotel of the chain: its id, name and time zone."""
        return await self.locations.find({}, {"name": 1, "timezone": 1}).sort("_id", 1).to_list()

    async def hotel_zone(self, location_id: str) -> str | None:
        found = await self.locations.find_one({"_id": location_id}, {"timezone": 1})
        return str(found["timezone"]) if found and found.get("timezone") else None

    async def group(self, group_id: str) -> Document | None:
        return await self.groups.find_one({"_id": group_id})
