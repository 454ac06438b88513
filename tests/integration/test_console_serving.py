"""The console's page and files as the inbox serves them, and the presence it relays between agents."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from tests.integration.conftest import Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_the_page_has_a_strict_policy_of_its_own(stack: Stack, http: httpx.AsyncClient) -> None:
    for path in ("/", "/conversations/0123456789abcdef"):
        page = await http.get(f"{stack.url('inbox')}{path}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
    script = await http.get(f"{stack.url('inbox')}/console/js/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert (await http.get(f"{stack.url('inbox')}/console/../main.py")).status_code == 404


async def test_viewing_reaches_agents_of_the_hotel_only(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    await publish_inbound(nc, location, text="Who has this open?")
    mine = agent_headers([location], agent_id="agent-a", name="Alice Agent")
    conversation_id = (await AgentApi(http, stack.url("inbox"), mine).wait_for(location))[0]["id"]
    outsider = agent_headers([f"{location}-other"], agent_id="agent-o", name="Otto Outside")
    refused = await http.post(
        f"{stack.url('inbox')}/api/v1/conversations/{conversation_id}/viewing", json={"tab": "t1"}, headers=outsider
    )
    assert refused.status_code == 404

    seen: dict[str, list[dict[str, Any]]] = {"colleague": [], "outsider": []}
    ready = asyncio.Event()

    async def listen(who: str, headers: dict[str, str]) -> None:
        async with http.stream("GET", f"{stack.url('inbox')}/api/v1/events", headers=headers, timeout=30) as stream:
            name = ""
            async for line in stream.aiter_lines():
                ready.set()
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: ") and name == "conversation.viewing":
                    seen[who].append(json.loads(line.removeprefix("data: ")))

    colleague = agent_headers([location], agent_id="agent-b", name="Bob Agent")
    listeners = [asyncio.create_task(listen("colleague", colleague)), asyncio.create_task(listen("outsider", outsider))]
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        await asyncio.sleep(0.3)

        async def announce() -> list[dict[str, Any]]:
            answer = await http.post(
                f"{stack.url('inbox')}/api/v1/conversations/{conversation_id}/viewing",
                json={"tab": "tab-1"},
                headers=mine,
            )
            assert answer.status_code == 204, answer.text
            await asyncio.sleep(0.2)
            return seen["colleague"]

        events = await eventually(announce, bool, timeout=10)
    finally:
        for listener in listeners:
            listener.cancel()
    assert events[0]["conversation_id"] == conversation_id
    assert events[0]["agent"] == {"id": "agent-a", "name": "Alice Agent", "initials": "AA"}
    assert seen["outsider"] == []
