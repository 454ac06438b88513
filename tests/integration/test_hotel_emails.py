"""Emails come from the hotel and speak its language: the sender (name and address) and the language set in
the directory, for guests, suppliers and colleagues; colleagues get what they need to act without an
account (the guest's contact details, the whole message, a signed read-only link), and nobody outside gets
an internal console link."""

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from shared.bus import Channel, Guest, InboundMessage, Subjects
from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually
from tests.support.smtp_sink import Received

pytestmark = pytest.mark.integration

GUEST_TEXT = "Bonjour,\n\nNous arrivons vers minuit.\nPouvez-vous garder la chambre 12 ?"


async def mail_to(stack: Stack, address: str) -> EmailMessage:
    assert stack.sink is not None
    sink = stack.sink

    async def probe() -> list[Received]:
        return sink.to(address)

    [mail] = await eventually(probe, lambda found: len(found) >= 1)
    return mail.email


def plain(email: EmailMessage) -> str:
    body = email.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def hotel(http: httpx.AsyncClient, stack: Stack, language: str) -> tuple[str, str]:
    """A hotel with its own sender and language; its id and sender address."""
    hotel_id = f"hotel-{uuid.uuid4().hex[:10]}"
    sender = f"desk@{hotel_id}.example"
    body = {
        "id": hotel_id,
        "name": f"Hôtel {hotel_id}",
        "sender_name": f"Réception {hotel_id}",
        "sender_email": sender,
        "language": language,
    }
    created = await http.post(f"{stack.url('inbox')}/api/v1/locations", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    return hotel_id, sender


async def guest_request(nc: NatsClient, api: AgentApi, location: str) -> str:
    message = InboundMessage(
        key=f"form:{location}:{uuid.uuid4().hex}",
        channel=Channel.FORM,
        location_id=location,
        guest=Guest(name="Anna Martin", email=f"anna.{location}@example.com", phone="+33612345678"),
        subject="Arrivée tardive",
        text=GUEST_TEXT,
        received_at=datetime.now(UTC),
    )
    await nc.jetstream().publish(
        Subjects.inbound_guest(message.channel, location),
        message.model_dump_json().encode(),
        headers={"Nats-Msg-Id": message.key},
    )
    [conversation] = await api.wait_for(location)
    return str(conversation["id"])


async def hand_over_and_solicit(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, object]], language: str
) -> tuple[str, str, dict[str, EmailMessage]]:
    """Forward, delegate, share and solicit one request of a new hotel; the emails each sent."""
    location, sender = await hotel(http, stack, language)
    api = AgentApi(http, stack.url("inbox"), agent_headers([location], name="Léa Roux"))
    cid = await guest_request(nc, api, location)
    to = {kind: f"{kind}.{location}@partner.example" for kind in ("forward", "delegate", "share", "solicitation")}
    await mongo["hub"]["settings"].update_one(
        {"_id": "chain"}, {"$set": {"customer_service_email": to["delegate"]}}, upsert=True
    )
    await api.ok("POST", cid, "forward", {"to": to["forward"], "note": "Merci de vérifier."})
    await api.ok("POST", cid, "delegate", {})
    await api.ok("POST", cid, "share", {"to": [to["share"]]})
    solicited = await http.post(
        f"{stack.url('solicit')}/api/v1/solicitations",
        json={"conversation_id": cid, "to": to["solicitation"], "text": "Une table pour 2 ?"},
        headers=agent_headers([location], name="Léa Roux"),
    )
    assert solicited.status_code == 201, solicited.text
    return cid, sender, {kind: await mail_to(stack, address) for kind, address in to.items()}


async def test_a_french_hotels_emails_come_from_it_in_french(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, object]]
) -> None:
    cid, sender, emails = await hand_over_and_solicit(stack, nc, http, mongo, "fr")
    for kind, email in emails.items():
        name, address = parseaddr(str(email["From"]))
        assert address == sender, kind
        assert name.startswith("Réception hotel-"), kind
        assert "/conversations/" not in plain(email), f"{kind}: an internal console link"
    assert plain(emails["forward"]).startswith("Léa Roux vous transfère une demande client.")
    assert plain(emails["delegate"]).startswith("Léa Roux vous délègue une demande client.")
    assert plain(emails["share"]).startswith("Léa Roux partage avec vous une demande client.")
    assert str(emails["forward"]["Subject"]).startswith("[Transfert] Arrivée tardive")
    assert str(emails["solicitation"]["Subject"]).startswith("Arrivée tardive"), "the request's subject"
    assert "Open it" not in plain(emails["solicitation"])
    forward = plain(emails["forward"])
    for detail in ("Anna Martin", "@example.com", "+33612345678", "Pouvez-vous garder la chambre 12 ?"):
        assert detail in forward, detail
    assert "Téléphone : +33612345678" in forward
    assert "Merci de vérifier." in forward

    # The read-only link opens the request without sign-in; a forged one opens nothing.
    [link] = [word for word in forward.split() if "/requests/" in word]
    token = link.rpartition("/")[2]
    page = await http.get(f"{stack.url('inbox')}/requests/{token}")
    assert page.status_code == 200, page.text
    assert "Pouvez-vous garder la chambre 12 ?" in page.text
    assert "no-store" in page.headers["cache-control"]
    forged = f"{token[:-1]}{'0' if token[-1] != '0' else '1'}"
    assert (await http.get(f"{stack.url('inbox')}/requests/{forged}")).status_code == 404
    assert cid in token


async def test_an_english_hotels_emails_are_in_english(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, object]]
) -> None:
    _, sender, emails = await hand_over_and_solicit(stack, nc, http, mongo, "en")
    for kind, email in emails.items():
        assert parseaddr(str(email["From"]))[1] == sender, kind
        assert "/conversations/" not in plain(email), kind
    assert plain(emails["forward"]).startswith("Léa Roux forwarded a guest request to you.")
    assert plain(emails["delegate"]).startswith("Léa Roux delegated a guest request to you.")
    assert plain(emails["share"]).startswith("Léa Roux shared a guest request with you.")
    assert "Phone: +33612345678" in plain(emails["forward"])
    assert str(emails["share"]["Subject"]).startswith("[Shared] Arrivée tardive")


async def test_a_guest_reply_comes_from_the_hotels_sender(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient
) -> None:
    location, sender = await hotel(http, stack, "fr")
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    cid = await guest_request(nc, api, location)
    await api.ok("POST", cid, "messages", {"text": "Bien sûr, à ce soir."})
    email = await mail_to(stack, f"anna.{location}@example.com")
    assert parseaddr(str(email["From"])) == (f"Réception {location}", sender)
