"""Guests keep their names: an email's From display name names a contact that has none, an agent's names are
never overwritten, a request linked to a contact shows its name (and follows a rename), and an agent corrects
a contact's name and phone number, which stays one contact's identity."""

from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from shared.bus import CHAT_SUBJECT, Channel
from tests.integration.conftest import Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def contacts_url(stack: Stack, path: str = "") -> str:
    return f"{stack.url('contacts')}/api/v1/contacts{path}"


async def new_contact(http: httpx.AsyncClient, stack: Stack, headers: dict[str, str], **fields: str) -> dict[str, Any]:
    created = await http.post(contacts_url(stack), json=fields, headers=headers)
    assert created.status_code == 201, created.text
    contact: dict[str, Any] = created.json()
    return contact


async def linked_contact(api: AgentApi, conversation_id: str) -> str:
    detail = await eventually(lambda: api.get(conversation_id), lambda d: d["conversation"]["contact_id"])
    return str(detail["conversation"]["contact_id"])


async def by_subject(api: AgentApi, location: str, subject: str) -> dict[str, Any]:
    items = await eventually(
        lambda: api.conversations(location=location, view="all"),
        lambda found: any(item.get("subject") == subject for item in found),
    )
    return next(item for item in items if item.get("subject") == subject)


async def test_a_second_email_keeps_the_name_of_the_first(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), agent_headers([location]))
    address = f"anna-{location}@example.com"
    await publish_inbound(nc, location, email=address, name="Anna Martin", subject="Parking")
    first = await by_subject(api, location, "Parking")
    contact_id = await linked_contact(api, first["id"])
    # Her phone's mail program sends no display name.
    await publish_inbound(nc, location, email=address, name=None, subject="Breakfast")
    second = await by_subject(api, location, "Breakfast")
    assert second["guest"] == {"name": "Anna Martin", "email": address}
    assert await linked_contact(api, second["id"]) == contact_id
    contact = (await http.get(contacts_url(stack, f"/{contact_id}"), headers=agent_headers([location]))).json()
    assert contact["display_name"] == "Anna Martin"


async def test_a_name_an_agent_gave_is_never_overwritten(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    me = agent_headers([location])
    address = f"leo-{location}@example.com"
    contact = await new_contact(
        http, stack, me, location_id=location, first_name="Léo", last_name="Bernard", email=address
    )
    api = AgentApi(http, stack.url("inbox"), me)
    await publish_inbound(nc, location, email=address, name="LB Travel Desk", subject="Group booking")
    asked = await by_subject(api, location, "Group booking")
    assert await linked_contact(api, asked["id"]) == contact["id"]
    assert asked["guest"]["name"] == "LB Travel Desk", "the request keeps what the guest said"
    again = (await http.get(contacts_url(stack, f"/{contact['id']}"), headers=me)).json()
    assert (again["first_name"], again["last_name"], again["display_name"]) == ("Léo", "Bernard", "Léo Bernard")


async def test_a_linked_chat_shows_the_contacts_name_and_follows_a_rename(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    me = agent_headers([location], agent_id=f"agent-{location}")
    api = AgentApi(http, stack.url("inbox"), me)
    await publish_inbound(
        nc,
        location,
        channel=Channel.CHAT,
        email=None,
        subject=CHAT_SUBJECT,  # as ingest's chat says it
        text="Spa hours?",
        chat_session_id=f"s-{location}",
    )
    chat = await by_subject(api, location, "Spa hours?")  # a chat is titled by its first message
    assert chat["guest"].get("name") is None
    # Another request where the guest gave a name of their own, linked to the same contact.
    await publish_inbound(nc, location, channel=Channel.FORM, email=None, name="Mimi", subject="Form")
    form = await by_subject(api, location, "Form")
    contact = await new_contact(http, stack, me, location_id=location, first_name="Michèle", last_name="Roux")
    for conversation in (chat, form):
        await api.ok("PUT", conversation["id"], "contact", {"contact_id": contact["id"]})

    rows = {item["id"]: item for item in await api.conversations(location=location, view="all")}
    assert rows[chat["id"]]["guest"]["name"] == "Michèle Roux"
    assert rows[chat["id"]]["contact_name"] == "Michèle Roux"
    assert rows[form["id"]]["guest"]["name"] == "Mimi"
    found = await api.conversations(location=location, view="all", q="Roux")
    assert [item["id"] for item in found] == [chat["id"]], "found by the contact's name"

    renamed = await http.patch(contacts_url(stack, f"/{contact['id']}"), json={"first_name": "Michelle"}, headers=me)
    assert renamed.status_code == 200, renamed.text
    detail = await eventually(
        lambda: api.get(chat["id"]), lambda d: d["conversation"]["guest"].get("name") == "Michelle Roux"
    )
    assert detail["conversation"]["contact_name"] == "Michelle Roux"
    assert [e["kind"] for e in detail["timeline"]].count("contact_link") == 1, "a rename adds no timeline entry"
    assert (await api.get(form["id"]))["conversation"]["guest"]["name"] == "Mimi", "the guest's own name stays"


async def test_an_agent_corrects_a_phone_number_that_stays_one_contacts(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    me = agent_headers([location])
    first = await new_contact(http, stack, me, location_id=location, last_name="Petit", phone="+33 6 10 00 00 01")
    other = await new_contact(http, stack, me, location_id=location, last_name="Grand", phone="+33 6 10 00 00 02")

    def patch(contact: dict[str, Any], body: dict[str, Any], headers: dict[str, str] = me) -> Any:
        return http.patch(contacts_url(stack, f"/{contact['id']}"), json=body, headers=headers)

    # A typo corrected, typed as a national number: stored in E.164, the old number no longer the guest's.
    edited = await patch(first, {"phone": "06 10 00 00 09", "last_name": "Petitjean"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["phones"], edited.json()["display_name"]) == (["+33610000009"], "Petitjean")
    freed = await patch(other, {"phone": "+33610000001"})
    assert freed.status_code == 200, freed.text
    assert freed.json()["phones"] == ["+33610000001"]
    found = (await http.get(contacts_url(stack), params={"q": "0610000009"}, headers=me)).json()["items"]
    assert [c["id"] for c in found] == [first["id"]]

    # Another contact's number: 409 naming it, and nothing changes.
    taken = await patch(first, {"phone": "0610000001"})
    assert taken.status_code == 409, taken.text
    assert taken.json()["contact_id"] == other["id"]
    kept = (await http.get(contacts_url(stack, f"/{first['id']}"), headers=me)).json()
    assert kept["phones"] == ["+33610000009"]

    # A guest of another hotel's: 409 too, naming nobody.
    elsewhere = create_hotel(stack, f"{location}-far")
    stranger = await new_contact(
        http, stack, agent_headers([elsewhere]), location_id=elsewhere, last_name="Loin", phone="+33 6 10 00 00 07"
    )
    hidden = await patch(first, {"phone": "+33610000007"})
    assert hidden.status_code == 409, hidden.text
    assert "contact_id" not in hidden.json()
    assert stranger["id"] not in hidden.text

    for typed in ("12", "not a number", "1234"):
        refused = await patch(first, {"phone": typed})
        assert refused.status_code == 422, (typed, refused.text)
        assert "phone" in refused.json()["detail"]
