"""Ingest's only access to MongoDB: the chat's sessions and transcript (`chat_sessions`, `chat_messages`)
and what each IMAP mailbox was read up to (`mailbox_state`)."""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.bus import utcnow
from shared.db import Document, IndexSpec

CHAT_INDEXES: dict[str, list[IndexSpec]] = {
    "chat_sessions": [IndexSpec(keys=[("location_id", 1)], name="location")],
    "chat_messages": [IndexSpec(keys=[("session_id", ASCENDING), ("at", ASCENDING)], name="session_at")],
}
MAILBOX_INDEXES: dict[str, list[IndexSpec]] = {"mailbox_state": []}  # `_id` is the mailbox: equality look-ups only
# What the review poller last saw of each review, per hotel and platform (`_id` is `<hotel>:<platform>:<review id>`).
PLATFORM_REVIEW_INDEXES: dict[str, list[IndexSpec]] = {
    "platform_reviews": [IndexSpec(keys=[("location_id", 1), ("platform", 1)], name="location_platform")]
}
HISTORY = 200  # messages a reloaded widget shows again


def new_session_id() -> str:
    return "s" + secrets.token_hex(16)


def successor_id(session_id: str) -> str:
    """The id of the session following an ended one: only whoever holds the ended session's token knows it."""
    return "s" + hashlib.sha256(f"next:{session_id}".encode()).hexdigest()[:32]


class ChatRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.sessions = db["chat_sessions"]
        self.messages = db["chat_messages"]

    async def session(self, session_id: str) -> Document | None:
        return await self.sessions.find_one({"_id": session_id})

    async def open_session(self, location_id: str) -> Document:
        document = {"_id": new_session_id(), "location_id": location_id, "guest": {}, "created_at": utcnow()}
        await self.sessions.insert_one(document)
        return document

    async def open_successor(self, ended: Document) -> Document:
        """The session that follows an ended one, with its guest; one however many sockets ask at once
        (its id is derived from the ended one's, and only a unique insert decides a race on FerretDB)."""
        document = {
            "_id": successor_id(str(ended["_id"])),
            "location_id": ended["location_id"],
            "guest": dict(ended.get("guest") or {}),
            "follows": ended["_id"],
            "created_at": utcnow(),
        }
        try:
            await self.sessions.insert_one(document)
        except DuplicateKeyError:
            return await self.sessions.find_one({"_id": document["_id"]}) or document
        return document

    async def end(self, session_id: str, at: datetime) -> None:
        """The agent ended the chat: the session stays readable, and a new message opens its successor."""
        await self.sessions.update_one({"_id": session_id, "ended_at": None}, {"$set": {"ended_at": at}})

    async def identify(self, session_id: str, guest: dict[str, str]) -> None:
        await self.sessions.update_one({"_id": session_id}, {"$set": {"guest": guest}})

    async def remember(self, session_id: str, key: str, sender: str, text: str, at: datetime, **extra: Any) -> bool:
        document = {"_id": key, "session_id": session_id, "from": sender, "text": text, "at": at, **extra}
        try:
            await self.messages.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def shares_file(self, session_id: str, attachment_id: str) -> bool:
        """Whether a message of this chat carries the file (the only files its guest may download)."""
        async for message in self.messages.find({"session_id": session_id}, {"attachments": 1}):
            if any(a.get("id") == attachment_id for a in message.get("attachments") or []):
                return True
        return False

    async def history(self, session_id: str) -> list[Document]:
        cursor = self.messages.find({"session_id": session_id}).sort([("at", 1)]).limit(HISTORY)
        return [message async for message in cursor]


class MailboxStateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.states = db["mailbox_state"]

    async def get(self, mailbox: str) -> tuple[int, int]:
        state = await self.states.find_one({"_id": mailbox}) or {}
        return int(state.get("uidvalidity", 0)), int(state.get("last_uid", 0))

    async def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        # One poller per mailbox (mailboxes are sharded across replicas), so a plain replace is safe.
        document = {"_id": mailbox, "uidvalidity": uidvalidity, "last_uid": last_uid}
        await self.states.replace_one({"_id": mailbox}, document, upsert=True)


class PlatformReviewRepository:
    """What ingest's review poller last saw of each review on a platform (one poller: the lease's holder)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.reviews = db["platform_reviews"]

    async def seen(self, location_id: str, platform: str) -> list[Document]:
        found = self.reviews.find({"location_id": location_id, "platform": platform, "deleted": {"$ne": True}})
        return [document async for document in found]

    async def save(self, location_id: str, platform: str, review_id: str, state: dict[str, Any]) -> None:
        key = f"{location_id}:{platform}:{review_id}"
        document = {
            "_id": key,
            "location_id": location_id,
            "platform": platform,
            "review_id": review_id,
            **state,
            "seen_at": utcnow(),
        }
        await self.reviews.replace_one({"_id": key}, document, upsert=True)
