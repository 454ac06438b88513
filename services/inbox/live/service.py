"""Each agent's live stream: the events of their hotels as they happen, and who has which request open.

The streams of one inbox process share a `LiveHub`. It has a NATS connection of its own, not the
broker's: a console that falls behind can never get the inbox's JetStream consumers cut off as a slow
consumer. It subscribes once per hotel that has an agent connected (`hub.events.*.*.<hotel>` and the
hotel's presence subject), counted by the streams that need it and unsubscribed with the last one;
admins' streams share one subscription to everything. Each message is decoded once per subscription that
receives it (its hotel's, and the admins' when one is connected) and offered to the streams of that
subscription, which re-check that their agent may see it: a stream costs O(its agent's hotels), not
O(the chain's events).

Core NATS: a stream sees what happens while it is open, and the console catches up by reloading after a
drop. Nothing is dropped silently: a stream whose queue is full (its console stopped reading), whose
hotel's subscription lost messages, or whose connection came back after an outage has its queue
replaced by one `resync` event, and the console reloads what it shows.

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
from enum import StrEnum

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError
from pydantic import ValidationError

from shared.auth import Actor, Sessions
from shared.bus import (
    CHAIN,
    CONVERSATION_VIEWING,
    ConversationViewing,
    Subjects,
    decode_event,
    utcnow,
)
from shared.messaging import publish_core, server_has_read
from shared.runtime import Runtime

from ..availability.service import BEAT_SECONDS, Presence
from ..conversations.schemas import Viewing
from ..conversations.service import Inbox
from ..metrics import LIVE_HOTEL_SUBSCRIPTIONS, LIVE_RESYNCS, LIVE_SLOW_CONSUMER, LIVE_STREAMS

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
KEEP_ALIVE_SECONDS = 15.0
# With answers cached up to SESSION_CHECK_SECONDS (5 s), a stream ends within about 7 s of its session.
SESSION_RECHECK_SECONDS = 2.0
SESSION_ENDED = "session.ended"
VIEWING = "conversation.viewing"
RESYNC = "resync"

LIVE_CONNECTION_NAME = "hub-inbox-live"
# A subscription's own queue holds the messages its callback has not run yet (the event loop busy
# elsewhere); one dropped there makes every stream of the hotel resync, so the ceilings are high. They
# cost memory only while the loop is behind.
PENDING_MESSAGES = 1_000_000
PENDING_BYTES = 256 * 1024 * 1024
# A drop is reported for every message: the log says so at most this often (the metric counts each).
SLOW_CONSUMER_LOG_SECONDS = 10.0
# The key of the admins' feed: no hotel is called ">" (a subject's wildcard).
EVERYWHERE = ">"


class ResyncReason(StrEnum):
    """Why a stream is told to refetch (the `reason` of the `resync` event and of its metric)."""

    STREAM_BEHIND = "stream_behind"  # its queue was full: the console did not read fast enough
    SUBSCRIPTION_BEHIND = "subscription_behind"  # its hotel's subscription dropped messages
    RECONNECTED = "reconnected"  # the live connection came back: what was published meanwhile is lost


@dataclass(frozen=True)
class LiveEvent:
    """One server-sent event: its name is the bus event's `type` (`conversation.assigned`), its data
    the event as JSON (conversation_id, location_id, actor_id and the event's own fields)."""

    name: str
    data: str

    def frame(self) -> str:
        return f"event: {self.name}\ndata: {self.data}\n\n"


@dataclass(frozen=True)
class Decoded:
    """A bus message read once for every stream of its hotel: the hotel it belongs to, the event to show."""

    hotel: str
    event: LiveEvent

    def visible_to(self, actor: Actor) -> bool:
        # The subject named the hotel already; checked again so a wide subscription (an admin's) or a
        # producer's mistake never shows one hotel's request to another's agent. Chain-wide events
        # (contacts merged or erased) are no console's business.
        return self.hotel != CHAIN and actor.can_see(self.hotel)


def decode(subject: str, data: bytes) -> Decoded | None:
    """The live event a bus message makes, or None for an unreadable one."""
    try:
        if subject.startswith("hub.presence."):
            viewing = ConversationViewing.model_validate_json(data)
            return Decoded(viewing.location_id, LiveEvent(VIEWING, data.decode()))
        event = decode_event(data)
        return Decoded(event.hotel, LiveEvent(event.type, data.decode()))
    except (ValidationError, UnicodeDecodeError):
        log.info("live stream skipped an unreadable message", extra={"subject": subject})
        return None


def live_event(actor: Actor, subject: str, data: bytes) -> LiveEvent | None:
    """The server-sent event for a bus message, or None for what the agent is not to see."""
    decoded = decode(subject, data)
    return decoded.event if decoded is not None and decoded.visible_to(actor) else None


def feeds_for(actor: Actor) -> list[str]:
    """The feeds an actor's stream joins: one per hotel of theirs, or the whole chain's for an admin."""
    return [EVERYWHERE] if actor.sees_everything else sorted(set(actor.location_ids))


def subjects_of(feed: str) -> list[str]:
    """What a feed subscribes to: a hotel's events and presence, or everything."""
    if feed == EVERYWHERE:
        return [Subjects.EVENTS_ALL, Subjects.PRESENCE_ALL]
    return [Subjects.events_of_hotel(feed), Subjects.presence(feed)]


def subjects_for(actor: Actor) -> list[str]:
    """What the actor's stream listens to, through the feeds it joins."""
    return [subject for feed in feeds_for(actor) for subject in subjects_of(feed)]


@dataclass(eq=False)  # compared by identity: feeds hold their streams in sets
class LiveStream:
    """An agent's place in the hub and the queue the SSE response reads; `async with` joins and leaves."""

    hub: "LiveHub"
    actor: Actor
    sessions: Sessions | None = None  # None: a stream that never ends by itself (tests of the bus)
    # Where the stream says its agent's console is open (online), every BEAT_SECONDS; None: nowhere.
    presence: Presence | None = None
    queue: asyncio.Queue[LiveEvent] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    # A resync is queued and not read yet: the console refetches after reading it, which covers any event
    # dropped meanwhile, so there is nothing more to tell it.
    resync_pending: bool = False

    async def __aenter__(self) -> "LiveStream":
        await self.hub.join(self)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.hub.leave(self)

    def offer(self, event: LiveEvent) -> None:
        """Queue an event; a full queue (the console stopped reading) becomes a resync, never a silent drop
        nor unbounded memory."""
        if self.queue.full():
            self.resync(ResyncReason.STREAM_BEHIND)
        else:
            self.queue.put_nowait(event)

    def resync(self, reason: ResyncReason) -> None:
        """Replace what is queued by one `resync` event: the console reloads the list, the counts and the
        open request, which covers what was queued and what was lost."""
        if self.resync_pending:
            return
        while not self.queue.empty():  # emptied in place: the reader may be waiting on this queue
            self.queue.get_nowait()
        self.queue.put_nowait(LiveEvent(RESYNC, json.dumps({"reason": reason.value})))
        self.resync_pending = True
        LIVE_RESYNCS.labels(reason.value).inc()

    async def next(self, timeout: float = KEEP_ALIVE_SECONDS) -> LiveEvent | None:
        """The next event, or None after `timeout` (time for a keep-alive)."""
        try:
            event = await asyncio.wait_for(self.queue.get(), timeout=timeout)
        except TimeoutError:
            return None
        if event.name == RESYNC:
            self.resync_pending = False
        return event

    async def beat(self) -> None:
        """Say the agent's console is open (an agent's stream: an API token is nobody's console)."""
        if self.presence is not None and self.actor.kind == "agent":
            await self.presence.beat(self.actor.agent_id, utcnow())

    async def ended(self) -> str | None:
        """Why the stream's session is over (signed out, rights changed), or None while it holds."""
        return None if self.sessions is None else await self.sessions.ended(self.actor)


@dataclass(eq=False)
class Feed:
    """One hotel's subscriptions in this process (or the whole chain's, for admins) and the streams they feed."""

    hotel: str
    streams: set[LiveStream] = field(default_factory=set)
    subscriptions: list[Subscription] = field(default_factory=list)

    async def deliver(self, msg: Msg) -> None:
        """The subscriptions' callback: decode the message once, offer it to each stream that may see it.
        Nothing here waits for a console: a slow one fills its own queue, never the hotel's subscription."""
        if not self.streams:  # not joined yet, or closing
            return
        decoded = decode(msg.subject, msg.data)
        if decoded is None:
            return
        for stream in self.streams:
            if decoded.visible_to(stream.actor):
                stream.offer(decoded.event)

    def resync(self, reason: ResyncReason) -> None:
        for stream in self.streams:
            stream.resync(reason)


class LiveHub:
    """The live streams of one inbox process: their own NATS connection, and one feed per hotel they need.

    `join` and `leave` keep the feeds counted by their streams. The connection opens with the first
    stream; `close_at_shutdown` (a background task of the app) closes it."""

    def __init__(self, nats_url: str) -> None:
        # Several servers (a cluster) are given comma-separated, as for the broker.
        self.servers = [url.strip() for url in nats_url.split(",") if url.strip()]
        self.connection: NatsClient | None = None
        self.feeds: dict[str, Feed] = {}
        self.streams: set[LiveStream] = set()
        # Joins wait for the connection and send SUBs: one at a time, so two streams of a new hotel
        # subscribe it once. A leave changes the feeds without waiting (it must finish when cancelled).
        self._joining = asyncio.Lock()
        self._slow_logged_at = -SLOW_CONSUMER_LOG_SECONDS

    @property
    def subscriptions(self) -> int:
        """The NATS subscriptions the hub holds: two per feed (events and presence)."""
        return sum(len(feed.subscriptions) for feed in self.feeds.values())

    async def join(self, stream: LiveStream) -> None:
        """Add a stream to its hotels' feeds, subscribing hotels no stream needed yet; returns once the
        server has the subscriptions, so what happens after the console sees the stream open reaches it."""
        try:
            async with self._joining:
                connection = await self._connected()
                self.streams.add(stream)
                for hotel in feeds_for(stream.actor):
                    if hotel not in self.feeds:
                        self.feeds[hotel] = await self._subscribe(connection, hotel)
                    self.feeds[hotel].streams.add(stream)
                self._observe()
            await server_has_read(connection)
        except BaseException:
            await self.leave(stream)
            raise

    async def leave(self, stream: LiveStream) -> None:
        """Take a stream out of its feeds; a feed no stream needs any more is unsubscribed."""
        self.streams.discard(stream)
        emptied = []
        for hotel in feeds_for(stream.actor):
            feed = self.feeds.get(hotel)
            if feed is not None and stream in feed.streams:
                feed.streams.discard(stream)
                if not feed.streams:
                    emptied.append(self.feeds.pop(hotel))
        self._observe()
        for feed in emptied:
            await _unsubscribe(feed)

    async def close(self) -> None:
        """Close the connection, and every subscription with it."""
        if self.connection is not None and not self.connection.is_closed:
            await self.connection.close()

    async def close_at_shutdown(self, _runtime: Runtime) -> None:
        """A background task of the inbox app: it waits for the shutdown, then closes the connection."""
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            await self.close()

    async def _connected(self) -> NatsClient:
        if self.connection is None:
            self.connection = await nats.connect(
                self.servers,
                name=LIVE_CONNECTION_NAME,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=5,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
            )
        return self.connection

    async def _subscribe(self, connection: NatsClient, hotel: str) -> Feed:
        feed = Feed(hotel)
        try:
            for subject in subjects_of(hotel):
                subscription = await connection.subscribe(
                    subject, cb=feed.deliver, pending_msgs_limit=PENDING_MESSAGES, pending_bytes_limit=PENDING_BYTES
                )
                feed.subscriptions.append(subscription)
        except BaseException:
            await _unsubscribe(feed)
            raise
        return feed

    def _observe(self) -> None:
        LIVE_STREAMS.set(len(self.streams))
        LIVE_HOTEL_SUBSCRIPTIONS.set(len(self.feeds))

    async def _on_error(self, error: Exception) -> None:
        """What nats-py reports on the live connection: logged and counted, never raised. A slow consumer
        (a subscription's queue full) lost messages of one feed: its streams resync."""
        if not isinstance(error, SlowConsumerError):
            log.warning("live connection: %r", error)
            return
        LIVE_SLOW_CONSUMER.inc()
        for feed in self.feeds.values():
            if error.sub in feed.subscriptions:
                feed.resync(ResyncReason.SUBSCRIPTION_BEHIND)
        now = time.monotonic()
        if now - self._slow_logged_at >= SLOW_CONSUMER_LOG_SECONDS:
            self._slow_logged_at = now
            log.warning("live connection dropped messages of %s: the hotel's streams resync", error.subject)

    async def _on_disconnected(self) -> None:
        log.warning("live connection lost: reconnecting")

    async def _on_reconnected(self) -> None:
        """What was published while the connection was away never reaches a stream: every stream resyncs."""
        log.warning("live connection back: %d live streams resync", len(self.streams))
        for stream in self.streams:
            stream.resync(ResyncReason.RECONNECTED)


async def _unsubscribe(feed: Feed) -> None:
    for subscription in feed.subscriptions:
        with contextlib.suppress(Exception):  # the connection closed or reconnecting: the server forgets it
            await subscription.unsubscribe()
    feed.subscriptions.clear()


async def frames(stream: LiveStream, is_disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """The SSE body: a retry hint, then events and keep-alives until the client goes or the session ends
    (then a last `session.ended` event: the console signs in again rather than reconnecting). While it is
    open, the agent is online: a presence beat at once, then every BEAT_SECONDS."""
    async with stream:
        yield "retry: 3000\n\n"
        quiet_since = time.monotonic()
        beaten_at: float | None = None
        while not await is_disconnected():
            reason = await stream.ended()
            if reason is not None:
                yield LiveEvent(SESSION_ENDED, json.dumps({"detail": reason})).frame()
                return
            if beaten_at is None or time.monotonic() - beaten_at >= BEAT_SECONDS:
                await stream.beat()
                beaten_at = time.monotonic()
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
