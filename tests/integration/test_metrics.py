"""Every service's /metrics passes `promtool check metrics`, and the counters say what the traffic did."""

import asyncio
import shutil
import subprocess
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually
from tests.support.servers import SERVICES

pytestmark = pytest.mark.integration


async def sample(http: httpx.AsyncClient, url: str, name: str, **labels: str) -> float:
    """The value of one sample of a service's metrics (0 when the series does not exist yet)."""
    text = (await http.get(f"{url}/metrics")).text
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


@pytest.mark.parametrize("service", SERVICES)
async def test_metrics_pass_promtool(stack: Stack, http: httpx.AsyncClient, service: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package (scripts/install-tools.sh)"
    exposition = (await http.get(f"{stack.url(service)}/metrics")).content
    assert b"# TYPE hub_http_requests_total counter" in exposition
    command = [promtool, "check", "metrics"]
    checked = await asyncio.to_thread(subprocess.run, command, input=exposition, capture_output=True, check=False)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


async def test_inbound_counters_follow_the_messages_sent(stack: Stack, http: httpx.AsyncClient, location: str) -> None:
    ingest, inbox = stack.url("ingest"), stack.url("inbox")
    stored_before = await sample(http, inbox, "hub_inbox_inbound_stored_total", channel="form")
    for number in range(3):
        form = {"name": "Metric Guest", "email": f"m{number}.{location}@example.com", "message": f"Hello {number}"}
        response = await http.post(f"{ingest}/ingest/forms/{location}", json=form)
        assert response.status_code == 202, response.text
    refused = await http.post(f"{ingest}/ingest/forms/{location}", json={"name": "No message"})
    assert refused.status_code == 422

    accepted = await sample(http, ingest, "hub_ingest_inbound_accepted_total", channel="form", location=location)
    assert accepted == 3
    stored = await eventually(
        lambda: sample(http, inbox, "hub_inbox_inbound_stored_total", channel="form"),
        lambda value: value >= stored_before + 3,
    )
    assert stored == stored_before + 3, "each accepted message stored once"
    rejected = await sample(http, ingest, "hub_ingest_inbound_rejected_total", channel="form")
    assert rejected >= 1


async def test_consumer_lag_and_dead_letters_are_observed(stack: Stack, http: httpx.AsyncClient) -> None:
    text = (await http.get(f"{stack.url('inbox')}/metrics")).text
    assert 'hub_bus_consumer_pending_messages{consumer="inbox-inbound",stream="INBOUND"}' in text
    assert 'hub_bus_consumer_ack_pending_messages{consumer="inbox-deliveries",stream="EVENTS"}' in text
    assert "hub_bus_dlq_messages " in text
    notify = (await http.get(f"{stack.url('notify')}/metrics")).text
    assert 'consumer="notify-outbound",stream="OUTBOUND"' in notify


async def test_first_response_and_resolution_times_are_recorded(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    inbox = stack.url("inbox")
    api = AgentApi(http, inbox, agent_headers([location]))
    name = "hub_inbox_first_response_seconds_count"
    replies_before = await sample(http, inbox, name, channel="email")
    closes_before = await sample(http, inbox, "hub_inbox_resolution_seconds_count", channel="email")
    await publish_inbound(nc, location, email=f"timed.{location}@example.com")
    [conversation] = await api.wait_for(location)
    for text in ("First answer", "Second answer"):
        await api.ok("POST", conversation["id"], "messages", {"text": text})
    await api.ok("PUT", conversation["id"], "status", {"status": "closed"})
    assert await sample(http, inbox, name, channel="email") == replies_before + 1, "only the first reply counts"
    assert await sample(http, inbox, "hub_inbox_resolution_seconds_count", channel="email") == closes_before + 1


async def test_request_gauges_count_each_hotels_views(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    inbox = stack.url("inbox")
    named = await http.patch(f"{inbox}/api/v1/locations/{location}", json={"name": "Gauge Hotel"}, headers=ADMIN)
    assert named.status_code == 200, named.text
    api = AgentApi(http, inbox, agent_headers([location]))
    for number in range(3):
        await publish_inbound(nc, location, email=f"g{number}.{location}@example.com", subject=f"S{number}")
    conversations = await api.wait_for(location, count=3)
    await api.ok("PUT", conversations[0]["id"], "status", {"status": "on_hold"})
    await api.ok("POST", conversations[1]["id"], "read")

    async def gauges() -> dict[str, float]:
        views = ("open", "on_hold", "unread", "alerts", "awaiting")
        return {view: await sample(http, inbox, "hub_inbox_requests", location=location, view=view) for view in views}

    expected = {"open": 2, "on_hold": 1, "unread": 2, "alerts": 0, "awaiting": 2}
    assert await eventually(gauges, lambda found: found == expected) == expected


async def test_an_unanswered_alert_is_measured_until_an_agent_answers(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    inbox = stack.url("inbox")
    named = await http.patch(f"{inbox}/api/v1/locations/{location}", json={"name": "Alert Hotel"}, headers=ADMIN)
    assert named.status_code == 200, named.text
    api = AgentApi(http, inbox, agent_headers([location]))
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await publish_inbound(nc, location, email=f"angry.{location}@example.com", rating=1, received_at=hour_ago)
    [alert] = await api.wait_for(location)
    assert alert["alert"]

    def age() -> Awaitable[float]:
        return sample(http, inbox, "hub_inbox_oldest_unanswered_alert_seconds", location=location)

    assert await eventually(age, lambda seconds: seconds >= 3600) < 3600 + 120
    await api.ok("POST", alert["id"], "messages", {"text": "We are so sorry; the manager will call you."})
    assert await eventually(age, lambda seconds: seconds == 0) == 0
    outbound = await eventually(
        lambda: sample(
            http, stack.url("notify"), "hub_notify_outbound_total", channel="email", kind="reply", result="sent"
        ),
        lambda value: value >= 1,
    )
    assert outbound >= 1


async def test_labels_put_on_requests_are_counted_by_hotel_and_configured_label(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    inbox = stack.url("inbox")
    configured = {"labels": ["VIP", "Late arrival"]}
    assert (await http.patch(f"{inbox}/api/v1/locations/{location}", json=configured, headers=ADMIN)).is_success
    api = AgentApi(http, inbox, agent_headers([location]))
    free_text = f"birthday-{location}"
    await publish_inbound(nc, location, email=f"label.{location}@example.com")
    [conversation] = await api.wait_for(location)

    async def counted(label: str) -> float:
        return await sample(http, inbox, "hub_inbox_labels_applied_total", location=location, label=label)

    await api.ok("PATCH", conversation["id"], "", {"labels": ["vip"]})
    await api.ok("PATCH", conversation["id"], "", {"labels": ["vip", free_text, "late arrival"]})
    assert await counted("VIP") == 1, "each label counted once, in the hotel's spelling"
    assert await counted("Late arrival") == 1
    assert await counted("other") == 1, "a label the hotel did not configure"
    # Unconfigured labels are free text: they never become metric label values (issue 18, finding 8).
    assert free_text not in (await http.get(f"{inbox}/metrics")).text


async def test_reservations_are_counted_by_hotel_and_kind(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
) -> None:
    inbox = stack.url("inbox")
    api = AgentApi(http, inbox, agent_headers([location]))
    await publish_inbound(nc, location, email=f"booking.{location}@example.com")
    [conversation] = await api.wait_for(location)
    for kind in ("room", "spa", "room"):
        await api.ok("POST", conversation["id"], "reservations", {"kind": kind, "date": "2027-02-14", "party_size": 2})

    async def counted(kind: str) -> float:
        return await sample(http, inbox, "hub_inbox_reservations_recorded_total", location=location, kind=kind)

    assert (await counted("room"), await counted("spa"), await counted("restaurant")) == (2, 1, 0)
