"""Issue 22, part 5: a guest's strong words in an email, a form or a chat raise the request's alert, with its
reason ("alert: negative wording"), through the real ingest, bus and inbox; a neutral question does not."""

from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from shared.bus import Channel
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, Stack
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.integration.test_email_ingest import send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def agent(stack: Stack, http: httpx.AsyncClient) -> AgentApi:
    return AgentApi(http, stack.url("inbox"), ADMIN)


def email(location: str, subject: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Dana Cole <dana.cole@example.com>"
    message["To"] = f"{location}@{HOTEL_MAIL_DOMAIN}"
    message["Subject"] = subject
    message["Message-ID"] = f"<angry-{location}@example.com>"
    message.set_content(text)
    return message.as_bytes()


async def only_request(agent: AgentApi, location: str, view: str = "all") -> dict[str, Any]:
    items = await agent.wait_for(location, view=view)
    assert len(items) == 1, items
    return items[0]


async def test_an_angry_email_is_an_alert_with_its_reason(stack: Stack, agent: AgentApi, location: str) -> None:
    sent = email(location, "Room 412", "This is unacceptable, I want a refund.")
    assert send(stack, sent, [f"{location}@{HOTEL_MAIL_DOMAIN}"]) == (250, "accepted")
    item = await only_request(agent, location)
    assert (item["alert"], item["alert_reason"], item["priority"]) == (True, "negative_wording", "high")
    counts = await eventually(
        lambda: agent.counts(location=location), lambda counts: counts["buckets"].get("alerts") == 1
    )
    assert counts["buckets"].get("new", 0) == 0
    detail = await agent.get(item["id"])
    assert detail["conversation"]["alert_reason"] == "negative_wording"


async def test_a_french_form_is_an_alert_and_a_neutral_question_is_not(
    stack: Stack, http: httpx.AsyncClient, agent: AgentApi, location: str
) -> None:
    url = f"{stack.url('ingest')}/ingest/forms/{location}"
    angry = {"name": "Luc Moreau", "email": "luc@example.com", "message": "C'est inadmissible, je veux être remboursé"}
    question = {"name": "Ana Ruiz", "email": "ana@example.com", "message": "Is breakfast included in my booking?"}
    for form in (angry, question):
        assert (await http.post(url, json=form)).status_code == 202
    items = await eventually(lambda: agent.conversations(location=location), lambda items: len(items) == 2)
    by_guest = {item["guest"]["email"]: item for item in items}
    french, neutral = by_guest["luc@example.com"], by_guest["ana@example.com"]
    assert (french["alert"], french["alert_reason"], french["priority"]) == (True, "negative_wording", "high")
    assert (neutral["alert"], neutral.get("alert_reason"), neutral["priority"]) == (False, None, "low")
    assert items[0]["id"] == french["id"], "the alert leads the inbox"


async def test_a_chat_turning_angry_raises_the_alert_and_leaves_the_bot_on(
    nc: NatsClient, agent: AgentApi, location: str
) -> None:
    session = f"chat-{location}"
    await publish_inbound(
        nc, location, channel=Channel.CHAT, text="Hi, is parking free?", bot_handled=True, chat_session_id=session
    )
    first = await only_request(agent, location)
    assert (first["alert"], first["bot_active"]) == (False, True)
    await publish_inbound(
        nc,
        location,
        channel=Channel.CHAT,
        text="Your bot is useless and the room is filthy. Disgraceful, never again!",
        bot_handled=True,
        chat_session_id=session,
    )
    items = await eventually(
        lambda: agent.conversations(location=location, view="all"), lambda items: bool(items and items[0]["alert"])
    )
    assert len(items) == 1
    assert (items[0]["alert_reason"], items[0]["bot_active"], items[0]["priority"]) == (
        "negative_wording",
        True,
        "high",
    )
    # A calmer message later does not clear it: only an answer does what an alert asks.
    await publish_inbound(nc, location, channel=Channel.CHAT, text="Thanks.", bot_handled=True, chat_session_id=session)
    calmer = await eventually(
        lambda: agent.conversations(location=location, view="all"), lambda items: items[0]["message_count"] == 3
    )
    assert calmer[0]["alert"] is True


async def test_spam_never_alerts(stack: Stack, http: httpx.AsyncClient, agent: AgentApi, location: str) -> None:
    pitch = {
        "email": "seo@spam.example",
        "message": "Cheap SEO services and backlinks, buy now! Unacceptable rankings.",
    }
    assert (await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=pitch)).status_code == 202
    item = await only_request(agent, location, view="spam")
    assert (item["alert"], item["priority"]) == (False, "low")
