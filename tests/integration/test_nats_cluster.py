"""A 3-node NATS cluster with streams at 3 replicas: the node leading INBOUND is killed during ingestion,
and every message a guest was told was accepted is stored, once."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from tests.integration.conftest import ADMIN, Stack
from tests.support import servers
from tests.support.polling import eventually
from tests.support.servers import Process

pytestmark = pytest.mark.integration
FORMS = 150
KILL_AFTER = 50
DATABASE = "hub_cluster"


@dataclass
class Cluster:
    nodes: list[Process]
    services: dict[str, Process]

    @property
    def nats_url(self) -> str:
        return ",".join(f"nats://127.0.0.1:{node.port}" for node in self.nodes)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.services[service].port}"


@pytest.fixture(scope="module")
def cluster(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root: Path = tmp_path_factory.mktemp("cluster")
    nodes = servers.nats_cluster(root)
    env = {
        **stack.env,
        "HUB_NATS_URL": ",".join(f"nats://127.0.0.1:{node.port}" for node in nodes),
        "HUB_STREAM_REPLICAS": "3",
        "HUB_MONGO_DATABASE": DATABASE,  # the session's database server, a database of its own
        "HUB_INGEST_SMTP_PORT": "0",  # the session stack's ingest receives mail; this one takes forms
        "HUB_INGEST_IMAP_MAILBOXES": "[]",
    }
    procs = {name: servers.service(name, env, root) for name in ("ingest", "inbox", "contacts")}
    try:
        for node in nodes:
            node.start()
        for proc in procs.values():
            proc.start()
        for name in procs:
            servers.wait_ready(f"http://127.0.0.1:{procs[name].port}", timeout=120)
        yield Cluster(nodes=nodes, services=procs)
    finally:
        for proc in procs.values():
            proc.stop()
        for node in nodes:
            node.stop()


@pytest.fixture
async def cluster_nc(cluster: Cluster) -> AsyncIterator[NatsClient]:
    client = await nats.connect(cluster.nats_url.split(","))
    yield client
    await client.close()


async def send_until_accepted(http: httpx.AsyncClient, url: str, form: dict[str, str]) -> int:
    """A client that retries while the hub answers 503 (it could not store the form yet); returns attempts."""
    for attempt in range(1, 200):
        try:
            response = await http.post(url, json=form)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 202:
            return attempt
        assert response is None or response.status_code == 503, response.text
        await asyncio.sleep(0.25)
    raise AssertionError(f"{form['submission_id']} never accepted")


async def test_killing_the_stream_leader_during_ingestion_loses_nothing(
    cluster: Cluster, cluster_nc: NatsClient, http: httpx.AsyncClient
) -> None:
    js = cluster_nc.jetstream()
    info = await js.stream_info("INBOUND")
    assert info.config.num_replicas == 3
    assert info.cluster is not None
    leader = info.cluster.leader
    location = f"hotel-{uuid.uuid4().hex[:10]}"
    hotel = {"id": location, "name": location}  # ingest takes forms only for the directory's hotels
    created = await http.post(f"{cluster.url('inbox')}/api/v1/locations", json=hotel, headers=ADMIN)
    assert created.status_code == 201, created.text
    url = f"{cluster.url('ingest')}/ingest/forms/{location}"
    attempts: list[int] = []
    semaphore = asyncio.Semaphore(5)

    async def guest(number: int) -> None:
        async with semaphore:
            form = {"submission_id": f"s-{number}", "email": f"g{number}@example.com", "message": f"Hello {number}"}
            attempts.append(await send_until_accepted(http, url, form))

    first = [asyncio.create_task(guest(n)) for n in range(KILL_AFTER)]
    await asyncio.gather(*first)
    rest = [asyncio.create_task(guest(n)) for n in range(KILL_AFTER, FORMS)]
    killed = next(node for node in cluster.nodes if node.argv[node.argv.index("-n") + 1] == leader)
    await asyncio.to_thread(killed.kill)  # kill -9, while the rest are being sent
    await asyncio.gather(*rest)
    assert len(attempts) == FORMS

    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(cluster.services["inbox"].env["HUB_MONGO_URL"])
    try:
        db = mongo[DATABASE]
        await eventually(
            lambda: db["conversations"].count_documents({"location_id": location}),
            lambda count: count >= FORMS,
            timeout=60,
        )
        conversations = await db["conversations"].count_documents({"location_id": location})
        keys = [e["key"] async for e in db["timeline"].find({"key": {"$regex": f"^form:{location}:"}}, {"key": 1})]
    finally:
        await mongo.close()
    assert conversations == FORMS, "every accepted form is one request, none twice"
    assert len(keys) == len(set(keys)) == FORMS
    after = await js.stream_info("INBOUND")
    assert after.cluster is not None
    assert after.cluster.leader != leader, "another node leads the stream now"
