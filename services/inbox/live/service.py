"""Each agent's live stream: the events of their hotels as they happen, and who has which request open.

A stream subscribes to its agent's hotels only (`hub.events.*.*.<hotel>` and the hotel's presence
subject), one NATS subscription per hotel, so an agent of one hotel never receives, let alone decodes,
the rest of the chain's traffic; an admin subscribes to everything. Core NATS: a stream sees what
happens while it is open, and the console catches up by reloading after a drop.

The hotels are the token's, fixed when the stream opens; so the stream re-checks its session every
`SESSION_RECHECK_SECONDS` (sign-out, or a change of the agent's rights, ends it: shared/auth.py) and
closes with a `session.ended` event, well within 10 s. Keep-alives alone would keep it open for ever.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from shared.auth import Actor, Sessions
from shared.bus import (
    CHAIN,
    CONVERSATION_VIEWING,
    ConversationViewing,
    Subjects,
    decode_event,
)
from shared.messaging import publish_core

from ..conversations.schemas import Viewing
from ..conversations.service import Inbox

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
KEEP_ALIVE_SECONDS = 15.0
# With answers cached up to SESSION_CHECK_SECONDS (5 s), a stream ends within about 7 s of its session.
SESSION_RECHECK_SECONDS = 2.0
SESSION_ENDED = "session.ended"
VIEWING = "conversation.viewing"


@dataclass(frozen=True)
class LiveEvent:
    """One server-sent event: its name is the bus event's `type` (`conversation.assigned`), its data
    the event as JSON (conversation_id, location_id, actor_id and the event's own fields)."""

    name: str
    data: str

    def frame(self) -> str:
        return f"event: {self.name}\ndata: {self.data}\n\n"


def subjects_for(actor: Actor) -> list[str]:
    """What the actor's stream subscribes to: their hotels' events and presence, or everything for an admin."""
    if actor.sees_everything:
        return [Subjects.EVENTS_ALL, Subjects.PRESENCE_ALL]
    hotels = sorted(set(actor.location_ids))
    return [subject for hotel in hotels for subject in (Subjects.events_of_hotel(hotel), Subjects.presence(hotel))]


def live_event(actor: Actor, subject: str, data: bytes) -> LiveEvent | None:
    """The server-sent event for a bus message, or None for what the agent is not to see."""
    try:
        if subject.startswith("hub.presence."):
            viewing = ConversationViewing.model_validate_json(data)
            return LiveEvent(VIEWING, data.decode()) if actor.can_see(viewing.location_id) else None
        event = decode_event(data)
    except (ValidationError, UnicodeDecodeError):
        log.info("live stream skipped an unreadable message", extra={"subject": subject})
        return None
    # The subject named the hotel already; checked again so a wide subscription (an admin's) or a
    # producer's mistake never shows one hotel's request to another's agent. Chain-wide events
    # (contacts merged or erased) are no console's business.
    if event.hotel == CHAIN or not actor.can_see(event.hotel):
        return None
    return LiveEvent(event.type, data.decode())


@dataclass
class LiveStream:
    """An agent's subscriptions and the queue the SSE response reads; `async with` opens and closes them."""

    connection: NatsClient
    actor: Actor
    sessions: Sessions | None = None  # None: a stream that never ends by itself (tests of the bus)
    queue: asyncio.Queue[LiveEvent] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    subscriptions: list[Subscription] = field(default_factory=list)

    async def __aenter__(self) -> "LiveStream":
        for subject in subjects_for(self.actor):
            self.subscriptions.append(await self.connection.subscribe(subject, cb=self._on_message))
        # The server has the subscriptions once the flush returns: what happens after the console sees
        # the stream open reaches it.
        await self.connection.flush()
        return self

    async def __aexit__(self, *_: object) -> None:
        for subscription in self.subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self.subscriptions.clear()

    async def _on_message(self, msg: Msg) -> None:
        event = live_event(self.actor, msg.subject, msg.data)
        if event is not None:
            with contextlib.suppress(asyncio.QueueFull):  # a console that stopped reading loses events, not memory
                self.queue.put_nowait(event)

    async def next(self, timeout: float = KEEP_ALIVE_SECONDS) -> LiveEvent | None:
        """The next event, or None after `timeout` (time for a keep-alive)."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout=timeout)
        except TimeoutError:
            return None

    async def ended(self) -> str | None:
        """Why the stream's session is over (signed out, rights changed), or None while it holds."""
        return None if self.sessions is None else await self.sessions.ended(self.actor)


async def frames(stream: LiveStream, is_disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """The SSE body: a retry hint, then events and keep-alives until the client goes or the session ends
    (then a last `session.ended` event: the console signs in again rather than reconnecting)."""
    async with stream:
        yield "retry: 3000\n\n"
        quiet_since = time.monotonic()
        while not await is_disconnected():
            reason = await stream.ended()
            if reason is not None:
                yield LiveEvent(SESSION_ENDED, json.dumps({"detail": reason})).frame()
                return
            event = await stream.next(timeout=SESSION_RECHECK_SECONDS)
            if event is not None:
                yield event.frame()
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()


async def announce_viewing(inbox: Inbox, actor: Actor, conversation_id: str, body: Viewing) -> None:
    """Say that the agent has the request open; nothing is stored (404 if they may not see it)."""
    document = await inbox.visible(conversation_id, actor)
    location = str(document["location_id"])
    presence = ConversationViewing(
        conversation_id=conversation_id,
        location_id=location,
        agent={"id": actor.agent_id, "name": actor.name, "initials": actor.initials},
        tab=body.tab,
        answer=body.answer,
    )
    await publish_core(inbox.broker, CONVERSATION_VIEWING, presence, subject=Subjects.presence(location))
