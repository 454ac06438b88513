"""Solicitations end to end: sent through notify's SMTP, answered through ingest's SMTP receiver,
threaded back into their own thread of the right request; recipients suggested by use."""

import json
import uuid
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import aiosmtplib
import httpx
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from shared import tokens
from shared.bus import Channel
from tests.integration.conftest import ADMIN, REPLY_DOMAIN, TEST_SECRET, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.support.smtp_sink import Received

pytestmark = pytest.mark.integration


def base(stack: Stack) -> str:
    return f"{stack.url('solicit')}/api/v1/solicitations"


async def new_request(nc: NatsClient, api: AgentApi, location: str, subject: str) -> str:
    await publish_inbound(nc, location, channel=Channel.FORM, email=f"guest.{location}@example.com", subject=subject)
    [conversation] = await api.wait_for(location)
    return str(conversation["id"])


async def mails_to(stack: Stack, address: str, count: int) -> list[Received]:
    assert stack.sink is not None
    sink = stack.sink

    async def probe() -> list[Received]:
        return sink.to(address)

    return await eventually(probe, lambda found: len(found) >= count)


async def answer_by_email(stack: Stack, sent: EmailMessage, sender: str, text: str) -> str:
    """The external person answers from their mail program, through ingest's SMTP receiver."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = str(sent["Reply-To"])
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = f"<answer-{uuid.uuid4().hex}@supplier.example>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer.set_content(text)
    await aiosmtplib.send(answer, hostname="127.0.0.1", port=stack.smtp_port)
    return str(answer["Message-ID"])


async def test_solicitations_thread_their_answers_back_into_the_request(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location], name="Anna Agent")
    api = AgentApi(http, stack.url("inbox"), me)
    cid = await new_request(nc, api, location, "Wedding dinner for 40")
    caterer, florist = f"caterer.{location}@supplier.example", f"florist.{location}@supplier.example"
    announced: list[dict[str, Any]] = []

    async def announce(msg: Msg) -> None:
        announced.append(json.loads(msg.data))

    subscription = await nc.subscribe("hub.events.conversation.solicitation_sent.*", cb=announce)

    created = await http.post(
        base(stack), json={"conversation_id": cid, "to": caterer, "text": "Can you serve 40 on June 3?"}, headers=me
    )
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["messages"][0]["subject"] == "Wedding dinner for 40", "the request's subject by default"
    second = await http.post(
        base(stack),
        json={
            "conversation_id": cid,
            "to": florist,
            "subject": "Flowers",
            "text": "White roses for **8** tables?",
            "formatted": True,
        },
        headers=me,
    )
    assert second.status_code == 201, second.text

    # Consoles showing the request hear of each new thread at once (no reload on a timer).
    async def mine() -> list[dict[str, Any]]:
        return [event for event in announced if event["conversation_id"] == cid]

    assert len(await eventually(mine, lambda events: len(events) == 2)) == 2
    await subscription.unsubscribe()

    [to_caterer] = await mails_to(stack, caterer, 1)
    [to_florist] = await mails_to(stack, florist, 1)
    formatted, plain = (mail.email.get_body(("html",)) for mail in (to_florist, to_caterer))
    assert formatted is not None
    assert plain is not None
    assert "White roses for <strong>8</strong> tables?" in formatted.get_content()
    assert "<strong>" not in plain.get_content(), "plain text unless the body says it is formatted"
    sent = to_caterer.email
    assert "Wedding dinner for 40" in str(sent["Subject"])
    _, reply_to = parseaddr(str(sent["Reply-To"]))
    local, _, domain = reply_to.partition("@")
    assert domain == f"{location}.{REPLY_DOMAIN}"
    assert tokens.verify("solicit", local.removeprefix("solicit+"), TEST_SECRET) == first["id"]
    assert "Can you serve 40 on June 3?" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    await api.ok("POST", cid, "read")  # so that the answer's unread mark shows
    answer_id = await answer_by_email(stack, sent, caterer, "Yes, 40 covers is fine.")

    async def thread(solicitation_id: str) -> Any:
        response = await http.get(f"{base(stack)}/{solicitation_id}", headers=me)
        assert response.status_code == 200, response.text
        return response.json()

    answered = await eventually(lambda: thread(first["id"]), lambda t: len(t["messages"]) == 2)
    assert answered["messages"][1]["direction"] == "inbound"
    assert "40 covers is fine" in answered["messages"][1]["text"]
    assert len((await thread(second.json()["id"]))["messages"]) == 1, "the other solicitation keeps its own thread"

    # In the request's timeline, under their solicitation, and the request is unread again.
    detail = await eventually(
        lambda: api.get(cid),
        lambda d: sum(e["kind"] == "solicitation" for e in d["timeline"]) == 3 and d["conversation"]["unread"],
    )
    shown = [e for e in detail["timeline"] if e["kind"] == "solicitation"]
    assert [(e["solicitation_id"], e["direction"]) for e in shown if e["direction"] == "inbound"] == [
        (first["id"], "inbound")
    ]

    # Answering inside the thread: to the locked recipient, under the thread's last subject.
    locked = await http.post(f"{base(stack)}/{first['id']}/messages", json={"to": florist, "text": "x"}, headers=me)
    assert locked.status_code == 422
    assert "to" in locked.json()["detail"]
    again = await http.post(f"{base(stack)}/{first['id']}/messages", json={"text": "Great, the menu?"}, headers=me)
    assert again.status_code == 201, again.text
    last_subject = answered["messages"][1]["subject"]
    assert again.json()["messages"][2]["subject"] == last_subject
    follow_up = (await mails_to(stack, caterer, 2))[1].email
    assert str(follow_up["Subject"]).startswith(last_subject)
    assert str(follow_up["In-Reply-To"]) == answer_id
    assert follow_up["To"] == caterer

    # Another hotel's agent sees none of it.
    stranger = agent_headers([f"{location}-x"])
    assert (await http.get(f"{base(stack)}/{first['id']}", headers=stranger)).status_code == 404
    other = await http.post(base(stack), json={"conversation_id": cid, "to": caterer, "text": "hi"}, headers=stranger)
    assert other.status_code == 404


async def test_recipients_are_suggested_by_use_then_by_recency(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    api = AgentApi(http, stack.url("inbox"), me)
    cid = await new_request(nc, api, location, "Airport transfer")
    often, early, late = (f"{location}.{name}@taxi.example" for name in ("often", "early", "late"))
    for address in (early, often, often, late, often):
        sent = await http.post(base(stack), json={"conversation_id": cid, "to": address, "text": "?"}, headers=me)
        assert sent.status_code == 201, sent.text

    async def suggested(typed: str, headers: dict[str, str] = me) -> list[tuple[str, int]]:
        response = await http.get(f"{base(stack)}/recipients", params={"q": typed}, headers=headers)
        assert response.status_code == 200, response.text
        return [(item["email"], item["count"]) for item in response.json()["items"]]

    # Most used first; "late" and "early" were used once each: the more recent one first.
    assert await suggested(location.upper()) == [(often, 3), (late, 1), (early, 1)]
    assert await suggested(f"{location}.e") == [(early, 1)]
    assert await suggested(f"{location}.z") == []
    assert await suggested(location, agent_headers([f"{location}-x"])) == [], "another hotel's addresses"


async def test_bad_recipient_and_forged_token_touch_nothing(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    api = AgentApi(http, stack.url("inbox"), me)
    cid = await new_request(nc, api, location, "Lost ring")
    bad = await http.post(base(stack), json={"conversation_id": cid, "to": "not an address", "text": "?"}, headers=me)
    assert bad.status_code == 422
    assert "to" in bad.json()["detail"]

    forged = EmailMessage()
    forged["From"] = "mallory@evil.example"
    forged["To"] = f"solicit+{cid}.{'0' * 20}@{location}.{REPLY_DOMAIN}"
    forged["Subject"] = "Re: Lost ring"
    forged["Message-ID"] = f"<forged-{uuid.uuid4().hex}@evil.example>"
    forged.set_content("Send me the guest's address, please.")
    await aiosmtplib.send(forged, hostname="127.0.0.1", port=stack.smtp_port)

    async def unmatched() -> list[dict[str, Any]]:
        response = await http.get(f"{base(stack)}/unmatched", headers=ADMIN)
        return [i for i in response.json()["items"] if i["location_id"] == location]

    [kept] = await eventually(unmatched, lambda items: len(items) == 1)
    assert kept["reason"] == "forged_token"
    assert kept["from"] == "mallory@evil.example"
    detail = await api.get(cid)
    assert [e["kind"] for e in detail["timeline"]] == ["message"], "the request is untouched"
    assert (await http.get(f"{base(stack)}/unmatched", headers=me)).status_code == 403
