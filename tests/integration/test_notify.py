"""notify against a real SMTP server (the tests' aiosmtpd sink): headers that thread, files, retries,
refusals, bad commands, and exactly-once delivery across a kill -9."""

import asyncio
import base64
import json
import random
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import aiosmtplib
import httpx
import pytest
import websockets
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue
from pymongo import AsyncMongoClient

from services.notify import commits, composer
from shared import tokens
from shared.attachments import AttachmentStore
from shared.bus import AttachmentRef, Channel, OutboundKind, OutboundMessage
from tests.integration.conftest import REPLY_DOMAIN, TEST_SECRET, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.support.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n% a tiny test file\n"


def sink_of(stack: Stack) -> SmtpSink:
    assert stack.sink is not None
    return stack.sink


def guest_address(location: str) -> str:
    return f"guest-{location}@example.com"


async def conversation_with_guest(api: AgentApi, nc: NatsClient, location: str, **thread: Any) -> str:
    await publish_inbound(nc, location, email=guest_address(location), subject="Late arrival", **thread)
    return str((await api.wait_for(location))[0]["id"])


async def entry_delivery(api: AgentApi, cid: str, entry_id: str) -> dict[str, Any]:
    timeline = (await api.get(cid))["timeline"]
    found: dict[str, Any] = next(e for e in timeline if e["id"] == entry_id)
    return found


async def received(sink: SmtpSink, recipient: str, count: int = 1) -> list[Received]:
    async def probe() -> list[Received]:
        return sink.to(recipient)

    return await eventually(probe, lambda found: len(found) >= count)


async def upload(http: httpx.AsyncClient, stack: Stack, location: str, name: str, data: bytes) -> dict[str, Any]:
    response = await http.post(
        f"{stack.url('inbox')}/api/v1/attachments",
        files={"file": (name, data, "application/octet-stream")},
        data={"location": location},
        headers=agent_headers([location]),
    )
    assert response.status_code == 201, response.text
    uploaded: dict[str, Any] = response.json()
    return uploaded


async def publish_outbound(nc: NatsClient, command: dict[str, Any] | OutboundMessage) -> None:
    data = command.model_dump_json() if isinstance(command, OutboundMessage) else json.dumps(command)
    key = command.key if isinstance(command, OutboundMessage) else str(command.get("key"))
    await nc.jetstream().publish("hub.outbound.email", data.encode(), headers={"Nats-Msg-Id": key})


def parts(email: EmailMessage) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for part in email.walk():
        assert isinstance(part, EmailMessage)
        found.setdefault(part.get_content_type(), []).append(part)
    return found


async def test_reply_arrives_threaded_with_files_and_the_answer_threads_back(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await conversation_with_guest(
        api, nc, location, message_id="second@guest.example", references=["first@guest.example"]
    )
    menu = await upload(http, stack, location, "menu.pdf", PDF)
    result = await api.ok(
        "POST",
        cid,
        "messages",
        {"text": "Dear guest,\n\nsee https://hotel.example/map", "attachment_ids": [menu["id"]]},
    )
    entry = result["entries"][0]
    key = f"entry:{entry['id']}"

    [mail] = await received(sink_of(stack), guest_address(location))
    email = mail.email
    message_id = composer.message_id(key, REPLY_DOMAIN)
    assert email["Message-ID"] == f"<{message_id}>"
    assert email["In-Reply-To"] == "<second@guest.example>"
    assert email["References"] == "<first@guest.example> <second@guest.example>", "the guest email's chain"
    assert email["Subject"] == f"Re: Late arrival [#{composer.reference_tag(cid)}]"
    assert parseaddr(str(email["From"]))[1] == f"{location}@hotels.hub.localhost"
    assert mail.rcpt_tos == [guest_address(location)]
    reply_to = parseaddr(str(email["Reply-To"]))[1]
    local, _, domain = reply_to.partition("@")
    assert domain == f"{location}.{REPLY_DOMAIN}"
    assert tokens.verify("reply", local.removeprefix("reply+"), TEST_SECRET) == cid
    found = parts(email)
    assert "see https://hotel.example/map" in found["text/plain"][0].get_content()
    assert '<a href="https://hotel.example/map">' in found["text/html"][0].get_content()
    [pdf] = found["application/pdf"]
    assert (pdf.get_filename(), pdf.get_content()) == ("menu.pdf", PDF)

    delivery = await eventually(
        lambda: entry_delivery(api, cid, entry["id"]), lambda e: e["delivery"]["state"] == "sent"
    )
    assert delivery["message_id"] == message_id

    # The guest answers from their mail program; it comes in through ingest's SMTP receiver.
    answer = EmailMessage()
    answer["From"] = guest_address(location)
    answer["To"] = str(email["Reply-To"])
    answer["Subject"] = f"Re: {email['Subject']}"
    answer["Message-ID"] = f"<answer-{uuid.uuid4().hex}@guest.example>"
    answer["In-Reply-To"] = email["Message-ID"]
    answer.set_content("Thanks, we will be there at 23:40.")
    await aiosmtplib.send(answer, hostname="127.0.0.1", port=stack.smtp_port)
    # And once more with no threading header at all: the Reply-To address alone brings it back.
    bare = EmailMessage()
    bare["From"], bare["To"], bare["Subject"] = guest_address(location), str(email["Reply-To"]), "one more thing"
    bare.set_content("Is parking included?")
    await aiosmtplib.send(bare, hostname="127.0.0.1", port=stack.smtp_port)

    detail = await eventually(
        lambda: api.get(cid),
        lambda d: sum(1 for e in d["timeline"] if e.get("direction") == "inbound") == 3,
    )
    texts = [e["text"] for e in detail["timeline"] if e.get("direction") == "inbound"]
    assert any("23:40" in t for t in texts)
    assert any("parking" in t for t in texts)
    assert len(await api.conversations(location=location, view="all")) == 1


async def test_inline_images_are_related_parts_of_the_html(
    stack: Stack, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    store = AttachmentStore(mongo["hub"])
    logo = await store.put(PNG, "logo.png", location, "test")
    command = OutboundMessage(
        key=f"test:{uuid.uuid4().hex}",
        kind=OutboundKind.REPLY,
        channel=Channel.EMAIL,
        conversation_id="c" + uuid.uuid4().hex[:12],
        location_id=location,
        to=[guest_address(location)],
        subject="Our logo",
        text="Here it is:",
        attachments=[AttachmentRef(**logo.public(), content_id="logo@hotel")],
    )
    await publish_outbound(nc, command)
    [mail] = await received(sink_of(stack), guest_address(location))
    email = mail.email
    related = parts(email)["multipart/related"][0]
    kinds = [p.get_content_type() for p in related.iter_parts()]
    assert kinds == ["text/html", "image/png"]
    html_part, image = list(related.iter_parts())
    assert 'src="cid:logo@hotel"' in html_part.get_content()
    assert image["Content-ID"] == "<logo@hotel>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG


async def test_421_is_retried_and_delivered_once(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    sink = sink_of(stack)
    sink.refuse(guest_address(location), "421 4.3.0 Too busy, come back later", stage="data")
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await conversation_with_guest(api, nc, location)
    entry = (await api.ok("POST", cid, "messages", {"text": "Your room is ready."}))["entries"][0]
    await eventually(lambda: entry_delivery(api, cid, entry["id"]), lambda e: e["delivery"]["state"] == "sent")
    delivery = await mongo["hub"]["deliveries"].find_one({"_id": f"entry:{entry['id']}"})
    assert delivery is not None
    assert (delivery["state"], delivery["attempt"], delivery["reason"]) == ("sent", 2, None)
    # The 421 came after the end of data, so each attempt left its own commit mark.
    marks = await nc.jetstream().key_value(commits.BUCKET)
    for commit in (0, 1):
        assert (await marks.get(commits.mark_key(f"entry:{entry['id']}", commit))).value == b"1"
    assert delivery["commits"] == 1
    await asyncio.sleep(1.0)  # a second copy would have come by now
    assert len(sink.to(guest_address(location))) == 1


async def test_550_is_failed_with_the_reason_on_the_timeline_and_not_retried(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    sink = sink_of(stack)
    sink.refuse(guest_address(location), "550 5.1.1 No such user here", stage="rcpt", times=5)
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await conversation_with_guest(api, nc, location)
    entry = (await api.ok("POST", cid, "messages", {"text": "Hello?"}))["entries"][0]
    failed = await eventually(
        lambda: entry_delivery(api, cid, entry["id"]), lambda e: e["delivery"]["state"] == "failed"
    )
    assert "550 5.1.1 No such user here" in failed["delivery"]["reason"]
    await asyncio.sleep(1.0)
    assert sink.refusals[-1].times == 4, "one attempt only"
    assert sink.to(guest_address(location)) == []
    delivery = await mongo["hub"]["deliveries"].find_one({"_id": f"entry:{entry['id']}"})
    assert delivery is not None
    assert delivery["state"] == "failed"


async def test_a_server_that_keeps_answering_4xx_is_given_up_on_and_dead_lettered(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    letters: list[dict[str, Any]] = []

    async def on_dead(msg: Any) -> None:
        letters.append(json.loads(msg.data))

    await nc.subscribe("hub.dlq.outbound", cb=on_dead)
    sink = sink_of(stack)
    sink.refuse(guest_address(location), "451 4.7.1 Greylisted, try again", stage="rcpt", times=100)
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await conversation_with_guest(api, nc, location)
    entry = (await api.ok("POST", cid, "messages", {"text": "Are you there?"}))["entries"][0]
    failed = await eventually(
        lambda: entry_delivery(api, cid, entry["id"]), lambda e: e["delivery"]["state"] == "failed"
    )
    assert (
        failed["delivery"]["reason"]
        == f"gave up after 4 attempts: {guest_address(location)}: 451 4.7.1 Greylisted, try again"
    )
    assert sink.refusals[-1].times == 96, "HUB_NOTIFY_MAX_ATTEMPTS=4 in the test stack"
    key = f"entry:{entry['id']}".encode()
    await eventually(_async(lambda: letters), lambda d: any(key in base64.b64decode(x["payload_base64"]) for x in d))


async def test_bad_commands_are_failed_with_a_reason_and_never_block_the_stream(
    stack: Stack, nc: NatsClient, mongo: AsyncMongoClient[dict[str, Any]], location: str
) -> None:
    failures: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []

    async def on_failed(msg: Any) -> None:
        failures.append(json.loads(msg.data))

    async def on_dead(msg: Any) -> None:
        dead.append(json.loads(msg.data))

    await nc.subscribe("hub.events.delivery.failed.*", cb=on_failed)
    await nc.subscribe("hub.dlq.outbound", cb=on_dead)
    base = {
        "kind": "reply",
        "channel": "email",
        "conversation_id": "c-bad",
        "location_id": location,
        "text": "hello",
    }
    missing_file = {
        **base,
        "key": f"test:{uuid.uuid4().hex}",
        "to": [guest_address(location)],
        "attachments": [{"id": "att_gone", "filename": "gone.pdf", "content_type": "application/pdf", "size": 3}],
    }
    # Another hotel's file is reported exactly as a missing one (issue 18, finding 12: no existence oracle).
    theirs = await AttachmentStore(mongo["hub"]).put(b"%PDF-1.4 x", "theirs.pdf", f"{location}-x", "agent-x")
    ref = {"id": theirs.id, "filename": "theirs.pdf", "content_type": "application/pdf", "size": 10}
    foreign_file = {**missing_file, "key": f"test:{uuid.uuid4().hex}", "attachments": [ref]}
    bad_address = {**base, "key": f"test:{uuid.uuid4().hex}", "to": ["not an address"]}
    good = {**base, "key": f"test:{uuid.uuid4().hex}", "to": [guest_address(location)], "text": "after the bad ones"}
    for command in (missing_file, foreign_file, bad_address, good):
        await publish_outbound(nc, command)

    [mail] = await received(sink_of(stack), guest_address(location))
    assert "after the bad ones" in mail.data.decode()

    def reason_of(key: Any) -> str | None:
        return next((str(f["reason"]) for f in failures if f["key"] == key), None)

    async def reasons() -> list[str | None]:
        return [reason_of(missing_file["key"]), reason_of(foreign_file["key"]), reason_of(bad_address["key"])]

    missing_reason, foreign_reason, address_reason = await eventually(reasons, lambda r: all(r))
    assert missing_reason == "attachment 'gone.pdf' (att_gone) is missing"
    assert foreign_reason == f"attachment 'theirs.pdf' ({theirs.id}) is missing"
    assert address_reason is not None
    assert address_reason.startswith("not sent, the message is invalid: to.0:")
    # The unreadable command is also dead-lettered, for an operator to see; the one with a missing file is not.
    letters = await eventually(_async(lambda: dead), lambda d: len(d) >= 1)
    payloads = [base64.b64decode(letter["payload_base64"]) for letter in letters]
    assert any(str(bad_address["key"]).encode() in p for p in payloads)
    assert not any(str(missing_file["key"]).encode() in p for p in payloads)


def _async(value: Any) -> Any:
    async def probe() -> Any:
        return value()

    return probe


async def test_a_command_whose_end_of_data_may_have_gone_out_is_never_sent_again(
    stack: Stack, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    """What a crashed attempt leaves after writing its `.`: the commit mark and a delivery 'sending'."""
    key = f"test:{uuid.uuid4().hex}"

    async def bucket() -> KeyValue | None:
        try:
            return await nc.jetstream().key_value(commits.BUCKET)
        except NotFoundError:
            return None  # notify creates it at start-up

    marks = await eventually(bucket, lambda kv: kv is not None)
    assert marks is not None
    await marks.put(commits.mark_key(key, 0), b"1")
    command = OutboundMessage(
        key=key,
        kind=OutboundKind.REPLY,
        channel=Channel.EMAIL,
        conversation_id="c-crashed",
        location_id=location,
        to=[guest_address(location)],
        text="sent just before the crash",
    )
    reports: list[dict[str, Any]] = []

    async def on_report(msg: Any) -> None:
        reports.append(json.loads(msg.data))

    await nc.subscribe("hub.events.delivery.sent.*", cb=on_report)
    await publish_outbound(nc, command)
    sent = await eventually(_async(lambda: [r for r in reports if r["key"] == key]), lambda found: len(found) == 1)
    assert sent[0]["reason"].startswith("an earlier attempt stopped after handing the message to the SMTP server")
    delivery = await mongo["hub"]["deliveries"].find_one({"_id": key})
    assert delivery is not None
    assert delivery["state"] == "sent"
    assert sink_of(stack).to(guest_address(location)) == []


async def test_notify_killed_while_sending_200_replies_delivers_each_exactly_once(
    stack: Stack, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    sink = sink_of(stack)
    count = 200
    commands = [
        OutboundMessage(
            key=f"bulk:{location}:{i}",
            kind=OutboundKind.REPLY,
            channel=Channel.EMAIL,
            conversation_id=f"c{i}",
            location_id=location,
            to=[f"guest{i}@{location}.example"],
            subject=f"Reply {i}",
            text=f"Answer number {i}",
        )
        for i in range(count)
    ]
    expected = {f"<{composer.message_id(c.key, REPLY_DOMAIN)}>" for c in commands}

    def ours() -> list[Received]:
        with sink.lock:
            return [r for r in sink.received if r.rcpt_tos[0].endswith(f"@{location}.example")]

    started = time.monotonic()
    await asyncio.gather(*(publish_outbound(nc, c) for c in commands))
    await eventually(_async(ours), lambda r: len(r) >= 30, timeout=60)
    # At a random moment, not in step with the batches of ten that notify works through.
    await asyncio.sleep(random.uniform(0, 0.4))
    stack.services["notify"].kill()
    at_kill = len(ours())
    stack.restart("notify")

    deliveries = mongo["hub"]["deliveries"]
    await eventually(
        lambda: deliveries.count_documents({"location_id": location, "state": "sent"}),
        lambda n: n == count,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.0)  # a late duplicate would arrive now
    seen = Counter(r.message_id for r in ours())
    assert (sorted(expected - set(seen)), sorted(set(seen) - expected)) == ([], []), "missing, unexpected"
    assert [mid for mid, n in seen.items() if n != 1] == []
    found = [d async for d in deliveries.find({"location_id": location})]
    reasons, attempts = Counter(d.get("reason") for d in found), Counter(d.get("attempt") for d in found)
    print(f"\n{count} replies: {at_kill} at the kill, all once in {elapsed:.1f}s; attempts {dict(attempts)}")
    print(f"reasons {dict(reasons)}")


async def test_chat_reply_reaches_the_guest_widget_once(stack: Stack, http: httpx.AsyncClient, location: str) -> None:
    url = stack.url("ingest").replace("http://", "ws://") + f"/ingest/chat/{location}"

    async def next_frame(socket: Any, kind: str) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            if frame["type"] == kind:
                return frame

    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        session = (await next_frame(socket, "welcome"))["session"]
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Is the spa open?"}))
        await next_frame(socket, "ack")
        api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
        cid = (await api.wait_for(location))[0]["id"]
        entry = (await api.ok("POST", cid, "messages", {"text": "Yes, until 9pm."}))["entries"][0]
        live = await next_frame(socket, "message")
        assert (live["from"], live["text"]) == ("agent", "Yes, until 9pm.")
    await eventually(lambda: entry_delivery(api, cid, entry["id"]), lambda e: e["delivery"]["state"] == "sent")
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"type": "hello", "session": session}))
        history = (await next_frame(socket, "welcome"))["history"]
    assert [(m["from"], m["text"]) for m in history] == [("guest", "Is the spa open?"), ("agent", "Yes, until 9pm.")]


async def test_a_closed_chat_goes_on_by_email(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    """Seed 003: once the chat is closed, the agent's answer reaches the guest by email if they left one."""
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await conversation_with_guest(api, nc, location, channel=Channel.CHAT, chat_session_id=f"chat-{location}")
    await api.ok("POST", cid, "close-chat", {})
    result = await api.ok("POST", cid, "messages", {"text": "Here is the wifi code: HOTEL2026"})
    assert result["entries"][0]["channel"] == "email"
    [mail] = await received(sink_of(stack), guest_address(location))
    assert "HOTEL2026" in mail.email.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_assignee_is_told_by_email_unless_they_assigned_themselves_or_opted_out(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    admin = agent_headers([], role="admin", agent_id="admin-test", name="Admin Test")
    agents = f"{stack.url('inbox')}/api/v1/agents"
    created = {}
    for name, wants in (("told", True), ("quiet", False)):
        body = {
            "name": f"{name.title()} Agent",
            "email": f"{name}.{location}@test.hotel",
            "location_ids": [location],
            "notify_on_assignment": wants,
            "password": "a-long-password",
        }
        response = await http.post(agents, json=body, headers=admin)
        assert response.status_code == 201, response.text
        created[name] = response.json()
    sink = sink_of(stack)
    api = AgentApi(http, stack.url("inbox"), agent_headers([location], name="Marc Manager"))
    cid = await conversation_with_guest(api, nc, location)

    await api.ok("PUT", cid, "assignee", {"agent_id": created["told"]["id"]})
    [mail] = await received(sink, f"told.{location}@test.hotel")
    assert str(mail.email["Subject"]).startswith("Assigned to you: Late arrival")
    body = mail.email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Marc Manager assigned you" in body
    assert f"/conversations/{cid}" in body

    await api.ok("PUT", cid, "assignee", {"agent_id": created["quiet"]["id"]})
    own = AgentApi(http, stack.url("inbox"), agent_headers([location], agent_id=created["told"]["id"], name="Told"))
    await own.ok("PUT", cid, "assignee", {"agent_id": created["told"]["id"]})
    await asyncio.sleep(1.5)  # give notify time to send what it should not
    assert sink.to(f"quiet.{location}@test.hotel") == [], "opted out"
    assert len(sink.to(f"told.{location}@test.hotel")) == 1, "assigning oneself sends nothing"
