"""Files attached to replies and notes: stored once, scoped to their hotel, never served as code."""

import base64

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from services.notify.composer import message_id
from tests.integration.conftest import REPLY_DOMAIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


async def upload(
    http: httpx.AsyncClient, base: str, headers: dict[str, str], location: str, name: str, data: bytes, kind: str
) -> httpx.Response:
    files = {"file": (name, data, kind)}
    return await http.post(f"{base}/api/v1/attachments", files=files, data={"location": location}, headers=headers)


async def guest_request(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str, text: str
) -> tuple[AgentApi, str]:
    """A guest's request in the hotel, and the API of one of its agents."""
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    await publish_inbound(nc, location, text=text)
    return api, str((await api.wait_for(location))[0]["id"])


async def test_reply_with_attachments_and_safe_download(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    base, headers = stack.url("inbox"), agent_headers([location])
    api, cid = await guest_request(stack, http, nc, location, "Can you send the menu?")

    png = await upload(http, base, headers, location, "menu.png", PNG, "image/png")
    svg = await upload(http, base, headers, location, "logo.png", SVG, "image/png")  # lies about its type
    assert png.status_code == svg.status_code == 201, svg.text
    assert png.json()["content_type"] == "image/png"
    assert svg.json()["content_type"] == "image/svg+xml", "the type is sniffed, not taken from the sender"

    result = await api.ok("POST", cid, "messages", {"text": "Here it is", "attachment_ids": [png.json()["id"]]})
    assert [a["filename"] for a in result["entries"][0]["attachments"]] == ["menu.png"]
    assert stack.sink is not None
    sent = await stack.sink.wait_for(message_id(f"entry:{result['entries'][0]['id']}", REPLY_DOMAIN))
    [image_part] = [p for p in sent.email.iter_attachments() if p.get_filename() == "menu.png"]
    assert image_part.get_content() == PNG

    image = await http.get(f"{base}/api/v1/attachments/{png.json()['id']}", headers=headers)
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")
    assert image.headers["x-content-type-options"] == "nosniff"
    script = await http.get(f"{base}/api/v1/attachments/{svg.json()['id']}", headers=headers)
    assert script.headers["content-disposition"].startswith("attachment")
    assert script.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in script.headers["content-security-policy"]


async def test_a_reply_shows_inline_images_in_its_body_and_refuses_what_is_not_an_image(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    base, headers = stack.url("inbox"), agent_headers([location])
    api, cid = await guest_request(stack, http, nc, location, "Where do I park?")
    plan = (await upload(http, base, headers, location, "plan.png", PNG, "image/png")).json()
    script = (await upload(http, base, headers, location, "logo.png", SVG, "image/png")).json()

    refused = await api.call("POST", cid, "messages", {"text": "See", "inline_image_ids": [script["id"]]})
    assert refused.status_code == 422
    assert "inline_image_ids" in refused.json()["detail"]
    assert "not a PNG, JPEG, GIF or WebP" in refused.json()["detail"]

    body = {"text": "The car park is behind the hotel:", "inline_image_ids": [plan["id"]]}
    result = await api.ok("POST", cid, "messages", body)
    [shown] = result["entries"][0]["attachments"]
    assert shown["content_id"] == f"{plan['id']}@inline"
    assert stack.sink is not None
    sent = (await stack.sink.wait_for(message_id(f"entry:{result['entries'][0]['id']}", REPLY_DOMAIN))).email
    html = sent.get_body(("html",))
    assert html is not None
    assert f'src="cid:{plan["id"]}@inline"' in html.get_content()
    [image] = [part for part in sent.walk() if part.get("Content-ID") == f"<{plan['id']}@inline>"]
    assert image.get_content_type() == "image/png"
    assert image.get_content() == PNG
    assert list(sent.iter_attachments()) == [], "shown in the body, not attached"


async def test_files_of_another_hotel_are_invisible_and_limits_hold(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    base = stack.url("inbox")
    mine, theirs = agent_headers([location]), agent_headers([f"{location}-x"])
    uploaded = (await upload(http, base, mine, location, "a.png", PNG, "image/png")).json()
    assert (await http.get(f"{base}/api/v1/attachments/{uploaded['id']}", headers=theirs)).status_code == 404
    assert (await upload(http, base, theirs, location, "a.png", PNG, "image/png")).status_code == 404
    empty = await upload(http, base, mine, location, "empty.txt", b"", "text/plain")
    assert empty.status_code == 422
    huge = await upload(http, base, mine, location, "huge.bin", b"x" * (1024 * 1024 + 1), "application/pdf")
    assert huge.status_code == 413
    assert "bytes at most" in huge.json()["detail"]

    await publish_inbound(nc, f"{location}-x", text="other hotel")
    other_api = AgentApi(http, base, theirs)
    other = (await other_api.wait_for(f"{location}-x"))[0]["id"]
    # Another hotel's file answers exactly as an unknown id does (issue 18, finding 12): no existence oracle.
    unknown_id = "att_" + "A" * 30
    foreign = await other_api.call("POST", other, "notes", {"text": "x", "attachment_ids": [uploaded["id"]]})
    unknown = await other_api.call("POST", other, "notes", {"text": "x", "attachment_ids": [unknown_id]})
    assert foreign.status_code == unknown.status_code == 422
    assert foreign.json()["detail"].replace(uploaded["id"], "ID") == unknown.json()["detail"].replace(unknown_id, "ID")
    assert "another hotel" not in foreign.json()["detail"]
