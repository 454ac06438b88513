"""The contacts API: search as you type, create, read, edit, scoped to the agent's hotels."""

import asyncio

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_create_search_edit_and_scope(stack: Stack, http: httpx.AsyncClient, location: str) -> None:
    base = f"{stack.url('contacts')}/api/v1/contacts"
    mine, theirs = agent_headers([location]), agent_headers([f"{location}-x"])
    created = await http.post(
        base,
        json={
            "location_id": location,
            "first_name": "Zoé",
            "last_name": "Lefèvre",
            "email": f"zoe.{location}@example.fr",
            "phone": "+33 6 12 34 56 78",
        },
        headers=mine,
    )
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["display_name"] == "Zoé Lefèvre"
    again = await http.post(base, json={"location_id": location, "email": f"ZOE.{location}@example.fr"}, headers=mine)
    assert again.status_code == 409
    same_number = await http.post(base, json={"location_id": location, "phone": "06 12 34 56 78"}, headers=mine)
    assert same_number.status_code == 409, "the national form of a known number is the same number"
    assert again.json()["contact_id"] == contact["id"]

    assert contact["phones"] == ["+33612345678"], "stored as E.164"
    # Two words: the second one a name (looked up with the first) or not (checked on what the first found).
    for typed in ("zoe", "LEFEV", f"zoe.{location}", "0612", "+33 6 12", "33612", "zoé lef", "lefevre zo", "zoe 0612"):
        found = (await http.get(base, params={"q": typed}, headers=mine)).json()["items"]
        assert contact["id"] in [c["id"] for c in found], typed
    for typed in ("zoe dupont", "lefevre 0699"):
        found = (await http.get(base, params={"q": typed}, headers=mine)).json()["items"]
        assert contact["id"] not in [c["id"] for c in found], typed
    assert (await http.get(base, params={"q": "zoe"}, headers=theirs)).json()["items"] == []
    assert (await http.get(f"{base}/{contact['id']}", headers=theirs)).status_code == 404
    short = await http.get(base, params={"q": "z"}, headers=mine)
    assert short.status_code == 422
    assert "q" in short.json()["detail"]

    edited = await http.patch(f"{base}/{contact['id']}", json={"first_name": "Zoë"}, headers=mine)
    assert edited.json()["display_name"] == "Zoë Lefèvre"
    bad = await http.patch(f"{base}/{contact['id']}", json={"language": "de"}, headers=mine)
    assert bad.status_code == 422
    assert "language" in bad.json()["detail"]


async def test_guests_resolved_from_messages_are_searchable(
    stack: Stack, http: httpx.AsyncClient, nc: object, location: str
) -> None:
    await publish_inbound(nc, location, email=f"hugo.{location}@example.com", name="Hugo Petit")  # type: ignore[arg-type]
    base = f"{stack.url('contacts')}/api/v1/contacts"
    found = await eventually(
        lambda: http.get(base, params={"q": f"hugo.{location}"}, headers=agent_headers([location])),
        lambda r: len(r.json()["items"]) == 1,
    )
    assert found.json()["items"][0]["emails"] == [f"hugo.{location}@example.com"]


async def test_an_older_search_index_is_rebuilt_at_start(
    stack: Stack, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, object]], location: str
) -> None:
    """Words of different lengths live in different bucket counts; a key shape change rebuilds the entries."""
    base = f"{stack.url('contacts')}/api/v1/contacts"
    body = {"location_id": location, "first_name": "Anaïs", "last_name": f"Quintessence{location[-4:]}"}
    created = await http.post(base, json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    chain_wide = {"q": f"anais quintessence{location[-4:]}"}
    assert [c["id"] for c in (await http.get(base, params=chain_wide, headers=ADMIN)).json()["items"]] == [contact_id]

    # As if the entries had been made by an older version: gone, and the version marker with them.
    await mongo["hub"]["contact_search"].delete_many({"contact_id": contact_id})
    await mongo["hub"]["contact_search_meta"].delete_many({})
    assert (await http.get(base, params=chain_wide, headers=ADMIN)).json()["items"] == []
    stack.services["contacts"].stop()
    await asyncio.to_thread(stack.restart, "contacts")
    await eventually(
        lambda: http.get(base, params=chain_wide, headers=ADMIN),
        lambda r: [c["id"] for c in r.json()["items"]] == [contact_id],
    )
    hotel = await http.get(base, params={"q": "anais"}, headers=agent_headers([location]))
    assert contact_id in [c["id"] for c in hotel.json()["items"]]
