"""HTTP surface of automatic review replies: the rules under /api/v1/auto-replies (managers of their
hotels, admins chain-wide), and an agent's approval or discarding of a request's pending reply."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from shared.auth import ActorDep
from shared.runtime import RuntimeDep

from ..conversations.api import ConversationId
from ..conversations.schemas import ActionResult
from . import schemas
from .service import AutoReplies, auto_replies_for

router = APIRouter(prefix="/api/v1", tags=["auto-replies"])
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def auto_replies_of(request: Request, runtime: RuntimeDep) -> AutoReplies:
    return auto_replies_for(runtime, request.app.state.inbox_settings)


AutoRepliesDep = Annotated[AutoReplies, Depends(auto_replies_of)]


@router.get("/auto-replies")
async def list_rules(actor: ActorDep, auto_replies: AutoRepliesDep) -> list[schemas.Rule]:
    """The rules one may see: the chain-wide ones and those of one's hotels, oldest first."""
    return await auto_replies.rules(actor)


@router.post("/auto-replies", status_code=201)
async def create_rule(body: schemas.RuleIn, actor: ActorDep, auto_replies: AutoRepliesDep) -> schemas.Rule:
    """A rule for new reviews of a hotel (its managers), or chain-wide (admins): the first matching rule of
    the review's hotel answers it, else the first matching chain-wide one."""
    return await auto_replies.create_rule(actor, body)


@router.delete("/auto-replies/{rule_id}", status_code=204)
async def delete_rule(rule_id: RuleId, actor: ActorDep, auto_replies: AutoRepliesDep) -> None:
    await auto_replies.delete_rule(actor, rule_id)


@router.post("/conversations/{conversation_id}/auto-reply/approve", response_model_exclude_unset=True)
async def approve(
    conversation_id: ConversationId, body: schemas.Approval, actor: ActorDep, auto_replies: AutoRepliesDep
) -> ActionResult:
    """Publish the request's pending automatic reply now, maybe with the text the agent edited."""
    return await auto_replies.approve(conversation_id, body, actor)


@router.post("/conversations/{conversation_id}/auto-reply/discard", response_model_exclude_unset=True)
async def discard(conversation_id: ConversationId, actor: ActorDep, auto_replies: AutoRepliesDep) -> ActionResult:
    """Never send the request's pending automatic reply."""
    return await auto_replies.discard(conversation_id, actor)
