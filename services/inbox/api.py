"""HTTP surface of the inbox: the agents' API under /api/v1/conversations."""

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from shared.bus import LOCATION_ID_PATTERN, Channel
from shared.db import Document
from shared.problems import Problem
from shared.runtime import RuntimeDep

from .repository import ConversationRepository
from .schemas import ConversationDetail, ConversationPage
from .service import public_conversation, public_entry

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

Status = Literal["open", "on_hold", "closed", "spam"]


def encode_cursor(at: datetime, last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), last_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Problem(
            400, "Invalid cursor", "The cursor is not one this API returned; start from the first page."
        ) from exc


@router.get("", response_model=ConversationPage)
async def list_conversations(
    runtime: RuntimeDep,
    location: Annotated[str | None, Query(pattern=LOCATION_ID_PATTERN)] = None,
    status: Status | None = None,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ConversationPage:
    """Conversations, most recent guest activity first, cursor-paginated."""
    filters: Document = {}
    if location:
        filters["location_id"] = location
    if status:
        filters["status"] = status
    if channel:
        filters["channel"] = channel.value
    repository = ConversationRepository(runtime.db)
    before = decode_cursor(cursor) if cursor else None
    documents = await repository.page(filters, before=before, limit=limit + 1)
    has_more = len(documents) > limit
    documents = documents[:limit]
    next_cursor = None
    if has_more and documents:
        last = documents[-1]
        next_cursor = encode_cursor(last["last_activity_at"], str(last["_id"]))
    return ConversationPage(
        items=[public_conversation(d) for d in documents],
        next_cursor=next_cursor,
        total=await repository.count(filters),
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: Annotated[str, Path(min_length=1, max_length=64)],
    runtime: RuntimeDep,
    timeline_limit: Annotated[int, Query(ge=1, le=200)] = 50,
    timeline_cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ConversationDetail:
    """One conversation with its timeline (oldest first, paginated for long ones)."""
    repository = ConversationRepository(runtime.db)
    document = await repository.get(conversation_id)
    if document is None:
        raise Problem(404, "Not found", f"No conversation has the id {conversation_id!r}.")
    after = decode_cursor(timeline_cursor) if timeline_cursor else None
    entries = await repository.entries(str(document["_id"]), after=after, limit=timeline_limit + 1)
    has_more = len(entries) > timeline_limit
    entries = entries[:timeline_limit]
    next_cursor = encode_cursor(entries[-1]["at"], str(entries[-1]["_id"])) if has_more and entries else None
    return ConversationDetail(
        conversation=public_conversation(document),
        timeline=[public_entry(e) for e in entries],
        next_timeline_cursor=next_cursor,
    )
