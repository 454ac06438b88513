"""The public gateway as the edge (issue 18, findings 7 and 8): it hides the operational endpoints,
and the client address the services see is the peer nginx saw, never a header the client wrote."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Stack
from tests.support import servers

pytestmark = pytest.mark.integration

SERVICES = ("ingest", "inbox", "contacts", "notify", "solicit")
OPERATIONAL = ["/metrics", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]


@pytest.mark.parametrize("path", OPERATIONAL)
async def test_operational_endpoints_are_not_public(gateway: str, http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(f"{gateway}{path}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert json.loads(response.text)["title"] == "Not found"


@pytest.mark.parametrize("path", ["/metrics", "/docs", "/openapi.json"])
@pytest.mark.parametrize("service", ["ingest", "inbox", "contacts", "solicit"])
async def test_services_still_serve_them_on_their_own_ports(
    stack: Stack, http: httpx.AsyncClient, service: str, path: str
) -> None:
    response = await http.get(f"{stack.url(service)}{path}")
    assert response.status_code == 200, f"{service}{path}: {response.status_code}"


async def test_the_console_and_api_still_pass(gateway: str, http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{gateway}/")).status_code == 200
    assert (await http.get(f"{gateway}/api/v1/conversations")).status_code == 401


class _Echo:
    """An upstream that answers each request with the X-Forwarded-For header it received."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = servers.free_port()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        forwarded = [
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"x-forwarded-for:")
        ]
        body = json.dumps({"x_forwarded_for": forwarded}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def echo_gateway(tmp_path: Path) -> AsyncIterator[str]:
    """The real gateway configuration in front of an echo upstream (every route goes to it)."""
    echo = _Echo()
    echo.server = await asyncio.start_server(echo.handle, "127.0.0.1", echo.port)
    try:
        with servers.gateway(tmp_path / "nginx", dict.fromkeys(SERVICES, echo.port)) as url:
            yield url
    finally:
        echo.server.close()


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/ingest/forms/paris-opera", "/api/v1/contacts"])
async def test_a_client_written_forwarded_for_never_reaches_the_services(
    echo_gateway: str, http: httpx.AsyncClient, path: str
) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.7, 198.51.100.9"}
    response = await http.post(f"{echo_gateway}{path}", headers=spoofed, json={})
    assert response.status_code == 200, response.text
    assert response.json()["x_forwarded_for"] == ["127.0.0.1"], "only the peer nginx saw"
