"""The live streams' hub on a real NATS server (issue 19): one subscription per hotel per process shared by
its streams, resyncs instead of silent losses, and a NATS connection of its own, not the broker's.

A NATS server of this module's own (no database or service is needed), so these run in seconds.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from prometheus_client import REGISTRY

from services.inbox.live import service as live
from services.inbox.live.service import EVERYWHERE, LiveHub, LiveStream
from services.inbox.main import build_app
from shared import bus
from shared.auth import Actor
from shared.messaging import server_has_read
from shared.runtime import Runtime
from shared.settings import HubSettings
from tests.support import servers
from tests.support.polling import eventually
from tests.unit.test_bus_events import example

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("live-streams")
    server = servers.nats_server(root / "nats").start()
    try:
        yield f"nats://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    """The chain's side: a client publishing events as the services do (core NATS is enough here)."""
    client = await nats.connect(nats_url)
    yield client
    await client.drain()


@pytest.fixture
async def hub(nats_url: str) -> AsyncIterator[LiveHub]:
    hub = LiveHub(nats_url)
    yield hub
    await hub.close()


def hotel() -> str:
    return f"h{uuid.uuid4().hex[:10]}"


def agent(*hotels: str, role: str = "agent") -> Actor:
    name = uuid.uuid4().hex[:6]
    return Actor(agent_id=name, name=name, initials="X", email=f"{name}@x.org", role=role, location_ids=list(hotels))


async def publish_note(nc: NatsClient, location: str, conversation_id: str = "c1") -> None:
    event = example(bus.NoteAdded, hotel=location).model_copy(update={"conversation_id": conversation_id})
    await nc.publish(event.bus_subject, event.model_dump_json().encode())


async def received(stream: LiveStream, count: int) -> list[live.LiveEvent]:
    events: list[live.LiveEvent] = []
    for _ in range(count):
        event = await stream.next(timeout=5)
        assert event is not None, f"only {events} arrived"
        events.append(event)
    return events


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestOneSubscriptionPerHotel:
    async def test_two_streams_of_a_hotel_share_one_subscription_until_both_close(
        self, hub: LiveHub, nc: NatsClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        decoded: list[str] = []
        decode = live.decode

        def counted(subject: str, data: bytes) -> live.Decoded | None:
            decoded.append(subject)
            return decode(subject, data)

        monkeypatch.setattr(live, "decode", counted)
        paris = hotel()
        async with LiveStream(hub, agent(paris)) as first, LiveStream(hub, agent(paris)) as second:
            assert list(hub.feeds) == [paris]
            assert hub.subscriptions == 2, "the hotel's events and its presence, once for both streams"
            await publish_note(nc, paris)
            assert [e.name for e in await received(first, 1)] == ["conversation.note_added"]
            assert [e.name for e in await received(second, 1)] == ["conversation.note_added"]
            assert len(decoded) == 1, "decoded once for both streams"
            async with LiveStream(hub, agent(paris)):
                assert hub.subscriptions == 2
            assert list(hub.feeds) == [paris], "two streams still need it"
        assert hub.feeds == {}
        assert hub.subscriptions == 0
        assert not hub.streams
        # The server forgot the subscriptions too: a note published now never reaches the connection.
        assert hub.connection is not None
        await server_has_read(hub.connection)
        before = hub.connection.stats["in_msgs"]
        await publish_note(nc, paris)
        await server_has_read(nc)  # the server routed the note, and queued the hub's PONG after it if sent
        await server_has_read(hub.connection)
        assert hub.connection.stats["in_msgs"] == before

    async def test_admins_share_one_subscription_to_everything_beside_the_hotels(self, hub: LiveHub) -> None:
        lyon, nice = hotel(), hotel()
        async with (
            LiveStream(hub, agent(role="admin")),
            LiveStream(hub, agent(role="admin")),
            LiveStream(hub, agent(lyon, nice)),
            LiveStream(hub, agent(nice)),
        ):
            assert sorted(hub.feeds) == sorted([EVERYWHERE, lyon, nice])
            assert hub.subscriptions == 6
            assert sample("hub_inbox_live_streams") == 4
            assert sample("hub_inbox_live_hotel_subscriptions") == 3
        assert hub.feeds == {}
        assert sample("hub_inbox_live_streams") == 0

    async def test_an_agent_of_one_hotel_never_receives_anothers_events(self, hub: LiveHub, nc: NatsClient) -> None:
        mine, theirs = hotel(), hotel()
        async with LiveStream(hub, agent(mine)) as agents, LiveStream(hub, agent(role="admin")) as admins:
            await publish_note(nc, theirs, "theirs")
            await publish_note(nc, mine, "mine")
            chain_wide = example(bus.ContactMerged)
            await nc.publish(chain_wide.bus_subject, chain_wide.model_dump_json().encode())
            shown = await received(agents, 1)
            seen_by_admin = await received(admins, 2)
            assert await agents.next(timeout=0.5) is None
            assert await admins.next(timeout=0.5) is None, "chain-wide events are no console's"
        assert [json.loads(e.data)["conversation_id"] for e in shown] == ["mine"]
        assert [json.loads(e.data)["conversation_id"] for e in seen_by_admin] == ["theirs", "mine"]


class TestNoSilentDrop:
    async def test_a_stream_that_does_not_read_is_told_to_resync_and_counted(
        self, hub: LiveHub, nc: NatsClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(live, "QUEUE_SIZE", 10)
        paris = hotel()
        before = sample("hub_inbox_live_resyncs_total", reason="stream_behind")
        async with LiveStream(hub, agent(paris)) as idle:
            for number in range(15):
                await publish_note(nc, paris, f"c{number}")

            # c0 to c9 fill the queue; c10 finds it full: cleared, one resync; c11 to c14 queue behind it.
            # (The probe names every resync reason counted, so a failure says which one emptied the queue.)
            def queued() -> tuple[int, dict[str, float]]:
                reasons = {
                    reason.value: sample("hub_inbox_live_resyncs_total", reason=reason.value)
                    for reason in live.ResyncReason
                }
                return idle.queue.qsize(), reasons

            await eventually(lambda: asyncio.sleep(0, queued()), lambda found: found[0] == 5)
            events = await received(idle, 5)
            assert await idle.next(timeout=0.3) is None
        assert events[0].name == "resync"
        assert json.loads(events[0].data) == {"reason": "stream_behind"}
        assert [json.loads(e.data)["conversation_id"] for e in events[1:]] == ["c11", "c12", "c13", "c14"]
        assert sample("hub_inbox_live_resyncs_total", reason="stream_behind") == before + 1
        assert events[0].frame() == 'event: resync\ndata: {"reason": "stream_behind"}\n\n'

    async def test_a_subscription_that_drops_messages_resyncs_its_hotels_streams(
        self, hub: LiveHub, nc: NatsClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """nats-py drops what overflows a subscription's own queue (a slow consumer): the hub's error
        callback counts it and tells the hotel's streams to resync; nothing is raised."""
        monkeypatch.setattr(live, "PENDING_MESSAGES", 2)
        paris, lyon = hotel(), hotel()
        drops = sample("hub_inbox_live_slow_consumer_total")
        async with LiveStream(hub, agent(paris)) as behind, LiveStream(hub, agent(lyon)) as elsewhere:
            for number in range(200):  # read in a few chunks, each parsed without yielding to the callbacks
                await publish_note(nc, paris, f"c{number}")
            await server_has_read(nc)
            await eventually(lambda: asyncio.sleep(0, behind.resync_pending), bool)
            first = await behind.next(timeout=5)
            assert first is not None
            assert (first.name, json.loads(first.data)) == ("resync", {"reason": "subscription_behind"})
            assert await elsewhere.next(timeout=0.3) is None, "another hotel's streams lost nothing"
            assert hub.connection is not None
            assert hub.connection.is_connected
        assert sample("hub_inbox_live_slow_consumer_total") > drops


async def test_live_streams_have_a_nats_connection_of_their_own(nats_url: str) -> None:
    """As the inbox wires it: a stream that falls behind can never get the broker's connection (which
    carries the JetStream consumers) cut off by the server; the connection closes at shutdown."""
    app = build_app(HubSettings(nats_url=nats_url))
    hub: LiveHub = app.state.live_hub
    runtime: Runtime = app.state.runtime
    shutdown = asyncio.create_task(hub.close_at_shutdown(runtime))  # as the app's lifespan runs it
    await runtime.broker.connect()
    try:
        async with LiveStream(hub, agent(hotel())):
            assert hub.connection is not None
            broker = runtime.broker.connection
            assert hub.connection is not broker
            assert hub.connection.client_id != broker.client_id
            assert hub.connection.is_connected
    finally:
        await runtime.broker.stop()
        shutdown.cancel()  # what the lifespan does to its background tasks at shutdown
        await asyncio.gather(shutdown, return_exceptions=True)
    assert hub.connection.is_closed
