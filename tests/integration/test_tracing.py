"""One guest message, one trace: a form through the gateway, an agent's email reply to it, followed across
ingest, inbox and notify in the spans a real OTLP/HTTP receiver is sent, and in the services' log lines.

A stack of its own (NATS, FerretDB on SQLite, ingest, inbox, contacts, notify, the gateway) exports to the
receiver; the session stack stays untraced, so the rest of the suite runs as a deployment without an
OTLP endpoint does."""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest

from tests.integration.conftest import ADMIN, BOOTSTRAP_PASSWORD, TEST_SECRET, agent_headers
from tests.support import servers
from tests.support.otlp_receiver import Receiver, Span, otlp_receiver
from tests.support.polling import eventually
from tests.support.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.integration

TRACED = ("ingest", "inbox", "contacts", "notify")
SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP SpanKind


@dataclass
class Traced:
    root: Path
    receiver: Receiver
    sink: SmtpSink
    gateway: str
    ports: dict[str, int]
    env: dict[str, str]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def log_lines(self, service: str) -> list[dict[str, Any]]:
        lines = []
        for line in (self.root / f"{service}.log").read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                lines.append(entry)
        return lines


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    root = tmp_path_factory.mktemp("traced")
    with otlp_receiver() as receiver:
        nats_server = servers.nats_server(root / "nats").start()
        ferret = servers.ferretdb(root / "ferretdb").start()  # SQLite: a handful of documents
        sink = SmtpSink().start()
        env = {
            "HUB_ENVIRONMENT": "test",
            "HUB_NATS_URL": f"nats://127.0.0.1:{nats_server.port}",
            "HUB_MONGO_URL": f"mongodb://127.0.0.1:{ferret.port}",
            "HUB_MONGO_DATABASE": "hub",
            "HUB_MONGO_FLAVOUR": "ferretdb",
            "HUB_SECRET_KEY": TEST_SECRET,
            "HUB_SHUTDOWN_DELAY_SECONDS": "0.2",
            "HUB_INGEST_SMTP_PORT": str(servers.free_port()),
            "HUB_INGEST_HOTEL_MAIL_DOMAIN": "hotels.test",
            "HUB_INGEST_REPLY_DOMAIN": "reply.hotels.test",
            "HUB_INGEST_WEBHOOK_SECRET": "traced-webhook-secret",
            "HUB_INBOX_BOOTSTRAP_ADMIN_EMAIL": "admin@test.hotel",
            "HUB_INBOX_BOOTSTRAP_ADMIN_PASSWORD": BOOTSTRAP_PASSWORD,
            "HUB_NOTIFY_SMTP_HOST": "127.0.0.1",
            "HUB_NOTIFY_SMTP_PORT": str(sink.port),
            "HUB_NOTIFY_REPLY_DOMAIN": "reply.hotels.test",
            "HUB_LOG_LEVEL": "INFO",
            # What turns tracing on; a short batch delay so the spans arrive within the test's wait.
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
        procs = {name: servers.service(name, env, root) for name in TRACED}
        try:
            for proc in procs.values():
                proc.start()
            ports = {name: proc.port or 0 for name, proc in procs.items()}
            for name in procs:
                servers.wait_ready(f"http://127.0.0.1:{ports[name]}")
            # solicit is not started: the gateway's route to it is never taken here.
            with servers.gateway(root / "nginx", {**ports, "solicit": servers.free_port()}) as gateway:
                yield Traced(root, receiver, sink, gateway, ports, env)
        finally:
            for proc in procs.values():
                proc.stop()
            nats_server.stop()
            ferret.stop()
            sink.stop()


def services_of(spans: list[Span]) -> set[str]:
    return {span.service for span in spans}


async def test_a_guest_message_and_its_reply_are_one_trace_across_ingest_inbox_and_notify(
    traced: Traced, http: httpx.AsyncClient
) -> None:
    hotel = f"hotel-{uuid.uuid4().hex[:10]}"
    created = await http.post(
        f"{traced.url('inbox')}/api/v1/locations", json={"id": hotel, "name": hotel}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    guest = f"guest-{hotel}@example.com"
    form_request = f"form-{uuid.uuid4().hex}"
    form = {"name": "Anna Martin", "email": guest, "subject": "Late check-in", "message": "We land at 23:40."}

    accepted = await http.post(
        f"{traced.gateway}/ingest/forms/{hotel}", json=form, headers={"X-Request-Id": form_request}
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["x-request-id"] == form_request, "the gateway returns the request's id"

    # The form's trace, as ingest logged it while accepting the form.
    ingest_lines = [line for line in traced.log_lines("ingest") if line.get("request_id") == form_request]
    assert ingest_lines, "ingest logs the request with its id"
    trace_ids = {line.get("trace_id") for line in ingest_lines}
    assert len(trace_ids) == 1, ingest_lines
    [trace_id] = trace_ids
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32

    agent = agent_headers([hotel])
    conversations = await eventually(
        lambda: http.get(f"{traced.url('inbox')}/api/v1/conversations", params={"location": hotel}, headers=agent),
        lambda response: response.status_code == 200 and len(response.json()["items"]) == 1,
    )
    conversation_id = conversations.json()["items"][0]["id"]

    reply_request = f"reply-{uuid.uuid4().hex}"
    replied = await http.post(
        f"{traced.gateway}/api/v1/conversations/{conversation_id}/messages",
        json={"text": "Dear guest, the night porter will welcome you."},
        headers={**agent, "X-Request-Id": reply_request},
    )
    assert replied.status_code == 200, replied.text
    assert replied.headers["x-request-id"] == reply_request

    async def mail_to_guest() -> list[Received]:
        return traced.sink.to(guest)

    [mail] = await eventually(mail_to_guest, lambda found: len(found) >= 1)
    assert "night porter" in mail.email.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # One trace: ingest's request and publish, inbox's handling, the reply's publish, notify's sending.
    # Each service exports in its own batches: wait for notify's span and for the one it hangs from.
    def complete(found: list[Span]) -> bool:
        ids = {s.span_id for s in found}
        return {"ingest", "inbox", "notify"} <= services_of(found) and any(
            s.service == "notify" and s.kind == CONSUMER and s.parent_span_id in ids for s in found
        )

    spans = await eventually(lambda: traced.receiver.spans_of_trace(trace_id), complete)
    by_id = {span.span_id: span for span in spans}
    [form_span] = [s for s in spans if s.service == "ingest" and s.kind == SERVER]
    assert form_span.parent_span_id == "", "the trace starts at ingest (the gateway drops a client's traceparent)"
    assert form_span.attributes.get("hub.request_id") == form_request
    assert any(s.service == "ingest" and s.kind == PRODUCER and s.name.startswith("hub.inbound.") for s in spans)
    assert any(s.service == "inbox" and s.kind == CONSUMER and s.name.startswith("hub.inbound.") for s in spans)
    [sent] = [s for s in spans if s.service == "notify" and s.kind == CONSUMER and "hub.outbound.email" in s.name]
    assert sent.parent_span_id in by_id, "notify's span hangs from the reply's publish, in the same trace"

    # The reply joined the message's trace and links to the agent's request, which is a trace of its own.
    [reply_span] = [s for s in spans if s.name == "reply to the guest"]
    assert reply_span.service == "inbox"
    [agent_trace] = reply_span.links
    agent_spans = traced.receiver.trace(agent_trace)
    assert any(s.kind == SERVER and s.attributes.get("hub.request_id") == reply_request for s in agent_spans)

    # Every line the services logged for the message carries its trace and the request it came with.
    inbox_lines = [line for line in traced.log_lines("inbox") if line.get("trace_id") == trace_id]
    assert {line.get("request_id") for line in inbox_lines} == {form_request, reply_request}
    notify_lines = [line for line in traced.log_lines("notify") if line.get("trace_id") == trace_id]
    assert {"Received", "Processed"} <= {line["message"] for line in notify_lines}, "FastStream's own lines too"
    assert {line.get("request_id") for line in notify_lines} == {reply_request}
    for service in ("inbox", "notify"):
        for line in traced.log_lines(service):
            if line.get("request_id") == form_request:
                assert line.get("trace_id") == trace_id, line


async def test_every_answer_has_a_request_id(traced: Traced, http: httpx.AsyncClient) -> None:
    made = await http.get(f"{traced.gateway}/api/v1/conversations")
    assert len(made.headers["x-request-id"]) == 32, "nginx's own id when the client sends none"
    refused = await http.get(f"{traced.gateway}/metrics", headers={"X-Request-Id": "bad id\twith spaces"})
    assert refused.status_code == 404
    assert len(refused.headers["x-request-id"]) == 32, "a malformed id is replaced, on the gateway's own answers too"
    direct = await http.get(f"{traced.url('ingest')}/healthz", headers={"X-Request-Id": "caller-chosen-id-1"})
    assert direct.headers["x-request-id"] == "caller-chosen-id-1"
    assert len((await http.get(f"{traced.url('ingest')}/healthz")).headers["x-request-id"]) == 32


async def test_an_email_is_one_trace_from_the_smtp_transaction_to_the_inbox(
    traced: Traced, http: httpx.AsyncClient
) -> None:
    hotel = f"hotel-{uuid.uuid4().hex[:10]}"
    created = await http.post(
        f"{traced.url('inbox')}/api/v1/locations", json={"id": hotel, "name": hotel}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "guest@example.com", f"{hotel}@hotels.test", "Parking"
    email["Message-ID"] = f"<{uuid.uuid4().hex}@guest.example>"
    email.set_content("Is there a parking space?")
    await aiosmtplib.send(email, hostname="127.0.0.1", port=int(traced.env["HUB_INGEST_SMTP_PORT"]))

    def transactions() -> list[Span]:
        return [s for s in traced.receiver.spans if s.service == "ingest" and s.name == "smtp DATA"]

    async def stored() -> list[Span]:
        return [
            s
            for t in transactions()
            for s in traced.receiver.trace(t.trace_id)
            if s.service == "inbox" and s.kind == CONSUMER and s.name.startswith(f"hub.inbound.guest.email.{hotel}")
        ]

    [handled] = await eventually(stored, lambda found: len(found) == 1)
    [transaction] = [t for t in transactions() if t.trace_id == handled.trace_id]
    request_id = transaction.attributes["hub.request_id"]
    inbox_lines = [line for line in traced.log_lines("inbox") if line.get("trace_id") == handled.trace_id]
    assert inbox_lines
    assert {line.get("request_id") for line in inbox_lines} == {request_id}
