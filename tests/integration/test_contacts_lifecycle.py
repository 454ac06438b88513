"""Contacts across services: resolve rules per channel, concurrent resolves, merge, history, export, erasure."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from shared.bus import Channel, ContactResolved, Guest, ResolveContact, Subjects
from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration
Mongo = AsyncMongoClient[dict[str, object]]


async def resolve(nc: NatsClient, location: str, channel: Channel, **guest: str) -> ContactResolved:
    request = ResolveContact(location_id=location, channel=channel, guest=Guest(**guest))
    reply = await nc.request(Subjects.RESOLVE_CONTACT, request.model_dump_json().encode(), timeout=5)
    return ContactResolved.model_validate_json(reply.data)


def contacts_url(stack: Stack, path: str = "") -> str:
    return f"{stack.url('contacts')}/api/v1/contacts{path}"


async def read_contact(http: httpx.AsyncClient, stack: Stack, contact_id: str, headers: dict[str, str]) -> Any:
    response = await http.get(contacts_url(stack, f"/{contact_id}"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_resolve_rules_of_each_channel(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    # Email: an unknown address makes a contact named by the From's display name; the next message is linked
    # to it and shows the name, and once an agent names the guest, another display name changes nothing.
    first = await resolve(nc, location, Channel.EMAIL, email=f"Nina.{location}@Example.com", name="NINA (mobile)")
    assert first.created
    assert first.display_name == "NINA (mobile)"
    contact = await read_contact(http, stack, str(first.contact_id), me)
    assert contact["emails"] == [f"nina.{location}@example.com"]
    unnamed = await resolve(nc, location, Channel.EMAIL, email=f"nina.{location}@example.com")
    assert (unnamed.contact_id, unnamed.display_name) == (first.contact_id, "NINA (mobile)")
    await http.patch(contacts_url(stack, f"/{first.contact_id}"), json={"first_name": "Nina"}, headers=me)
    again = await resolve(nc, location, Channel.EMAIL, email=f"nina.{location}@example.com", name="N. from work")
    assert (again.contact_id, again.created, again.display_name) == (first.contact_id, False, "Nina")
    # A display name that is an address names nobody.
    bare = await resolve(nc, location, Channel.EMAIL, email=f"ana.{location}@example.com", name="ana@example.com")
    assert bare.display_name is None

    # A web form and a chat hand-over name the contact they create.
    form = await resolve(nc, location, Channel.FORM, email=f"omar.{location}@example.com", name="Omar Haddad")
    assert form.created
    assert form.display_name == "Omar Haddad"
    chat = await resolve(nc, location, Channel.CHAT, email=f"lea.{location}@example.com", name="Léa Roux")
    assert chat.created
    assert chat.display_name == "Léa Roux"
    # A chat before hand-over and a review carry no address: no contact.
    assert (await resolve(nc, location, Channel.CHAT, name="Visitor")).contact_id is None
    assert (await resolve(nc, location, Channel.REVIEW, name="Jean D.")).contact_id is None

    # A known phone number links a form that brings a new address, and the contact learns it.
    by_phone = await resolve(nc, location, Channel.PHONE, phone="+33 6 11 22 33 44")
    assert by_phone.created
    assert by_phone.display_name is None
    both = await resolve(nc, location, Channel.FORM, email=f"paul.{location}@example.com", phone="0611223344")
    assert both.contact_id == by_phone.contact_id
    assert not both.created
    learnt = await read_contact(http, stack, str(by_phone.contact_id), me)
    assert learnt["phones"] == ["+33611223344"]
    assert learnt["emails"] == [f"paul.{location}@example.com"]
    assert (await resolve(nc, location, Channel.EMAIL, email=f"paul.{location}@example.com")).contact_id == (
        by_phone.contact_id
    )

    # The same guest writing to a second hotel: one contact, seen by both hotels' agents, each naming only
    # its own hotel (the contact's other hotels are the admins' to see).
    other = f"{location}-b"
    elsewhere = await resolve(nc, other, Channel.EMAIL, email=f"omar.{location}@example.com")
    assert elsewhere.contact_id == form.contact_id
    assert (await read_contact(http, stack, str(form.contact_id), agent_headers([other])))["location_ids"] == [other]
    assert sorted((await read_contact(http, stack, str(form.contact_id), ADMIN))["location_ids"]) == [location, other]


async def test_national_numbers_are_read_in_the_hotels_region(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    moved = await http.patch(
        f"{stack.url('inbox')}/api/v1/locations/{location}",
        json={"name": "London Bridge", "timezone": "Europe/London", "default_phone_region": "GB"},
        headers=ADMIN,
    )
    assert moved.status_code == 200, moved.text

    async def number_of_new_caller() -> list[str]:
        # A new number each try: the first tries may run before contacts heard of the hotel.
        result = await resolve(nc, location, Channel.PHONE, phone=f"020 7946 0{uuid.uuid4().int % 1000:03d}")
        if result.contact_id is None:  # not a French number: read in the default region, it is none
            return []
        contact = await read_contact(http, stack, str(result.contact_id), ADMIN)
        return list(contact["phones"])

    # Contacts learns the region from location.changed, through a consumer of every event: under the
    # suite's load it may lag behind by more than the usual 20 s.
    phones = await eventually(number_of_new_caller, lambda p: bool(p) and p[0].startswith("+44"), timeout=90)
    assert phones[0].startswith("+44207946"), phones


async def test_concurrent_resolves_of_a_new_address_make_one_contact(
    stack: Stack, nc: NatsClient, mongo: Mongo, location: str
) -> None:
    email = f"rush.{location}@example.com"
    answers = await asyncio.gather(*(resolve(nc, location, Channel.EMAIL, email=email) for _ in range(25)))
    assert len({a.contact_id for a in answers}) == 1
    assert sum(a.created for a in answers) == 1
    assert await mongo["hub"]["contacts"].count_documents({"emails": email}) == 1


async def _conversation_of(api: AgentApi, location: str, subject: str) -> dict[str, Any]:
    items = await eventually(
        lambda: api.conversations(location=location, view="all"),
        lambda found: any(c["subject"] == subject for c in found),
    )
    return next(c for c in items if c["subject"] == subject)


async def test_history_across_three_channels_newest_first(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    email = f"ines.{location}@example.com"
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    for channel, subject in ((Channel.CHAT, "Late check-out"), (Channel.EMAIL, "Invoice"), (Channel.FORM, "Spa")):
        await publish_inbound(nc, location, channel=channel, email=email, name="Inès Faure", subject=subject)
        await _conversation_of(api, location, subject)  # one after the other, so "newest" is well defined
    invoice = await _conversation_of(api, location, "Invoice")
    await api.ok("PUT", invoice["id"], "status", {"status": "closed"})
    contact_id = invoice["contact_id"]
    assert contact_id

    async def history() -> list[dict[str, Any]]:
        response = await http.get(contacts_url(stack, f"/{contact_id}/history"), headers=agent_headers([location]))
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    items = await eventually(history, lambda found: len(found) == 3 and any(i["status"] == "closed" for i in found))
    assert [(i["channel"], i["subject"]) for i in items] == [
        ("form", "Spa"),
        ("email", "Invoice"),
        ("chat", "Late check-out"),
    ]
    assert {i["location_id"] for i in items} == {location}
    assert next(i for i in items if i["subject"] == "Invoice")["status"] == "closed"
    # Another hotel's agent does not see this hotel's requests.
    other = await http.get(contacts_url(stack, f"/{contact_id}/history"), headers=agent_headers([f"{location}-x"]))
    assert other.status_code == 404


async def test_merge_moves_addresses_history_and_requests(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    api = AgentApi(http, stack.url("inbox"), me)
    await publish_inbound(nc, location, email=f"max.pro.{location}@example.com", subject="From work")
    await publish_inbound(
        nc, location, channel=Channel.FORM, email=f"max.{location}@example.com", name="Max Weber", subject="From home"
    )
    work = await _conversation_of(api, location, "From work")
    home = await _conversation_of(api, location, "From home")
    survivor_id, merged_id = home["contact_id"], work["contact_id"]
    assert survivor_id
    assert merged_id
    assert survivor_id != merged_id

    merged = await http.post(contacts_url(stack, f"/{survivor_id}/merge"), json={"contact_id": merged_id}, headers=me)
    assert merged.status_code == 200, merged.text
    assert merged.json()["emails"] == [f"max.{location}@example.com", f"max.pro.{location}@example.com"]
    assert merged.json()["display_name"] == "Max Weber"

    # The merged-away id and its address keep leading to the survivor.
    assert (await read_contact(http, stack, merged_id, me))["id"] == survivor_id
    again = await resolve(nc, location, Channel.EMAIL, email=f"max.pro.{location}@example.com")
    assert again.contact_id == survivor_id
    # The inbox re-points the request, with a timeline entry.
    moved = await eventually(lambda: api.get(work["id"]), lambda d: d["conversation"]["contact_id"] == survivor_id)
    assert any(e["kind"] == "contact_link" and e.get("reason") == "merged" for e in moved["timeline"])
    history = await eventually(
        lambda: http.get(contacts_url(stack, f"/{survivor_id}/history"), headers=me),
        lambda r: len(r.json()["items"]) == 2,
    )
    assert {i["subject"] for i in history.json()["items"]} == {"From work", "From home"}
    # Merging into itself, or a contact of another hotel, is refused with a reason.
    same = await http.post(contacts_url(stack, f"/{survivor_id}/merge"), json={"contact_id": merged_id}, headers=me)
    assert same.status_code == 422
    assert "contact_id" in same.json()["detail"]
    bad = await http.post(contacts_url(stack, f"/{survivor_id}/merge"), json={"contact_id": "nope"}, headers=me)
    assert bad.status_code == 422


async def test_export_then_erase_across_services(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    api = AgentApi(http, stack.url("inbox"), me)
    email = f"eve.{location}@example.com"
    await publish_inbound(
        nc, location, channel=Channel.FORM, email=email, name="Eve Martin", subject="My stay", text="Room 12, allergy"
    )
    conversation = await _conversation_of(api, location, "My stay")
    contact_id = conversation["contact_id"]
    upload = await http.post(
        f"{stack.url('inbox')}/api/v1/attachments",
        files={"file": ("passport.pdf", b"%PDF-1.4 Eve Martin passport", "application/pdf")},
        data={"location": location},
        headers=me,
    )
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["id"]
    note = {"text": "Eve called about her allergy", "attachment_ids": [attachment_id]}
    await api.ok("POST", conversation["id"], "notes", note)

    # Export: everything held, from contacts and from the inbox, in one JSON document.
    assert (await http.get(contacts_url(stack, f"/{contact_id}/export"), headers=me)).status_code == 403
    exported = await eventually(
        lambda: http.get(contacts_url(stack, f"/{contact_id}/export"), headers=ADMIN),
        lambda r: r.status_code == 200 and len(r.json()["history"]) == 1,
    )
    assert "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    assert document["contact"]["emails"] == [email]
    assert {i["identity"] for i in document["identities"]} == {f"email:{email}"}
    [request] = document["requests"]
    assert request["id"] == conversation["id"]
    assert request["guest"]["name"] == "Eve Martin"
    texts = [e.get("text") for e in request["entries"]]
    assert "Room 12, allergy" in texts
    assert "Eve called about her allergy" in texts

    # Erasure: admins only, answered at once, carried out by contacts and then the inbox.
    assert (await http.delete(contacts_url(stack, f"/{contact_id}"), headers=me)).status_code == 403
    erased = await http.delete(contacts_url(stack, f"/{contact_id}"), params={"reason": "GDPR art. 17"}, headers=ADMIN)
    assert erased.status_code == 202, erased.text
    erasure_id = erased.json()["id"]
    gone = await http.get(contacts_url(stack, f"/{contact_id}"), headers=ADMIN)
    assert gone.status_code == 410
    assert (await http.get(contacts_url(stack, f"/{contact_id}"), headers=me)).status_code == 404
    assert (await http.get(contacts_url(stack), params={"q": f"eve.{location}"}, headers=me)).json()["items"] == []

    redacted = await eventually(lambda: api.get(conversation["id"]), lambda d: d["conversation"]["contact_id"] is None)
    assert redacted["conversation"]["guest"] == {}
    assert "Eve" not in str(redacted)
    assert "allergy" not in str(redacted["timeline"])
    assert "passport" not in str(redacted["timeline"])
    assert redacted["timeline"][-1]["kind"] == "erased"
    download = await http.get(f"{stack.url('inbox')}/api/v1/attachments/{attachment_id}", headers=me)
    assert download.status_code == 404

    record = await eventually(
        lambda: http.get(contacts_url(stack, f"/erasures/{erasure_id}"), headers=ADMIN),
        lambda r: "inbox" in r.json()["applied"],
    )
    applied = record.json()["applied"]
    assert record.json()["reason"] == "GDPR art. 17"
    assert record.json()["requested_by"] == "admin-test"
    assert applied["contacts"]["identities"] == 1
    assert (applied["inbox"]["conversations"], applied["inbox"]["attachments"]) == (1, 1)
    assert applied["inbox"]["entries"] >= 2
    # The guest writing again is a new guest: nothing of the erased contact comes back.
    fresh = await resolve(nc, location, Channel.EMAIL, email=email)
    assert fresh.created
    assert fresh.contact_id != contact_id
