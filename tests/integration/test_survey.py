"""The satisfaction survey on the real stack: a hotel asking email guests sends one survey after closing, with
five one-click links; a link's page records nothing, its form records the rating once (on the request, its
timeline and the guest's contact); a forged link and a hotel that does not ask get nothing; a chat ended
by an agent brings the widget its rating token."""

import asyncio
import json
import re
import uuid
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from shared import tokens
from shared.bus import Channel
from tests.integration.conftest import ADMIN, TEST_SECRET, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.support.smtp_sink import Received

pytestmark = pytest.mark.integration

LINK = re.compile(r"https?://\S+/survey/([a-z0-9]+\.[0-9a-f]{20})\?rating=([1-5])")
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def hotel_asking(stack: Stack, http: httpx.AsyncClient, channels: list[str]) -> str:
    hotel = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    if channels:
        url = f"{stack.url('inbox')}/api/v1/locations/{hotel}"
        answer = await http.patch(url, json={"survey_channels": channels, "language": "en"}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
    return hotel


async def answered_and_closed(nc: NatsClient, api: AgentApi, hotel: str, guest: str) -> str:
    await publish_inbound(nc, hotel, email=guest, name="Anna Martin", subject="Late arrival", text="We land at 23:40.")
    [conversation] = await api.wait_for(hotel)
    conversation_id = str(conversation["id"])
    await api.ok("POST", conversation_id, "messages", {"text": "We keep your room, see you tonight."})
    await api.ok("PUT", conversation_id, "status", {"status": "closed"})
    return conversation_id


async def mails_to(stack: Stack, address: str, count: int) -> list[EmailMessage]:
    assert stack.sink is not None
    sink = stack.sink

    async def probe() -> list[Received]:
        return sink.to(address)

    return [mail.email for mail in await eventually(probe, lambda found: len(found) >= count)]


def plain(email: EmailMessage) -> str:
    body = email.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def forged(token: str) -> str:
    conversation_id, signature = token.split(".")
    return f"{conversation_id}.{'0' if signature[0] != '0' else '1'}{signature[1:]}"


async def test_the_survey_rates_the_request_once(stack: Stack, nc: NatsClient, http: httpx.AsyncClient) -> None:
    asking = await hotel_asking(stack, http, ["email", "form"])
    silent = await hotel_asking(stack, http, [])
    api = AgentApi(http, stack.url("inbox"), agent_headers([asking, silent]))
    guest, other = f"anna.{asking}@example.com", f"ben.{silent}@example.com"
    # The hotel that does not ask closes first: the survey consumer handles closes in order, so once the
    # asking hotel's survey is there, the other close was handled (and sent nothing).
    silent_id = await answered_and_closed(nc, api, silent, other)
    conversation_id = await answered_and_closed(nc, api, asking, guest)

    mails = await mails_to(stack, guest, 2)
    [survey] = [mail for mail in mails if "/survey/" in plain(mail)]
    [reply] = [mail for mail in mails if mail is not survey]
    assert "We keep your room" in plain(reply)
    assert survey["Subject"].startswith("How did")
    assert survey["In-Reply-To"] is None
    assert survey["Reply-To"] is None
    assert str(survey["From"]) == str(reply["From"])  # from the hotel, like its answers
    found = LINK.findall(plain(survey))
    assert [rating for _, rating in found] == ["1", "2", "3", "4", "5"]
    token = found[0][0]
    assert {t for t, _ in found} == {token}
    assert token.split(".")[0] == conversation_id
    link = next(url for url in re.findall(r"https?://\S+", plain(survey)) if url.endswith("rating=4"))
    page_url = f"{stack.url('inbox')}{urlsplit(link).path}"

    # Opening the link (a mail scanner does) shows the choice and records nothing.
    opened = await http.get(page_url, params={"rating": "4"})
    assert opened.status_code == 200, opened.text
    assert 'value="4" required checked' in opened.text
    assert '<form method="post">' in opened.text
    assert "form-action 'self'" in opened.headers["content-security-policy"]
    assert opened.headers["cache-control"] == "no-store"
    assert (await api.get(conversation_id))["conversation"].get("survey") is None

    # Bounds: no rating, a rating out of range, a body too large; none records anything.
    assert (await http.post(page_url, content="rating=9", headers=FORM)).status_code == 422
    assert (await http.post(page_url, content="", headers=FORM)).status_code == 422
    assert (await http.post(page_url, content="rating=4&x=" + "a" * 2000, headers=FORM)).status_code == 413
    assert (await http.get(page_url, params={"rating": "123"})).status_code == 422
    assert (await api.get(conversation_id))["conversation"].get("survey") is None

    rated = await http.post(page_url, data={"rating": "4"})
    assert rated.status_code == 200, rated.text
    assert "4/5" in rated.text
    assert rated.headers["access-control-allow-origin"] == "*"  # the chat widget reads the outcome
    detail = await api.get(conversation_id)
    assert detail["conversation"]["survey"]["rating"] == 4
    assert detail["conversation"]["survey"]["channel"] == "email"
    [entry] = [entry for entry in detail["timeline"] if entry["kind"] == "rating"]
    assert entry["rating"] == 4
    assert [entry["kind"] for entry in detail["timeline"]].count("survey") == 1

    again = await http.post(page_url, data={"rating": "1"})
    assert again.status_code == 409
    assert "already" in again.text
    assert (await http.get(page_url)).status_code == 409
    assert (await api.get(conversation_id))["conversation"]["survey"]["rating"] == 4

    for url in (f"{stack.url('inbox')}/survey/{forged(token)}", f"{stack.url('inbox')}/survey/nothing"):
        assert (await http.get(url, params={"rating": "5"})).status_code == 404
        refused = await http.post(url, data={"rating": "5"}, headers={"accept-language": "fr"})
        assert refused.status_code == 404
        assert "Lien inconnu" in refused.text

    contact_id = detail["conversation"]["contact_id"]
    assert contact_id

    async def card() -> dict[str, Any]:
        answer = await http.get(f"{stack.url('contacts')}/api/v1/contacts/{contact_id}", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    contact = await eventually(card, lambda c: bool(c.get("ratings")))
    assert contact["ratings"]["last"] == 4
    assert contact["ratings"]["count"] == 1
    assert contact["ratings"]["average"] == 4

    # The hotel that does not ask sent its guest the answer only; its request has no survey entry.
    assert len(await mails_to(stack, other, 1)) == 1
    assert stack.sink is not None
    assert len(stack.sink.to(other)) == 1
    assert "survey" not in [entry["kind"] for entry in (await api.get(silent_id))["timeline"]]
    assert len(stack.sink.to(guest)) == 2  # its answer and one survey


async def test_a_request_closed_again_gets_no_second_survey(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient
) -> None:
    hotel = await hotel_asking(stack, http, ["email"])
    api = AgentApi(http, stack.url("inbox"), agent_headers([hotel]))
    guest = f"carla.{hotel}@example.com"
    conversation_id = await answered_and_closed(nc, api, hotel, guest)
    await mails_to(stack, guest, 2)
    await api.ok("PUT", conversation_id, "status", {"status": "open"})
    await api.ok("PUT", conversation_id, "status", {"status": "closed"})
    # A later close of another request of the hotel is handled after this one (in order): its survey
    # arriving means the second close was handled too.
    later = f"dan.{hotel}@example.com"
    await publish_inbound(nc, hotel, email=later, subject="Parking", text="Is there parking?")
    await api.wait_for(hotel, count=2)
    [other] = [c for c in await api.conversations(location=hotel) if c["id"] != conversation_id]
    await api.ok("POST", other["id"], "messages", {"text": "Yes, free."})
    await api.ok("PUT", other["id"], "status", {"status": "closed"})
    await mails_to(stack, later, 2)
    assert stack.sink is not None
    assert len(stack.sink.to(guest)) == 2  # the answer and one survey
    kinds = [entry["kind"] for entry in (await api.get(conversation_id))["timeline"]]
    assert kinds.count("survey") == 1


async def test_an_ended_chat_brings_the_widget_its_rating_token(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient
) -> None:
    hotel = await hotel_asking(stack, http, ["chat"])
    api = AgentApi(http, stack.url("inbox"), agent_headers([hotel]))
    session = uuid.uuid4().hex
    pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def on_push(msg: Any) -> None:
        await pushes.put(json.loads(msg.data))

    subscription = await nc.subscribe(f"hub.chat.to_guest.{session}", cb=on_push)
    try:
        await publish_inbound(
            nc, hotel, channel=Channel.CHAT, email=None, text="Is breakfast included?", chat_session_id=session
        )
        [conversation] = await api.wait_for(hotel)
        await api.ok("POST", conversation["id"], "close-chat", {})
        closing = await asyncio.wait_for(pushes.get(), timeout=10)
    finally:
        await subscription.unsubscribe()
    assert closing["kind"] == "closed"
    token = closing["survey_token"]
    assert tokens.verify("survey", token, TEST_SECRET) == conversation["id"]
    rated = await http.post(f"{stack.url('inbox')}/survey/{token}", data={"rating": "5"})
    assert rated.status_code == 200, rated.text
    survey = (await api.get(conversation["id"]))["conversation"]["survey"]
    assert survey["rating"] == 5
    assert survey["channel"] == "chat"
