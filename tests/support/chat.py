"""The guest's side of a live chat, for tests: ingest's WebSocket and the frames it sends."""

import asyncio
import json
from typing import Any

from tests.integration.conftest import Stack


def ws_url(stack: Stack, location: str) -> str:
    return stack.url("ingest").replace("http://", "ws://") + f"/ingest/chat/{location}"


async def receive(socket: Any, kind: str) -> dict[str, Any]:
    """The next frame of this kind, skipping the others (at most 10 s)."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if frame["type"] == kind:
            return frame
