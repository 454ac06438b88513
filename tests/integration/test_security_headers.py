"""Every HTTP response of every service carries the security headers, whatever route answered it, no route
reads a body over its limit, and no NUL character reaches a database."""

from collections.abc import AsyncIterator

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from tests.integration.conftest import ADMIN, Stack
from tests.support.servers import SERVICES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
async def test_every_response_forbids_sniffing_framing_and_running_anything(
    stack: Stack, http: httpx.AsyncClient, service: str
) -> None:
    for path in ("/healthz", "/metrics", "/no-such-page", "/api/v1/conversations"):
        response = await http.get(f"{stack.url(service)}{path}")
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'", path


async def test_pages_keep_their_scripts_and_routes_keep_their_own_policy(stack: Stack, http: httpx.AsyncClient) -> None:
    page = await http.get(f"{stack.url('ingest')}/ingest/demo/some-hotel")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'", "the demo page runs the widget"
    widget = await http.get(f"{stack.url('ingest')}/ingest/widget.js")
    assert widget.status_code == 200
    assert widget.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("inbox", "/api/v1/conversations/c1/notes"),
        ("contacts", "/api/v1/contacts"),
        ("solicit", "/api/v1/solicitations"),
        ("inbox", "/api/v1/attachments"),
    ],
)
async def test_a_body_over_the_limit_is_refused_before_any_route_reads_it(
    stack: Stack, http: httpx.AsyncClient, service: str, path: str
) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    too_big = await http.post(f"{stack.url(service)}{path}", content=b" " * (12 * 1024 * 1024), headers=headers)
    assert too_big.status_code == 413
    assert "limit" in too_big.json()["detail"]

    async def unbounded() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        yield b"x" * 1024

    chunked = await http.post(f"{stack.url(service)}{path}", content=unbounded(), headers=headers)
    assert chunked.status_code == 411, "a body without a declared length is refused where no route caps it"


async def test_streamed_imports_still_take_a_body_without_a_length(stack: Stack, http: httpx.AsyncClient) -> None:
    async def rows() -> AsyncIterator[bytes]:
        yield b"email,segment\n"
        yield b"streamed-import@example.com,vip\n"

    headers = {**ADMIN, "Content-Type": "text/csv"}
    answer = await http.post(f"{stack.url('contacts')}/api/v1/contacts/imports", content=rows(), headers=headers)
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "field"),
    [
        ("inbox", "POST", "/api/v1/auth/login", {"email": "a\x00b@example.com", "password": "whatever"}, "email"),
        ("inbox", "POST", "/api/v1/locations", {"id": "nul-hotel", "name": "Hotel\x00"}, "name"),
        ("inbox", "POST", "/api/v1/api-tokens", {"name": "n\x00", "scopes": ["calls:write"]}, "name"),
        (
            "inbox",
            "PUT",
            "/api/v1/settings",
            {"contact_reasons": [{"id": "x", "label_fr": "x", "label_en": "\x00"}]},
            "contact_reasons.0.label_en",
        ),
        ("inbox", "GET", "/api/v1/conversations?q=a%00b", None, "query.q"),
        ("contacts", "GET", "/api/v1/contacts?q=ab%00", None, "query.q"),
    ],
)
async def test_a_nul_character_is_a_422_naming_the_field_not_a_500(
    stack: Stack, http: httpx.AsyncClient, service: str, method: str, path: str, body: object, field: str
) -> None:
    # Found by the OpenAPI fuzzer: the database (FerretDB on PostgreSQL) cannot store or query a NUL.
    response = await http.request(method, f"{stack.url(service)}{path}", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("encoding", ["json", "data"])
async def test_a_form_with_a_nul_character_is_refused_rather_than_lost_on_the_way(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str, encoding: str
) -> None:
    before = (await nc.jetstream().stream_info("INBOUND")).state.last_seq
    form = {"email": "nul@example.com", "message": "We land\x00 at 23:40."}
    url = f"{stack.url('ingest')}/ingest/forms/{location}"
    response = await (http.post(url, json=form) if encoding == "json" else http.post(url, data=form))
    assert response.status_code == 422, "accepted, it would be dead-lettered: the inbox could not store it"
    assert [error["field"] for error in response.json()["errors"]] == ["message"]
    assert (await nc.jetstream().stream_info("INBOUND")).state.last_seq == before
