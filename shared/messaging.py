"""How services use the bus: the broker factory, durable publishing, and retry-then-dead-letter consuming.

FastStream's default NATS ack policy terminates a message whose handler raises, so it is never
retried. Every JetStream subscriber here uses `AckPolicy.MANUAL` and this module's middleware acks,
nacks with a growing delay, or dead-letters instead.
"""

import asyncio
import base64
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.message import StreamMessage
from faststream.nats import JStream, NatsBroker, PullSub
from nats import errors as nats_errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig, PubAck, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, NoStreamResponseError, NotFoundError
from pydantic import BaseModel, ConfigDict
from pymongo.errors import ConnectionFailure

from shared import tracing
from shared.bus import (
    DEAD_LETTER,
    DLQ,
    EVENT_PUBLICATIONS,
    EVENTS,
    INBOUND,
    OUTBOUND,
    STREAMS,
    BusMessage,
    ConsumerSpec,
    DeadLetter,
    Declared,
    Event,
    Header,
    Publication,
    Rpc,
    StreamSpec,
    Subjects,
)
from shared.logging import MESSAGE_TRACE_ID, REQUEST_ID
from shared.metrics import (
    BUS_CONSUMER_ACK_PENDING,
    BUS_CONSUMER_PENDING,
    BUS_DEAD_LETTERED,
    BUS_DLQ_MESSAGES,
    BUS_HELD_FOR_OUTAGE,
    BUS_PUBLISH_FAILURES,
    BUS_REDELIVERIES,
)
from shared.settings import HubSettings

if TYPE_CHECKING:
    from faststream.nats.subscriber.usecases import PullStreamSubscriber

log = logging.getLogger(__name__)
ReplyT = TypeVar("ReplyT", bound=BusMessage)
RequestT = TypeVar("RequestT", bound=BusMessage)

MSG_ID_HEADER = "Nats-Msg-Id"
REQUEST_ID_HEADER = "X-Request-Id"
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"


class PublishFailedError(Exception):
    """JetStream did not acknowledge a publish: the caller must not tell its client it was accepted."""


class PermanentError(Exception):
    """Raised by a handler for input that no retry can fix: the message goes to the DLQ at once."""


@dataclass
class RetryPolicy:
    """What a consumer does when its handler fails; shared by every durable consumer of a process."""

    max_deliver: int
    retry_delays_seconds: list[float]
    ack_wait_seconds: float
    broker: NatsBroker | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> "RetryPolicy":
        return cls(
            max_deliver=settings.consumer_max_deliver,
            retry_delays_seconds=settings.consumer_retry_delays_seconds or [1.0],
            ack_wait_seconds=settings.consumer_ack_wait_seconds,
        )

    def delay_after(self, deliveries: int) -> float:
        index = min(max(deliveries - 1, 0), len(self.retry_delays_seconds) - 1)
        return self.retry_delays_seconds[index]


# Failures that say the database or the bus cannot be reached, not that the message is wrong.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    PublishFailedError,
    nats_errors.ConnectionClosedError,
    nats_errors.NoServersError,
)


def _is_jetstream(raw: Any) -> bool:
    return isinstance(raw, Msg) and bool(raw.reply) and raw.reply.startswith("$JS.ACK.")


def _permanent(exc: BaseException) -> bool:
    # pydantic's ValidationError and UnicodeDecodeError are ValueErrors: a malformed payload.
    return isinstance(exc, PermanentError | ValueError)


class RequestContext(BaseMiddleware[Any, Any]):
    """Carry the request id across the bus: every publish and request made while serving a request (HTTP or
    a message) has it in X-Request-Id; a message handled sets it, and its trace id from `traceparent`, for
    every line logged meanwhile (shared/logging.py), from FastStream's own "Received" line on."""

    def __init__(self, msg: Any, /, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self._tokens: tuple[Any, Any] | None = None

    async def on_receive(self) -> None:
        headers = getattr(self.msg, "headers", None) or {}
        parent = str(headers.get("traceparent") or "").split("-")
        trace_id = parent[1] if len(parent) == 4 and len(parent[1]) == 32 else None
        self._tokens = (REQUEST_ID.set(headers.get(REQUEST_ID_HEADER)), MESSAGE_TRACE_ID.set(trace_id))

    async def after_processed(self, *args: Any) -> bool | None:
        # FastStream logs "Processed" after this (its middleware is outermost), from the message's log context.
        log_context = self.context.get_local("log_context")
        if isinstance(log_context, dict):
            ids = {"request_id": REQUEST_ID.get(), "trace_id": MESSAGE_TRACE_ID.get()}
            log_context.update({name: value for name, value in ids.items() if value})
        if self._tokens is not None:
            with contextlib.suppress(ValueError):  # reset in another context than the one it was set in
                REQUEST_ID.reset(self._tokens[0])
                MESSAGE_TRACE_ID.reset(self._tokens[1])
        return False

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        request_id = REQUEST_ID.get()
        if request_id and REQUEST_ID_HEADER not in cmd.headers:
            cmd.headers[REQUEST_ID_HEADER] = request_id
        return await call_next(cmd)


class RetryThenDeadLetter(BaseMiddleware[Any, Any]):
    """Ack on success; on failure nack with a delay, and after `max_deliver` attempts dead-letter.

    While the handler runs, the message's ack deadline is extended, so a slow database never gets
    the same message redelivered to another replica in the meantime.
    """

    def __init__(self, msg: Any, /, *, policy: RetryPolicy, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self.policy = policy

    async def consume_scope(self, call_next: Callable[..., Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        if not _is_jetstream(raw):
            return await call_next(msg)
        heartbeat = asyncio.create_task(self._keep_in_progress(raw))
        try:
            result = await self._until_infrastructure_answers(call_next, msg)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or dead-lettered, never lost
            heartbeat.cancel()
            await self._on_failure(raw, exc)
            return None
        heartbeat.cancel()
        await msg.ack()
        return result

    async def _until_infrastructure_answers(
        self, call_next: Callable[..., Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        """Run the handler; while the database or the bus is unreachable, run it again in place.

        An outage is not the message's fault: nacking would spend one of its deliveries on each try,
        and a two-minute outage would dead-letter every message in flight. Held here, the message
        keeps its ack deadline extended (the heartbeat) and its delivery count; if the process dies
        meanwhile, another replica receives it after the ack wait. Handlers are idempotent by key,
        so running one again after a partial write is safe.
        """
        pause = 0.5
        while True:
            try:
                return await call_next(msg)
            except INFRASTRUCTURE_ERRORS as exc:
                log.warning("infrastructure unavailable, holding the message", extra={"error": repr(exc)[:300]})
                BUS_HELD_FOR_OUTAGE.inc()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _keep_in_progress(self, raw: Msg) -> None:
        interval = max(self.policy.ack_wait_seconds / 3, 0.5)
        with contextlib.suppress(NatsError, asyncio.CancelledError):
            while True:
                await asyncio.sleep(interval)
                await raw.in_progress()

    async def _on_failure(self, raw: Msg, exc: Exception) -> None:
        meta = raw.metadata
        deliveries = meta.num_delivered
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if _permanent(exc) or deliveries >= self.policy.max_deliver:
            log.warning("dead-lettering message", extra=failure_fields(raw, exc))
            try:
                await publish_dead_letter(self.policy, raw, error)
            except PublishFailedError:
                await raw.nak(delay=self.policy.delay_after(deliveries))
                return
            BUS_DEAD_LETTERED.labels(stream=meta.stream, consumer=meta.consumer).inc()
            await raw.term()
            return
        delay = self.policy.delay_after(deliveries)
        log.info("handler failed, retrying", extra=failure_fields(raw, exc) | {"delay": delay})
        BUS_REDELIVERIES.labels(stream=meta.stream, consumer=meta.consumer).inc()
        await raw.nak(delay=delay)


def failure_fields(raw: Msg, exc: BaseException) -> dict[str, Any]:
    """What a log line says about a failed message: where it is, its key, sizes and the error's type.

    Never the payload nor the error's text: a validation error quotes the values it refused (a guest's
    address, a message body). The whole error and payload are in the dead letter (scripts/dlq.py).
    """
    meta = raw.metadata
    return {
        "subject": raw.subject,
        "stream": meta.stream,
        "seq": meta.sequence.stream,
        "deliveries": meta.num_delivered,
        "key": (raw.headers or {}).get(MSG_ID_HEADER),
        "payload_bytes": len(raw.data),
        "error_type": type(exc).__name__,
    }


async def publish_dead_letter(policy: RetryPolicy, raw: Msg, error: str) -> None:
    meta = raw.metadata
    if policy.broker is None:
        raise PublishFailedError("broker not attached to the retry policy")
    letter = DeadLetter(
        stream=meta.stream,
        consumer=meta.consumer,
        subject=raw.subject,
        stream_sequence=meta.sequence.stream,
        deliveries=meta.num_delivered,
        error=error,
        payload_base64=base64.b64encode(raw.data).decode(),
        headers=[Header(name=k, value=v) for k, v in (raw.headers or {}).items()],
    )
    await publish_durably(
        policy.broker,
        DEAD_LETTER,
        letter,
        subject=Subjects.dlq(meta.stream),
        msg_id=f"dlq:{meta.stream}:{meta.consumer}:{meta.sequence.stream}",
    )


class MaxDeliveriesAdvisory(BaseModel):
    """What the server publishes when it gives up on a message (the fields we use of it)."""

    model_config = ConfigDict(extra="ignore")

    stream: str
    consumer: str
    stream_seq: int
    deliveries: int


async def dead_letter_exhausted(broker: NatsBroker, advisory: MaxDeliveriesAdvisory) -> None:
    """Dead-letter a message the server stopped delivering because no attempt ever finished.

    The middleware dead-letters failures itself; this covers attempts that never returned (the
    process was killed on the message, or hung past the ack wait), which would otherwise sit in
    the stream unprocessed and unreported.
    """
    js = broker.connection.jetstream()
    error = (
        f"the server gave up after {advisory.deliveries} deliveries that were never acknowledged "
        "(the consumer crashed or hung on this message)"
    )
    try:
        raw = await js.get_msg(advisory.stream, advisory.stream_seq)
        subject, data, headers = raw.subject or "", raw.data or b"", raw.headers or {}
    except NotFoundError:
        subject, data, headers = "", b"", {}
        error += "; the message itself is no longer in the stream"
    letter = DeadLetter(
        stream=advisory.stream,
        consumer=advisory.consumer,
        subject=subject,
        stream_sequence=advisory.stream_seq,
        deliveries=advisory.deliveries,
        error=error,
        payload_base64=base64.b64encode(data).decode(),
        headers=[Header(name=k, value=v) for k, v in headers.items()],
    )
    # In the trace of the message given up on (the advisory that tells of it has none).
    with tracing.continuing(headers.get("traceparent"), "dead-lettered after its last delivery"):
        await publish_durably(
            broker,
            DEAD_LETTER,
            letter,
            subject=Subjects.dlq(advisory.stream),
            msg_id=f"dlq:{advisory.stream}:{advisory.consumer}:{advisory.stream_seq}",
        )
    BUS_DEAD_LETTERED.labels(stream=advisory.stream, consumer=advisory.consumer).inc()


def register_dead_letter_advisories(broker: NatsBroker) -> None:
    # One queue group across every replica of every service: each advisory is handled once.
    @broker.subscriber(MAX_DELIVERIES_ADVISORY, queue="hub-dead-letter-advisories", include_in_schema=False)
    async def on_max_deliveries(advisory: MaxDeliveriesAdvisory) -> None:
        if advisory.stream != DLQ.name:
            await dead_letter_exhausted(broker, advisory)


def make_broker(settings: HubSettings, *, client_name: str) -> tuple[NatsBroker, RetryPolicy]:
    """A broker that reconnects forever (nats-py's default gives up after about two minutes)."""
    policy = RetryPolicy.from_settings(settings)
    broker = NatsBroker(
        # Several servers (a cluster) are given comma-separated; the client fails over between them.
        [url.strip() for url in settings.nats_url.split(",") if url.strip()],
        name=client_name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        allow_reconnect=True,
        # No buffering while disconnected: a publish then fails at once, so a producer never
        # answers "not accepted" (503) for a message that the buffer would deliver later anyway.
        pending_size=0,
        # Tracing first (when on): its span covers the handling, acks and dead-lettering included.
        middlewares=[*tracing.bus_middlewares(), RequestContext, partial(RetryThenDeadLetter, policy=policy)],
        graceful_timeout=max(settings.consumer_ack_wait_seconds, 5.0),
        logger=logging.getLogger("hub.bus"),
        log_level=logging.INFO,
    )
    policy.broker = broker
    register_dead_letter_advisories(broker)
    register_publications(broker, [DEAD_LETTER])
    return broker, policy


# The durable consumers each broker's subscribers use, declared (created or updated) before they start.
_durables: "weakref.WeakKeyDictionary[NatsBroker, list[ConsumerConfigOf]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ConsumerConfigOf:
    stream: str
    config: ConsumerConfig


def durable_subscriber(
    broker: NatsBroker, consumer: ConsumerSpec, policy: RetryPolicy, *, concurrency: int = 1
) -> "PullStreamSubscriber":
    """Register a durable pull consumer with manual acks: `@durable_subscriber(broker, SPEC, policy)`.

    `concurrency` messages are fetched at once and handled together, each from the moment it is
    fetched (so each has its heartbeat at once: a message waiting in a queue behind one held by an
    outage would have none, be redelivered at every ack wait and run out of deliveries); the next
    fetch waits for the whole batch. Handlers that run concurrently must keep their own order where
    it matters (the inbox serialises the messages of one thread)."""
    config = consumer.config(max_deliver=policy.max_deliver, ack_wait_seconds=policy.ack_wait_seconds)
    _durables.setdefault(broker, []).append(ConsumerConfigOf(consumer.stream.name, config))
    return broker.subscriber(
        consumer.filter_subject,
        stream=JStream(consumer.stream.name, declare=False),
        durable=consumer.durable,
        config=consumer.config(max_deliver=policy.max_deliver, ack_wait_seconds=policy.ack_wait_seconds),
        pull_sub=PullSub(batch_size=max(1, concurrency), timeout=2.0),
        ack_policy=AckPolicy.MANUAL,
    )


async def declare_streams(
    js: JetStreamContext,
    streams: tuple[StreamSpec, ...] = STREAMS,
    *,
    replicas: int = 1,
    max_bytes: Mapping[str, int] | None = None,
) -> None:
    """Create the streams, or bring their configuration up to date; safe from any number of replicas."""
    limits = max_bytes or {}
    for spec in streams:
        config = StreamConfig(
            name=spec.name,
            subjects=spec.subjects,
            retention=spec.retention,
            max_age=spec.max_age_seconds,
            duplicate_window=spec.duplicate_window_seconds,
            storage=spec.storage,
            num_replicas=replicas,
            max_bytes=limits.get(spec.name, -1),
            discard=spec.discard,
        )
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except NatsError:
                # another replica created it between our look-up and our add
                await js.update_stream(config)
        else:
            await js.update_stream(config)


async def declare_consumers(js: JetStreamContext, consumers: Iterable[ConsumerConfigOf]) -> None:
    """Create the durable consumers, or bring an existing one up to date (its filter subject among others).

    nats-py binds to an existing durable consumer as it is, so a consumer created by an older release
    would keep its old filter and silently miss the subjects that replaced it. A create request for an
    existing consumer updates it (NATS >= 2.10 lets a filter subject change); the server refuses only an
    unchangeable field (e.g. the deliver policy), which is a deployment decision, not one taken here.
    """
    for consumer in consumers:
        try:
            await js.add_consumer(consumer.stream, config=consumer.config)
        except BadRequestError as exc:
            log.exception("durable consumer not updated", extra={"consumer": consumer.config.durable_name})
            raise RuntimeError(f"consumer {consumer.config.durable_name} cannot be brought up to date: {exc}") from exc


async def connect_and_start(
    broker: NatsBroker, *, stream_replicas: int = 1, stream_max_bytes: Mapping[str, int] | None = None
) -> None:
    """Connect, make sure the streams and durable consumers are as declared, then start the subscribers."""
    await broker.connect()
    js = broker.connection.jetstream()
    await declare_streams(js, replicas=stream_replicas, max_bytes=stream_max_bytes)
    await declare_consumers(js, _durables.get(broker, []))
    await broker.start()


async def publish_durably(
    broker: NatsBroker,
    publication: Publication,
    message: BusMessage,
    *,
    msg_id: str,
    subject: str | None = None,
    timeout: float = 5.0,
) -> PubAck:
    """Publish to JetStream and return only once the server has stored it (or it was a duplicate)."""
    subject = subject or publication.subject
    if publication.stream is None or not isinstance(message, publication.schema) or not publication.matches(subject):
        msg = f"{type(message).__name__} on {subject} does not fit the publication {publication.subject}"
        raise TypeError(msg)
    try:
        ack = await broker.publish(
            message,
            subject,
            headers={MSG_ID_HEADER: msg_id},
            stream=publication.stream.name,
            timeout=timeout,
        )
    except (
        NatsTimeoutError,
        NoStreamResponseError,
        OutboundBufferLimitError,
        NatsError,
        TimeoutError,
        ConnectionError,
    ) as exc:
        BUS_PUBLISH_FAILURES.labels(stream=publication.stream.name).inc()
        raise PublishFailedError(f"JetStream did not acknowledge the publish to {subject}: {exc!r}") from exc
    if ack is None:  # pragma: no cover - only when no stream is given
        raise PublishFailedError("no JetStream acknowledgement")
    return ack


async def publish_event(broker: NatsBroker, event: Event, *, timeout: float = 5.0) -> PubAck:
    """Publish an event durably on the subject its model names (`hub.events.<aggregate>.<event>.<hotel>`),
    with its own stable key as Nats-Msg-Id: a republished event inside the window is dropped by JetStream."""
    publication = EVENT_PUBLICATIONS.get(type(event))
    if publication is None:
        raise TypeError(f"{type(event).__name__} is not a declared event (shared.bus.EVENT_PUBLICATIONS)")
    return await publish_durably(
        broker, publication, event, subject=event.bus_subject, msg_id=event.dedup_key(), timeout=timeout
    )


async def publish_core(broker: NatsBroker, publication: Publication, message: BusMessage, *, subject: str) -> None:
    """Publish on core NATS (no stream, nothing kept: live pushes, presence), checked against its declaration."""
    if (
        publication.stream is not None
        or not isinstance(message, publication.schema)
        or not publication.matches(subject)
    ):
        msg = f"{type(message).__name__} on {subject} does not fit the core publication {publication.subject}"
        raise TypeError(msg)
    await broker.publish(message, subject)


async def server_has_read(connection: NatsClient) -> None:
    """Return once the NATS server has read every command this connection sent before (SUB, UNSUB, PUB).

    nats-py's `flush` writes its PING straight to the socket, ahead of the commands still queued for the
    client's flusher task, so its PONG proves nothing about them. The flusher writes them before that
    first PONG can be read (it is already scheduled), so a second round trip comes back after them."""
    await connection.flush()
    await connection.flush()


async def rpc(broker: NatsBroker, call: Rpc[RequestT, ReplyT], request: RequestT, *, timeout: float) -> ReplyT:
    """Ask over core NATS request/reply and read the answer as its declared model.

    Raises what the transport raises (no responder, timeout) and ValidationError for a malformed answer:
    each caller decides what an unanswered question means for it."""
    if not isinstance(request, call.request):
        raise TypeError(f"{type(request).__name__} is not the request of {call.subject}")
    response = await broker.request(request, call.subject, timeout=timeout)
    return call.reply.model_validate(await response.decode())


def register_publications(broker: NatsBroker, publications: Iterable[Declared]) -> None:
    """Declare what this process publishes, so the generated AsyncAPI document tells the truth."""
    for declared in publications:
        publication = declared.publication if isinstance(declared, Rpc) else declared
        broker.publisher(
            publication.subject,
            schema=publication.schema,
            title=f"{publication.subject}:{publication.producer}",
            description=publication.description,
        )


async def observe_bus(broker: NatsBroker, service: str) -> None:
    """Record the lag of the service's durable consumers and the dead-letter stream's depth (gauges)."""
    js = broker.connection.jetstream()
    for stream in (INBOUND, OUTBOUND, EVENTS):
        try:
            consumers = await js.consumers_info(stream.name)
        except NatsError:
            continue
        for consumer in consumers:
            name = consumer.name or ""
            if name.startswith(f"{service}-"):
                BUS_CONSUMER_PENDING.labels(stream=stream.name, consumer=name).set(consumer.num_pending or 0)
                BUS_CONSUMER_ACK_PENDING.labels(stream=stream.name, consumer=name).set(consumer.num_ack_pending or 0)
    dead = await js.stream_info(DLQ.name)
    BUS_DLQ_MESSAGES.set(dead.state.messages)
