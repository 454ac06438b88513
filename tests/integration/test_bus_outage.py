"""A NATS restart: readiness reflects the connection, producers refuse instead of pretending, consumers resume."""

import asyncio
from functools import partial

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.integration.conftest import Stack
from tests.support import servers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def readiness(http: httpx.AsyncClient, base: str) -> int:
    try:
        return (await http.get(f"{base}/readyz")).status_code
    except httpx.HTTPError:
        return 0


async def test_nats_restart_is_survived(
    stack: Stack, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, object]], location: str
) -> None:
    ingest, inbox = stack.url("ingest"), stack.url("inbox")
    stack.nats.stop()
    try:
        await eventually(lambda: readiness(http, inbox), lambda status: status == 503, timeout=10)
        down = await http.post(f"{ingest}/ingest/forms/{location}", json={"email": "a@example.com", "message": "hi"})
        assert down.status_code == 503, "nothing is accepted while it cannot be stored"
        assert "send it again" in down.json()["detail"]
    finally:
        await asyncio.to_thread(stack.nats.start)
    for service in servers.SERVICES:
        base = stack.url(service)
        await eventually(partial(readiness, http, base), lambda status: status == 200, timeout=30)
    after = await http.post(f"{ingest}/ingest/forms/{location}", json={"email": "b@example.com", "message": "back"})
    assert after.status_code == 202
    await eventually(
        lambda: mongo["hub"]["conversations"].count_documents({"location_id": location}),
        lambda count: count == 1,
        timeout=30,
    )
