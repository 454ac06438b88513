"""HTTP surface of merge and split, under /api/v1/conversations/{id}: each route calls the service."""

from fastapi import APIRouter

from shared.auth import ActorDep

from ..conversations.api import ConversationId, InboxDep
from ..conversations.schemas import ActionResult
from . import service
from .schemas import MergeIn, SplitIn, SplitResult

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.post("/{conversation_id}/merge", response_model_exclude_unset=True)
async def merge(conversation_id: ConversationId, body: MergeIn, inbox: InboxDep, actor: ActorDep) -> ActionResult:
    """Merge another request of the same hotel into this one: its timeline joins this one's (each entry once,
    by time), its thread and reply address lead here, and its id answers 308 to this request's."""
    return await service.merge(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/split", status_code=201, response_model_exclude_unset=True)
async def split(conversation_id: ConversationId, body: SplitIn, inbox: InboxDep, actor: ActorDep) -> SplitResult:
    """Split a guest's message (and optionally the entries after it) out into a new request of the same
    hotel and guest; replies to that message go to the new request."""
    return await service.split(inbox, conversation_id, body, actor)
