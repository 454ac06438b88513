"""Hotel scoping, operation by operation: an agent of hotel A, and a manager of A's group, naming hotel B's
resources get 404 or 403 from every operation of every service's OpenAPI (lists and searches answer without
anything of B), and their live stream never carries B's events.

Hotel B holds a guest's request (with its timeline entry), the guest's contact and history, an attachment, a
solicitation, a template of B's alone, an agent, an API token and a group of B alone. Everything B's holds a
secret word (`Hotel.secret`) that no answer to A may contain, nor any of B's ids but those the request named
(a 404 repeats the id asked for). Where A's answer is an empty or partial list, the chain admin's answer to the
same request must hold B's data, so the emptiness is the scoping's doing and not a missing fixture.

`CASES` is the matrix, one row per request; `EXEMPT` names the operations with nothing of a hotel to refuse,
and why. `test_every_operation_has_a_case` reads each running service's `/openapi.json`, so an operation
added without a row (or an exemption) fails it.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Literal

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from shared.bus import Channel
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, Stack
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

PASSWORD = "scoping-matrix-password"
Role = Literal["agent", "manager"]
ROLES: tuple[Role, ...] = ("agent", "manager")


class Expect(StrEnum):
    """What an answer to hotel A's agent may be."""

    DENIED = "403 or 404"
    REFUSED = "A's own resource, a body naming B's: refused (403, 404, 409 or 422), naming nothing of B"
    NOTHING = "200 with nothing at all: an empty list, zero counts"
    WITHOUT_B = "200 with A's data and none of B's"
    OWN = "concerns the caller alone: any answer but a 5xx, none of B's data"
    AS_NEW = "201 as for an unknown resource: only what the request sent, none of B's ids, nothing changed"


DENIED, REFUSED, NOTHING = Expect.DENIED, Expect.REFUSED, Expect.NOTHING
WITHOUT_B, OWN = Expect.WITHOUT_B, Expect.OWN
AS_NEW = Expect.AS_NEW
ALLOWED_STATUS = {DENIED: {403, 404}, REFUSED: {403, 404, 409, 422}, NOTHING: {200}, WITHOUT_B: {200}, AS_NEW: {201}}

# Which of B's resources a path parameter names, unless a case says otherwise.
PATH_DEFAULTS = {
    "conversation_id": "conversation",
    "entry_id": "entry",
    "contact_id": "contact",
    "attachment_id": "attachment",
    "solicitation_id": "solicitation",
    "template_id": "template",
    "agent_id": "agent",
    "location_id": "location",
    "group_id": "group",
    "token_id": "token",
    "import_id": "unknown",
    "rule_id": "auto_reply_rule",
    "policy_id": "sla_policy",
    "erasure_id": "unknown",
}


@dataclass(frozen=True)
class Case:
    """One request of hotel A's agent. `path` is the OpenAPI template; its parameters, and `{name}` in
    `body` and `params`, are filled with B's resources (`own_…`: A's, `secret`: B's secret word)."""

    service: str
    method: str
    path: str
    expect: Expect
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> resource, when not PATH_DEFAULTS'
    upload: dict[str, str] | None = None  # multipart form fields, with a small file
    raw: tuple[str, str] | None = None  # (content type, text) of a body that is not JSON
    fresh_session: bool = False  # the call ends the session: sign in anew for it
    control: bool = True  # NOTHING, WITHOUT_B: the admin's answer to the same request holds B's data
    why: str = ""

    @property
    def operation(self) -> tuple[str, str, str]:
        return self.service, self.method, self.path

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.why}]" if self.why else "")


CONVERSATION = "/api/v1/conversations/{conversation_id}"
LATER = (datetime.now(UTC) + timedelta(days=1)).isoformat()
EMAIL = "From: Guest <{secret}.mail@guest.example>\r\nTo: {location}@" + HOTEL_MAIL_DOMAIN + "\r\n"
EMAIL += "Subject: {secret}\r\n\r\nHello\r\n"

CASES = [
    # --- inbox: conversations ----------------------------------------------------------------------------
    Case("inbox", "GET", "/api/v1/conversations", NOTHING, params={"location": "{location}", "view": "all"}),
    Case("inbox", "GET", "/api/v1/conversations", NOTHING, params={"group": "{group}", "view": "all"}, why="group"),
    Case("inbox", "GET", "/api/v1/conversations", NOTHING, params={"q": "{secret}", "view": "all"}, why="search"),
    Case("inbox", "GET", "/api/v1/conversations", WITHOUT_B, params={"view": "all", "limit": "100"}, why="all"),
    Case("inbox", "GET", "/api/v1/conversations/counts", NOTHING, params={"location": "{location}"}),
    Case("inbox", "GET", "/api/v1/conversations/counts", NOTHING, params={"group": "{group}"}, why="group"),
    Case("inbox", "GET", "/api/v1/conversations/counts", NOTHING, params={"q": "{secret}"}, why="search"),
    Case("inbox", "GET", CONVERSATION, DENIED),
    Case("inbox", "GET", f"{CONVERSATION}/assignees", DENIED),
    Case("inbox", "PATCH", CONVERSATION, DENIED, body={"subject": "Mine now"}),
    Case("inbox", "POST", f"{CONVERSATION}/messages", DENIED, body={"text": "Hello"}),
    Case(
        "inbox",
        "POST",
        f"{CONVERSATION}/messages",
        REFUSED,
        body={"text": "See attached", "attachment_ids": ["{attachment}"]},
        ids={"conversation_id": "own_conversation"},
        why="B's attachment",
    ),
    Case("inbox", "POST", f"{CONVERSATION}/notes", DENIED, body={"text": "Note"}),
    Case("inbox", "POST", f"{CONVERSATION}/merge", DENIED, body={"conversation_id": "{own_conversation}"}),
    Case(
        "inbox",
        "POST",
        f"{CONVERSATION}/merge",
        REFUSED,
        body={"conversation_id": "{conversation}"},
        ids={"conversation_id": "own_conversation"},
        why="B's request merged into A's",
    ),
    Case("inbox", "POST", f"{CONVERSATION}/split", DENIED, body={"entry_id": "{entry}"}),
    Case(
        "inbox",
        "POST",
        f"{CONVERSATION}/split",
        REFUSED,
        body={"entry_id": "{entry}"},
        ids={"conversation_id": "own_conversation"},
        why="B's message",
    ),
    Case("inbox", "DELETE", f"{CONVERSATION}/public-reply", DENIED),
    Case("inbox", "POST", f"{CONVERSATION}/auto-reply/approve", DENIED, body={}),
    Case("inbox", "POST", f"{CONVERSATION}/auto-reply/discard", DENIED),
    # --- inbox: automatic review replies and chatbots ---------------------------------------------------
    Case("inbox", "GET", "/api/v1/auto-replies", WITHOUT_B),
    Case(
        "inbox",
        "POST",
        "/api/v1/auto-replies",
        REFUSED,
        body={"name": "Mine", "location_id": "{location}", "templates": {"en": "Thanks"}},
        why="B's hotel",
    ),
    Case("inbox", "DELETE", "/api/v1/auto-replies/{rule_id}", DENIED),
    # --- inbox: response-time policies --------------------------------------------------------------------
    Case("inbox", "GET", "/api/v1/sla/policies", WITHOUT_B),
    Case(
        "inbox",
        "POST",
        "/api/v1/sla/policies",
        REFUSED,
        body={"name": "Mine", "group_id": "{group}", "first_response_minutes": 60},
        why="B's group",
    ),
    Case("inbox", "GET", "/api/v1/sla/policies/{policy_id}", DENIED),
    Case("inbox", "PATCH", "/api/v1/sla/policies/{policy_id}", DENIED, body={"name": "Mine"}),
    Case("inbox", "DELETE", "/api/v1/sla/policies/{policy_id}", DENIED),
    # --- inbox: automation rules (agents 403; managers read chain rules and their groups') -----------------
    Case("inbox", "GET", "/api/v1/rules", OWN, why="agents 403, managers without B's group rules"),
    Case("inbox", "GET", "/api/v1/rules", OWN, params={"group_id": "{group}"}, why="B's group"),
    Case(
        "inbox",
        "POST",
        "/api/v1/rules",
        REFUSED,
        body={"name": "Mine", "group_id": "{group}", "on": ["created"], "actions": [{"type": "mark_spam"}]},
        why="B's group",
    ),
    Case("inbox", "POST", "/api/v1/rules/dry-run", DENIED, body={"conversation_id": "{conversation}"}),
    Case(
        "inbox",
        "POST",
        "/api/v1/rules/dry-run",
        DENIED,
        body={"request": {"location_id": "{location}", "channel": "email", "subject": "{secret}"}},
        why="a sample request of B's hotel",
    ),
    Case("inbox", "GET", "/api/v1/rules/{rule_id}", DENIED, ids={"rule_id": "automation_rule"}),
    Case(
        "inbox", "PATCH", "/api/v1/rules/{rule_id}", DENIED, body={"name": "Mine"}, ids={"rule_id": "automation_rule"}
    ),
    Case("inbox", "DELETE", "/api/v1/rules/{rule_id}", DENIED, ids={"rule_id": "automation_rule"}),
    # --- inbox: scores per hotel and group -------------------------------------------------------------
    Case("inbox", "GET", "/api/v1/reports/response-times", WITHOUT_B),
    Case("inbox", "GET", "/api/v1/reports/response-times", DENIED, params={"group_id": "{group}"}, why="B's group"),
    Case("inbox", "GET", "/api/v1/locations/{location_id}/bot", DENIED),
    Case(
        "inbox",
        "PUT",
        "/api/v1/locations/{location_id}/bot",
        DENIED,
        body={"name": "Mine", "webhook_url": "https://bot.example/hook", "secret": "s" * 40},
    ),
    Case("inbox", "DELETE", "/api/v1/locations/{location_id}/bot", DENIED),
    # A bot's routes take API tokens with the bot scope only: an agent's session is refused on B's and on A's.
    Case("inbox", "GET", "/api/v1/bot/conversations/{conversation_id}", DENIED),
    Case("inbox", "POST", "/api/v1/bot/conversations/{conversation_id}/messages", DENIED, body={"text": "Hi"}),
    Case("inbox", "POST", "/api/v1/bot/conversations/{conversation_id}/capture", DENIED, body={"first_name": "Zoe"}),
    Case("inbox", "POST", "/api/v1/bot/conversations/{conversation_id}/handover", DENIED, body={"reason": "?"}),
    Case("inbox", "POST", "/api/v1/bot/conversations/{conversation_id}/spam", DENIED),
    Case(
        "inbox",
        "POST",
        f"{CONVERSATION}/notes",
        REFUSED,
        body={"text": "Note", "attachment_ids": ["{attachment}"]},
        ids={"conversation_id": "own_conversation"},
        why="B's attachment",
    ),
    Case("inbox", "POST", f"{CONVERSATION}/read", DENIED),
    Case("inbox", "PUT", f"{CONVERSATION}/assignee", DENIED, body={"agent_id": None}),
    Case(
        "inbox",
        "PUT",
        f"{CONVERSATION}/assignee",
        REFUSED,
        body={"agent_id": "{agent}"},
        ids={"conversation_id": "own_conversation"},
        why="B's agent",
    ),
    Case("inbox", "PUT", f"{CONVERSATION}/status", DENIED, body={"status": "closed"}),
    Case("inbox", "POST", f"{CONVERSATION}/snooze", DENIED, body={"until": LATER}),
    Case("inbox", "POST", f"{CONVERSATION}/spam", DENIED),
    Case("inbox", "DELETE", f"{CONVERSATION}/spam", DENIED),
    Case("inbox", "POST", f"{CONVERSATION}/calls", DENIED, body={"outcome": "reached"}),
    Case("inbox", "POST", f"{CONVERSATION}/reservations", DENIED, body={"kind": "room", "date": "2030-01-01"}),
    Case("inbox", "POST", f"{CONVERSATION}/forward", DENIED, body={"to": "me@elsewhere.example"}),
    Case("inbox", "POST", f"{CONVERSATION}/delegate", DENIED, body={}),
    Case("inbox", "POST", f"{CONVERSATION}/share", DENIED, body={"to": ["me@elsewhere.example"]}),
    Case("inbox", "POST", f"{CONVERSATION}/close-chat", DENIED, body={}),
    Case("inbox", "POST", f"{CONVERSATION}/handover", DENIED),
    Case("inbox", "PUT", f"{CONVERSATION}/contact", DENIED, body={"contact_id": "{own_contact}"}),
    Case(
        "inbox",
        "PUT",
        f"{CONVERSATION}/contact",
        REFUSED,
        body={"contact_id": "{contact}"},
        ids={"conversation_id": "own_conversation"},
        why="B's contact",
    ),
    Case("inbox", "POST", f"{CONVERSATION}/viewing", DENIED, body={"tab": "t1"}),
    Case("inbox", "GET", f"{CONVERSATION}/entries/{{entry_id}}/html", DENIED),
    Case(
        "inbox",
        "GET",
        f"{CONVERSATION}/entries/{{entry_id}}/html",
        DENIED,
        ids={"conversation_id": "own_conversation"},
        why="B's entry",
    ),
    # --- inbox: attachments ------------------------------------------------------------------------------
    Case("inbox", "POST", "/api/v1/attachments", DENIED, upload={"location": "{location}"}),
    Case("inbox", "GET", "/api/v1/attachments/{attachment_id}", DENIED),
    # --- inbox: access -----------------------------------------------------------------------------------
    Case("inbox", "POST", "/api/v1/auth/logout", OWN, fresh_session=True),
    Case(
        "inbox",
        "POST",
        "/api/v1/auth/password",
        OWN,
        body={"current_password": "not-the-password", "new_password": "another-long-password"},
    ),
    Case("inbox", "GET", "/api/v1/api-tokens", DENIED),
    Case(
        "inbox",
        "POST",
        "/api/v1/api-tokens",
        DENIED,
        body={"name": "Mine", "scopes": ["calls:write"], "location_ids": ["{location}"]},
    ),
    Case("inbox", "DELETE", "/api/v1/api-tokens/{token_id}", DENIED),
    Case("inbox", "GET", "/api/v1/audit", DENIED),
    # --- inbox: the directory ----------------------------------------------------------------------------
    Case("inbox", "GET", "/api/v1/locations", WITHOUT_B),
    Case("inbox", "POST", "/api/v1/locations", DENIED, body={"id": "{location}", "name": "Taken over"}),
    Case("inbox", "GET", "/api/v1/locations/{location_id}", DENIED),
    Case("inbox", "PATCH", "/api/v1/locations/{location_id}", DENIED, body={"name": "Renamed"}),
    Case(
        "inbox",
        "PATCH",
        "/api/v1/locations/{location_id}",
        DENIED,
        body={
            "business_hours": {"weekly": {"mon": [{"start": "09:00", "end": "18:00"}]}},
            "survey_channels": ["email"],
        },
        why="hours and survey, a manager's own hotels only",
    ),
    Case("inbox", "GET", "/api/v1/location-groups", WITHOUT_B),
    Case(
        "inbox",
        "POST",
        "/api/v1/location-groups",
        DENIED,
        body={"id": "{group}-mine", "name": "Mine", "location_ids": ["{location}"]},
    ),
    Case("inbox", "GET", "/api/v1/location-groups/{group_id}", DENIED),
    Case("inbox", "PATCH", "/api/v1/location-groups/{group_id}", DENIED, body={"location_ids": ["{own_location}"]}),
    Case("inbox", "GET", "/api/v1/agents", WITHOUT_B),
    Case(
        "inbox",
        "POST",
        "/api/v1/agents",
        DENIED,
        body={"name": "Spy", "email": "spy@test.hotel", "location_ids": ["{location}"], "password": PASSWORD},
    ),
    Case("inbox", "GET", "/api/v1/agents/me", OWN),
    Case("inbox", "PUT", "/api/v1/agents/me/away", OWN, body={"away": False}),
    Case("inbox", "PATCH", "/api/v1/agents/{agent_id}", DENIED, body={"away": True}, why="away"),
    Case("inbox", "GET", "/api/v1/agents/{agent_id}", DENIED),
    Case("inbox", "PATCH", "/api/v1/agents/{agent_id}", DENIED, body={"language": "en"}),
    Case(
        "inbox",
        "PATCH",
        "/api/v1/agents/{agent_id}",
        DENIED,
        body={"location_ids": ["{own_location}", "{location}"]},
        ids={"agent_id": "own_agent"},
        why="joining B",
    ),
    Case("inbox", "DELETE", "/api/v1/agents/{agent_id}", DENIED),
    Case("inbox", "POST", "/api/v1/agents/{agent_id}/sessions/end", DENIED),
    Case("inbox", "GET", "/api/v1/conversations/labels", WITHOUT_B),
    Case("inbox", "GET", "/api/v1/conversations/labels", NOTHING, params={"location": "{location}"}, why="B's"),
    Case("inbox", "GET", "/api/v1/templates", WITHOUT_B),
    Case(
        "inbox",
        "POST",
        "/api/v1/templates",
        DENIED,
        body={"name": "Mine", "body": "Hello", "location_ids": ["{location}"]},
    ),
    Case("inbox", "GET", "/api/v1/templates/{template_id}", DENIED),
    Case("inbox", "PATCH", "/api/v1/templates/{template_id}", DENIED, body={"body": "Changed"}),
    Case(
        "inbox",
        "PATCH",
        "/api/v1/templates/{template_id}",
        DENIED,
        body={"location_ids": ["{location}"]},
        ids={"template_id": "own_template"},
        why="moving A's to B",
    ),
    Case("inbox", "DELETE", "/api/v1/templates/{template_id}", DENIED),
    Case(
        "inbox",
        "POST",
        "/api/v1/templates/{template_id}/render",
        DENIED,
        body={"conversation_id": "{own_conversation}"},
    ),
    Case(
        "inbox",
        "POST",
        "/api/v1/templates/{template_id}/render",
        DENIED,
        body={"conversation_id": "{conversation}"},
        ids={"template_id": "own_template"},
        why="B's conversation",
    ),
    Case("inbox", "GET", "/api/v1/settings", OWN, why="chain-wide, no hotel's data"),
    Case("inbox", "PUT", "/api/v1/settings", DENIED, body={}),
    # --- contacts ----------------------------------------------------------------------------------------
    Case("contacts", "GET", "/api/v1/contacts", NOTHING, params={"q": "{secret}"}),
    Case(
        "contacts",
        "POST",
        "/api/v1/contacts",
        DENIED,
        body={"location_id": "{location}", "email": "new.guest@guest.example"},
    ),
    Case(
        "contacts",
        "POST",
        "/api/v1/contacts",
        AS_NEW,
        body={"location_id": "{own_location}", "email": "{secret}@guest.example"},
        why="B's guest's email: answered as a creation, stores nothing (issue 18, finding 12)",
    ),
    Case(
        "contacts",
        "POST",
        "/api/v1/contacts/imports",
        DENIED,
        raw=("text/csv", "email,segment\n{secret}@x.example,vip\n"),
    ),
    Case("contacts", "GET", "/api/v1/contacts/imports/attributes", OWN, why="chain-wide configuration"),
    Case("contacts", "GET", "/api/v1/contacts/imports/{import_id}", DENIED),
    Case("contacts", "GET", "/api/v1/contacts/erasures/{erasure_id}", DENIED),
    Case("contacts", "GET", "/api/v1/contacts/{contact_id}", DENIED),
    Case("contacts", "PATCH", "/api/v1/contacts/{contact_id}", DENIED, body={"first_name": "Renamed"}),
    Case("contacts", "DELETE", "/api/v1/contacts/{contact_id}", DENIED),
    Case("contacts", "GET", "/api/v1/contacts/{contact_id}/history", DENIED),
    Case(
        "contacts",
        "GET",
        "/api/v1/contacts/{contact_id}/history",
        WITHOUT_B,
        ids={"contact_id": "own_contact"},
        control=False,
        why="A's contact",
    ),
    Case("contacts", "POST", "/api/v1/contacts/{contact_id}/merge", DENIED, body={"contact_id": "{own_contact}"}),
    Case(
        "contacts",
        "POST",
        "/api/v1/contacts/{contact_id}/merge",
        DENIED,
        body={"contact_id": "{contact}"},
        ids={"contact_id": "own_contact"},
        why="B's into A's",
    ),
    Case("contacts", "GET", "/api/v1/contacts/{contact_id}/export", DENIED),
    # --- solicit -----------------------------------------------------------------------------------------
    Case(
        "solicit",
        "POST",
        "/api/v1/solicitations",
        DENIED,
        body={"conversation_id": "{conversation}", "to": "me@elsewhere.example", "text": "?"},
    ),
    Case(
        "solicit",
        "POST",
        "/api/v1/solicitations",
        REFUSED,
        body={
            "conversation_id": "{own_conversation}",
            "to": "me@elsewhere.example",
            "text": "?",
            "attachment_ids": ["{attachment}"],
        },
        why="B's attachment",
    ),
    Case("solicit", "GET", "/api/v1/solicitations", DENIED, params={"conversation_id": "{conversation}"}),
    Case(
        "solicit", "GET", "/api/v1/solicitations/recipients", DENIED, params={"q": "{secret}", "location": "{location}"}
    ),
    Case(
        "solicit",
        "GET",
        "/api/v1/solicitations/recipients",
        NOTHING,
        params={"q": "{secret}"},
        control=False,  # an admin names the hotel
        why="A's hotels",
    ),
    Case("solicit", "GET", "/api/v1/solicitations/unmatched", DENIED),
    Case("solicit", "GET", "/api/v1/solicitations/{solicitation_id}", DENIED),
    Case("solicit", "POST", "/api/v1/solicitations/{solicitation_id}/messages", DENIED, body={"text": "Again"}),
    Case("solicit", "DELETE", "/api/v1/solicitations/{solicitation_id}", DENIED),
    # --- ingest: integrations' endpoints (an agent's session is refused) ------------------------------
    Case("ingest", "POST", "/ingest/email/raw", DENIED, raw=("message/rfc822", EMAIL)),
    Case(
        "ingest",
        "POST",
        "/ingest/reviews",
        DENIED,
        body={"platform": "google", "review_id": "{secret}", "location": "{location}", "rating": 1, "scale": 5},
    ),
    Case(
        "ingest",
        "POST",
        "/ingest/reviews/import",
        DENIED,
        raw=("text/csv", "platform,review_id,location,rating,scale\ngoogle,{secret},{location},1,5\n"),
    ),
    Case(
        "ingest",
        "POST",
        "/ingest/calls",
        DENIED,
        body={"call_id": "{secret}", "location": "{location}", "caller": "+33612345678", "duration_seconds": 5},
    ),
]

# Operations with nothing of a hotel to refuse to an agent, and why.
EXEMPT = {
    ("inbox", "POST", "/api/v1/auth/login"): "public: an email and a password, before any hotel is known",
    ("inbox", "GET", "/api/v1/events"): "a stream that never ends: test_the_live_stream_carries_only_the_agents_hotels",
    ("ingest", "POST", "/ingest/forms/{location_id}"): "public: a hotel website's guest form, no agent token",
    ("ingest", "POST", "/ingest/chat/{location_id}/files"): "public: the guest's widget, proven by its chat session",
    ("ingest", "GET", "/ingest/chat/{location_id}/files/{attachment_id}"): (
        "public: the guest's widget, proven by its chat session (checked against hotel and file)"
    ),
}


@dataclass
class Hotel:
    """Hotel B's resources, hotel A's own, and the sessions of A's agent and manager."""

    secret: str
    ids: dict[str, str]  # B's resources by name, and A's as `own_…`
    own_hotels: set[str]  # A and the other hotel of A's group
    sessions: dict[Role, dict[str, str]]
    own_agents: dict[Role, str]
    logins: dict[Role, str]  # the email each signs in with

    def b_ids(self) -> set[str]:
        return {value for name, value in self.ids.items() if not name.startswith("own_") and name != "unknown"}

    def values(self, role: Role) -> dict[str, str]:
        return {**self.ids, "own_agent": self.own_agents[role], "secret": self.secret}


def fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    return template


def holds_nothing(answer: Any) -> bool:
    """An empty page, zero counts: no item and no number but 0 anywhere in the answer."""
    if isinstance(answer, dict):
        return all(holds_nothing(value) for value in answer.values())
    if isinstance(answer, list):
        return not answer
    return answer in (None, 0, False, "")


async def sign_in(http: httpx.AsyncClient, stack: Stack, email: str) -> dict[str, str]:
    answer = await http.post(f"{stack.url('inbox')}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def created(http: httpx.AsyncClient, url: str, body: Any) -> dict[str, Any]:
    answer = await http.post(url, json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def request_in(nc: NatsClient, api: AgentApi, location: str, **guest: Any) -> dict[str, Any]:
    """A guest's request in the hotel, once its contact is resolved; with its timeline."""
    await publish_inbound(nc, location, channel=Channel.FORM, **guest)
    [conversation] = await api.wait_for(location)
    return await eventually(lambda: api.get(conversation["id"]), lambda d: bool(d["conversation"]["contact_id"]))


@pytest.fixture(scope="module")
async def hotels(stack: Stack) -> Hotel:
    nc = await nats.connect(stack.nats_url)
    try:
        return await _build(stack, nc)
    finally:
        await nc.drain()


async def _build(stack: Stack, nc: NatsClient) -> Hotel:
    """Hotels A, A2 (A's group) and B, and every kind of B's resource, created by the chain admin."""
    tag = uuid.uuid4().hex[:8]
    secret = f"bravo{uuid.uuid4().hex[:10]}"  # in B's data only, never in an id
    a, a2, b = f"scope-a-{tag}", f"scope-a2-{tag}", f"scope-b-{tag}"
    async with httpx.AsyncClient(timeout=10) as http:
        inbox = f"{stack.url('inbox')}/api/v1"
        for hotel, name in ((a, "Alpha"), (a2, "Alpha bis"), (b, f"Hotel {secret}")):
            await created(http, f"{inbox}/locations", {"id": hotel, "name": name})
        await created(http, f"{inbox}/location-groups", {"id": f"{a}-g", "name": "Alpha", "location_ids": [a, a2]})
        group = await created(http, f"{inbox}/location-groups", {"id": f"{b}-g", "name": secret, "location_ids": [b]})

        def agent(name: str, email: str, **scope: Any) -> dict[str, Any]:
            return {"name": name, "email": email, "password": PASSWORD, "notify_on_assignment": False, **scope}

        logins: dict[Role, str] = {"agent": f"alpha-agent-{tag}@test.hotel", "manager": f"alpha-boss-{tag}@test.hotel"}
        own_agent = await created(http, f"{inbox}/agents", agent("Alice Alpha", logins["agent"], location_ids=[a]))
        manager = await created(
            http, f"{inbox}/agents", agent("Maud Alpha", logins["manager"], role="manager", group_ids=[f"{a}-g"])
        )
        b_agent = await created(
            http, f"{inbox}/agents", agent(f"Bob {secret}", f"{secret}.agent@test.hotel", location_ids=[b])
        )

        admin = AgentApi(http, stack.url("inbox"), ADMIN)
        theirs = await request_in(
            nc, admin, b, name=f"Zoe {secret}", email=f"{secret}@guest.example", subject=secret, text=f"{secret} text"
        )
        await admin.ok("PATCH", str(theirs["conversation"]["id"]), body={"labels": [secret]})
        ours = await request_in(nc, admin, a, name="Ana Alpha", email=f"ana.{tag}@guest.example", subject="Ours")
        contact, own_contact = str(theirs["conversation"]["contact_id"]), str(ours["conversation"]["contact_id"])
        for someone in (contact, own_contact):
            history = partial(http.get, f"{stack.url('contacts')}/api/v1/contacts/{someone}/history", headers=ADMIN)
            await eventually(history, lambda r: r.status_code == 200 and bool(r.json()["items"]))
        upload = await http.post(
            f"{inbox}/attachments",
            files={"file": (f"{secret}.txt", secret.encode(), "text/plain")},
            data={"location": b},
            headers=ADMIN,
        )
        assert upload.status_code == 201, upload.text
        solicitation = await created(
            http,
            f"{stack.url('solicit')}/api/v1/solicitations",
            {"conversation_id": theirs["conversation"]["id"], "to": f"{secret}@supplier.example", "text": secret},
        )
        template = await created(http, f"{inbox}/templates", {"name": secret, "body": secret, "location_ids": [b]})
        own_template = await created(http, f"{inbox}/templates", {"name": "Alpha", "body": "Hi", "location_ids": [a]})
        token = await created(
            http, f"{inbox}/api-tokens", {"name": secret, "scopes": ["calls:write"], "location_ids": [b]}
        )
        rule = {"name": secret, "location_id": b, "templates": {"en": secret}, "needs_approval": True}
        auto_reply_rule = await created(http, f"{inbox}/auto-replies", rule)
        policy = {"name": secret, "group_id": str(group["id"]), "first_response_minutes": 60}
        sla_policy = await created(http, f"{inbox}/sla/policies", policy)
        automation = {
            "name": secret,
            "group_id": str(group["id"]),
            "enabled": False,  # B's rule must not change the requests other cases look at
            "on": ["created"],
            "actions": [{"type": "add_labels", "labels": [secret]}],
        }
        automation_rule = await created(http, f"{inbox}/rules", automation)
        ids = {
            "location": b,
            "group": str(group["id"]),
            "conversation": str(theirs["conversation"]["id"]),
            "entry": str(theirs["timeline"][0]["id"]),
            "contact": contact,
            "attachment": str(upload.json()["id"]),
            "solicitation": str(solicitation["id"]),
            "template": str(template["id"]),
            "agent": str(b_agent["id"]),
            "token": str(token["id"]),
            "auto_reply_rule": str(auto_reply_rule["id"]),
            "sla_policy": str(sla_policy["id"]),
            "automation_rule": str(automation_rule["id"]),
            "unknown": uuid.uuid4().hex,
            "own_location": a,
            "own_conversation": str(ours["conversation"]["id"]),
            "own_contact": own_contact,
            "own_template": str(own_template["id"]),
        }
        sessions = {role: await sign_in(http, stack, logins[role]) for role in ROLES}
        own_agents: dict[Role, str] = {"agent": str(own_agent["id"]), "manager": str(manager["id"])}
    return Hotel(secret=secret, ids=ids, own_hotels={a, a2}, sessions=sessions, own_agents=own_agents, logins=logins)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hotel_a_gets_nothing_of_hotel_b(
    stack: Stack, http: httpx.AsyncClient, hotels: Hotel, case: Case, role: Role
) -> None:
    values = hotels.values(role)
    path_values = {param: values[case.ids.get(param, default)] for param, default in PATH_DEFAULTS.items()}
    url = stack.url(case.service) + case.path.format_map(path_values)
    headers = await sign_in(http, stack, hotels.logins[role]) if case.fresh_session else hotels.sessions[role]
    request: dict[str, Any] = {"params": fill(case.params, values), "headers": dict(headers)}
    if case.upload is not None:
        request["data"] = fill(case.upload, values)
        request["files"] = {"file": ("note.txt", b"a note", "text/plain")}
    elif case.raw is not None:
        request["headers"]["Content-Type"] = case.raw[0]
        request["content"] = fill(case.raw[1], values).encode()
    elif case.body is not None:
        request["json"] = fill(case.body, values)

    answer = await http.request(case.method, url, **request)

    assert answer.status_code < 500, answer.text
    text = answer.text.lower()
    if case.expect == AS_NEW:  # a creation echoes what A typed, even B's guest's address, as for anyone's
        for sent in (fill(case.body, values) or {}).values():
            text = text.replace(str(sent).lower(), "")
    assert hotels.secret not in text, f"B's data in the answer: {answer.text}"
    if case.expect in ALLOWED_STATUS:
        assert answer.status_code in ALLOWED_STATUS[case.expect], answer.text
    named = url + json.dumps([request.get(part) for part in ("params", "json", "data")]) + str(request.get("content"))
    leaked = {value for value in hotels.b_ids() if value in answer.text and value not in named}
    assert not leaked, f"B's ids {leaked} in the answer: {answer.text}"
    if case.expect == NOTHING:
        assert holds_nothing(answer.json()), answer.text
    if case.expect in {NOTHING, WITHOUT_B} and case.control:
        # The same request from the chain's admin finds B's data: A's empty answer is the scoping's doing.
        admins = await http.request(case.method, url, **{**request, "headers": ADMIN})
        assert admins.status_code == 200, admins.text
        assert not holds_nothing(admins.json())
        if case.expect == WITHOUT_B:
            assert any(value in admins.text for value in hotels.b_ids()), admins.text


async def test_every_operation_has_a_case(stack: Stack, http: httpx.AsyncClient) -> None:
    documented = set()
    for service in stack.services:
        spec = (await http.get(f"{stack.url(service)}/openapi.json")).json()
        for path, item in spec["paths"].items():
            documented |= {(service, method.upper(), path) for method in item if method != "parameters"}
    covered = {case.operation for case in CASES}
    missing = documented - covered - set(EXEMPT)
    assert not missing, f"operations without a scoping case (add one to CASES, or to EXEMPT with a reason): {missing}"
    assert not (covered | set(EXEMPT)) - documented, "cases for operations that no longer exist"
    assert not covered & set(EXEMPT), "an operation both tested and exempted"


# --- the live stream ---------------------------------------------------------------------------------------


@dataclass
class Stream:
    """The events one session's `GET /api/v1/events` has carried so far."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def has(self, name: str, **fields: str) -> bool:
        return any(n == name and all(e.get(k) == v for k, v in fields.items()) for n, e in self.events)

    async def until(self, *wanted: tuple[str, dict[str, str]]) -> None:
        """Wait until the stream has carried each of the wanted (event name, fields) events."""

        async def events() -> "Stream":
            return self

        await eventually(events, lambda s: all(s.has(name, **fields) for name, fields in wanted))

    async def read(self, http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        async with http.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=None)) as answer:
            assert answer.status_code == 200
            self.opened.set()
            name = ""
            async for line in answer.aiter_lines():
                self.raw.append(line)
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line.removeprefix("data: "))))


async def test_the_live_stream_carries_only_the_agents_hotels(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, hotels: Hotel
) -> None:
    """B's events go first and reach the admin's stream (so they were on the bus), then A's; A's agent and
    manager receive A's and none of B's, though their streams were open for both."""
    url = f"{stack.url('inbox')}/api/v1/events"
    streams = {"agent": Stream(), "manager": Stream(), "admin": Stream()}
    headers = {"agent": hotels.sessions["agent"], "manager": hotels.sessions["manager"], "admin": ADMIN}
    ids, b, a = hotels.ids, hotels.ids["location"], hotels.ids["own_location"]
    theirs, ours = ids["conversation"], ids["own_conversation"]
    admin = AgentApi(http, stack.url("inbox"), ADMIN)
    readers = [asyncio.create_task(stream.read(http, url, headers[who])) for who, stream in streams.items()]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in streams.values())), timeout=10)
        # Hotel B: a new guest's request, a note, a status change, an agent viewing a request.
        await publish_inbound(nc, b, channel=Channel.FORM, email=f"{hotels.secret}.2@guest.example", subject="B")
        await admin.ok("POST", theirs, "notes", {"text": f"{hotels.secret} note"})
        await admin.ok("PUT", theirs, "status", {"status": "on_hold"})
        assert (await admin.call("POST", theirs, "viewing", {"tab": "b"})).status_code == 204
        await streams["admin"].until(
            ("conversation.created", {"location_id": b}),
            ("conversation.note_added", {"conversation_id": theirs}),
            ("conversation.status_changed", {"conversation_id": theirs}),
            ("conversation.viewing", {"conversation_id": theirs}),
        )
        # Then hotel A, the same.
        await publish_inbound(nc, a, channel=Channel.FORM, email=f"ana.2.{a}@guest.example", subject="A")
        await admin.ok("POST", ours, "notes", {"text": "A note"})
        assert (await admin.call("POST", ours, "viewing", {"tab": "a"})).status_code == 204
        for who in ("agent", "manager"):
            await streams[who].until(
                ("conversation.created", {"location_id": a}),
                ("conversation.note_added", {"conversation_id": ours}),
                ("conversation.viewing", {"conversation_id": ours}),
            )
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    b_conversations = {theirs} | {
        str(e.get("conversation_id")) for _, e in streams["admin"].events if e.get("location_id") == b
    }
    for who in ("agent", "manager"):
        events = streams[who].events
        assert {e.get("location_id") for _, e in events} <= hotels.own_hotels, f"{who}: {events}"
        assert not {e.get("conversation_id") for _, e in events} & b_conversations, f"{who}: {events}"
        assert hotels.secret not in "\n".join(streams[who].raw).lower()
