"""Accepted guest messages are stored once: idempotent publishing and consuming, retries, dead letters."""

import asyncio
import json
import time

import httpx
import pytest
from faststream.nats import NatsMessage
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError

from shared.bus import DLQ, Channel, ConsumerSpec, DeadLetter, Guest, InboundMessage, StreamSpec, Subjects
from shared.messaging import declare_streams, durable_subscriber, make_broker
from shared.settings import HubSettings
from tests.integration.conftest import Stack
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, object]]


async def conversations_of(mongo: Mongo, location: str) -> list[dict[str, object]]:
    return [doc async for doc in mongo["hub"]["conversations"].find({"location_id": location})]


async def dead_letters(nc: NatsClient, subject_prefix: str, stream_subject: str = "hub.dlq.>") -> list[DeadLetter]:
    """Every dead letter whose original subject starts with `subject_prefix`."""
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        stream_subject, stream=DLQ.name, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=5)
    )
    letters: list[DeadLetter] = []
    try:
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except TimeoutError:
                break
            for msg in batch:
                letter = DeadLetter.model_validate_json(msg.data)
                if letter.subject.startswith(subject_prefix):
                    letters.append(letter)
    finally:
        await sub.unsubscribe()
    return letters


class TestIdempotency:
    async def test_same_submission_id_posted_twice_gives_one_conversation(
        self, stack: Stack, http: httpx.AsyncClient, mongo: Mongo, location: str
    ) -> None:
        form = {"submission_id": "website-42", "email": "twice@example.com", "message": "Is the spa open?"}
        first = await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=form)
        second = await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=form)
        assert first.status_code == second.status_code == 202
        assert first.json()["key"] == second.json()["key"]
        await eventually(lambda: conversations_of(mongo, location), lambda docs: len(docs) == 1)
        await asyncio.sleep(1.0)  # room for a wrongly duplicated message to show up
        assert len(await conversations_of(mongo, location)) == 1

    async def test_form_without_submission_id_sent_twice_is_one_conversation(
        self, stack: Stack, http: httpx.AsyncClient, mongo: Mongo, location: str
    ) -> None:
        form = {"email": "retry@example.com", "message": "Sent again after a time-out"}
        keys = {
            (await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=form)).json()["key"]
            for _ in range(2)
        }
        assert len(keys) == 1, "keyed by its content"
        await eventually(lambda: conversations_of(mongo, location), lambda docs: len(docs) == 1)

    async def test_consumer_is_idempotent_beyond_the_duplicate_window(
        self, stack: Stack, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        # Same real-world key, different Nats-Msg-Id: JetStream stores both, the inbox must store one.
        message = InboundMessage(
            key=f"form:{location}:replayed",
            channel=Channel.FORM,
            location_id=location,
            guest=Guest(email="replay@example.com"),
            text="Do you have a room for tonight?",
        )
        js = nc.jetstream()
        for attempt in range(3):
            await js.publish(
                Subjects.inbound_guest(Channel.FORM, location),
                message.model_dump_json().encode(),
                headers={"Nats-Msg-Id": f"{message.key}:{attempt}"},
            )
        await eventually(lambda: conversations_of(mongo, location), lambda docs: len(docs) == 1)
        await asyncio.sleep(1.0)
        docs = await conversations_of(mongo, location)
        assert len(docs) == 1
        entries = await mongo["hub"]["timeline"].count_documents({"conversation_id": docs[0]["_id"]})
        assert entries == 1


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "headers", "status", "words"),
        [
            (json.dumps({"message": "no address"}).encode(), {"content-type": "application/json"}, 422, "email"),
            (
                json.dumps({"email": "not-an-address", "message": "x"}).encode(),
                {"content-type": "application/json"},
                422,
                "email",
            ),
            (json.dumps({"email": "a@example.com"}).encode(), {"content-type": "application/json"}, 422, "message"),
            (b"x" * (10 * 1024 * 1024), {"content-type": "application/json"}, 413, "limit"),
            (b"email=a@example.com&message=hi", {"content-type": "text/plain"}, 415, "Content-Type"),
            (b'{"email": "a@example.com", "message": "caf\xe9"}', {"content-type": "application/json"}, 400, "UTF-8"),
            (
                b"email=a%40example.com&message=caf%E9",
                {"content-type": "application/x-www-form-urlencoded"},
                400,
                "UTF-8",
            ),
            (b"{not json", {"content-type": "application/json"}, 400, "JSON"),
            (b"[1, 2]", {"content-type": "application/json"}, 400, "object"),
        ],
        ids=[
            "missing-email",
            "bad-email",
            "missing-message",
            "10MB",
            "wrong-type",
            "invalid-utf8-json",
            "invalid-utf8-form",
            "broken-json",
            "json-array",
        ],
    )
    async def test_malformed_form_gets_clear_4xx_and_nothing_reaches_the_bus(
        self,
        stack: Stack,
        http: httpx.AsyncClient,
        nc: NatsClient,
        location: str,
        body: bytes,
        headers: dict[str, str],
        status: int,
        words: str,
    ) -> None:
        js = nc.jetstream()
        before = (await js.stream_info("INBOUND")).state.last_seq
        response = await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == status
        assert words.lower() in problem["detail"].lower()
        assert (await js.stream_info("INBOUND")).state.last_seq == before, "a refused form was published"
        # ...and the service keeps serving.
        ok = await http.post(
            f"{stack.url('ingest')}/ingest/forms/{location}", json={"email": "fine@example.com", "message": "hello"}
        )
        assert ok.status_code == 202

    async def test_bad_hotel_id_is_refused(self, stack: Stack, http: httpx.AsyncClient) -> None:
        response = await http.post(
            f"{stack.url('ingest')}/ingest/forms/Not.A.Hotel", json={"email": "a@example.com", "message": "x"}
        )
        assert response.status_code == 404
        assert "Not.A.Hotel" in response.json()["detail"]

    async def test_honeypot_is_answered_but_not_published(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
    ) -> None:
        js = nc.jetstream()
        before = (await js.stream_info("INBOUND")).state.last_seq
        response = await http.post(
            f"{stack.url('ingest')}/ingest/forms/{location}",
            json={"email": "bot@example.com", "message": "buy now", "website": "http://spam.example"},
        )
        assert response.status_code == 202
        assert (await js.stream_info("INBOUND")).state.last_seq == before


class TestPoisonMessages:
    async def test_schema_violating_payload_is_dead_lettered_and_does_not_block(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        subject = Subjects.inbound_guest(Channel.FORM, location)
        await nc.jetstream().publish(
            subject, b'{"type": "inbound.message", "text": 42}', headers={"Nats-Msg-Id": location}
        )
        behind = await http.post(
            f"{stack.url('ingest')}/ingest/forms/{location}", json={"email": "behind@example.com", "message": "hi"}
        )
        assert behind.status_code == 202
        await eventually(lambda: conversations_of(mongo, location), lambda docs: len(docs) == 1)
        letters = await eventually(lambda: dead_letters(nc, subject), lambda found: len(found) == 1)
        assert letters[0].stream == "INBOUND"
        assert letters[0].consumer == "inbox-inbound"
        assert "validation" in letters[0].error.lower()
        assert letters[0].deliveries == 1, "a message that can never validate is not retried"


class TestRetryThenDeadLetter:
    async def test_failing_handler_is_retried_with_backoff_then_dead_lettered(
        self, stack: Stack, nc: NatsClient
    ) -> None:
        """The shared consumer machinery, on a stream of the test's own, with a handler that fails on one message."""
        settings = HubSettings(
            nats_url=stack.nats_url,
            consumer_max_deliver=4,
            consumer_retry_delays_seconds=[0.3, 0.6, 1.2],
            consumer_ack_wait_seconds=5,
        )
        stream = StreamSpec(
            name="RETRYTEST",
            subjects=["test.retry.>"],
            retention=DLQ.retention,
            max_age_seconds=600,
            duplicate_window_seconds=60,
        )
        consumer = ConsumerSpec(durable="retry-test", stream=stream, filter_subject="test.retry.>")
        broker, policy = make_broker(settings, client_name="retry-test")
        attempts: dict[str, list[float]] = {}

        @durable_subscriber(broker, consumer, policy)
        async def handle(message: InboundMessage) -> None:
            attempts.setdefault(message.key, []).append(time.monotonic())
            if message.key == "poison":
                raise RuntimeError("the database rejected this one")

        await broker.connect()
        await declare_streams(broker.connection.jetstream(), (stream,))
        await broker.start()
        try:
            js = nc.jetstream()
            for key in ("before", "poison", "after-1", "after-2"):
                message = InboundMessage(
                    key=key, channel=Channel.FORM, location_id="retry-test", guest=Guest(), text=key
                )
                await js.publish(f"test.retry.{key}", message.model_dump_json().encode())
            await eventually(
                lambda: asyncio.sleep(0, result=dict(attempts)),
                lambda seen: all(k in seen for k in ("before", "after-1", "after-2")),
                timeout=5,
            )
            letters = await eventually(lambda: dead_letters(nc, "test.retry."), lambda found: len(found) == 1)
        finally:
            await broker.stop()
        # The messages behind the poison one were not held up by its retries.
        assert attempts["after-2"][0] < attempts["poison"][-1]
        assert len(attempts["poison"]) == 4
        gaps = [b - a for a, b in zip(attempts["poison"], attempts["poison"][1:], strict=False)]
        assert gaps == sorted(gaps), f"back-off grows: {gaps}"
        assert gaps[0] >= 0.25
        assert [len(attempts[k]) for k in ("before", "after-1", "after-2")] == [1, 1, 1]
        letter = letters[0]
        assert letter.deliveries == 4
        assert "RuntimeError: the database rejected this one" in letter.error
        assert letter.stream == "RETRYTEST"


class TestOutageIsNotTheMessagesFault:
    async def test_a_message_meeting_an_unreachable_database_is_held_not_dead_lettered(
        self, stack: Stack, nc: NatsClient
    ) -> None:
        """More failed tries than max deliveries, all of them the database's: one delivery, then done."""
        settings = HubSettings(
            nats_url=stack.nats_url,
            consumer_max_deliver=2,
            consumer_retry_delays_seconds=[0.1],
            consumer_ack_wait_seconds=2,
        )
        stream = StreamSpec(
            name="OUTAGETEST",
            subjects=["test.outage.>"],
            retention=DLQ.retention,
            max_age_seconds=600,
            duplicate_window_seconds=60,
        )
        consumer = ConsumerSpec(durable="outage-test", stream=stream, filter_subject="test.outage.>")
        broker, policy = make_broker(settings, client_name="outage-test")
        tries: list[float] = []
        done: list[int] = []

        @durable_subscriber(broker, consumer, policy)
        async def handle(message: InboundMessage, msg: NatsMessage) -> None:
            tries.append(time.monotonic())
            if len(tries) <= 5:  # about 4 s of "database unreachable", past two ack waits
                raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")
            done.append(msg.raw_message.metadata.num_delivered)

        await broker.connect()
        await declare_streams(broker.connection.jetstream(), (stream,))
        await broker.start()
        try:
            message = InboundMessage(
                key="held", channel=Channel.FORM, location_id="outage-test", guest=Guest(), text="x"
            )
            await nc.jetstream().publish("test.outage.held", message.model_dump_json().encode())
            await eventually(lambda: asyncio.sleep(0, result=list(done)), lambda seen: len(seen) == 1, timeout=30)
            await asyncio.sleep(3)  # past the ack wait: no second delivery follows
        finally:
            await broker.stop()
        assert done == [1], "the same delivery ran again in place; its deadline was kept extended"
        assert len(tries) == 6
        assert tries[-1] - tries[0] > 2 * settings.consumer_ack_wait_seconds
        assert await dead_letters(nc, "test.outage.") == []


class TestExhaustedDeliveries:
    async def test_message_never_acknowledged_is_dead_lettered_from_the_server_advisory(
        self, stack: Stack, nc: NatsClient
    ) -> None:
        """A consumer that dies on a message every time: the server gives up, the hub still reports it."""
        js = nc.jetstream()
        stream = StreamSpec(
            name="CRASHTEST",
            subjects=["test.crash.>"],
            retention=DLQ.retention,
            max_age_seconds=600,
            duplicate_window_seconds=60,
        )
        await declare_streams(js, (stream,))
        await js.publish("test.crash.one", b'{"never": "acked"}')
        sub = await js.pull_subscribe(
            "test.crash.>", durable="crash-test", stream=stream.name, config=ConsumerConfig(ack_wait=0.5, max_deliver=2)
        )
        for _ in range(2):  # receive it and "crash": no ack, no nack
            assert len(await sub.fetch(1, timeout=5)) == 1
        # The server notices the exhausted message when it would deliver it again.
        with pytest.raises(TimeoutError):
            await sub.fetch(1, timeout=2)
        letters = await eventually(lambda: dead_letters(nc, "test.crash."), lambda found: len(found) == 1)
        await sub.unsubscribe()
        letter = letters[0]
        assert letter.consumer == "crash-test"
        assert letter.deliveries == 2
        assert "never acknowledged" in letter.error
        assert letter.payload_base64 == "eyJuZXZlciI6ICJhY2tlZCJ9"
