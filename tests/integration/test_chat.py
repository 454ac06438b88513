"""Live chat through the widget's WebSocket: messages land in the inbox, history survives a reload,
what agents send arrives live, and closing is shown to the guest."""

import json
from typing import Any

import httpx
import pytest
import websockets
from nats.aio.client import Client as NatsClient

from shared.attachments import AttachmentStore
from shared.bus import AttachmentRef, ChatToGuest, Subjects
from tests.integration.conftest import ADMIN, Stack, create_hotel
from tests.integration.inbox_helpers import AgentApi
from tests.support.chat import receive, ws_url
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_chat_end_to_end(stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str) -> None:
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        welcome = await receive(socket, "welcome")
        session = welcome["session"]
        assert welcome["history"] == []
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Is the pool open?"}))
        assert (await receive(socket, "ack"))["id"] == "m1"
        await socket.send(json.dumps({"type": "message", "id": "bad id!", "text": "x"}))
        assert "id" in (await receive(socket, "error"))["message"]
        await socket.send("not json")
        assert (await receive(socket, "error"))["type"] == "error"

        api = AgentApi(http, stack.url("inbox"), ADMIN)
        conversation = (await api.wait_for(location))[0]
        assert (conversation["channel"], conversation["chat_session_id"]) == ("chat", session)
        assert conversation["subject"] == "Is the pool open?", "a chat is titled by its first message, not 'Chat'"

        push = ChatToGuest(key="entry:abc", session_id=session, text="Yes, until 10pm.", author_name="Anna")
        await nc.publish(Subjects.chat_to_guest(session), push.model_dump_json().encode())
        live = await receive(socket, "message")
        assert (live["from"], live["text"], live["author"]) == ("agent", "Yes, until 10pm.", "Anna")
        takeover = ChatToGuest(key="entry:ho", session_id=session, kind="handed_over")
        await nc.publish(Subjects.chat_to_guest(session), takeover.model_dump_json().encode())
        await receive(socket, "handed_over")
        closing = ChatToGuest(key="entry:end", session_id=session, kind="closed")
        await nc.publish(Subjects.chat_to_guest(session), closing.model_dump_json().encode())
        await receive(socket, "closed")
        await socket.send(json.dumps({"type": "identify", "email": "Lea@Example.com", "name": "Léa"}))
        await receive(socket, "identified")

    # A reload: the same session shows both sides of the conversation.
    async def history() -> list[dict[str, Any]]:
        async with websockets.connect(ws_url(stack, location)) as socket:
            await socket.send(json.dumps({"type": "hello", "session": session}))
            frame = await receive(socket, "welcome")
            assert frame["session"] == session
            messages: list[dict[str, Any]] = frame["history"]
            return messages

    shown = await eventually(history, lambda h: len(h) == 2)
    assert [(m["from"], m["text"]) for m in shown] == [("guest", "Is the pool open?"), ("agent", "Yes, until 10pm.")]

    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello", "session": session}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "message", "id": "m2", "text": "Thanks!"}))
        await receive(socket, "ack")
    # The link is set on the request, then its timeline entry is written: wait for both.
    detail = await eventually(
        lambda: api.get(conversation["id"]),
        lambda d: d["conversation"]["contact_id"] and any(e["kind"] == "contact_link" for e in d["timeline"]),
    )
    messages = [e for e in detail["timeline"] if e["kind"] == "message"]
    assert messages[-1]["author"]["email"] == "lea@example.com", "the identified guest"
    assert detail["conversation"]["guest"]["email"] == "lea@example.com"
    assert detail["conversation"]["subject"] == "Is the pool open?", "later messages keep the first one's title"
    assert [e.get("reason") for e in detail["timeline"] if e["kind"] == "contact_link"] == ["guest_identified"]


async def test_a_session_of_another_hotel_is_not_reused(stack: Stack, location: str) -> None:
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        session = (await receive(socket, "welcome"))["session"]
    async with websockets.connect(ws_url(stack, create_hotel(stack, f"{location}-b"))) as socket:
        await socket.send(json.dumps({"type": "hello", "session": session}))
        assert (await receive(socket, "welcome"))["session"] != session


async def test_a_nul_character_is_refused_and_the_chat_goes_on(stack: Stack, location: str) -> None:
    # Found with the OpenAPI fuzzer's NUL family: storing it failed and closed the guest's socket.
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Is the\x00 pool open?"}))
        assert (await receive(socket, "error"))["id"] == "m1"
        await socket.send(json.dumps({"type": "identify", "email": "nul@example.com", "name": "L\x00a"}))
        assert "NUL" in (await receive(socket, "error"))["message"]
        await socket.send(json.dumps({"type": "message", "id": "m2", "text": "Is the pool open?"}))
        assert (await receive(socket, "ack"))["id"] == "m2"


async def test_widget_and_demo_page_are_served(stack: Stack, http: httpx.AsyncClient) -> None:
    script = await http.get(f"{stack.url('ingest')}/ingest/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "WebSocket" in script.text
    page = await http.get(f"{stack.url('ingest')}/ingest/demo/paris-opera")
    assert 'data-hotel="paris-opera"' in page.text
    assert (await http.get(f"{stack.url('ingest')}/ingest/demo/Bad.Hotel")).status_code == 404


async def test_guest_sends_a_file_from_the_widget(stack: Stack, http: httpx.AsyncClient, location: str) -> None:
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        session = (await receive(socket, "welcome"))["session"]
    url = f"{stack.url('ingest')}/ingest/chat/{location}/files"
    sent = await http.post(
        url, data={"session": session}, files={"file": ("room.jpg", b"\xff\xd8\xff photo", "image/jpeg")}
    )
    assert sent.status_code == 202, sent.text
    stranger = await http.post(url, data={"session": "s" + "0" * 32}, files={"file": ("x.txt", b"x", "text/plain")})
    assert stranger.status_code == 404
    api = AgentApi(http, stack.url("inbox"), ADMIN)
    conversation = (await api.wait_for(location))[0]
    entry = (await api.get(conversation["id"]))["timeline"][0]
    assert entry["text"] == "📎 room.jpg"
    assert entry["attachments"][0]["content_type"] == "image/jpeg"


async def test_files_from_agents_reach_the_guest_and_no_one_else(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, mongo: Any, location: str
) -> None:
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        session = (await receive(socket, "welcome"))["session"]
        stored = await AttachmentStore(mongo["hub"]).put(b"%PDF-1.4 menu", "menu.pdf", location, "agent")
        push = ChatToGuest(
            key="entry:file",
            session_id=session,
            text="Our menu",
            author_name="Anna",
            attachments=[AttachmentRef(**stored.public())],
        )
        await nc.publish(Subjects.chat_to_guest(session), push.model_dump_json().encode())
        frame = await receive(socket, "message")
    link = frame["files"][0]["url"]
    assert link.startswith(f"/ingest/chat/{location}/files/{stored.id}")
    download = await eventually(lambda: http.get(stack.url("ingest") + link), lambda r: r.status_code == 200)
    assert download.content == b"%PDF-1.4 menu"
    assert download.headers["content-disposition"].startswith("attachment")
    other = link.replace(session, "s" + "1" * 32)
    assert (await http.get(stack.url("ingest") + other)).status_code == 404
