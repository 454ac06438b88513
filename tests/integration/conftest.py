"""One real stack per test session: NATS (JetStream), FerretDB (SQLite), the five services, the gateway.

Tests that need isolation use their own hotel (location id), so they can share the stack.
"""

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from scripts import ferretdb_indexes
from shared.auth import Actor, Role, issue_token
from tests.support import servers
from tests.support.google_business import GoogleBusiness
from tests.support.review_platform import ReviewPlatform
from tests.support.servers import Process
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration

TEST_SECRET = "integration-test-secret-not-for-production"
BOOTSTRAP_PASSWORD = "test-admin-password"
WEBHOOK_SECRET = "integration-webhook-secret"
HOTEL_MAIL_DOMAIN = "hotels.test"
REPLY_DOMAIN = "reply.hotels.test"
IMAP_PASSWORD = "imap-test-password"
IMAP_HOTEL = "imap-hotel"
# The hotel whose Google Business Profile location ingest polls (on the stand-in, tests/support/google_business.py).
GOOGLE_HOTEL = "google-hotel"
GOOGLE_ACCOUNT = "1001"
GOOGLE_LOCATION = "2002"
# A webhook review platform (shared/review_platforms/webhook.py) whose reply endpoint is a test receiver.
WEBHOOK_PLATFORM = "trustyou"
WEBHOOK_PLATFORM_SECRET = "integration-trustyou-reply-secret"


def agent_headers(
    location_ids: list[str], role: Role = "agent", agent_id: str = "agent-test", name: str = "Test Agent"
) -> dict[str, str]:
    """Authorization headers of an agent of the given hotels (tokens signed like the login signs them)."""
    actor = Actor(
        agent_id=agent_id,
        name=name,
        initials="".join(part[0] for part in name.split())[:3].upper(),
        email=f"{agent_id}@test.hotel",
        role=role,
        location_ids=location_ids,
    )
    return {"Authorization": f"Bearer {issue_token(actor, TEST_SECRET)}"}


ADMIN = agent_headers([], role="admin", agent_id="admin-test", name="Admin Test")


@dataclass
class Stack:
    root: Path
    nats: Process
    ferretdb: Process
    services: dict[str, Process]
    env: dict[str, str]
    imap: Process | None = None
    gateway_url: str | None = None
    sink: SmtpSink | None = None  # the SMTP server notify sends to
    google: GoogleBusiness | None = None  # the Google Business Profile stand-in
    review_platform: ReviewPlatform | None = None  # WEBHOOK_PLATFORM's reply endpoint

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats.port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb.port}"

    @property
    def smtp_port(self) -> int:
        return int(self.env["HUB_INGEST_SMTP_PORT"])

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.services[service].port}"

    def restart(self, service: str) -> None:
        """Start a stopped or killed service again on the same port and wait until it is ready."""
        self.services[service].start()
        servers.wait_ready(self.url(service))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    nats_server = servers.nats_server(root / "nats").start()
    # FerretDB on PostgreSQL, as `make up` runs it; HUB_TEST_FERRETDB_BACKEND=sqlite runs the suite on
    # FerretDB's SQLite backend instead (both pass; SQLite is 40x slower to list a hotel at 100k).
    database = None
    postgresql_url = None
    if os.environ.get("HUB_TEST_FERRETDB_BACKEND", "postgresql") == "postgresql":
        database = servers.postgres(root / "postgres").start()
        postgresql_url = f"postgres://postgres@127.0.0.1:{database.port}/postgres"
    ferret = servers.ferretdb(root / "ferretdb", postgresql_url=postgresql_url).start()
    imap = servers.dovecot(IMAP_PASSWORD).start()
    spam_filter = servers.spamd(root).start()
    sink = SmtpSink().start()
    google = GoogleBusiness().start()
    review_platform = ReviewPlatform().start()
    mailbox = {
        "host": "127.0.0.1",
        "port": imap.port,
        "tls": False,
        "user": "frontdesk",
        "password": IMAP_PASSWORD,
        "location_id": IMAP_HOTEL,
    }
    env = {
        "HUB_ENVIRONMENT": "test",
        "HUB_NATS_URL": f"nats://127.0.0.1:{nats_server.port}",
        "HUB_MONGO_URL": f"mongodb://127.0.0.1:{ferret.port}",
        "HUB_MONGO_DATABASE": "hub",
        # The repositories' variant (shared/settings.py): `make test` runs the conversation suites with both.
        "HUB_MONGO_FLAVOUR": os.environ.get("HUB_TEST_MONGO_FLAVOUR", "ferretdb"),
        "HUB_SECRET_KEY": TEST_SECRET,
        "HUB_SHUTDOWN_DELAY_SECONDS": "0.2",
        "HUB_INBOX_ATTACHMENT_MAX_BYTES": str(1024 * 1024),
        "HUB_INGEST_SMTP_PORT": str(servers.free_port()),
        "HUB_INGEST_HOTEL_MAIL_DOMAIN": HOTEL_MAIL_DOMAIN,
        "HUB_INGEST_REPLY_DOMAIN": REPLY_DOMAIN,
        "HUB_INGEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HUB_INGEST_IMAP_MAILBOXES": json.dumps([mailbox]),
        "HUB_INGEST_IMAP_POLL_SECONDS": "0.5",
        "HUB_INGEST_SPAMD_HOST": "127.0.0.1",
        "HUB_INGEST_SPAMD_PORT": str(spam_filter.port),
        # The load tests send hundreds of forms from one address; the limit has a test of its own.
        "HUB_INGEST_FORM_RATE_PER_MINUTE": "1000000",
        "HUB_INGEST_FORM_RATE_BURST": "100000",
        # Every chat test opens its sockets from 127.0.0.1 too (the limits' own test: test_client_limits.py).
        "HUB_INGEST_CHAT_SESSIONS_PER_HOUR": "10000000",
        "HUB_INGEST_CHAT_SESSIONS_BURST": "100000",
        "HUB_INGEST_CHAT_ADDRESS_RATE_PER_MINUTE": "10000000",
        "HUB_INGEST_CHAT_ADDRESS_RATE_BURST": "100000",
        "HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL": "admin@test.hotel",
        # Every test signs in from 127.0.0.1; the per-address limit has a unit test (the account lock-out, its own).
        "HUB_INBOX_LOGIN_PER_MINUTE": "100000",
        "HUB_INBOX_LOGIN_FAILURES_PER_ADDRESS": "100000",  # its own test: test_client_limits.py
        "HUB_INBOX_COUNT_METRICS_SECONDS": "1",
        "HUB_INBOX_COUNTER_FOLD_SECONDS": "0.5",
        "HUB_INBOX_RECONCILE_SECONDS": "60",
        "HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD": BOOTSTRAP_PASSWORD,
        # Short waits so redelivery after a kill -9 is seconds, not minutes.
        "HUB_CONSUMER_ACK_WAIT_SECONDS": "4",
        "HUB_CONSUMER_MAX_DELIVER": "4",
        "HUB_CONSUMER_RETRY_DELAYS_SECONDS": "[0.2, 0.5, 1.0]",
        "HUB_NOTIFY_SMTP_HOST": "127.0.0.1",
        "HUB_NOTIFY_SMTP_PORT": str(sink.port),
        "HUB_NOTIFY_REPLY_DOMAIN": REPLY_DOMAIN,
        "HUB_NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "HUB_NOTIFY_RETRY_MAX_SECONDS": "1",
        "HUB_NOTIFY_MAX_ATTEMPTS": "4",
        "HUB_NOTIFY_DOMAIN_RATE_PER_MINUTE": "1000000",
        "HUB_NOTIFY_DOMAIN_RATE_BURST": "100000",
        # Review platforms (shared/review_platforms/settings.py), read by ingest's poller and notify.
        "HUB_REVIEWS_GOOGLE_TOKEN_URL": google.token_url,
        "HUB_REVIEWS_GOOGLE_API_URL": google.url,
        "HUB_REVIEWS_GOOGLE_CLIENT_ID": google.client_id,
        "HUB_REVIEWS_GOOGLE_CLIENT_SECRET": google.client_secret,
        "HUB_REVIEWS_GOOGLE_REFRESH_TOKEN": google.refresh_token,
        "HUB_REVIEWS_GOOGLE_LOCATIONS": json.dumps(
            [{"location_id": GOOGLE_HOTEL, "account": GOOGLE_ACCOUNT, "location": GOOGLE_LOCATION}]
        ),
        "HUB_REVIEWS_WEBHOOKS": json.dumps(
            [{"platform": WEBHOOK_PLATFORM, "reply_url": review_platform.url, "secret": WEBHOOK_PLATFORM_SECRET}]
        ),
        "HUB_REVIEWS_POLL_SECONDS": "0.5",
    }
    procs = {name: servers.service(name, env, root) for name in servers.SERVICES}
    stack = Stack(
        root=root,
        nats=nats_server,
        ferretdb=ferret,
        services=procs,
        env=env,
        imap=imap,
        sink=sink,
        google=google,
        review_platform=review_platform,
    )
    try:
        for proc in procs.values():
            proc.start()
        for name in procs:
            servers.wait_ready(stack.url(name))
        if database is not None:  # the services' collections and indexes exist now
            ferretdb_indexes.apply(database.port or 0)
        yield stack
    finally:
        for proc in procs.values():
            proc.stop()
        nats_server.stop()
        ferret.stop()
        imap.stop()
        imap.remove_data()
        spam_filter.stop()
        sink.stop()
        google.stop()
        review_platform.stop()
        if database is not None:
            database.stop()
            database.remove_data()


@pytest.fixture(scope="session")
def gateway(stack: Stack) -> Iterator[str]:
    """The nginx gateway of deploy/nginx, in front of the test stack's services."""
    with servers.gateway(stack.root / "nginx", {name: proc.port or 0 for name, proc in stack.services.items()}) as url:
        yield url


def create_hotel(stack: Stack, hotel: str) -> str:
    """Put the hotel in the directory (ingest accepts messages only for the directory's hotels)."""
    answer = httpx.post(
        f"{stack.url('inbox')}/api/v1/locations", json={"id": hotel, "name": hotel}, headers=ADMIN, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return hotel


@pytest.fixture
def new_hotel() -> str:
    """A hotel id of this test's own that the directory does not know yet (for tests that create it)."""
    return f"hotel-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def location(stack: Stack) -> str:
    """A hotel of this test's own, so tests sharing the stack do not see each other's data."""
    return create_hotel(stack, f"hotel-{uuid.uuid4().hex[:10]}")


@pytest.fixture
async def nc(stack: Stack) -> AsyncIterator[NatsClient]:
    client = await nats.connect(stack.nats_url)
    yield client
    await client.drain()


@pytest.fixture
async def mongo(stack: Stack) -> AsyncIterator[AsyncMongoClient[dict[str, object]]]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client
