"""A chat the agent ended stays ended for the guest's widget, however often it reconnects; the guest's
next message starts a new chat (a new request the agent answers by chat), and an address the guest
leaves after the end still reaches the ended request (the agent goes on by email)."""

import json
from typing import Any

import httpx
import pytest
import websockets

from tests.integration.conftest import Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi
from tests.support.chat import receive, ws_url
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def start_chat(stack: Stack, api: AgentApi, location: str, text: str) -> tuple[str, str]:
    """A guest writes, then the agent ends the chat: the session and the ended request."""
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        welcome = await receive(socket, "welcome")
        assert (welcome["ended"], welcome["identified"]) == (False, False)
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": text}))
        await receive(socket, "ack")
        conversation = (await api.wait_for(location))[0]
        await api.ok("POST", conversation["id"], "close-chat", {})
        await receive(socket, "closed")
    return welcome["session"], conversation["id"]


async def welcome_of(stack: Stack, location: str, session: str) -> dict[str, Any]:
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello", "session": session}))
        return await receive(socket, "welcome")


async def test_a_reconnect_is_told_the_chat_ended_and_a_new_message_starts_a_new_request(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    session, ended_id = await start_chat(stack, api, location, "Is the pool open?")

    welcome = await eventually(lambda: welcome_of(stack, location, session), lambda w: w["ended"])
    assert welcome["session"] == session, "the same session, shown as it was"
    assert [m["text"] for m in welcome["history"]] == ["Is the pool open?"]

    async with (
        websockets.connect(ws_url(stack, location)) as socket,
        websockets.connect(ws_url(stack, location)) as other_tab,
    ):
        for tab in (socket, other_tab):
            await tab.send(json.dumps({"type": "hello", "session": session}))
            assert (await receive(tab, "welcome"))["ended"]
        await socket.send(json.dumps({"type": "message", "id": "m2", "text": "And the spa?"}))
        fresh = (await receive(socket, "restarted"))["session"]
        assert fresh != session
        assert (await receive(socket, "ack"))["id"] == "m2"
        # Another tab on the ended session writing too joins the same new chat, not a third one.
        await other_tab.send(json.dumps({"type": "message", "id": "m3", "text": "Also, parking?"}))
        assert (await receive(other_tab, "restarted"))["session"] == fresh

        conversations = await api.wait_for(location, count=2)
        [new] = [c for c in conversations if c["id"] != ended_id]
        assert (new["channel"], new["chat_session_id"]) == ("chat", fresh)
        detail = await eventually(lambda: api.get(new["id"]), lambda d: d["conversation"]["message_count"] == 2)
        assert [e["text"] for e in detail["timeline"] if e["kind"] == "message"] == ["And the spa?", "Also, parking?"]
        ended = await api.get(ended_id)
        assert [e["text"] for e in ended["timeline"] if e["kind"] == "message"] == ["Is the pool open?"]

        answer = await api.ok("POST", new["id"], "messages", {"text": "The spa opens at 9."})
        assert answer["entries"][0]["channel"] == "chat", "the new request is answered by chat"
        for tab in (socket, other_tab):
            live = await receive(tab, "message")
            assert (live["from"], live["text"]) == ("agent", "The spa opens at 9.")

    reloaded = await eventually(lambda: welcome_of(stack, location, fresh), lambda w: len(w["history"]) == 3)
    assert not reloaded["ended"]
    assert [m["from"] for m in reloaded["history"]] == ["guest", "guest", "agent"]


async def test_an_address_left_after_the_end_reaches_the_ended_request(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    session, ended_id = await start_chat(stack, api, location, "Can I check in early?")
    assert not (await eventually(lambda: welcome_of(stack, location, session), lambda w: w["ended"]))["identified"]
    guest = f"early.{location}@example.com"
    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello", "session": session}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "identify", "email": guest, "name": "Noor"}))
        await receive(socket, "identified")

    detail = await eventually(lambda: api.get(ended_id), lambda d: d["conversation"]["guest"].get("email") == guest)
    assert any(guest in (e.get("text") or "") for e in detail["timeline"] if e["kind"] == "message")
    answer = await api.ok("POST", ended_id, "messages", {"text": "Yes, from noon."})
    assert answer["entries"][0]["channel"] == "email", "the ended chat goes on by email"
    assert (await welcome_of(stack, location, session))["identified"]
    files = f"{stack.url('ingest')}/ingest/chat/{location}/files"
    late = await http.post(files, data={"session": session}, files={"file": ("a.txt", b"x", "text/plain")})
    assert late.status_code == 409, "a file never reaches the ended request"
    assert len(await api.conversations(location=location, view="all")) == 1, "no new request"
