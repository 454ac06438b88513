"""Property-based fuzzing of every service's OpenAPI (schemathesis) against the running test stack.

Each operation of each service's `/openapi.json` gets `HUB_FUZZ_EXAMPLES` generated requests (default 40;
raise it for a longer hunt, e.g. `HUB_FUZZ_EXAMPLES=300`), valid and invalid ones alike, and every answer is
checked: no server error, a documented status code, the documented content type, and a body matching the
documented schema. The documentation is what makes those checks strict and honest: every error of every
service is documented as a problem document (`application/problem+json`, `shared.problems.document_problems`)
with a 4XX or a 503, and ingest documents the bodies it reads itself (forms, reviews, calls).

Requests come from the chain admin or from an agent of the fuzzer's own hotel, so both the authorized paths
and the refusals run; ingest's webhooks are signed with the stack's webhook secret. Half the requests name
the fuzzer's own resources (a hotel with a guest's request, its contact, template, group, agent and a
solicitation), so replying, assigning, merging, erasing... run past their 404.

The stack is shared with the other integration tests, so the fuzzer keeps clear of what they see: it acts on
its own resources or on generated ids; `PUT /api/v1/settings` (chain-wide) is fuzzed, then the settings found
before are put back, and chain-wide automatic reply rules, the response-time policies and the automation rules
it made are deleted; a sign-in naming the bootstrap admin is never sent (failed sign-ins lock the address
other tests sign in as). Left out: `GET /api/v1/events`, a server-sent event stream that never ends. The
chat's WebSocket, the widget script and the demo page are not in the OpenAPI; notify documents no operation
(only /healthz, /readyz and /metrics), so its case is skipped.

schemathesis' pytest loader `schemathesis.pytest.from_fixture` fails under pytest 9.2 (it sets the removed
`Function._nodeid`), so each operation is driven by hypothesis from `operation.as_strategy()`.
"""

import asyncio
import base64
import csv
import io
import json
import os
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared import signatures
from shared.bus import DLQ, EVENTS, INBOUND, OUTBOUND, DeadLetter
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, REPLY_DOMAIN, WEBHOOK_SECRET, Stack, agent_headers
from tests.support.polling import eventually
from tests.support.servers import SERVICES

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOOTSTRAP_ADMIN_EMAIL = "admin@test.hotel"
LEFT_OUT = ["/api/v1/events"]
HOTEL = f"fuzz-{uuid.uuid4().hex[:10]}"  # the fuzzer's own


def _emails() -> st.SearchStrategy[bytes]:
    """Raw emails (message/rfc822) to the fuzzer's hotel, half-broken: odd charsets and encodings, parts,
    reply and solicitation addresses with made-up tokens; and sometimes any bytes at all."""
    line = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=60)
    recipients = st.sampled_from(
        [f"{HOTEL}@{HOTEL_MAIL_DOMAIN}", f"reply+x1@{HOTEL}.{REPLY_DOMAIN}", f"solicit+x1@{HOTEL}.{REPLY_DOMAIN}"]
    )
    kinds = st.sampled_from(
        ["text/plain; charset=utf-8", "text/html; charset=latin-1", "text/plain; charset=bogus", "image/png"]
    )
    encodings = st.sampled_from(["8bit", "base64", "quoted-printable", "x-unknown"])
    part = st.tuples(kinds, encodings, st.binary(max_size=300), st.none() | line)

    def email(
        sender: str, to: str, subject: str, extra: dict[str, str], parts: list[tuple[str, str, bytes, str | None]]
    ) -> bytes:
        headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", *(f"{k}: {v}" for k, v in extra.items())]
        rendered = [
            f"Content-Type: {kind}\r\nContent-Transfer-Encoding: {encoding}\r\n".encode()
            + (f'Content-Disposition: attachment; filename="{filename}"\r\n'.encode() if filename else b"")
            + b"\r\n"
            + data
            for kind, encoding, data, filename in parts
        ]
        if len(rendered) == 1:
            return "\r\n".join(headers).encode() + b"\r\n" + rendered[0]
        boundary = b"--fuzz-boundary"
        body = b"".join(boundary + b"\r\n" + part + b"\r\n" for part in rendered) + boundary + b"--\r\n"
        headers.append('Content-Type: multipart/mixed; boundary="fuzz-boundary"')
        return "\r\n".join(headers).encode() + b"\r\n\r\n" + body

    extra = st.dictionaries(st.sampled_from(["Message-ID", "In-Reply-To", "References", "Auto-Submitted", "Cc"]), line)
    senders = st.sampled_from(["Anna Petit <anna@example.com>", "guest@example.org"])
    built = st.builds(email, senders | line, recipients | line, line, extra, st.lists(part, min_size=1, max_size=3))
    return built | st.binary(max_size=500)


def _review_rows() -> st.SearchStrategy[dict[str, object]]:
    value = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    fields = {
        "platform": st.sampled_from(["google", "tripadvisor"]) | value,
        "review_id": st.text(max_size=20) | value,
        "location": st.just(HOTEL) | value,
        "rating": st.floats() | value,
        "scale": st.integers(-5, 200) | value,
        "text": st.text(max_size=100) | value,
        "author_email": value,
        "date": value,
    }
    return st.fixed_dictionaries({}, optional=fields)


def _jsonl() -> st.SearchStrategy[bytes]:
    line = st.builds(json.dumps, _review_rows()) | st.text(st.characters(exclude_characters="\r\n"), max_size=40)
    # A lone surrogate becomes bytes that are not UTF-8: the import must answer 400, not fail.
    return st.lists(line, max_size=5).map(lambda lines: "\n".join(lines).encode(errors="surrogatepass"))


def _csv() -> st.SearchStrategy[bytes]:
    def table(rows: list[dict[str, object]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=sorted({key for row in rows for key in row}))
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode(errors="surrogatepass")

    return st.lists(_review_rows(), max_size=5).map(table)


schemathesis.openapi.media_type("message/rfc822", _emails())
schemathesis.openapi.media_type("application/x-ndjson", _jsonl())
schemathesis.openapi.media_type("text/csv", _csv())


class SignedWebhook(requests.auth.AuthBase):
    """Signs each request's body as a platform's webhook would (X-Hub-Timestamp, X-Hub-Signature)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body.encode() if isinstance(request.body, str) else request.body or b""
        assert isinstance(body, bytes), "schemathesis sends bodies it has serialized, never a stream"
        timestamp = int(time.time())
        request.headers["X-Hub-Timestamp"] = str(timestamp)
        request.headers["X-Hub-Signature"] = signatures.sign(WEBHOOK_SECRET, timestamp, body)
        return request


@pytest.fixture
def chain_settings_kept(stack: Stack) -> Iterator[None]:
    """The chain settings other tests see, put back after the fuzzer has changed them."""
    url = f"{stack.url('inbox')}/api/v1/settings"
    before = httpx.get(url, headers=ADMIN, timeout=10)
    before.raise_for_status()
    yield
    httpx.put(url, json=before.json(), headers=ADMIN, timeout=10).raise_for_status()


@pytest.fixture
def chain_auto_replies_kept(stack: Stack) -> Iterator[None]:
    """Chain-wide automatic reply rules answer every hotel's reviews: those the fuzzer made are deleted."""
    url = f"{stack.url('inbox')}/api/v1/auto-replies"
    before = {rule["id"] for rule in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json()}
    yield
    for rule in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json():
        if rule["id"] not in before and rule.get("location_id") is None:
            httpx.delete(f"{url}/{rule['id']}", headers=ADMIN, timeout=10).raise_for_status()


@pytest.fixture
def chain_sla_policies_kept(stack: Stack) -> Iterator[None]:
    """A chain-wide response-time policy gives every hotel's new requests targets: the policies the fuzzer
    made are deleted."""
    url = f"{stack.url('inbox')}/api/v1/sla/policies"
    before = {policy["id"] for policy in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json()}
    yield
    for policy in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json():
        if policy["id"] not in before:
            httpx.delete(f"{url}/{policy['id']}", headers=ADMIN, timeout=10).raise_for_status()


@pytest.fixture
def automation_rules_kept(stack: Stack) -> Iterator[None]:
    """A chain automation rule acts on every hotel's requests (a group rule on its group's): the rules the
    fuzzer made are deleted."""
    url = f"{stack.url('inbox')}/api/v1/rules"
    before = {rule["id"] for rule in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json()["items"]}
    yield
    for rule in httpx.get(url, headers=ADMIN, timeout=10).raise_for_status().json()["items"]:
        if rule["id"] not in before:
            httpx.delete(f"{url}/{rule['id']}", headers=ADMIN, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def own_resources(stack: Stack) -> dict[str, str]:
    """A hotel of the fuzzer's own with a guest's request in it, and the hotel's template, group, agent, the
    guest's contact and a solicitation: half the generated requests name these, so the operations on
    existing resources (reply, assign, merge, erase...) run beyond their 404, on data no other test sees."""
    hotel = HOTEL
    api = f"{stack.url('inbox')}/api/v1"
    with httpx.Client(headers=ADMIN, timeout=10) as http:

        def created(url: str, body: dict[str, Any]) -> str:
            response = http.post(url, json=body)
            assert response.status_code in {201, 202}, response.text
            return str(response.json().get("id", ""))

        created(f"{api}/locations", {"id": hotel, "name": "Fuzz hotel"})
        form = {"name": "Fuzz Guest", "email": f"guest.{hotel}@example.com", "message": "Late check-in?"}
        created(f"{stack.url('ingest')}/ingest/forms/{hotel}", form)
        conversation = _eventually(lambda: http.get(f"{api}/conversations", params={"location": hotel}).json()["items"])
        detail = _eventually(lambda: http.get(f"{api}/conversations/{conversation[0]['id']}").json())
        solicitation = {"conversation_id": conversation[0]["id"], "to": f"supplier.{hotel}@example.com", "text": "?"}
        return {
            "location_id": hotel,
            "conversation_id": conversation[0]["id"],
            "entry_id": detail["timeline"][0]["id"],
            "contact_id": detail["conversation"]["contact_id"],
            "template_id": created(f"{api}/templates", {"name": "Fuzz", "body": "Hello", "location_ids": [hotel]}),
            "group_id": created(
                f"{api}/location-groups", {"id": f"{hotel}-g", "name": "Fuzz", "location_ids": [hotel]}
            ),
            "policy_id": created(
                f"{api}/sla/policies", {"name": "Fuzz", "group_id": f"{hotel}-g", "first_response_minutes": 60}
            ),
            "agent_id": created(
                f"{api}/agents",
                {
                    "name": "Fuzz Agent",
                    "email": f"agent.{hotel}@test.hotel",
                    "location_ids": [hotel],
                    "password": "a-long-password",
                },
            ),
            "solicitation_id": _eventually(
                lambda: http.post(f"{stack.url('solicit')}/api/v1/solicitations", json=solicitation).json().get("id")
            ),
        }


def _eventually(read: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found, "the fuzzer's own resources were not created in time"
    return found


def _sends_a_shared_sign_in(case: Case[Any]) -> bool:
    return case.operation.path == "/api/v1/auth/login" and BOOTSTRAP_ADMIN_EMAIL in str(case.body).lower()


@pytest.mark.usefixtures(
    "chain_settings_kept", "chain_auto_replies_kept", "chain_sla_policies_kept", "automation_rules_kept"
)
@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_answers_as_documented_and_never_a_server_error(
    stack: Stack, service: str, own_resources: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json").exclude(path=LEFT_OUT)
    if not schema.raw_schema.get("paths"):
        pytest.skip(f"{service} documents no operation")
    session = requests.Session()
    identities: st.SearchStrategy[dict[str, str]] = st.just({})
    if service == "ingest":
        session.auth = SignedWebhook()
    else:
        agent = agent_headers([own_resources["location_id"]], agent_id=own_resources["agent_id"], name="Fuzz Agent")
        identities = st.sampled_from([ADMIN, agent])
    failures = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        named = re.findall(r"{(\w+)}", operation.path)
        ours = {name: own_resources[name] for name in named if name in own_resources}
        cases = st.one_of(
            [
                operation.as_strategy(mode, path_parameters=path_parameters)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                for path_parameters in ([None, ours] if ours else [None])
            ]
        )

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=cases, headers=identities)
        def fuzz(case: Case[Any], headers: dict[str, str]) -> None:
            assume(not _sends_a_shared_sign_in(case))
            case.call_and_validate(headers=headers, session=session, checks=CHECKS, timeout=30)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation's failures, reported together
            failures.append(f"{operation.label}:\n{''.join(traceback.format_exception_only(exc))}")
    assert not failures, "\n\n".join(failures)


async def test_nothing_the_fuzzer_had_accepted_for_its_hotel_was_dead_lettered(nc: NatsClient) -> None:
    """A 202 is a promise: what ingest accepted must be stored by the inbox and contacts, not dead-lettered."""
    js = nc.jetstream()

    async def pending() -> int:
        consumers = [c for stream in (INBOUND, EVENTS, OUTBOUND) for c in await js.consumers_info(stream.name)]
        return sum((c.num_pending or 0) + (c.num_ack_pending or 0) for c in consumers)

    async def settled() -> bool:
        # A message waiting out its retry delay is neither pending nor awaiting its ack: the bus has settled
        # once nothing is for 3 s, longer than the test stack's longest retry delay (1 s).
        for _ in range(15):
            if await pending():
                return False
            await asyncio.sleep(0.2)
        return True

    await eventually(settled, bool, timeout=90)
    state = (await js.stream_info(DLQ.name)).state
    ours = []
    for seq in range(state.first_seq, state.last_seq + 1) if state.messages else []:
        try:
            letter = DeadLetter.model_validate_json((await js.get_msg(DLQ.name, seq)).data or b"")
        except NotFoundError:  # replayed or deleted by an operator test
            continue
        if HOTEL.encode() in base64.b64decode(letter.payload_base64):
            ours.append(f"{letter.subject}: {letter.error}")
    assert not ours, "\n".join(ours)
