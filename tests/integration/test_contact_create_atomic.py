"""Creating a contact is all or nothing: a refused creation keeps no address or number, its 409 names the
contact to link instead, and concurrent creations of one guest agree on one contact."""

import asyncio
import uuid

import httpx
import pytest

from tests.integration.conftest import Stack, agent_headers

pytestmark = pytest.mark.integration


def number() -> str:
    """A mobile number of this test's own: the stack is shared."""
    return f"+336{uuid.uuid4().int % 10**8:08d}"


async def test_a_refused_creation_keeps_nothing_and_names_the_owner(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    base, mine = f"{stack.url('contacts')}/api/v1/contacts", agent_headers([location])
    phone, address = number(), f"ines.{location}@example.com"
    owner = await http.post(
        base, json={"location_id": location, "first_name": "Marc", "last_name": "Durand", "phone": phone}, headers=mine
    )
    assert owner.status_code == 201, owner.text

    refused = await http.post(
        base, json={"location_id": location, "first_name": "Inès", "email": address, "phone": phone}, headers=mine
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (problem["contact_id"], problem["display_name"]) == (owner.json()["id"], "Marc Durand")
    assert "phone number belongs to the contact Marc Durand" in problem["detail"]

    alone = await http.post(base, json={"location_id": location, "first_name": "Inès", "email": address}, headers=mine)
    assert alone.status_code == 201, "the refused creation kept the address: " + alone.text
    found = (await http.get(base, params={"q": address}, headers=mine)).json()["items"]
    assert [c["id"] for c in found] == [alone.json()["id"]]


async def test_concurrent_identical_creations_give_one_contact(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    base, mine = f"{stack.url('contacts')}/api/v1/contacts", agent_headers([location])
    body = {"location_id": location, "first_name": "Léa", "email": f"lea.{location}@example.com", "phone": number()}
    answers = await asyncio.gather(*(http.post(base, json=body, headers=mine) for _ in range(6)))
    created = [a.json()["id"] for a in answers if a.status_code == 201]
    assert len(created) == 1, [a.text for a in answers]
    assert {(a.status_code, a.json().get("contact_id")) for a in answers if a.status_code != 201} == {(409, created[0])}
    for typed in (body["email"], body["phone"]):
        found = (await http.get(base, params={"q": typed}, headers=mine)).json()["items"]
        assert [c["id"] for c in found] == created, typed


async def test_creations_racing_for_one_number_leave_the_loser_nothing(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    """Each claims its own address first, then both the number: the loser gives its address back."""
    base, mine = f"{stack.url('contacts')}/api/v1/contacts", agent_headers([location])
    phone = number()
    emails = [f"guest{i}.{location}@example.com" for i in range(4)]
    answers = await asyncio.gather(
        *(http.post(base, json={"location_id": location, "email": e, "phone": phone}, headers=mine) for e in emails)
    )
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [201, 409, 409, 409], [a.text for a in answers]
    winner = answers[statuses.index(201)].json()["id"]
    for email, answer in zip(emails, answers, strict=True):
        if answer.status_code == 409:
            assert answer.json()["contact_id"] == winner
            again = await http.post(base, json={"location_id": location, "email": email}, headers=mine)
            assert again.status_code == 201, f"{email} stayed claimed: {again.text}"
