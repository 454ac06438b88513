"""Merge and split of requests against the real stack: guest emails sent over ingest's SMTP, every timeline
entry kept exactly once, replies to the merged-away thread (and to its reply address) landing in the survivor,
a split message's reply landing in the new request, scoping, and view counts equal to recounts."""

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared import tokens
from tests.integration.conftest import (
    ADMIN,
    HOTEL_MAIL_DOMAIN,
    REPLY_DOMAIN,
    TEST_SECRET,
    Stack,
    agent_headers,
    create_hotel,
)
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]
VIEWS = {"all": "all", "inbox": "inbox", "open": "open", "on_hold": "on_hold", "closed": "closed", "spam": "spam"}


def mail(location: str, message_id: str, subject: str, text: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Dubois <claire@example.com>"
    message["To"] = headers.pop("To", f"{location}@{HOTEL_MAIL_DOMAIN}")
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}@{location}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def deliver(stack: Stack, raw: bytes, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.sendmail("claire@example.com", [to], raw)


async def send(stack: Stack, location: str, message_id: str, subject: str, text: str, **headers: str) -> None:
    to = headers.get("To", f"{location}@{HOTEL_MAIL_DOMAIN}")
    await asyncio.to_thread(deliver, stack, mail(location, message_id, subject, text, **headers), to)


async def timeline(mongo: Mongo, conversation_id: str) -> list[dict[str, Any]]:
    cursor = mongo["hub"]["timeline"].find({"conversation_id": conversation_id}, {"_id": 1, "key": 1, "kind": 1})
    return [entry async for entry in cursor]


def keys(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((str(entry["_id"]), str(entry["key"])) for entry in entries)


async def texts(api: AgentApi, conversation_id: str) -> list[str]:
    detail = await api.get(conversation_id)
    return [entry.get("text", "") for entry in detail["timeline"] if entry["kind"] == "message"]


async def assert_counts_are_recounts(api: AgentApi, location: str) -> None:
    """The counts served (from the hotel's counters) equal the lists recounted, view by view."""

    async def both() -> tuple[dict[str, int], dict[str, int]]:
        counts = await api.counts(location=location)
        served = {view: int(counts[key]) for view, key in VIEWS.items()}
        served["unread"] = int(counts["unread"])
        listed = {view: len(await api.conversations(location=location, view=view, limit="100")) for view in VIEWS}
        unread = await api.conversations(location=location, view="inbox", limit="100")
        listed["unread"] = sum(1 for item in unread if item.get("unread"))
        return served, listed

    await eventually(both, lambda pair: pair[0] == pair[1])


async def two_requests(stack: Stack, api: AgentApi, location: str) -> tuple[str, str]:
    """Two email requests of one guest at the hotel: (the older, the newer)."""
    await send(stack, location, "room-1", "Chambre", "Une chambre calme, svp.")
    first = (await api.wait_for(location))[0]["id"]
    await send(stack, location, "park-1", "Parking", "Avez-vous un parking ?")
    items = await api.wait_for(location, 2)
    second = next(item["id"] for item in items if item["id"] != first)
    return first, second


async def test_merge_keeps_every_entry_once_and_replies_to_the_merged_thread_land_in_the_survivor(
    stack: Stack, http: httpx.AsyncClient, mongo: Mongo, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), ADMIN)
    survivor, merged = await two_requests(stack, api, location)
    await api.ok("POST", survivor, "notes", {"text": "Note on the room"})
    await api.ok("POST", merged, "notes", {"text": "Note on the parking"})
    await api.ok("PATCH", merged, "", {"labels": ["parking"]})
    before = keys(await timeline(mongo, survivor)) + keys(await timeline(mongo, merged))

    result = await api.ok("POST", survivor, "merge", {"conversation_id": merged})

    assert result["conversation"]["id"] == survivor
    assert "parking" in result["conversation"]["labels"]
    assert [entry["kind"] for entry in result["entries"]] == ["merge"]
    after_survivor, after_merged = await timeline(mongo, survivor), await timeline(mongo, merged)
    moved = [entry for entry in after_survivor if entry["kind"] != "merge"]
    assert keys(moved) == sorted(before), "every entry of both requests, each exactly once"
    assert [entry["kind"] for entry in after_merged] == ["merge"], "only its merge entry stays behind"
    assert len(after_survivor) + len(after_merged) == len(before) + 2
    detail = await api.get(survivor)
    shown = [entry["at"] for entry in detail["timeline"]]
    assert shown == sorted(shown), "interleaved by time"

    redirect = await http.get(f"{stack.url('inbox')}/api/v1/conversations/{merged}", headers=ADMIN)
    assert redirect.status_code == 308
    assert redirect.headers["location"] == f"/api/v1/conversations/{survivor}"
    followed = await http.get(
        f"{stack.url('inbox')}/api/v1/conversations/{merged}", headers=ADMIN, follow_redirects=True
    )
    assert followed.status_code == 200
    assert followed.json()["conversation"]["id"] == survivor
    refused = await api.call("POST", merged, "notes", {"text": "Too late"})
    assert refused.status_code == 409
    assert survivor in refused.json()["detail"]
    french = await http.post(
        f"{stack.url('inbox')}/api/v1/conversations/{merged}/notes",
        json={"text": "Trop tard"},
        headers={**ADMIN, "Accept-Language": "fr"},
    )
    assert french.status_code == 409
    assert "fusionnée" in french.json()["detail"]
    again = await api.call("POST", survivor, "merge", {"conversation_id": survivor})
    assert again.status_code == 422
    listed = await api.conversations(location=location, view="all")
    assert [item["id"] for item in listed] == [survivor], "a merged request is listed nowhere"
    await assert_counts_are_recounts(api, location)

    # The guest answers the merged-away thread, then writes to its reply address: both land in the survivor.
    await send(
        stack,
        location,
        "park-2",
        "Re: Parking",
        "Pour deux nuits.",
        In_Reply_To=f"<park-1@{location}>",
        References=f"<park-1@{location}>",
    )
    address = f"reply+{tokens.sign('reply', merged, TEST_SECRET)}@{location}.{REPLY_DOMAIN}"
    await send(stack, location, "park-3", "Autre chose", "Et un lit bébé.", To=address)
    found = await eventually(lambda: texts(api, survivor), lambda t: "Pour deux nuits." in t and "Et un lit bébé." in t)
    assert len(found) == 4
    assert [entry["kind"] for entry in await timeline(mongo, merged)] == ["merge"]
    assert [item["id"] for item in await api.conversations(location=location, view="all")] == [survivor]
    await assert_counts_are_recounts(api, location)


async def test_split_moves_the_message_and_its_replies_land_in_the_new_request(
    stack: Stack, http: httpx.AsyncClient, mongo: Mongo, location: str
) -> None:
    api = AgentApi(http, stack.url("inbox"), ADMIN)
    await send(stack, location, "c1", "Séjour", "Nous arrivons lundi.")
    original = (await api.wait_for(location))[0]["id"]
    await send(
        stack,
        location,
        "c2",
        "Re: Séjour",
        "Autre sujet : une facture.",
        In_Reply_To=f"<c1@{location}>",
        References=f"<c1@{location}>",
    )
    await send(
        stack,
        location,
        "c3",
        "Re: Séjour",
        "Et le petit-déjeuner ?",
        In_Reply_To=f"<c2@{location}>",
        References=f"<c1@{location}> <c2@{location}>",
    )
    detail = await eventually(lambda: api.get(original), lambda d: len(d["timeline"]) == 3)
    note = await api.ok("POST", original, "notes", {"text": "A note"})
    invoice = next(entry for entry in detail["timeline"] if entry.get("text") == "Autre sujet : une facture.")
    before = keys(await timeline(mongo, original))

    refused = await api.call("POST", original, "split", {"entry_id": note["entries"][0]["id"]})
    assert refused.status_code == 422, "only a guest's message is split out"
    answer = await api.call("POST", original, "split", {"entry_id": invoice["id"]})

    assert answer.status_code == 201, answer.text
    split = answer.json()
    new = split["conversation"]["id"]
    assert split["from"]["id"] == original
    assert new != original
    assert split["conversation"]["location_id"] == location
    assert split["conversation"]["guest"]["email"] == "claire@example.com"
    assert sorted(entry["kind"] for entry in split["entries"]) == ["split", "split"]
    kept, taken = await timeline(mongo, original), await timeline(mongo, new)
    assert [entry["_id"] for entry in taken if entry["kind"] == "message"] == [invoice["id"]]
    assert keys([e for e in kept + taken if e["kind"] != "split"]) == sorted(before), "every entry exactly once"
    assert await texts(api, original) == ["Nous arrivons lundi.", "Et le petit-déjeuner ?"]
    await assert_counts_are_recounts(api, location)

    # The guest answers the split message: the reply joins the new request, not the original.
    await send(
        stack,
        location,
        "c4",
        "Re: Séjour",
        "Voici le numéro de facture.",
        In_Reply_To=f"<c2@{location}>",
        References=f"<c1@{location}> <c2@{location}>",
    )
    await eventually(
        lambda: texts(api, new), lambda t: t == ["Autre sujet : une facture.", "Voici le numéro de facture."]
    )
    assert await texts(api, original) == ["Nous arrivons lundi.", "Et le petit-déjeuner ?"]
    await send(
        stack,
        location,
        "c5",
        "Re: Séjour",
        "Et un parking.",
        In_Reply_To=f"<c3@{location}>",
        References=f"<c1@{location}> <c3@{location}>",
    )
    await eventually(lambda: texts(api, original), lambda t: "Et un parking." in t)
    await assert_counts_are_recounts(api, location)


async def test_another_hotels_request_is_not_found_and_two_hotels_refuse(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    other = create_hotel(stack, f"{location}-b")
    await send(stack, location, "a1", "Ici", "Bonjour.")
    mine = (await admin.wait_for(location))[0]["id"]
    await send(stack, other, "b1", "Là-bas", "Bonsoir.")
    theirs = (await admin.wait_for(other))[0]["id"]
    agent = AgentApi(http, stack.url("inbox"), agent_headers([location]))

    assert (await agent.call("POST", mine, "merge", {"conversation_id": theirs})).status_code == 404
    assert (await agent.call("POST", theirs, "merge", {"conversation_id": mine})).status_code == 404
    two_hotels = await admin.call("POST", mine, "merge", {"conversation_id": theirs})
    assert two_hotels.status_code == 409
    assert "same hotel" in two_hotels.json()["detail"]
    assert (await admin.get(theirs))["conversation"]["status"] == "open", "nothing changed"
    assert (await admin.get(mine))["conversation"]["status"] == "open"
