"""A service just started exports its counters at 0 (alerts must not go blind after a restart, issue 23),
and the synthetic check finds the form it posts as a conversation."""

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from services.synthetic.probe import check_once
from services.synthetic.settings import SyntheticSettings
from shared.bus import DURABLE_CONSUMERS, Channel
from tests.integration.conftest import TEST_SECRET, Stack, agent_headers

pytestmark = pytest.mark.integration


async def series(http: httpx.AsyncClient, url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = (await http.get(f"{url}/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def at(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


async def test_a_restarted_service_exports_its_counters_at_zero(stack: Stack, http: httpx.AsyncClient) -> None:
    stack.services["solicit"].stop()
    stack.restart("solicit")
    found = await series(http, stack.url("solicit"))
    expected = [
        *(
            at("hub_bus_dead_lettered_total", stream=consumer.stream.name, consumer=consumer.durable)
            for consumer in DURABLE_CONSUMERS
        ),
        at("hub_bus_redeliveries_total", stream="INBOUND", consumer="solicit-inbound"),
        at("hub_bus_redeliveries_total", stream="EVENTS", consumer="solicit-delivery-failures"),
        at("hub_bus_publish_failures_total", stream="OUTBOUND"),
        at("hub_bus_publish_failures_total", stream="EVENTS"),
        at("hub_bus_publish_failures_total", stream="DLQ"),
        at("hub_solicitations_sent_total", kind="new"),
        at("hub_solicitation_replies_unmatched_total", reason="forged_token"),
    ]
    assert {key: found.get(key) for key in expected} == dict.fromkeys(expected, 0.0)
    # Another service's consumers are not retried here: no series that would always stay 0.
    assert at("hub_bus_redeliveries_total", stream="OUTBOUND", consumer="notify-outbound") not in found


async def test_every_service_exports_the_series_its_alerts_read(stack: Stack, http: httpx.AsyncClient) -> None:
    inbox = await series(http, stack.url("inbox"))
    for channel in Channel:
        assert at("hub_inbox_inbound_stored_total", channel=channel.value) in inbox
        assert at("hub_inbox_first_response_seconds_count", channel=channel.value) in inbox
    assert at("hub_bus_redeliveries_total", stream="INBOUND", consumer="inbox-inbound") in inbox
    notify = await series(http, stack.url("notify"))
    assert at("hub_notify_emails_total", outcome="failed") in notify
    assert at("hub_notify_bounces_total", kind="hard") in notify
    assert at("hub_bus_publish_failures_total", stream="EVENTS") in notify
    ingest = await series(http, stack.url("ingest"))
    assert at("hub_ingest_inbound_rejected_total", channel="email", reason="unreadable") in ingest
    assert at("hub_bus_publish_failures_total", stream="INBOUND") in ingest


async def test_the_synthetic_check_finds_its_form_as_a_conversation(stack: Stack, http: httpx.AsyncClient) -> None:
    settings = SyntheticSettings(ingest_url=stack.url("ingest"), inbox_url=stack.url("inbox"), timeout_seconds=30)
    assert await check_once(http, settings, TEST_SECRET)
    assert REGISTRY.get_sample_value("hub_synthetic_check_success") == 1
    passed_at = REGISTRY.get_sample_value("hub_synthetic_check_last_success_timestamp_seconds")
    assert passed_at
    # Closed once found: the probe's hotel has nothing waiting for an agent.
    listed = await http.get(
        f"{stack.url('inbox')}/api/v1/conversations",
        params={"location": settings.location_id, "view": "all"},
        headers=agent_headers([settings.location_id]),
    )
    assert listed.status_code == 200, listed.text
    assert [item["status"] for item in listed.json()["items"]] == ["closed"]

    # The form cannot reach ingest: the check fails, and the last success stays where it was.
    broken = settings.model_copy(update={"ingest_url": "http://127.0.0.1:9", "timeout_seconds": 2})
    assert not await check_once(http, broken, TEST_SECRET)
    assert REGISTRY.get_sample_value("hub_synthetic_check_success") == 0
    assert REGISTRY.get_sample_value("hub_synthetic_check_last_success_timestamp_seconds") == passed_at
