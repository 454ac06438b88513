"""Seed 003's continuity: a chat whose request is linked to a contact with an email address goes on by email
from the same request once the chat has ended, and the guest's email answer joins it.

Chat (ingest's WebSocket) -> the agent links the request to a contact (created, or found) -> ends the chat
"in progress" -> replies by email (caught at the SMTP sink) -> the guest answers that email (ingest's SMTP
receiver) -> one request holds all of it.
"""

import json
import uuid
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import aiosmtplib
import httpx
import pytest
import websockets
from nats.aio.client import Client as NatsClient

from services.notify import composer
from shared import tokens
from tests.integration.conftest import REPLY_DOMAIN, TEST_SECRET, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.chat import receive as frame_of
from tests.support.chat import ws_url
from tests.support.polling import eventually
from tests.support.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.integration


async def mail_to(sink: SmtpSink | None, recipient: str) -> Received:
    assert sink is not None

    async def probe() -> list[Received]:
        return sink.to(recipient)

    return (await eventually(probe, lambda found: len(found) >= 1))[0]


async def contacts_call(
    http: httpx.AsyncClient, stack: Stack, method: str, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await http.request(method, f"{stack.url('contacts')}/api/v1/contacts{path}", json=body, headers=headers)


async def anonymous_chat(stack: Stack, location: str, text: str) -> tuple[Any, str]:
    """A guest who gives neither name nor address writes in the widget; the socket stays open."""
    socket = await websockets.connect(ws_url(stack, location))
    await socket.send(json.dumps({"type": "hello"}))
    session = str((await frame_of(socket, "welcome"))["session"])
    await socket.send(json.dumps({"type": "message", "id": "m1", "text": text}))
    await frame_of(socket, "ack")
    return socket, session


async def guest_answers(stack: Stack, mail: Received, sender: str, text: str) -> None:
    """The guest answers the hotel's email from their mail program (to its Reply-To, in reply to it)."""
    email = mail.email
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = str(email["Reply-To"])
    answer["Subject"] = f"Re: {email['Subject']}"
    answer["Message-ID"] = f"<answer-{uuid.uuid4().hex}@guest.example>"
    answer["In-Reply-To"] = email["Message-ID"]
    answer["References"] = email["Message-ID"]
    answer.set_content(text)
    await aiosmtplib.send(answer, hostname="127.0.0.1", port=stack.smtp_port)


async def test_a_chat_goes_on_by_email_in_the_same_request(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    agent = agent_headers([location], agent_id=f"agent-{location}", name="Caro Agent")
    api = AgentApi(http, stack.url("inbox"), agent)
    socket, session = await anonymous_chat(stack, location, "Can you send me the spa's price list?")
    try:
        [conversation] = await api.wait_for(location)
        cid = conversation["id"]
        assert (conversation["channel"], conversation["chat_session_id"]) == ("chat", session)

        # Before a contact with an address is linked, the ended chat has nowhere to go.
        await api.ok("POST", cid, "messages", {"text": "Hello! One moment please."})  # the live chat
        assert (await frame_of(socket, "message"))["text"] == "Hello! One moment please."

        # The agent creates the guest's contact (seed 003: "Créer le contact") and links the request to it.
        address = f"lea-{location}@example.com"
        body = {"location_id": location, "first_name": "Léa", "last_name": "Martin", "email": address}
        created = await contacts_call(http, stack, "POST", "", agent, body)
        assert created.status_code == 201, created.text
        linked = await api.ok("PUT", cid, "contact", {"contact_id": created.json()["id"]})
        assert linked["conversation"]["guest"]["email"] == address
        assert linked["conversation"]["guest"]["name"] == "Léa Martin"
        [listed] = await api.conversations(location=location, view="all")
        assert listed["guest"]["name"] == "Léa Martin", "the list shows the contact's name"

        # The agent ends the chat but keeps the request in progress, to send the price list by email.
        ended = await api.ok("POST", cid, "close-chat", {"resulting_status": "open"})
        assert (ended["conversation"]["status"], ended["conversation"]["chat_open"]) == ("open", False)
        await frame_of(socket, "closed")
    finally:
        await socket.close()

    reply = await api.ok("POST", cid, "messages", {"text": "Here is our spa's price list, as promised."})
    [entry] = reply["entries"]
    assert (entry["channel"], entry["to"]) == ("email", [address])
    mail = await mail_to(stack.sink, address)
    email = mail.email
    key = "entry:" + entry["id"]
    assert email["Message-ID"] == f"<{composer.message_id(key, REPLY_DOMAIN)}>"
    local, _, domain = parseaddr(str(email["Reply-To"]))[1].partition("@")
    assert domain == f"{location}.{REPLY_DOMAIN}"
    assert tokens.verify("reply", local.removeprefix("reply+"), TEST_SECRET) == cid
    assert "spa's price list" in email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    await eventually(lambda: api.get(cid), lambda d: d["timeline"][-1].get("delivery", {}).get("state") == "sent")

    await guest_answers(stack, mail, address, "Thank you! I will book the massage for Friday.")
    detail = await eventually(
        lambda: api.get(cid), lambda d: any("massage" in (e.get("text") or "") for e in d["timeline"])
    )
    messages = [(e["direction"], e["channel"]) for e in detail["timeline"] if e["kind"] == "message"]
    assert messages == [
        ("inbound", "chat"),
        ("outbound", "chat"),
        ("outbound", "email"),
        ("inbound", "email"),
    ], "the chat's history and the emails, in one request"
    assert len(await api.conversations(location=location, view="all")) == 1
    assert detail["conversation"]["contact_id"] == created.json()["id"]


async def test_a_chat_linked_to_a_known_contact_takes_its_name_and_address(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    agent = agent_headers([location], agent_id=f"agent-{location}")
    api = AgentApi(http, stack.url("inbox"), agent)
    address = f"paul-{location}@example.com"
    # The guest wrote by email before: contacts knows them by their address and their From name.
    await publish_inbound(nc, location, email=address, name="Paul Durand", subject="Parking")
    [earlier] = await api.wait_for(location)
    contact_id = (await eventually(lambda: api.get(earlier["id"]), lambda d: d["conversation"]["contact_id"]))[
        "conversation"
    ]["contact_id"]

    socket, _ = await anonymous_chat(stack, location, "Is breakfast included?")
    try:
        chat = await eventually(
            lambda: api.conversations(location=location, view="all", channel="chat"), lambda items: len(items) == 1
        )
        cid = chat[0]["id"]
        assert chat[0]["guest"].get("name") is None
        ended = await api.ok("POST", cid, "close-chat", {"resulting_status": "open"})
        refused = await api.call("POST", cid, "messages", {"text": "Yes, it is."})
        assert refused.status_code == 409, "no address yet: the guest left none, no contact is linked"
        assert ended["conversation"]["chat_open"] is False
    finally:
        await socket.close()

    found = await contacts_call(http, stack, "GET", "?q=Paul+Durand", agent)
    assert contact_id in [c["id"] for c in found.json()["items"]]
    await api.ok("PUT", cid, "contact", {"contact_id": contact_id})
    listed = {item["id"]: item for item in await api.conversations(location=location, view="all")}
    assert listed[cid]["guest"]["name"] == "Paul Durand", "the list row names the linked contact"
    assert (await api.get(cid))["conversation"]["guest"]["email"] == address

    reply = await api.ok("POST", cid, "messages", {"text": "Yes, breakfast is included."})
    assert reply["entries"][0]["to"] == [address]
    mail = await mail_to(stack.sink, address)
    await guest_answers(stack, mail, address, "Great, see you on Friday.")
    detail = await eventually(
        lambda: api.get(cid), lambda d: any("Friday" in (e.get("text") or "") for e in d["timeline"])
    )
    assert detail["timeline"][0]["channel"] == "chat"
    assert len(await api.conversations(location=location, view="all")) == 2, "the earlier email request, this one"


async def test_a_request_linked_without_copying_the_address_asks_contacts_at_reply_time(
    stack: Stack, http: httpx.AsyncClient, mongo: Any, location: str
) -> None:
    # A chat linked before this version (or by a merge) holds the contact's id but no address of its own.
    agent = agent_headers([location], agent_id=f"agent-{location}")
    api = AgentApi(http, stack.url("inbox"), agent)
    socket, _ = await anonymous_chat(stack, location, "Do you have a late check-out?")
    await socket.close()
    [chat] = await api.wait_for(location)
    address = f"nora-{location}@example.com"
    created = await contacts_call(http, stack, "POST", "", agent, {"location_id": location, "email": address})
    assert created.status_code == 201, created.text
    await api.ok("PUT", chat["id"], "contact", {"contact_id": created.json()["id"]})
    await api.ok("POST", chat["id"], "close-chat", {"resulting_status": "open"})
    await mongo["hub"]["conversations"].update_one({"_id": chat["id"]}, {"$unset": {"guest.email": ""}})

    reply = await api.ok("POST", chat["id"], "messages", {"text": "Until 1 pm, with pleasure."})
    assert reply["entries"][0]["to"] == [address]
    assert reply["conversation"]["guest"]["email"] == address, "the request keeps the address it replied to"
    await mail_to(stack.sink, address)
