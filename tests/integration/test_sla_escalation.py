"""Response-time targets end to end: a 1-star review alert left unanswered for 4 business hours notifies the
hotel's manager (an email at the SMTP sink), an hour later goes to the central care group, and a request
answered in time escalates nothing; a request on hold with `pause_on_hold` has no due time until it resumes.

Time moves by hand: the test sweeps with a `SlaSweeper` of its own (on the stack's NATS and FerretDB) at a
`ManualClock`'s time; the stack's own sweep runs on the real clock, hours before the due times."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from services.inbox.settings import InboxSettings
from services.inbox.sla.service import SlaSweeper, sla_sweeper_for
from shared.bus import Channel
from shared.clock import ManualClock
from shared.runtime import Runtime
from shared.settings import HubSettings
from tests.integration.conftest import ADMIN, TEST_SECRET, Stack
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

PASSWORD = "sla-escalation-password"


@pytest.fixture
async def sweeper(stack: Stack) -> AsyncIterator[SlaSweeper]:
    """The SLA sweep as the inbox runs it, in this process (so the test chooses its clock)."""
    settings = HubSettings(
        environment="test",
        nats_url=stack.nats_url,
        mongo_url=stack.mongo_url,
        mongo_database=stack.env["HUB_MONGO_DATABASE"],
        mongo_flavour=stack.env["HUB_MONGO_FLAVOUR"],
        secret_key=TEST_SECRET,
    )
    runtime = Runtime.build("sla-test", settings)
    await runtime.broker.connect()
    try:
        yield sla_sweeper_for(runtime, InboxSettings(environment="test"))
    finally:
        await runtime.stop()


async def created(http: httpx.AsyncClient, url: str, body: Any) -> dict[str, Any]:
    answer = await http.post(url, json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def sign_in(http: httpx.AsyncClient, stack: Stack, email: str) -> dict[str, str]:
    answer = await http.post(f"{stack.url('inbox')}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def review_request(nc: NatsClient, admin: AgentApi, location: str, subject: str, **guest: Any) -> dict[str, Any]:
    """A 1-star review of the hotel as ingest publishes it; the request it opened, in detail."""
    review_id = f"tripadvisor:{uuid.uuid4().hex}"
    await publish_inbound(
        nc, location, channel=Channel.REVIEW, rating=1, subject=subject, text="Cold room", review_id=review_id, **guest
    )

    async def find() -> list[dict[str, Any]]:
        return [c for c in await admin.conversations(location=location, view="all") if c["subject"] == subject]

    found = await eventually(find, lambda items: len(items) == 1)
    return await admin.get(str(found[0]["id"]))


def kinds(detail: dict[str, Any]) -> list[str]:
    return [str(entry["kind"]) for entry in detail["timeline"]]


@pytest.fixture
async def chain(stack: Stack, http: httpx.AsyncClient, location: str) -> AsyncIterator[dict[str, str]]:
    """The hotel in a region group with its manager (French), a central care group with its agent, and the
    region's policy for review alerts: first response within 240 business minutes; when missed, the
    managers are told; an hour later the request goes to the care group."""
    tag = uuid.uuid4().hex[:8]
    inbox = f"{stack.url('inbox')}/api/v1"
    region = await created(
        http, f"{inbox}/location-groups", {"id": f"region-{tag}", "name": "Region", "location_ids": [location]}
    )
    care = await created(
        http,
        f"{inbox}/location-groups",
        {"id": f"care-{tag}", "name": "Care", "kind": "care", "location_ids": [location]},
    )
    manager_email, care_email = f"maud-{tag}@test.hotel", f"carl-{tag}@test.hotel"
    manager = await created(
        http,
        f"{inbox}/agents",
        {
            "name": "Maud Manager",
            "email": manager_email,
            "password": PASSWORD,
            "role": "manager",
            "group_ids": [region["id"]],
            "language": "fr",
            "notify_on_assignment": False,
        },
    )
    await created(
        http,
        f"{inbox}/agents",
        {"name": "Carl Care", "email": care_email, "password": PASSWORD, "group_ids": [care["id"]], "language": "en"},
    )
    steps = [
        {"target": "first_response", "at_minutes": 0, "action": "notify_managers"},
        {"target": "first_response", "at_minutes": 60, "action": "to_group", "group_id": care["id"]},
    ]
    policy = await created(
        http,
        f"{inbox}/sla/policies",
        {
            "name": "Review alerts",
            "group_id": region["id"],
            "channels": ["review"],
            "alerts_only": True,
            "first_response_minutes": 240,
            "escalation": steps,
        },
    )
    yield {
        "location": location,
        "care": str(care["id"]),
        "manager": str(manager["id"]),
        "manager_email": manager_email,
        "care_email": care_email,
        "policy": str(policy["id"]),
    }
    removed = await http.delete(f"{inbox}/sla/policies/{policy['id']}", headers=ADMIN)
    assert removed.status_code == 204, removed.text


async def test_an_unanswered_alert_notifies_the_manager_then_goes_to_the_care_group(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, chain: dict[str, str], sweeper: SlaSweeper
) -> None:
    assert stack.sink is not None
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    location = chain["location"]
    late = await review_request(nc, admin, location, "Unanswered")
    answered = await review_request(
        nc, admin, location, "Answered", email=f"guest-{uuid.uuid4().hex[:6]}@guest.example"
    )
    created_at = datetime.fromisoformat(late["conversation"]["created_at"])
    sla = late["conversation"]["sla"]
    assert sla["policy_id"] == chain["policy"]
    assert sla["first_response"]["state"] == "running"
    assert datetime.fromisoformat(sla["first_response"]["due_at"]) == created_at + timedelta(hours=4)
    reply = await admin.call("POST", answered["conversation"]["id"], "messages", {"text": "Sorry!", "via": "email"})
    assert reply.status_code == 200, reply.text
    assert (await admin.get(answered["conversation"]["id"]))["conversation"]["sla"]["first_response"]["state"] == "met"

    clock = ManualClock(created_at + timedelta(hours=4, minutes=1))
    assert await sweeper.sweep(clock.now()) >= 2  # the miss, then the managers' step

    mail = await eventually(lambda: _to(stack, chain["manager_email"]), lambda found: bool(found))
    message = mail[0].email
    assert str(message["Subject"]).startswith("Demande en retard : Unanswered")
    body = message.get_body(("plain",))
    assert body is not None
    assert "première réponse" in body.get_content()
    assert f"/conversations/{late['conversation']['id']}" in body.get_content()
    detail = await admin.get(late["conversation"]["id"])
    assert detail["conversation"]["sla"]["first_response"]["state"] == "missed"
    escalation = [entry for entry in detail["timeline"] if entry["kind"] == "escalation"]
    assert len(escalation) == 1
    assert (escalation[0]["action"], escalation[0]["notified"]) == ("notify_managers", [chain["manager"]])
    assert detail["conversation"]["care_group_id"] is None
    untouched = await admin.get(answered["conversation"]["id"])
    assert "escalation" not in kinds(untouched)
    assert "sla" not in kinds(untouched)

    clock.set(created_at + timedelta(hours=5, minutes=1))
    await sweeper.sweep(clock.now())
    detail = await admin.get(late["conversation"]["id"])
    assert detail["conversation"]["care_group_id"] == chain["care"]
    assert detail["conversation"]["sla"]["escalation"]["action"] == "to_group"
    assert detail["conversation"]["assignee"] is None
    assert kinds(detail).count("escalation") == 2
    care_agent = AgentApi(http, stack.url("inbox"), await sign_in(http, stack, chain["care_email"]))
    handed = await care_agent.conversations(care_group=chain["care"], view="all")
    assert [item["id"] for item in handed] == [late["conversation"]["id"]]
    assert "escalation" not in kinds(await admin.get(answered["conversation"]["id"]))

    # Nothing is left to do: a later sweep changes nothing on either request.
    clock.advance(timedelta(days=1))
    versions = [(await admin.get(c["conversation"]["id"]))["conversation"]["version"] for c in (late, answered)]
    await sweeper.sweep(clock.now())
    again = [(await admin.get(c["conversation"]["id"]))["conversation"]["version"] for c in (late, answered)]
    assert again == versions


async def _to(stack: Stack, recipient: str) -> list[Any]:
    assert stack.sink is not None
    return stack.sink.to(recipient)


async def test_a_request_on_hold_has_no_due_time_and_resuming_shifts_it(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, chain: dict[str, str]
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    request = await review_request(nc, admin, chain["location"], "On hold")
    conversation_id = request["conversation"]["id"]
    due = datetime.fromisoformat(request["conversation"]["sla"]["first_response"]["due_at"])
    until = (datetime.fromisoformat(request["conversation"]["created_at"]) + timedelta(days=2)).isoformat()
    held = await admin.ok("PUT", conversation_id, "status", {"status": "on_hold", "snoozed_until": until})
    target = held["conversation"]["sla"]["first_response"]
    assert (target["state"], target["due_at"], held["conversation"]["sla_due_at"]) == ("paused", None, None)
    assert 0 < target["remaining_seconds"] <= 4 * 3600
    resumed = await admin.ok("PUT", conversation_id, "status", {"status": "open"})
    target = resumed["conversation"]["sla"]["first_response"]
    assert target["state"] == "running"
    assert datetime.fromisoformat(target["due_at"]) > due  # the time on hold does not count
    assert resumed["conversation"]["sla_due_at"] == target["due_at"]
