"""Per-client-address limits (issue 18, finding 7, the sign-in lock-out and finding 11): the address is
the one the trusted gateway saw, whatever X-Forwarded-For the client writes; the limits hold across
replicas (NATS KV); a guessing client is stopped before it can slow many accounts down.

Each test starts its own replicas with small limits (the shared stack's are huge, so that every other
test may sign in from 127.0.0.1); a limit's key names its settings, so they do not share buckets.
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import websockets
from faststream.nats import NatsBroker

from shared.client_limits import ClientLimits, Limit
from tests.integration.conftest import ADMIN, Stack
from tests.support import servers

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"


@contextmanager
def replicas(stack: Stack, service: str, settings: dict[str, str], count: int = 1) -> Iterator[list[str]]:
    """`count` more processes of `service` on the stack's NATS and database, with these settings."""
    root = stack.root / f"{service}-{uuid.uuid4().hex[:6]}"
    root.mkdir()
    env = {**stack.env, **settings, "HUB_INGEST_SMTP_PORT": "0", "HUB_INGEST_IMAP_MAILBOXES": "[]"}
    procs = [servers.service(service, env, root / str(n)) for n in range(count)]
    for n, proc in enumerate(procs):
        (root / str(n)).mkdir()
        proc.start()
    try:
        urls = [f"http://127.0.0.1:{proc.port}" for proc in procs]
        for url in urls:
            servers.wait_ready(url)
        yield urls
    finally:
        for proc in procs:
            proc.stop()


@contextmanager
def gateway_to(stack: Stack, service: str, url: str) -> Iterator[str]:
    """The nginx gateway of deploy/nginx with `service` routed to the replica at `url`."""
    ports = {name: proc.port or 0 for name, proc in stack.services.items()}
    ports[service] = int(url.rpartition(":")[2])
    with servers.gateway(stack.root / f"nginx-{uuid.uuid4().hex[:6]}", ports) as gateway_url:
        yield gateway_url


async def new_agent(http: httpx.AsyncClient, stack: Stack, location: str) -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@test.hotel"
    body = {"name": "Camille Roux", "email": email, "location_ids": [location], "password": PASSWORD}
    response = await http.post(f"{stack.url('inbox')}/api/v1/agents", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return email


async def sign_in(
    http: httpx.AsyncClient, base: str, email: str, password: str = PASSWORD, **headers: str
) -> httpx.Response:
    return await http.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


def nobody() -> str:
    """An unknown account of its own per attempt: the account's delay (after 5 failures) stays out of it."""
    return f"nobody-{uuid.uuid4().hex[:8]}@test.hotel"


def spoofed() -> str:
    return f"203.0.113.{uuid.uuid4().int % 250 + 1}"


class TestSignIn:
    async def test_a_new_forwarded_for_per_request_does_not_evade_the_limit(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        with (
            replicas(stack, "inbox", {"HUB_INBOX_LOGIN_PER_MINUTE": "3"}) as [inbox],
            gateway_to(stack, "inbox", inbox) as gateway,
        ):
            answers = [
                await sign_in(http, gateway, nobody(), "wrong", **{"X-Forwarded-For": spoofed()}) for _ in range(5)
            ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
        assert "from your address" in answers[-1].json()["detail"]
        assert int(answers[-1].headers["Retry-After"]) >= 1

    async def test_replicas_share_one_budget_per_address(self, stack: Stack, http: httpx.AsyncClient) -> None:
        with replicas(stack, "inbox", {"HUB_INBOX_LOGIN_PER_MINUTE": "4"}, count=2) as [first, second]:
            answers = [await sign_in(http, base, nobody(), "wrong") for base in [first, second] * 3]
        # Each replica saw 3 attempts, under its limit of 4: only a shared count refuses the last two.
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429, 429]
        assert "attempts from your address" in answers[-1].json()["detail"]

    async def test_one_client_cannot_slow_down_many_accounts(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        accounts = [await new_agent(http, stack, location) for _ in range(3)]
        settings = {"HUB_INBOX_LOGIN_FAILURES_PER_ADDRESS": "4"}
        with replicas(stack, "inbox", settings, count=2) as [first, second]:
            guesses = [
                await sign_in(http, base, email, "guessed-password")
                for email in accounts[:2]
                for base in (first, second)
            ]
            assert [g.status_code for g in guesses] == [401] * 4
            stopped = await sign_in(http, first, accounts[2], "guessed-password")
            assert stopped.status_code == 429
            assert "failed sign-ins from your address" in stopped.json()["detail"]
            assert (await sign_in(http, second, accounts[0])).status_code == 429, "the client, on every replica"
        # The accounts themselves are not locked: their agents (elsewhere) sign in at once.
        for email in accounts:
            assert (await sign_in(http, stack.url("inbox"), email)).status_code == 200


async def test_two_limiters_on_one_kv_allow_exactly_the_burst(stack: Stack) -> None:
    """Compare-and-set on the KV revision: concurrent hits from two replicas never over-admit."""
    brokers = [NatsBroker(stack.nats_url) for _ in range(2)]
    for broker in brokers:
        await broker.connect()
    try:
        limiters = [ClientLimits(broker) for broker in brokers]
        limit = Limit(f"test-{uuid.uuid4().hex[:8]}", 5, 3600)
        waits = await asyncio.gather(*(limiters[n % 2].hit(limit, "198.51.100.7") for n in range(12)))
        assert sum(1 for wait in waits if wait == 0) == 5
        assert all(wait > 0 for wait in waits if wait)
        assert await limiters[0].check(limit, "198.51.100.7") > 0
        assert await limiters[1].check(limit, "198.51.100.8") == 0
        assert not any(limiter._failing for limiter in limiters), "counted in the KV, not per process"
    finally:
        for broker in brokers:
            await broker.stop()


class TestGuests:
    async def test_forms_count_per_address_through_the_gateway_and_across_replicas(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        settings = {"HUB_INGEST_FORM_RATE_PER_MINUTE": "3", "HUB_INGEST_FORM_RATE_BURST": "3"}
        with (
            replicas(stack, "ingest", settings, count=2) as [first, second],
            gateway_to(stack, "ingest", first) as gateway,
        ):

            async def send(base: str) -> httpx.Response:
                form = {"email": "bot@example.com", "message": f"spam {uuid.uuid4().hex}"}
                url = f"{base}/ingest/forms/{location}"
                # Through the gateway a new header per request; directly, none (locally the services
                # trust loopback, where the gateway runs, as compose trusts the gateway's address).
                headers = {"X-Forwarded-For": spoofed()} if base == gateway else {}
                return await http.post(url, json=form, headers=headers)

            answers = [await send(base) for base in (gateway, gateway, second, gateway, second)]
        statuses = [a.status_code for a in answers]
        assert 429 not in statuses[:3], statuses
        assert statuses[3:] == [429, 429], "one budget for the address, whichever replica and header"
        assert "from your address" in answers[-1].json()["detail"]

    async def test_new_chats_and_their_messages_count_per_address(self, stack: Stack, location: str) -> None:
        settings = {
            "HUB_INGEST_CHAT_SESSIONS_PER_HOUR": "3",
            "HUB_INGEST_CHAT_SESSIONS_BURST": "3",
            "HUB_INGEST_CHAT_ADDRESS_RATE_PER_MINUTE": "4",
            "HUB_INGEST_CHAT_ADDRESS_RATE_BURST": "4",
        }
        with replicas(stack, "ingest", settings) as [ingest]:
            url = ingest.replace("http://", "ws://") + f"/ingest/chat/{location}"
            sessions, answers = [], []
            for n in range(3):  # a new socket per message, as the probe did: two messages each
                async with websockets.connect(url) as socket:
                    await socket.send(json.dumps({"type": "hello"}))
                    sessions.append((await frame_of(socket, "welcome"))["session"])
                    for m in range(2):
                        await socket.send(json.dumps({"type": "message", "id": f"m{n}{m}", "text": "Hello?"}))
                        answers.append(await frame_of(socket, "ack", "error"))
            async with websockets.connect(url) as socket:
                await socket.send(json.dumps({"type": "hello"}))
                refused = await frame_of(socket, "error")
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(socket.recv(), timeout=10)
            async with websockets.connect(url) as socket:  # a guest's own chat resumes all the same
                await socket.send(json.dumps({"type": "hello", "session": sessions[0]}))
                assert (await frame_of(socket, "welcome"))["session"] == sessions[0]
        assert [a["type"] for a in answers] == ["ack"] * 4 + ["error"] * 2, "4 messages over all its chats"
        assert "Slow down" in answers[-1]["message"]
        assert "Too many new chats from your address" in refused["message"]
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4429


async def frame_of(socket: Any, *kinds: str) -> dict[str, Any]:
    """The next frame of one of these types (others, e.g. pushes, are skipped)."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if frame["type"] in kinds:
            return frame
