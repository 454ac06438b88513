"""The chat widget's live channel: the WebSocket protocol between a guest's page and the hub.

Frames are JSON: hello {session?} -> welcome {session, history, ended, identified}; message {id, text}
-> ack {id}; identify {email, name} -> identified; the agent's messages and the chat's closing arrive as
message {from: "agent"} and closed, the hotel's chatbot's as message {from: "bot", author: <its name>}, and
a person taking over from the bot as handed_over. A message written after the end starts a new chat (`chat`'s rule):
restarted {session} comes before its ack, and the socket then speaks for the new session. A frame that
cannot be read is answered with an error frame, never by dropping the socket (the guest's chat would end
with it).
"""

import asyncio
import contextlib
import json
import re
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from shared.bus import ChatToGuest, Guest, Subjects, is_location_id
from shared.http import NUL_MESSAGE, nul_fields
from shared.messaging import PublishFailedError
from shared.runtime import Runtime

from . import chat
from .limits import GuestLimits

HELLO_TIMEOUT_SECONDS = 15
PUSH_QUEUE = 100  # agent's messages waiting for a slow socket; more are dropped (the transcript keeps them)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LONE_SURROGATE_MESSAGE = "Text may not hold half a character (an unpaired \\ud800-\\udfff escape)."


async def serve(websocket: WebSocket, runtime: Runtime, location_id: str, limits: GuestLimits) -> None:
    """Run one guest's socket until they leave: greet, then push the agent's messages while reading theirs."""
    client = websocket.client.host if websocket.client else "unknown"
    if not is_location_id(location_id):
        await websocket.close(code=4404, reason="unknown hotel")
        return
    await websocket.accept()
    try:
        hello = json.loads(await asyncio.wait_for(receive_frame(websocket), timeout=HELLO_TIMEOUT_SECONDS))
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await websocket.close(code=4400, reason="say hello first")
        return
    requested = hello.get("session") if isinstance(hello, dict) else None
    try:
        session = await chat.open_or_resume(runtime, location_id, requested, limits, client)
    except chat.TooManyChatsError as refused:
        await websocket.send_json({"type": "error", "message": str(refused), "retry_after": int(refused.wait) + 1})
        await websocket.close(code=4429, reason="too many new chats")
        return
    history = await chat.transcript(runtime, session)
    await websocket.send_json(
        {
            "type": "welcome",
            "session": session.session_id,
            "history": history,
            "ended": session.ended,
            "identified": bool(session.guest.get("email")),
        }
    )
    live = LiveSession(runtime, session)
    await live.follow(session)

    async def push_to_guest() -> None:
        while True:
            await websocket.send_json(await live.pushes.get())

    pusher = asyncio.create_task(push_to_guest())
    try:
        while True:
            await answer_frame(websocket, runtime, live, limits, client)
    except WebSocketDisconnect:
        pass
    finally:
        pusher.cancel()
        await live.stop()


class LiveSession:
    """The session a socket speaks for, and the subscription bringing it what the agent sends; a message
    written after the end moves both to the session that follows."""

    def __init__(self, runtime: Runtime, session: chat.ChatSession) -> None:
        self.runtime = runtime
        self.session = session
        self.pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=PUSH_QUEUE)
        self.subscription: Subscription | None = None

    async def follow(self, session: chat.ChatSession) -> None:
        await self.stop()
        self.session = session
        self.subscription = await self.runtime.broker.connection.subscribe(
            Subjects.chat_to_guest(session.session_id), cb=self.on_push
        )

    async def on_push(self, msg: Msg) -> None:
        with contextlib.suppress(ValueError, asyncio.QueueFull):
            push = ChatToGuest.model_validate_json(msg.data)
            if push.kind == "closed" and push.session_id == self.session.session_id:
                self.session.ended = True  # at once: the stored end may come a moment later
            self.pushes.put_nowait(chat.to_guest_event(push, self.session.location_id))

    async def stop(self) -> None:
        if self.subscription is not None:
            await self.subscription.unsubscribe()
            self.subscription = None


def is_unicode(text: str) -> bool:
    """False when JSON's escapes left a lone surrogate in the text: nothing can store or send it."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


async def receive_frame(websocket: WebSocket) -> str:
    """The next frame's text. A binary frame, which the widget never sends, reads as no text, so it is
    refused like any frame that is not JSON (Starlette's `receive_text` raised KeyError, killing the socket)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    return str(message.get("text") or "")


async def answer_frame(
    websocket: WebSocket, runtime: Runtime, live: LiveSession, limits: GuestLimits, client: str
) -> None:
    """Read one frame of the guest and answer it."""
    raw = await receive_frame(websocket)
    try:
        frame = json.loads(raw)
        kind = frame["type"]
    except (ValueError, TypeError, KeyError):
        await websocket.send_json({"type": "error", "message": "Frames are JSON objects with a type."})
        return
    # Only an id the widget may have given is echoed: any other value may not even be sendable (a lone
    # surrogate), and the socket would fail with it.
    given_id = frame.get("id")
    client_id = given_id if isinstance(given_id, str) and CLIENT_ID.match(given_id) else None
    if nul_fields(frame):  # it could not be stored: the socket would fail, and the guest's chat with it
        await websocket.send_json({"type": "error", "id": client_id, "message": NUL_MESSAGE})
        return
    if kind == "message":
        await _guest_message(websocket, runtime, live, (limits, client), client_id, frame.get("text"))
    elif kind == "identify":
        try:
            guest = Guest(name=frame.get("name"), email=frame.get("email"))
        except ValidationError:
            await websocket.send_json({"type": "error", "message": "Give a valid email address and a name."})
            return
        try:
            await chat.guest_identifies(runtime, live.session, guest)
        except PublishFailedError:
            await websocket.send_json({"type": "error", "message": "Not sent; send it again."})
            return
        await websocket.send_json({"type": "identified"})
    else:
        await websocket.send_json({"type": "error", "message": f"Unknown frame type {kind!r}."})


async def _guest_message(
    websocket: WebSocket,
    runtime: Runtime,
    live: LiveSession,
    limited: tuple[GuestLimits, str],
    client_id: str | None,
    text: object,
) -> None:
    if client_id is None:
        await websocket.send_json({"type": "error", "message": "A message needs an id (letters, digits, - or _)."})
        return
    if not isinstance(text, str) or not text.strip() or len(text) > chat.MAX_TEXT:
        await websocket.send_json(
            {"type": "error", "id": client_id, "message": f"A message has 1 to {chat.MAX_TEXT} characters."}
        )
        return
    if not is_unicode(text):
        await websocket.send_json({"type": "error", "id": client_id, "message": LONE_SURROGATE_MESSAGE})
        return
    limits, client = limited
    if wait := await limits.chat_message(client, live.session.session_id):
        await websocket.send_json({"type": "error", "id": client_id, "message": f"Slow down: {wait:.0f} s."})
        return
    try:
        session = await chat.session_for_message(runtime, live.session, limits, client)
    except chat.TooManyChatsError as refused:
        await websocket.send_json({"type": "error", "id": client_id, "message": str(refused)})
        return
    if session is not live.session:
        await live.follow(session)
        await websocket.send_json({"type": "restarted", "session": session.session_id})
    try:
        await chat.guest_says(runtime, session, client_id, text.strip())
    except PublishFailedError:
        await websocket.send_json({"type": "error", "id": client_id, "message": "Not sent; send it again."})
        return
    await websocket.send_json({"type": "ack", "id": client_id})
