"""Every HTTP response of every service carries the security headers, whatever route answered it."""

import httpx
import pytest

from tests.integration.conftest import Stack
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
