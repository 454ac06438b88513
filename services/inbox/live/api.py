"""HTTP surface of the live stream: each agent's server-sent events, and the console's "I am viewing" signal."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from nats.aio.msg import Msg

from shared.auth import ActorDep
from shared.bus import ConversationViewing, Subjects
from shared.runtime import RuntimeDep

from ..conversations.api import ConversationId, InboxDep
from ..conversations.schemas import Viewing

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post("/conversations/{conversation_id}/viewing", status_code=204)
async def viewing(conversation_id: ConversationId, body: Viewing, inbox: InboxDep, actor: ActorDep) -> None:
    """The console says, every few seconds, that the agent has this request open: the other agents who
    have it open see a collision notice (live stream event `conversation.viewing`). Nothing is stored."""
    document = await inbox.visible(conversation_id, actor)
    location = str(document["location_id"])
    presence = ConversationViewing(
        conversation_id=conversation_id,
        location_id=location,
        agent={"id": actor.agent_id, "name": actor.name, "initials": actor.initials},
        tab=body.tab,
        answer=body.answer,
    )
    await inbox.broker.publish(presence, Subjects.presence(location))


@router.get("/events")
async def live_events(request: Request, runtime: RuntimeDep, actor: ActorDep) -> StreamingResponse:
    """Server-Sent Events: every change the agent may see, as it happens (the console's live updates)."""
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=1000)

    async def on_event(msg: Msg) -> None:
        with contextlib.suppress(ValueError, asyncio.QueueFull):
            event = json.loads(msg.data)
            location = event.get("location_id") if isinstance(event, dict) else None
            if isinstance(location, str) and actor.can_see(location):
                is_presence = msg.subject.startswith("hub.presence.")
                name = "conversation.viewing" if is_presence else msg.subject.removeprefix("hub.events.")
                queue.put_nowait((name, msg.data.decode()))

    subscription = await runtime.broker.connection.subscribe(Subjects.EVENTS_ALL, cb=on_event)
    presence = await runtime.broker.connection.subscribe(Subjects.PRESENCE_ALL, cb=on_event)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n\n"
            while not await request.is_disconnected():
                try:
                    name, data = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {name}\ndata: {data}\n\n"
        finally:
            await subscription.unsubscribe()
            await presence.unsubscribe()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
