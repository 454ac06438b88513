"""Faults injected while guests write over every channel and agents reply: nothing accepted is lost,
nothing is stored or sent twice, counts equal recounts, and the DLQ holds exactly the poison.

A load generator sends forms, emails (SMTP), reviews and calls at a steady rate, alternating between
the two replicas of ingest and retrying what was refused with the same key, as a real sender would;
a replier answers some requests through the inbox. Meanwhile the faults run one after the other:
kill -9 of each service (one replica), NATS restarted, PostgreSQL restarted, the database paused
(SIGSTOP) past the consumers' ack wait, the outbound SMTP server refusing temporarily and for good,
the bus stalled until ingest's in-flight budget is spent (back-pressure), poison published, and a
database outage longer than two minutes. Then everything is checked from the database, the SMTP sink
and the DLQ, and the summary table is printed.
"""

import asyncio
import json
import random
import signal
import smtplib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient

from services.inbox.conversations.states import VIEWS, view_keys
from services.ingest.email_intake import email_key
from services.ingest.email_parsing import parse
from shared import signatures
from shared.bus import DLQ, Channel, ConsumerSpec, DeadLetter, Guest, InboundMessage, StreamSpec, Subjects
from shared.messaging import declare_streams, durable_subscriber, make_broker
from shared.settings import HubSettings
from tests.faults.conftest import HOTELS, MAX_IN_FLIGHT, SUMMARY, FaultStack, load_scale, outage_seconds
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, WEBHOOK_SECRET
from tests.support.polling import eventually

pytestmark = pytest.mark.faults
CHANNELS = ("form", "email", "review", "call")
SCHEMA_POISON = 3
HANDLER_POISON = 2


@dataclass
class Ledger:
    accepted: dict[str, str] = field(default_factory=dict)  # key -> channel
    attempted: Counter[str] = field(default_factory=Counter)  # channel -> messages tried
    refusals: Counter[str] = field(default_factory=Counter)  # "503", "451", "connection" ... (then retried)
    given_up: set[str] = field(default_factory=set)  # tried, never acknowledged before the end
    replies_ok: dict[str, str] = field(default_factory=dict)  # marker -> conversation id
    replies_unknown: set[str] = field(default_factory=set)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (fault, what the system did)


def _signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, body),
    }
    return body, headers


def _email(hotel: str, n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Guest {n} <mail{n}@guests.example.com>"
    message["To"] = f"{hotel}@{HOTEL_MAIL_DOMAIN}"
    message["Subject"] = f"Question {n}"
    message["Message-ID"] = f"<fault-{n}@guests.example.com>"
    message.set_content(f"email {n}")
    return message.as_bytes().replace(b"\n", b"\r\n")


def _smtp(port: int, raw: bytes, hotel: str, sender: str) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        try:
            client.sendmail(sender, [f"{hotel}@{HOTEL_MAIL_DOMAIN}"], raw)
        except smtplib.SMTPResponseException as exc:
            return exc.smtp_code
    return 250


class Load:
    """The guests: each channel sends one message after another, retrying a refused one with its key."""

    def __init__(self, stack: FaultStack, ledger: Ledger, stop: asyncio.Event) -> None:
        self.stack, self.ledger, self.stop = stack, ledger, stop
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    async def run(self, channel: str) -> None:
        async with httpx.AsyncClient(timeout=20) as client:
            while not self.stop.is_set():
                n = self._next()
                hotel = HOTELS[n % len(HOTELS)]
                self.ledger.attempted[channel] += 1
                tag = f"{channel}-{n}"
                for attempt in range(10_000):
                    if self.stop.is_set() and attempt > 0:
                        self.ledger.given_up.add(tag)
                        break
                    key = await self._send(client, channel, n, hotel, replica=(n + attempt) % 2)
                    if key is not None:
                        self.ledger.accepted[key] = channel
                        break
                    await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
                await asyncio.sleep(1 / load_scale())

    async def _send(self, client: httpx.AsyncClient, channel: str, n: int, hotel: str, replica: int) -> str | None:
        ingest = self.stack.url("ingest", replica)
        try:
            if channel == "email":
                raw = _email(hotel, n)
                code = await asyncio.to_thread(
                    _smtp, self.stack.smtp_ports[replica], raw, hotel, f"mail{n}@guests.example.com"
                )
                if code == 250:
                    return email_key(hotel, parse(raw), raw)
                self.ledger.refusals[str(code)] += 1
                return None
            if channel == "form":
                form = {"submission_id": f"form-{n}", "email": f"form{n}@guests.example.com", "message": f"form {n}"}
                response = await client.post(f"{ingest}/ingest/forms/{hotel}", json=form)
            elif channel == "review":
                review = {"platform": "google", "review_id": f"review-{n}", "location": hotel, "rating": 4, "scale": 5}
                body, headers = _signed(review)
                response = await client.post(f"{ingest}/ingest/reviews", content=body, headers=headers)
            else:
                call = {"call_id": f"call-{n}", "location": hotel, "caller": f"+3361{n:07d}", "duration_seconds": 60}
                body, headers = _signed(call)
                response = await client.post(f"{ingest}/ingest/calls", content=body, headers=headers)
        except (httpx.HTTPError, OSError):
            self.ledger.refusals["connection"] += 1
            return None
        if response.status_code == 202:
            return str(response.json()["key"])
        self.ledger.refusals[str(response.status_code)] += 1
        if response.status_code < 500 and response.status_code != 429:
            raise AssertionError(f"the load sent something invalid: {response.text}")
        return None


class Replier:
    """An agent answering form requests now and then; each answer carries a marker to find it in the sink."""

    def __init__(self, stack: FaultStack, ledger: Ledger, stop: asyncio.Event, mongo: AsyncMongoClient[Any]) -> None:
        self.stack, self.ledger, self.stop, self.mongo = stack, ledger, stop, mongo
        self.count = 0

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=20) as client:
            while not self.stop.is_set():
                await asyncio.sleep(1.5)
                forms = [k for k, c in self.ledger.accepted.items() if c == "form"]
                if not forms:
                    continue
                try:
                    found = await self.mongo["hub"]["conversations"].find_one({"thread_key": random.choice(forms)})
                except Exception:  # noqa: BLE001, S112 - the database is down: the agent waits
                    continue
                if found is None:
                    continue
                await self.reply(client, str(found["_id"]))

    async def reply(self, client: httpx.AsyncClient, conversation_id: str) -> None:
        self.count += 1
        marker = f"fault-reply-{self.count}"
        inbox = self.stack.url("inbox", self.count % 2)
        try:
            response = await client.post(
                f"{inbox}/api/v1/conversations/{conversation_id}/messages", json={"text": marker}, headers=ADMIN
            )
        except httpx.HTTPError:
            self.ledger.replies_unknown.add(marker)
            return
        if response.status_code == 200:
            self.ledger.replies_ok[marker] = conversation_id
        elif response.status_code >= 500:
            self.ledger.replies_unknown.add(marker)  # maybe stored before the failure: at most once


Fault = Callable[[], Awaitable[str]]


def faults(stack: FaultStack, ledger: Ledger, load_client: httpx.AsyncClient) -> list[tuple[str, Fault]]:
    async def kill(service: str) -> str:
        stack.replicas[service][0].kill()
        await asyncio.sleep(3)
        started = time.monotonic()
        await asyncio.to_thread(stack.restart_service, service, 0)
        return f"other replica served; restarted and ready in {time.monotonic() - started:.1f} s"

    async def terminate(service: str) -> str:
        process = stack.replicas[service][0]
        assert process.popen is not None
        process.popen.send_signal(signal.SIGTERM)
        readiness = await load_client.get(f"{stack.url(service, 0)}/readyz")
        code = await asyncio.to_thread(process.popen.wait, 60)
        assert readiness.status_code == 503, "readiness goes false before the server stops"
        # uvicorn re-raises the signal once it has shut down cleanly: "terminated by SIGTERM" is the clean end.
        assert code in (0, -signal.SIGTERM), process.log_tail()
        assert "Application shutdown complete" in process.log_tail(5), process.log_tail()
        await asyncio.to_thread(stack.restart_service, service, 0)
        return "readiness 503 at once, requests served 2 s more, bus drained, clean exit"

    async def restart_nats() -> str:
        started = time.monotonic()
        await asyncio.to_thread(stack.restart, stack.nats)
        return f"down {time.monotonic() - started:.1f} s; producers answered 503 meanwhile and clients reconnected"

    async def restart_postgres() -> str:
        started = time.monotonic()
        await asyncio.to_thread(stack.restart_postgres)
        return f"down {time.monotonic() - started:.1f} s under FerretDB; handlers meeting it were held, not nacked"

    async def pause_database() -> str:
        stack.pause(stack.ferretdb)
        await asyncio.sleep(10)  # the consumers' ack wait is 4 s
        stack.resume(stack.ferretdb)
        return "10 s paused (ack wait 4 s): handlers waited with their deadlines extended"

    async def smtp_temporary() -> str:
        conversation_id, guest = await _form_conversation(stack, "smtp-temp")
        stack.sink.refuse(guest, "451 4.3.0 Try again later", times=3)
        await _reply_once(stack, ledger, load_client, conversation_id, "fault-reply-temporary")
        return "3 x 451 for one guest: retried, then delivered once"

    async def smtp_permanent() -> str:
        conversation_id, guest = await _form_conversation(stack, "smtp-perm")
        stack.sink.refuse(guest, "550 5.1.1 No such user", times=1000)
        await _reply_once(stack, ledger, load_client, conversation_id, "fault-reply-permanent")
        return "550 for one guest: marked failed on the reply, not retried, not dead-lettered"

    async def stall_bus() -> str:
        stack.pause(stack.nats)
        ingest = stack.url("ingest", 1)

        async def form(n: int) -> httpx.Response:
            body = {"submission_id": f"burst-{n}", "email": f"burst{n}@guests.example.com", "message": "burst"}
            return await load_client.post(f"{ingest}/ingest/forms/{HOTELS[0]}", json=body, timeout=30)

        burst = [asyncio.create_task(form(n)) for n in range(MAX_IN_FLIGHT * 3)]
        await asyncio.sleep(2)
        stack.resume(stack.nats)
        answers = await asyncio.gather(*burst)
        busy = [a for a in answers if a.status_code == 503 and a.headers.get("retry-after")]
        for answer in answers:
            if answer.status_code == 202:
                ledger.accepted[str(answer.json()["key"])] = "form"
        assert len(busy) >= MAX_IN_FLIGHT, [a.status_code for a in answers]
        return f"{len(busy)} of {len(answers)} refused at once with 503 + Retry-After (budget {MAX_IN_FLIGHT})"

    async def outage() -> str:
        seconds = outage_seconds()
        stack.ferretdb.stop()
        await asyncio.sleep(seconds)
        stack.ferretdb.start()
        return f"FerretDB down {seconds:.0f} s: ingest kept accepting; consumers resumed afterwards"

    steps: list[tuple[str, Fault]] = [
        (f"kill -9 {name} (1 of 2 replicas)", _bind(kill, name)) for name in stack.replicas
    ]
    steps += [
        ("SIGTERM inbox (graceful shutdown)", _bind(terminate, "inbox")),
        ("SIGTERM notify (graceful shutdown)", _bind(terminate, "notify")),
        ("NATS server restarted (file storage)", restart_nats),
        ("PostgreSQL restarted", restart_postgres),
        ("database paused (SIGSTOP) past the ack wait", pause_database),
        ("outbound SMTP fails temporarily", smtp_temporary),
        ("outbound SMTP fails permanently", smtp_permanent),
        ("bus stalled: ingest's in-flight budget spent", stall_bus),
        (f"database outage longer than 2 minutes ({outage_seconds():.0f} s)", outage),
    ]
    return steps


def _bind(function: Callable[[str], Awaitable[str]], value: str) -> Fault:
    async def bound() -> str:
        return await function(value)

    return bound


async def _form_conversation(stack: FaultStack, tag: str) -> tuple[str, str]:
    guest = f"{tag}@guests.example.com"
    async with httpx.AsyncClient(timeout=20) as client:
        form = {"submission_id": tag, "email": guest, "message": tag}
        answer = await client.post(f"{stack.url('ingest')}/ingest/forms/{HOTELS[1]}", json=form)
        assert answer.status_code == 202, answer.text
        key = answer.json()["key"]
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongo_url)
    try:
        found = await eventually(
            lambda: mongo["hub"]["conversations"].find_one({"thread_key": key}), lambda doc: doc is not None, 60
        )
    finally:
        await mongo.close()
    assert found is not None
    return str(found["_id"]), guest


async def _reply_once(
    stack: FaultStack, ledger: Ledger, client: httpx.AsyncClient, conversation_id: str, marker: str
) -> None:
    answer = await client.post(
        f"{stack.url('inbox')}/api/v1/conversations/{conversation_id}/messages", json={"text": marker}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    ledger.replies_ok[marker] = conversation_id


async def poison(stack: FaultStack) -> tuple[int, Any]:
    """Schema-violating payloads straight onto guest subjects, and messages whose handler always raises."""
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    for n in range(SCHEMA_POISON):
        subject = Subjects.inbound_guest(Channel.FORM, HOTELS[n % 2])
        await js.publish(subject, b'{"type": "inbound.message", "text": 42}', headers={"Nats-Msg-Id": f"poison-{n}"})
    await nc.close()
    settings = HubSettings(
        nats_url=stack.nats_url,
        consumer_max_deliver=3,
        consumer_retry_delays_seconds=[0.2],
        consumer_ack_wait_seconds=4,
    )
    stream = StreamSpec(
        name="FAULTPOISON",
        subjects=["test.poison.>"],
        retention=DLQ.retention,
        max_age_seconds=3600,
        duplicate_window_seconds=60,
    )
    broker, policy = make_broker(settings, client_name="fault-poison")

    @durable_subscriber(
        broker, ConsumerSpec(durable="fault-poison", stream=stream, filter_subject="test.poison.>"), policy
    )
    async def always_fails(message: InboundMessage) -> None:
        raise RuntimeError(f"handler rejects {message.key}")

    await broker.connect()
    await declare_streams(broker.connection.jetstream(), (stream,))
    await broker.start()
    for n in range(HANDLER_POISON):
        message = InboundMessage(
            key=f"raises-{n}", channel=Channel.FORM, location_id=HOTELS[0], guest=Guest(), text="x"
        )
        await broker.connection.jetstream().publish(f"test.poison.{n}", message.model_dump_json().encode())
    return SCHEMA_POISON + HANDLER_POISON, broker


async def dead_letters(stack: FaultStack) -> list[DeadLetter]:
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(DLQ.name)
        letters = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(DLQ.name, seq)
            except nats.js.errors.NotFoundError:
                continue
            letters.append(DeadLetter.model_validate_json(raw.data or b"{}"))
        return letters
    finally:
        await nc.close()


def _reply_markers(stack: FaultStack) -> Counter[str]:
    found: Counter[str] = Counter()
    with stack.sink.lock:
        received = list(stack.sink.received)
    for message in received:
        body = message.email.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        for word in str(text).split():
            if word.startswith("fault-reply-"):
                found[word] += 1
    return found


def views_of(counts: dict[str, Any]) -> dict[str, int]:
    """The counts API's answer by the keys of `states.VIEWS`."""
    fields = {"inbox": "inbox", "awaiting": "awaiting", "unread": "unread", "all": "all"}
    fields |= {f"status_{status}": status for status in ("open", "on_hold", "closed", "spam")}
    found = {view: int(counts[field]) for view, field in fields.items()}
    return found | {f"bucket_{bucket}": int(n) for bucket, n in counts["buckets"].items()}


async def reconciled_after(stack: FaultStack, client: httpx.AsyncClient, since: float) -> float | None:
    """The drift the inbox replica holding the counters' lease found in a reconciliation that began after
    `since` (None until one has run)."""
    for replica in range(len(stack.replicas["inbox"])):
        try:
            exposition = (await client.get(f"{stack.url('inbox', replica)}/metrics")).text
        except httpx.HTTPError:
            continue
        values = dict(line.rsplit(" ", 1) for line in exposition.splitlines() if line.startswith("hub_inbox_count"))
        if float(values.get("hub_inbox_counts_reconciled_timestamp_seconds", 0)) > since:
            return float(values["hub_inbox_count_drift"])
    return None


async def test_nothing_lost_nothing_duplicated_under_faults(fault_stack: FaultStack) -> None:
    stack = fault_stack
    ledger = Ledger()
    stop = asyncio.Event()
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongo_url, serverSelectionTimeoutMS=3000)
    load = Load(stack, ledger, stop)
    replier = Replier(stack, ledger, stop, mongo)
    workers = [asyncio.create_task(load.run(channel)) for channel in CHANNELS]
    workers.append(asyncio.create_task(replier.run()))
    poison_sent, poison_broker = await poison(stack)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        for name, inject in faults(stack, ledger, client):
            await asyncio.sleep(3)  # some load between faults
            outcome = await inject()
            ledger.faults.append((name, outcome))
    await asyncio.sleep(5)
    stop.set()
    await asyncio.gather(*workers)
    duration = time.monotonic() - started

    # Everything settles: every accepted message stored, every reply through notify.
    conversations, timeline = mongo["hub"]["conversations"], mongo["hub"]["timeline"]

    async def stored_keys() -> set[str]:
        keys = ledger.accepted.keys()
        return {str(e["key"]) async for e in timeline.find({"key": {"$in": list(keys)}}, {"key": 1})}

    await eventually(stored_keys, lambda found: len(found) == len(ledger.accepted), timeout=240)
    await asyncio.sleep(5)  # late redeliveries, if any, would show as duplicates now
    found = await stored_keys()
    entries = [e async for e in timeline.find({"key": {"$in": list(ledger.accepted)}}, {"key": 1})]
    per_hotel = [c async for c in conversations.find({"location_id": {"$in": list(HOTELS)}}, {"thread_key": 1})]
    thread_keys = Counter(str(c.get("thread_key")) for c in per_hotel)
    duplicated = (len(entries) - len(found)) + sum(n - 1 for n in thread_keys.values() if n > 1)
    lost = len(ledger.accepted) - len(found)

    expected_markers = set(ledger.replies_ok) - {"fault-reply-permanent"}
    markers = await eventually(
        lambda: asyncio.sleep(0, result=_reply_markers(stack)),
        lambda seen: expected_markers <= set(seen),
        timeout=120,
    )
    replies_twice = sorted(m for m, n in markers.items() if n > 1)
    permanent = await eventually(
        lambda: timeline.find_one({"kind": "message", "direction": "outbound", "text": "fault-reply-permanent"}),
        lambda entry: entry is not None and (entry.get("delivery") or {}).get("state") == "failed",
        timeout=60,
    )

    # Counts equal recounts: the inbox's counts (its per-hotel counters, kept through kills, restarts and
    # outages) against the conversations themselves, in every view; and the reconciliation that ran after
    # the load found no drift to repair.
    settled = time.time()
    async with httpx.AsyncClient(timeout=30) as client:
        counted = {}
        for hotel in HOTELS:
            answer = await client.get(
                f"{stack.url('inbox')}/api/v1/conversations/counts",
                params={"location": hotel, "view": "all"},
                headers=ADMIN,
            )
            counted[hotel] = views_of(answer.json())
        recounted = {hotel: Counter[str]() for hotel in HOTELS}
        async for conversation in conversations.find({"location_id": {"$in": list(HOTELS)}}):
            recounted[conversation["location_id"]].update(view_keys(conversation))
        drift = await eventually(
            lambda: reconciled_after(stack, client, settled), lambda found: found is not None, timeout=150
        )

    letters = await eventually(lambda: dead_letters(stack), lambda found: len(found) >= poison_sent, timeout=60)
    await poison_broker.stop()
    await mongo.close()

    rows = [
        ("faults injected", str(len(ledger.faults))),
        ("messages sent (accepted)", f"{len(ledger.accepted)} ({dict(Counter(ledger.accepted.values()))})"),
        ("refused and retried", str(dict(ledger.refusals))),
        ("stored", str(len(found))),
        ("duplicated (must be 0)", str(duplicated)),
        ("lost (must be 0)", str(lost)),
        (
            "replies acknowledged / delivered",
            f"{len(ledger.replies_ok)} / {len([m for m in markers if m in ledger.replies_ok])}",
        ),
        ("replies sent twice (must be 0)", str(len(replies_twice))),
        ("DLQ entries / poison sent (must be equal)", f"{len(letters)} / {poison_sent}"),
        (
            "counts unlike a recount / drift found (must be 0)",
            f"{sum(counted[h] != {v: recounted[h][v] for v in VIEWS} for h in HOTELS)} / {drift}",
        ),
        ("duration", f"{duration:.0f} s"),
    ]
    SUMMARY.extend(f"{name:<44} {value}" for name, value in rows)
    SUMMARY.append("")
    SUMMARY.extend(f"- {name}: {outcome}" for name, outcome in ledger.faults)

    assert lost == 0
    assert duplicated == 0
    assert replies_twice == []
    assert permanent is not None
    for hotel in HOTELS:
        assert counted[hotel] == {view: recounted[hotel][view] for view in VIEWS}, hotel
    assert drift == 0.0
    assert len(letters) == poison_sent, [(letter.subject, letter.error[:80]) for letter in letters]
    reasons = Counter("validation" in letter.error.lower() or "RuntimeError" in letter.error for letter in letters)
    assert reasons[True] == poison_sent, [letter.error[:120] for letter in letters]
