"""HTTP surface of the live stream: each agent's server-sent events, and the console's "I am viewing" signal."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from shared.auth import ActorDep, sessions_of

from ..availability.service import PresenceDep
from ..conversations.api import ConversationId, InboxDep
from ..conversations.schemas import Viewing
from . import service as live

router = APIRouter(prefix="/api/v1", tags=["events"])


def live_hub(request: Request) -> live.LiveHub:
    hub: live.LiveHub = request.app.state.live_hub
    return hub


LiveHubDep = Annotated[live.LiveHub, Depends(live_hub)]


@router.post("/conversations/{conversation_id}/viewing", status_code=204)
async def viewing(conversation_id: ConversationId, body: Viewing, inbox: InboxDep, actor: ActorDep) -> None:
    """The console says, every few seconds, that the agent has this request open: the other agents who
    have it open see a collision notice (live stream event `conversation.viewing`). Nothing is stored."""
    await live.announce_viewing(inbox, actor, conversation_id, body)


@router.get("/events")
async def live_events(request: Request, hub: LiveHubDep, actor: ActorDep, presence: PresenceDep) -> StreamingResponse:
    """Server-Sent Events: every change the agent may see, as it happens (the console's live updates).
    Each event is named by its type (`conversation.assigned`, `conversation.viewing`…); its data is the
    event as JSON, with `conversation_id`, `location_id` and `actor_id`. The stream closes, with a last
    `session.ended` event, within seconds of sign-out or of a change of the agent's rights. A `resync`
    event (data: `{"reason": …}`) says that events could not be delivered (the client read too slowly, or
    the bus was away): reload the lists, the counts and the open request. While the stream is open, the
    agent shows as online in the agents list (`online`)."""
    stream = live.LiveStream(hub, actor, sessions_of(request), presence=presence)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        live.frames(stream, request.is_disconnected), media_type="text/event-stream", headers=headers
    )
