"""Who sees and changes a chain-wide guest (issue 18, findings 1 and 12): a message nobody vouched for never
widens it, and creating a contact never tells whether another hotel knows the guest."""

import uuid
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from shared.bus import Channel
from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def contacts_url(stack: Stack, path: str = "") -> str:
    return f"{stack.url('contacts')}/api/v1/contacts{path}"


async def request_of(api: AgentApi, location: str, subject: str) -> dict[str, Any]:
    """The hotel's request with this subject, once its contact is resolved."""
    items = await eventually(
        lambda: api.conversations(location=location),
        lambda found: any(c["subject"] == subject and c.get("contact_id") for c in found),
    )
    return next(c for c in items if c["subject"] == subject)


async def import_attributes(http: httpx.AsyncClient, stack: Stack, csv_text: str) -> None:
    started = await http.post(
        contacts_url(stack, "/imports"), content=csv_text.encode(), headers={**ADMIN, "Content-Type": "text/csv"}
    )
    assert started.status_code == 202, started.text
    report = await eventually(
        lambda: http.get(contacts_url(stack, f"/imports/{started.json()['id']}"), headers=ADMIN),
        lambda r: r.json()["status"] != "running",
    )
    assert report.json()["applied"] == 1, report.json()


async def test_a_public_form_does_not_take_over_another_hotels_guest(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    louvre, opera = f"{location}-louvre", f"{location}-opera"
    at_louvre, at_opera = agent_headers([louvre]), agent_headers([opera], agent_id="agent-opera")
    nina = f"nina.{location}@example.com"
    # Nina writes to the Louvre, whose agent answers her: the Louvre served her. Headquarters knows her.
    louvre_api = AgentApi(http, stack.url("inbox"), at_louvre)
    await publish_inbound(nc, louvre, email=nina, subject="Late check-out")
    asked = await request_of(louvre_api, louvre, "Late check-out")
    contact_id = str(asked["contact_id"])
    await louvre_api.ok("POST", asked["id"], "messages", {"text": "Of course, until 2 pm."})
    # "Served" comes from contacts' projection of the reply event, which lags behind a loaded bus: retry.
    named = await eventually(
        lambda: http.patch(contacts_url(stack, f"/{contact_id}"), json={"first_name": "Nina"}, headers=at_louvre),
        lambda r: r.status_code == 200,
        timeout=60,
    )
    assert named.json()["first_name"] == "Nina"
    await import_attributes(http, stack, f"email,vip,purchase_amount,birth_date\n{nina},true,1234.5,1980-05-01\n")
    read_at_louvre = await eventually(
        lambda: http.get(contacts_url(stack, f"/{contact_id}"), headers=at_louvre),
        lambda r: "attributes" in r.json(),
        timeout=60,
    )
    assert read_at_louvre.json()["attributes"]["vip"] is True

    # Anyone posts the Opera's public form with Nina's address.
    opera_api = AgentApi(http, stack.url("inbox"), at_opera)
    await publish_inbound(nc, opera, channel=Channel.FORM, email=nina, name="Not Nina", subject="Hello")
    forged = await request_of(opera_api, opera, "Hello")
    assert forged["contact_id"] == contact_id, "one guest, one contact, chain-wide"

    # The Opera's agent sees the guest's card as far as the Opera is concerned: no headquarters attributes,
    # no other hotel, no search keys.
    seen = await http.get(contacts_url(stack, f"/{contact_id}"), headers=at_opera)
    assert seen.status_code == 200, seen.text
    card = seen.json()
    assert "attributes" not in card
    assert card["location_ids"] == [opera]
    assert louvre not in seen.text
    assert "1234.5" not in seen.text
    found = (await http.get(contacts_url(stack), params={"q": nina}, headers=at_opera)).json()["items"]
    assert [c["id"] for c in found] == [contact_id]
    assert "attributes" not in found[0]
    assert louvre not in str(found)

    # ... cannot rename it for every hotel ...
    renamed = await http.patch(contacts_url(stack, f"/{contact_id}"), json={"first_name": "Eve"}, headers=at_opera)
    assert renamed.status_code == 403, renamed.text
    assert louvre not in renamed.text
    # ... and cannot merge it, either way, which would re-point the Louvre's request.
    own = await http.post(
        contacts_url(stack), json={"location_id": opera, "email": f"eve.{location}@example.com"}, headers=at_opera
    )
    assert own.status_code == 201, own.text
    for survivor, merged in ((contact_id, own.json()["id"]), (own.json()["id"], contact_id)):
        refused = await http.post(
            contacts_url(stack, f"/{survivor}/merge"), json={"contact_id": merged}, headers=at_opera
        )
        assert refused.status_code == 403, refused.text
        assert louvre not in refused.text

    read_as_admin = await http.get(contacts_url(stack, f"/{contact_id}"), headers=ADMIN)
    assert read_as_admin.status_code == 200, read_as_admin.text
    as_admin = read_as_admin.json()
    assert as_admin["first_name"] == "Nina"
    assert as_admin["display_name"] == "Nina"
    assert as_admin["attributes"]["vip"] is True
    assert as_admin["served_location_ids"] == [louvre], "a form vouches for nobody"
    assert (await louvre_api.get(asked["id"]))["conversation"]["contact_id"] == contact_id
    # The Louvre still sees and edits its guest.
    still = await http.get(contacts_url(stack, f"/{contact_id}"), headers=at_louvre)
    assert still.json()["attributes"]["purchase_amount"] == 1234.5
    assert still.json()["location_ids"] == [louvre], "the Opera is not named to the Louvre either"

    # Once an Opera agent answers the guest there, the Opera served her too.
    await opera_api.ok("POST", forged["id"], "messages", {"text": "Welcome to the Opera."})
    served = await eventually(
        lambda: http.get(contacts_url(stack, f"/{contact_id}"), headers=at_opera),
        lambda r: "attributes" in r.json(),
    )
    assert served.json()["attributes"]["vip"] is True


async def test_creating_another_hotels_guest_answers_as_a_new_contact_and_changes_nothing(
    stack: Stack, nc: NatsClient, http: httpx.AsyncClient, location: str
) -> None:
    louvre, opera = f"{location}-louvre", f"{location}-opera"
    at_louvre, at_opera = agent_headers([louvre]), agent_headers([opera], agent_id="agent-opera")
    paul = f"paul.{location}@example.com"
    louvre_api = AgentApi(http, stack.url("inbox"), at_louvre)
    await publish_inbound(nc, louvre, channel=Channel.FORM, email=paul, name="Paul Martin", subject="Parking")
    known_id = (await request_of(louvre_api, louvre, "Parking"))["contact_id"]

    phone = f"+336{uuid.uuid4().int % 10**8:08d}"  # a number of this test's own: the stack is shared

    def body(email: str) -> dict[str, str]:
        return {"location_id": opera, "first_name": "Paul", "last_name": "M", "email": email, "phone": phone}

    # Paul first: once the new contact holds the number, any creation with it is the 409 naming that contact.
    known = await http.post(contacts_url(stack), json=body(paul), headers=at_opera)
    unknown = await http.post(contacts_url(stack), json=body(f"nobody.{location}@example.com"), headers=at_opera)
    # The same status, the same shape, only the fields the agent typed: nothing says Paul was known.
    assert (unknown.status_code, known.status_code) == (201, 201), known.text
    fresh, linked = unknown.json(), known.json()
    assert sorted(fresh) == sorted(linked)
    for field in ("first_name", "last_name", "display_name", "phones", "language", "location_ids"):
        assert fresh[field] == linked[field], field
    assert linked["emails"] == [paul]
    assert "Martin" not in known.text
    assert louvre not in known.text
    assert known_id not in known.text
    # Nothing changed: the chain still has one Paul, whom the Opera neither renamed nor is in contact with.
    everyone = (await http.get(contacts_url(stack), params={"q": paul}, headers=ADMIN)).json()["items"]
    assert [c["id"] for c in everyone] == [known_id]
    assert everyone[0]["display_name"] == "Paul Martin"
    assert everyone[0]["location_ids"] == [louvre]
    assert everyone[0]["served_location_ids"] == [], "a form vouches for nobody"
    assert (await http.get(contacts_url(stack), params={"q": paul}, headers=at_opera)).json()["items"] == []
    # The Opera's own guest, created again, is the ordinary conflict naming the contact the agent may open.
    again = await http.post(contacts_url(stack), json=body(fresh["emails"][0]), headers=at_opera)
    assert again.status_code == 409
    assert again.json()["contact_id"] == fresh["id"]
