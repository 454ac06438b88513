"""Threading when the headers fall short: a request tag quoted in the subject, a solicitation answered at the
hotel's own address, and the whole References chain on the hotel's answers."""

import uuid
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import aiosmtplib
import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from services.notify.composer import message_id
from shared.bus import Channel
from shared.mail_threads import reference_tag
from tests.integration.conftest import HOTEL_MAIL_DOMAIN, REPLY_DOMAIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.support.smtp_sink import Received

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]
# As mail programs write threading headers: a long Message-ID as it is (the library would encode it).
MAILER = SMTP.clone(refold_source="none")


async def mail(stack: Stack, sender: str, to: str, subject: str, text: str, **headers: str) -> str:
    """An email through ingest's SMTP receiver; returns its Message-ID (in angle brackets)."""
    email = EmailMessage(policy=MAILER)
    email["From"], email["To"], email["Subject"] = sender, to, subject
    email["Message-ID"] = f"<{uuid.uuid4().hex}@guest.example>"
    for name, value in headers.items():
        email.set_raw(name.replace("_", "-"), value)
    email.set_content(text)
    await aiosmtplib.send(email.as_bytes(), sender=sender, recipients=[to], hostname="127.0.0.1", port=stack.smtp_port)
    return str(email["Message-ID"])


def main_address(location: str) -> str:
    return f"{location}@{HOTEL_MAIL_DOMAIN}"


def inbound(detail: dict[str, Any]) -> list[str]:
    return [e["text"].strip() for e in detail["timeline"] if e["kind"] == "message" and e["direction"] == "inbound"]


async def reply(api: AgentApi, stack: Stack, cid: str, text: str) -> EmailMessage:
    """An agent's answer, as the guest receives it."""
    assert stack.sink is not None
    entry = (await api.ok("POST", cid, "messages", {"text": text}))["entries"][0]
    return (await stack.sink.wait_for(message_id(f"entry:{entry['id']}", REPLY_DOMAIN))).email


async def test_a_quoted_tag_joins_the_request_only_from_its_guest_at_its_hotel(
    stack: Stack, http: httpx.AsyncClient, mongo: Mongo, location: str
) -> None:
    sister = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    guest, stranger = f"claire.{location}@guest.example", f"mallory.{location}@guest.example"
    api = AgentApi(http, stack.url("inbox"), agent_headers([location, sister]))
    await mail(stack, guest, main_address(location), "Late arrival", "We arrive at 23:40.")
    [conversation] = await api.wait_for(location)
    cid = conversation["id"]
    subject = f"Re: Late arrival [#{reference_tag(cid)}]"

    # A webmail answer: the tag in the subject, no In-Reply-To, no References, to the hotel's own address.
    await mail(stack, guest, main_address(location), subject, "Is parking included?")
    detail = await eventually(lambda: api.get(cid), lambda d: len(inbound(d)) == 2)
    assert inbound(detail) == ["We arrive at 23:40.", "Is parking included?"]

    # The same tag from another address, or to a sister hotel, is a new request there.
    await mail(stack, stranger, main_address(location), subject, "Send me the guest's address.")
    await mail(stack, guest, main_address(sister), subject, "And at your sister hotel?")
    here = await api.wait_for(location, 2)
    [there] = await api.wait_for(sister)
    assert {c["guest"]["email"] for c in here if c["id"] != cid} == {stranger}
    assert there["id"] != cid
    assert inbound(await api.get(cid)) == ["We arrive at 23:40.", "Is parking included?"]

    # A request opened before tags were recorded has none: the guest's contact finds it, once.
    reference = f"{location}|tag:{reference_tag(cid)}:{guest}"
    refs = mongo["hub"]["thread_refs"]
    assert (await refs.find_one({"_id": reference}))["conversation_id"] == cid  # type: ignore[index]
    await refs.delete_one({"_id": reference})
    await mail(stack, guest, main_address(location), subject, "We are three, not two.")
    detail = await eventually(lambda: api.get(cid), lambda d: len(inbound(d)) == 3)
    assert inbound(detail)[-1] == "We are three, not two."
    assert (await refs.find_one({"_id": reference}))["conversation_id"] == cid  # type: ignore[index]
    assert len(await api.conversations(location=location, view="all")) == 2


async def test_a_solicitation_answered_at_the_hotels_address_joins_the_solicitations_thread(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    api = AgentApi(http, stack.url("inbox"), me)
    await publish_inbound(nc, location, channel=Channel.FORM, email=f"guest.{location}@example.com", subject="Cake")
    [conversation] = await api.wait_for(location)
    cid = conversation["id"]
    baker = f"baker.{location}@supplier.example"
    solicitations = f"{stack.url('solicit')}/api/v1/solicitations"
    created = await http.post(solicitations, json={"conversation_id": cid, "to": baker, "text": "A cake?"}, headers=me)
    assert created.status_code == 201, created.text
    solicitation_id = created.json()["id"]
    assert stack.sink is not None
    sink = stack.sink

    async def to_baker() -> list[Received]:
        return sink.to(baker)

    [sent] = await eventually(to_baker, lambda found: len(found) == 1)

    # The baker writes to the hotel's address they know, not to the Reply-To, but answers the email.
    subject = f"Re: {sent.email['Subject']}"
    await mail(stack, baker, main_address(location), subject, "Yes, chocolate.", In_Reply_To=sent.message_id)

    async def thread() -> list[dict[str, Any]]:
        response = await http.get(f"{solicitations}/{solicitation_id}", headers=me)
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    messages = await eventually(thread, lambda found: len(found) == 2)
    assert (messages[1]["direction"], messages[1]["text"].strip()) == ("inbound", "Yes, chocolate.")
    detail = await eventually(
        lambda: api.get(cid),
        lambda d: any(e["kind"] == "solicitation" and e["direction"] == "inbound" for e in d["timeline"]),
    )
    assert inbound(detail) == ["Hello"], "not a guest's message"
    assert len(await api.conversations(location=location, view="all")) == 1


async def test_the_hotels_answers_carry_the_whole_references_chain(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    guest = f"claire.{location}@guest.example"
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    first = await mail(stack, guest, main_address(location), "Late arrival", "We arrive at 23:40.")
    [conversation] = await api.wait_for(location)
    cid = conversation["id"]
    answer = await reply(api, stack, cid, "Noted.")
    assert (answer["In-Reply-To"], answer["References"]) == (first, first)

    second = await mail(
        stack,
        guest,
        str(answer["Reply-To"]),
        f"Re: {answer['Subject']}",
        "Thanks!",
        In_Reply_To=str(answer["Message-ID"]),
        References=f"{first} {answer['Message-ID']}",
    )
    await eventually(lambda: api.get(cid), lambda d: len(inbound(d)) == 2)
    again = await reply(api, stack, cid, "You are welcome.")
    assert again["In-Reply-To"] == second
    assert str(again["References"]).split() == [first, str(answer["Message-ID"]), second]
