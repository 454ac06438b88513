"""Automation rules end to end: a rule fires on a new request (a timeline entry naming it, the change in the
API), conflicting rules resolved in the documented order (chain before group, then position), loops stopped
after one pass (a rule re-triggered by its own action, two rules ping-ponging), a dry run changing nothing,
and managers kept to their own groups' rules. Every rule here is a group rule of a group the test creates,
or a chain rule narrowed to the test's hotel and removed by the test."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from shared import bus
from tests.integration.conftest import ADMIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.unit.test_bus_events import example

pytestmark = pytest.mark.integration

PASSWORD = "rules-test-password"


@dataclass
class Region:
    location: str
    group: str
    manager: dict[str, str]  # the group manager's session headers
    rules: list[str]  # the rules to remove at the end


async def created(http: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
    answer = await http.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture
async def region(stack: Stack, http: httpx.AsyncClient, location: str) -> AsyncIterator[Region]:
    """The test's hotel in a group of its own, with the group's manager signed in."""
    tag = uuid.uuid4().hex[:8]
    inbox = f"{stack.url('inbox')}/api/v1"
    group = await created(
        http, f"{inbox}/location-groups", {"id": f"rules-{tag}", "name": "R", "location_ids": [location]}
    )
    email = f"rita-{tag}@test.hotel"
    agent = {"name": "Rita Rules", "email": email, "password": PASSWORD, "role": "manager", "group_ids": [group["id"]]}
    await created(http, f"{inbox}/agents", {**agent, "notify_on_assignment": False})
    login = await http.post(f"{inbox}/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    found = Region(location, str(group["id"]), {"Authorization": f"Bearer {login.json()['token']}"}, [])
    yield found
    for rule_id in found.rules:
        removed = await http.delete(f"{inbox}/rules/{rule_id}", headers=ADMIN)
        assert removed.status_code in {204, 404}, removed.text


async def add_rule(http: httpx.AsyncClient, stack: Stack, region: Region, **rule: Any) -> dict[str, Any]:
    made = await created(http, f"{stack.url('inbox')}/api/v1/rules", {"on": ["created"], **rule})
    region.rules.append(str(made["id"]))
    return made


async def heating_rule(
    http: httpx.AsyncClient, stack: Stack, region: Region, *actions: dict[str, Any]
) -> dict[str, Any]:
    """The region's group rule acting on requests that mention "chauffage"."""
    return await add_rule(
        http,
        stack,
        region,
        name="Heating",
        group_id=region.group,
        conditions=[{"field": "text", "op": "contains_any", "value": ["chauffage"]}],
        actions=list(actions),
    )


async def rule_of(http: httpx.AsyncClient, stack: Stack, rule_id: str) -> dict[str, Any]:
    answer = await http.get(f"{stack.url('inbox')}/api/v1/rules/{rule_id}", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def new_request(nc: NatsClient, admin: AgentApi, location: str, subject: str, text: str) -> str:
    await publish_inbound(nc, location, subject=subject, text=text, email=f"g-{uuid.uuid4().hex[:6]}@guest.example")

    async def find() -> list[dict[str, Any]]:
        return [c for c in await admin.conversations(location=location, view="all") if c["subject"] == subject]

    return str((await eventually(find, lambda items: len(items) == 1))[0]["id"])


def rule_entries(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in detail["timeline"] if entry["kind"] == "rule"]


async def test_a_rule_fires_on_a_new_request(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, region: Region
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    rule = await heating_rule(
        http, stack, region, {"type": "add_labels", "labels": ["heating"]}, {"type": "set_priority", "priority": "high"}
    )
    heating = await new_request(nc, admin, region.location, "Chambre 12", "Le CHAUFFAGE ne marche pas.")
    other = await new_request(nc, admin, region.location, "Chambre 14", "Merci pour tout.")

    detail = await eventually(lambda: admin.get(heating), lambda d: len(rule_entries(d)) == 2)
    assert detail["conversation"]["labels"] == ["heating"]
    assert detail["conversation"]["priority"] == "high"
    entries = rule_entries(detail)
    assert [e["action"]["type"] for e in entries] == ["add_labels", "set_priority"]
    assert {(e["rule_id"], e["rule_name"]) for e in entries} == {(rule["id"], "Heating")}
    assert entries[0]["author"] == {"type": "rule", "rule_id": rule["id"], "name": "Heating"}
    fired = await eventually(lambda: rule_of(http, stack, rule["id"]), lambda r: r["fired"] == 1)
    assert fired["loop_guard"]["stopped"] == 0
    untouched = await admin.get(other)
    assert rule_entries(untouched) == []
    assert untouched["conversation"]["labels"] == []


async def test_an_event_naming_another_hotel_runs_no_rule_on_the_request(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, region: Region
) -> None:
    """An event speaks for its hotel: one that names the rule's hotel but another hotel's request (a forged or
    mistaken event) changes nothing there."""
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    await heating_rule(http, stack, region, {"type": "add_labels", "labels": ["heating"]})
    elsewhere = create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")
    theirs = await new_request(nc, admin, elsewhere, "Chambre 3", "Le chauffage est en panne.")
    forged = example(bus.ConversationCreated, hotel=region.location).model_copy(
        update={"conversation_id": theirs, "entry_id": uuid.uuid4().hex}
    )
    await nc.jetstream().publish(
        forged.bus_subject, forged.model_dump_json().encode(), headers={"Nats-Msg-Id": forged.dedup_key()}
    )
    # A request of the rule's own hotel, published after, shows the rules consumer got that far.
    mine = await new_request(nc, admin, region.location, "Chambre 4", "Le chauffage est en panne.")
    await eventually(lambda: admin.get(mine), lambda d: len(rule_entries(d)) == 1)
    untouched = await admin.get(theirs)
    assert rule_entries(untouched) == []
    assert untouched["conversation"]["labels"] == []


async def test_conflicting_rules_run_chain_first_then_by_position(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, region: Region
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    here = {"field": "location_id", "op": "in", "value": [region.location]}
    second = await add_rule(
        http,
        stack,
        region,
        name="a second",  # first by name, but later by position
        group_id=region.group,
        position=2,
        actions=[{"type": "set_priority", "priority": "low"}],
    )
    first = await add_rule(
        http,
        stack,
        region,
        name="z first",
        group_id=region.group,
        position=1,
        conditions=[{"field": "labels", "op": "contains", "value": "chain"}],  # the chain rule's label
        actions=[{"type": "set_priority", "priority": "high"}, {"type": "add_labels", "labels": ["group"]}],
    )
    chain = await add_rule(
        http,
        stack,
        region,
        name="Chain",
        position=50,  # a higher position than the group rules, and still first
        conditions=[here],  # only this test's hotel: a chain rule sees every request of the stack
        actions=[{"type": "add_labels", "labels": ["chain"]}, {"type": "set_priority", "priority": "medium"}],
    )
    conversation = await new_request(nc, admin, region.location, "Conflict", "Hello")

    detail = await eventually(lambda: admin.get(conversation), lambda d: len(rule_entries(d)) == 5)
    order = [(e["rule_id"], e["action"]["type"]) for e in rule_entries(detail)]
    assert order == [
        (chain["id"], "add_labels"),
        (chain["id"], "set_priority"),
        (first["id"], "set_priority"),
        (first["id"], "add_labels"),
        (second["id"], "set_priority"),
    ]
    assert detail["conversation"]["priority"] == "low"  # the last rule of the pass wins (a new request is low)
    assert detail["conversation"]["labels"] == ["chain", "group"]

    # The dry run tells the same order.
    dry = await http.post(
        f"{stack.url('inbox')}/api/v1/rules/dry-run",
        json={"request": {"location_id": region.location, "channel": "email", "subject": "Conflict"}},
        headers=ADMIN,
    )
    assert dry.status_code == 200, dry.text
    ids = [rule["rule_id"] for rule in dry.json()["fired"]]
    assert ids[ids.index(chain["id"]) :][:3] == [chain["id"], first["id"], second["id"]]


async def test_loops_are_stopped_after_one_pass(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, region: Region
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    itself = await add_rule(
        http,
        stack,
        region,
        name="Labels beget labels",
        group_id=region.group,
        on=["label_added"],
        conditions=[{"field": "labels", "op": "contains", "value": "start"}],
        actions=[{"type": "add_labels", "labels": ["looped"]}],
    )
    # Ping's action triggers Pong, whose action would trigger Ping again, and so on.
    ping = await add_rule(
        http,
        stack,
        region,
        name="Ping",
        group_id=region.group,
        on=["label_added"],
        conditions=[{"field": "labels", "op": "contains", "value": "ping"}],
        actions=[{"type": "set_priority", "priority": "high"}],
    )
    pong = await add_rule(
        http,
        stack,
        region,
        name="Pong",
        group_id=region.group,
        on=["priority_changed"],
        conditions=[{"field": "priority", "op": "in", "value": ["high"]}],
        actions=[{"type": "add_labels", "labels": ["pong"]}],
    )
    labelled = await new_request(nc, admin, region.location, "Self loop", "Hello")
    ponged = await new_request(nc, admin, region.location, "Ping pong", "Hello")

    await admin.ok("PATCH", labelled, body={"labels": ["start"]})
    await admin.ok("PATCH", ponged, body={"labels": ["ping"]})

    guarded = await eventually(lambda: rule_of(http, stack, itself["id"]), lambda r: r["loop_guard"]["stopped"] >= 1)
    assert guarded["fired"] == 1
    assert guarded["loop_guard"]["last_conversation_id"] == labelled
    stopped_pong = await eventually(lambda: rule_of(http, stack, pong["id"]), lambda r: r["loop_guard"]["stopped"] >= 1)
    assert stopped_pong["fired"] == 0  # its trigger came from Ping's action: stopped, never run
    assert stopped_pong["loop_guard"]["last_conversation_id"] == ponged
    assert (await rule_of(http, stack, ping["id"]))["fired"] == 1

    detail = await admin.get(labelled)
    assert detail["conversation"]["labels"] == ["looped", "start"]
    assert [e["rule_id"] for e in rule_entries(detail)] == [itself["id"]]
    detail = await admin.get(ponged)
    assert detail["conversation"]["priority"] == "high"  # one pass: Ping's change stands, Pong never answered
    assert detail["conversation"]["labels"] == ["ping"]
    assert [e["rule_id"] for e in rule_entries(detail)] == [ping["id"]]


async def test_a_dry_run_changes_nothing(
    stack: Stack,
    http: httpx.AsyncClient,
    nc: NatsClient,
    region: Region,
    mongo: AsyncMongoClient[dict[str, object]],
) -> None:
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    conversation = await new_request(nc, admin, region.location, "Dry", "Le wifi est lent")
    # Listens to a status change this request never has: only the dry run makes it "fire".
    rule = await add_rule(
        http,
        stack,
        region,
        name="Care rotation",
        group_id=region.group,
        on=["status_changed"],
        conditions=[{"field": "text", "op": "contains_any", "value": ["wifi"]}],
        actions=[
            {"type": "assign_round_robin", "group_id": region.group},
            {"type": "add_labels", "labels": ["wifi"]},
            {"type": "hold", "hours": 2},
        ],
    )
    turns = mongo[stack.env["HUB_MONGO_DATABASE"]]["rr_turns"]
    before = (
        await admin.get(conversation),
        await admin.counts(location=region.location),
        await turns.count_documents({}),
    )

    dry = await http.post(
        f"{stack.url('inbox')}/api/v1/rules/dry-run",
        json={"conversation_id": conversation, "event": "status_changed"},
        headers=region.manager,
    )

    assert dry.status_code == 200, dry.text
    answer = dry.json()
    assert [fired["rule_id"] for fired in answer["fired"]] == [rule["id"]]
    actions = answer["fired"][0]["actions"]
    assert actions[0]["summary_en"] == f"Next agent in rotation of group {region.group}"
    assert [a["type"] for a in actions] == ["assign_round_robin", "add_labels", "hold"]
    assert answer["changes"] == {"status": "on_hold", "priority": "low", "labels": ["wifi"], "assigned": True}
    after = (
        await admin.get(conversation),
        await admin.counts(location=region.location),
        await turns.count_documents({}),
    )
    assert after == before
    assert (await rule_of(http, stack, rule["id"]))["fired"] == 0

    # Unsaved rules are tried instead of the stored ones.
    unsaved = {"name": "Try", "on": ["created"], "group_id": region.group, "actions": [{"type": "mark_spam"}]}
    tried = await http.post(
        f"{stack.url('inbox')}/api/v1/rules/dry-run",
        json={"conversation_id": conversation, "rules": [unsaved]},
        headers=region.manager,
    )
    assert tried.status_code == 200, tried.text
    assert [fired["name"] for fired in tried.json()["fired"]] == ["Try"]
    assert tried.json()["changes"]["status"] == "spam"
    assert await admin.get(conversation) == before[0]


async def test_managers_set_only_their_groups_rules(
    stack: Stack, http: httpx.AsyncClient, region: Region, location: str
) -> None:
    rules = f"{stack.url('inbox')}/api/v1/rules"
    other_group = await created(
        http,
        f"{stack.url('inbox')}/api/v1/location-groups",
        {"id": f"other-{uuid.uuid4().hex[:8]}", "name": "O", "location_ids": []},
    )
    body = {"on": ["created"], "enabled": False, "actions": [{"type": "mark_spam"}]}
    theirs = await add_rule(http, stack, region, name="Theirs", group_id=other_group["id"], **body)
    chain = await add_rule(http, stack, region, name="Chain (disabled)", **body)
    manager = region.manager

    for method in ("GET", "PATCH", "DELETE"):
        answer = await http.request(
            method, f"{rules}/{theirs['id']}", json={"name": "Mine"} if method == "PATCH" else None, headers=manager
        )
        assert answer.status_code == 404, answer.text
    assert (await http.get(f"{rules}/{chain['id']}", headers=manager)).status_code == 200  # read-only
    assert (await http.patch(f"{rules}/{chain['id']}", json={"enabled": True}, headers=manager)).status_code == 403
    assert (await http.delete(f"{rules}/{chain['id']}", headers=manager)).status_code == 403
    for group_id in (None, other_group["id"]):
        refused = await http.post(rules, json={**body, "name": "Mine", "group_id": group_id}, headers=manager)
        assert refused.status_code == 403, refused.text
    listed = await http.get(rules, headers=manager)
    assert listed.status_code == 200, listed.text
    ids = [rule["id"] for rule in listed.json()["items"]]
    assert chain["id"] in ids
    assert theirs["id"] not in ids

    own = await created(http, rules, {**body, "name": "Mine", "group_id": region.group}, headers=manager)
    region.rules.append(str(own["id"]))
    changed = await http.patch(f"{rules}/{own['id']}", json={"position": 3}, headers=manager)
    assert changed.status_code == 200, changed.text
    assert changed.json()["position"] == 3
    assert (await rule_of(http, stack, chain["id"]))["enabled"] is False  # the refused PATCH changed nothing

    agent = agent_headers([location])
    assert (await http.get(rules, headers=agent)).status_code == 403
    assert (await http.post(f"{rules}/dry-run", json={"conversation_id": "x"}, headers=agent)).status_code == 403
    invalid = await http.post(
        rules, json={**body, "name": "Bad", "actions": [{"type": "hold", "hours": 0}]}, headers=ADMIN
    )
    assert invalid.status_code == 422, invalid.text
