"""No guest message is lost or duplicated when the inbox is killed (-9) and restarted mid-stream."""

import asyncio

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.integration.conftest import Stack
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

FORMS = 500


async def test_500_forms_while_inbox_is_killed_and_restarted(
    stack: Stack, mongo: AsyncMongoClient[dict[str, object]], location: str
) -> None:
    ingest = f"{stack.url('ingest')}/ingest/forms/{location}"
    accepted: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(FORMS):
        queue.put_nowait(n)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            form = {"submission_id": f"load-{n}", "email": f"guest{n % 50}@example.com", "message": f"request {n}"}
            response = await client.post(ingest, json=form)
            assert response.status_code == 202, response.text
            accepted.append(response.json()["key"])

    async def killer() -> None:
        while len(accepted) < FORMS // 4:
            await asyncio.sleep(0.02)
        stack.services["inbox"].kill()  # SIGKILL: in-flight messages are never acked
        while len(accepted) < FORMS * 3 // 4:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(stack.restart, "inbox")

    async with httpx.AsyncClient(timeout=15) as client:
        await asyncio.gather(killer(), *(sender(client) for _ in range(8)))
    assert len(set(accepted)) == FORMS

    conversations = mongo["hub"]["conversations"]
    await eventually(
        lambda: conversations.count_documents({"location_id": location}), lambda count: count >= FORMS, timeout=120
    )
    await asyncio.sleep(2)  # let any redelivery after the kill finish, to catch duplicates
    keys = [doc["thread_key"] async for doc in conversations.find({"location_id": location}, {"thread_key": 1})]
    assert len(keys) == FORMS, "no duplicates"
    assert set(keys) == set(accepted), "every accepted form is a conversation"
    ids = [doc["_id"] async for doc in conversations.find({"location_id": location}, {"_id": 1})]
    entries = await mongo["hub"]["timeline"].count_documents({"conversation_id": {"$in": ids}})
    assert entries == FORMS
