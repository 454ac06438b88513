"""HTTP models of the inbox's agent API."""

from typing import Any

from pydantic import BaseModel


class ConversationPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int


class ConversationDetail(BaseModel):
    conversation: dict[str, Any]
    timeline: list[dict[str, Any]]
    next_timeline_cursor: str | None
