"""Access end to end: the console's session cookie with CSRF, sign-out revoked in every service,
delays after failed sign-ins, password change, integrations' API tokens with scopes and hotels,
the audit trail of admin actions, and a guest's HTML served sandboxed."""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from shared.bus import Channel
from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"


async def new_agent(http: httpx.AsyncClient, stack: Stack, location: str, password: str = PASSWORD) -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@test.hotel"
    body = {"name": "Camille Roux", "email": email, "location_ids": [location], "password": password}
    response = await http.post(f"{stack.url('inbox')}/api/v1/agents", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return email


async def sign_in(stack: Stack, email: str, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{stack.url('inbox')}/api/v1/auth/login", json={"email": email, "password": password})


class TestConsoleSession:
    async def test_the_cookie_signs_in_and_changes_need_the_csrf_token(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        answer = await sign_in(stack, email)
        assert answer.status_code == 200, answer.text
        session_cookie = answer.headers.get_list("set-cookie")
        assert any(c.startswith("hub_session=") and "HttpOnly" in c and "SameSite=strict" in c for c in session_cookie)
        cookies = {"hub_session": answer.cookies["hub_session"], "hub_csrf": answer.cookies["hub_csrf"]}
        inbox = stack.url("inbox")
        async with httpx.AsyncClient(base_url=inbox, cookies=cookies, timeout=10) as browser:
            me = await browser.get("/api/v1/agents/me")
            assert me.status_code == 200
            agent_id = me.json()["id"]
            forged = await browser.patch(f"/api/v1/agents/{agent_id}", json={"language": "en"})
            assert forged.status_code == 403
            assert "CSRF" in forged.json()["detail"]
            wrong = await browser.patch(
                f"/api/v1/agents/{agent_id}", json={"language": "en"}, headers={"X-CSRF-Token": "guessed"}
            )
            assert wrong.status_code == 403
            token = answer.json()["csrf_token"]
            assert token == cookies["hub_csrf"]
            changed = await browser.patch(
                f"/api/v1/agents/{agent_id}", json={"language": "en"}, headers={"X-CSRF-Token": token}
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["language"] == "en"

    async def test_sign_out_revokes_the_token_in_every_service(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        token = (await sign_in(stack, email)).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        contacts = f"{stack.url('contacts')}/api/v1/contacts?q=zz"
        assert (await http.get(contacts, headers=bearer)).status_code == 200
        out = await http.post(f"{stack.url('inbox')}/api/v1/auth/logout", headers=bearer)
        assert out.status_code == 204
        assert any("hub_session=" in c for c in out.headers.get_list("set-cookie"))
        assert (await http.get(f"{stack.url('inbox')}/api/v1/agents/me", headers=bearer)).status_code == 401
        # Contacts trusted its answer for a few seconds; then the revocation reaches it too.
        await eventually(lambda: http.get(contacts, headers=bearer), lambda r: r.status_code == 401, timeout=15)


class TestSignInProtection:
    async def test_after_five_failures_an_account_waits_seconds_not_minutes(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        """Whoever guesses cannot lock an agent out for long (issue 18): the account is slowed down, the
        guessing client is what gets stopped (tests/integration/test_client_limits.py)."""
        email = await new_agent(http, stack, location)
        for _ in range(5):
            assert (await sign_in(stack, email, "wrong-password-1")).status_code == 401
        slowed = await sign_in(stack, email)
        assert slowed.status_code == 429
        wait = int(slowed.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert f"wait {wait} s" in slowed.json()["detail"]
        await asyncio.sleep(wait)
        assert (await sign_in(stack, email)).status_code == 200, "the right password goes through after the delay"
        other = await new_agent(http, stack, location)
        assert (await sign_in(stack, other)).status_code == 200, "one account's lock leaves the others alone"

    async def test_a_success_forgets_earlier_failures(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        for _ in range(4):
            assert (await sign_in(stack, email, "wrong-password-1")).status_code == 401
        assert (await sign_in(stack, email)).status_code == 200
        for _ in range(4):
            assert (await sign_in(stack, email, "wrong-password-1")).status_code == 401
        assert (await sign_in(stack, email)).status_code == 200

    async def test_a_password_change_needs_the_current_password(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        bearer = {"Authorization": f"Bearer {(await sign_in(stack, email)).json()['token']}"}
        url = f"{stack.url('inbox')}/api/v1/auth/password"
        wrong = await http.post(
            url, json={"current_password": "not-it", "new_password": "another-long-one"}, headers=bearer
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "current_password"
        short = await http.post(url, json={"current_password": PASSWORD, "new_password": "short"}, headers=bearer)
        assert short.status_code == 422
        assert "new_password" in short.json()["detail"]
        ok = await http.post(
            url, json={"current_password": PASSWORD, "new_password": "another-long-one"}, headers=bearer
        )
        assert ok.status_code == 200
        assert (await sign_in(stack, email)).status_code == 401
        assert (await sign_in(stack, email, "another-long-one")).status_code == 200

    async def test_patch_never_sets_ones_own_password_and_an_admin_reset_ends_the_sessions(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        """Issue 18, finding 5: `PATCH /agents/{own id}` with a password is refused (it needs the current
        one, through `POST /auth/password`); an admin may reset another agent's, which ends their sessions."""
        email = await new_agent(http, stack, location)
        bearer = {"Authorization": f"Bearer {(await sign_in(stack, email)).json()['token']}"}
        inbox = stack.url("inbox")
        agent_id = (await http.get(f"{inbox}/api/v1/agents/me", headers=bearer)).json()["id"]
        url = f"{inbox}/api/v1/agents/{agent_id}"
        refused = await http.patch(url, json={"password": "taken-over-password"}, headers=bearer)
        assert refused.status_code == 403, refused.text
        assert "/auth/password" in refused.json()["detail"]
        assert (await sign_in(stack, email, "taken-over-password")).status_code == 401
        assert (await sign_in(stack, email)).status_code == 200
        assert (await http.get(f"{inbox}/api/v1/agents/me", headers=bearer)).status_code == 200, "still signed in"
        reset = await http.patch(url, json={"password": "reset-by-an-admin"}, headers=ADMIN)
        assert reset.status_code == 200, reset.text
        assert (await sign_in(stack, email, "reset-by-an-admin")).status_code == 200
        assert (await http.get(f"{inbox}/api/v1/agents/me", headers=bearer)).status_code == 401, "a reset ends sessions"


async def agent_id_of(http: httpx.AsyncClient, stack: Stack, bearer: dict[str, str]) -> str:
    me = await http.get(f"{stack.url('inbox')}/api/v1/agents/me", headers=bearer)
    assert me.status_code == 200, me.text
    return str(me.json()["id"])


async def bearer_of(stack: Stack, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = await sign_in(stack, email, password)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def stream_closes(stack: Stack, bearer: dict[str, str], end_it: Callable[[], Awaitable[object]]) -> float:
    """Open the agent's live stream, call `end_it`, and return how many seconds the stream stayed open after."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client,
        client.stream("GET", f"{stack.url('inbox')}/api/v1/events", headers=bearer) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("retry:")
        await end_it()
        started = time.monotonic()
        seen = [line async for line in lines]
        assert "event: session.ended" in seen, seen
        return time.monotonic() - started


class TestSessionsEndWithTheirRights:
    """Issue 18, finding 6: sign-out, a password change, a change of role, hotels or groups, disabling and
    deleting end an agent's sessions within seconds, in every service and on open live streams."""

    async def test_an_open_stream_closes_within_10_s_of_sign_out(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        bearer = await bearer_of(stack, await new_agent(http, stack, location))
        logout = f"{stack.url('inbox')}/api/v1/auth/logout"
        assert await stream_closes(stack, bearer, lambda: http.post(logout, headers=bearer)) < 10

    async def test_moving_an_agent_to_another_hotel_closes_the_stream_and_ends_the_token(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        bearer = await bearer_of(stack, email := await new_agent(http, stack, location))
        url = f"{stack.url('inbox')}/api/v1/agents/{await agent_id_of(http, stack, bearer)}"
        moved = {"location_ids": [f"{location}-other"]}
        assert await stream_closes(stack, bearer, lambda: http.patch(url, json=moved, headers=ADMIN)) < 10
        assert (await http.get(f"{stack.url('inbox')}/api/v1/agents/me", headers=bearer)).status_code == 401
        contacts = f"{stack.url('contacts')}/api/v1/contacts?q=zz"
        await eventually(lambda: http.get(contacts, headers=bearer), lambda r: r.status_code == 401, timeout=10)
        again = (await sign_in(stack, email)).json()
        assert again["agent"]["location_ids"] == [f"{location}-other"], "a new sign-in carries the new hotels"

    async def test_a_change_of_a_groups_hotels_ends_its_agents_sessions(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        inbox = f"{stack.url('inbox')}/api/v1"
        group = {"id": f"grp-{location}", "name": "Riviera", "location_ids": [location]}
        assert (await http.post(f"{inbox}/location-groups", json=group, headers=ADMIN)).status_code == 201
        email = f"grp-{uuid.uuid4().hex[:8]}@test.hotel"
        body = {"name": "Léa Blanc", "email": email, "group_ids": [group["id"]], "password": PASSWORD}
        assert (await http.post(f"{inbox}/agents", json=body, headers=ADMIN)).status_code == 201
        bearer = await bearer_of(stack, email)
        shrink = {"location_ids": [f"{location}-b"]}
        grp_url = f"{inbox}/location-groups/{group['id']}"
        assert await stream_closes(stack, bearer, lambda: http.patch(grp_url, json=shrink, headers=ADMIN)) < 10
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401

    async def test_a_role_change_and_an_admins_end_of_sessions_end_the_token(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        inbox = f"{stack.url('inbox')}/api/v1"
        bearer = await bearer_of(stack, email)
        url = f"{inbox}/agents/{await agent_id_of(http, stack, bearer)}"
        assert (await http.patch(url, json={"role": "manager"}, headers=ADMIN)).status_code == 200
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401
        bearer = await bearer_of(stack, email)
        assert (await http.patch(url, json={"name": "Camille R."}, headers=ADMIN)).status_code == 200
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 200, "a new name keeps sessions"
        assert (await http.post(f"{url}/sessions/end", headers=agent_headers([location]))).status_code == 403
        assert (await http.post(f"{url}/sessions/end", headers=ADMIN)).status_code == 204
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401
        bearer = await bearer_of(stack, email)
        assert (await http.post(f"{url}/sessions/end", headers=bearer)).status_code == 204, "sign out everywhere"
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401

    async def test_a_disabled_agent_cannot_sign_in_and_their_token_stops(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        inbox = f"{stack.url('inbox')}/api/v1"
        bearer = await bearer_of(stack, email)
        url = f"{inbox}/agents/{await agent_id_of(http, stack, bearer)}"
        assert (await http.patch(url, json={"disabled": True}, headers=ADMIN)).status_code == 200
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401
        refused = await sign_in(stack, email)
        assert refused.status_code == 403, refused.text
        assert "disabled" in refused.json()["detail"]
        assert (await sign_in(stack, email, "not-the-password")).status_code == 401, "nothing said without it"
        assert (await http.patch(url, json={"disabled": False}, headers=ADMIN)).status_code == 200
        assert (await sign_in(stack, email)).status_code == 200

    async def test_a_deleted_agent_is_signed_out_and_cannot_sign_in(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        inbox = f"{stack.url('inbox')}/api/v1"
        bearer = await bearer_of(stack, email)
        url = f"{inbox}/agents/{await agent_id_of(http, stack, bearer)}"
        assert (await http.delete(url, headers=agent_headers([location], role="manager"))).status_code == 403
        assert (await http.delete(url, headers=ADMIN)).status_code == 204
        assert (await http.get(f"{inbox}/agents/me", headers=bearer)).status_code == 401
        assert (await sign_in(stack, email)).status_code == 401
        assert (await http.delete(url, headers=ADMIN)).status_code == 404

    async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        inbox = f"{stack.url('inbox')}/api/v1"
        this, other = await bearer_of(stack, email), await bearer_of(stack, email)
        body = {"current_password": PASSWORD, "new_password": "another-long-one"}
        changed = await http.post(f"{inbox}/auth/password", json=body, headers=this)
        assert changed.status_code == 200, changed.text
        assert any(c.startswith("hub_session=") for c in changed.headers.get_list("set-cookie"))
        for ended in (this, other):
            assert (await http.get(f"{inbox}/agents/me", headers=ended)).status_code == 401
        successor = {"Authorization": f"Bearer {changed.json()['token']}"}
        assert (await http.get(f"{inbox}/agents/me", headers=successor)).status_code == 200

    async def test_tokens_of_agents_never_changed_keep_working(self, stack: Stack, http: httpx.AsyncClient) -> None:
        """Tokens minted without an epoch (scripts, tests) hold for an agent whose sessions never ended."""
        headers = agent_headers(["any-hotel"], agent_id=f"no-document-{uuid.uuid4().hex[:6]}")
        assert (await http.get(f"{stack.url('inbox')}/api/v1/templates", headers=headers)).status_code == 200
        assert (await http.get(f"{stack.url('contacts')}/api/v1/contacts?q=zz", headers=headers)).status_code == 200


async def api_token(http: httpx.AsyncClient, stack: Stack, scopes: list[str], locations: list[str]) -> dict[str, Any]:
    body = {"name": "Telephony", "scopes": scopes, "location_ids": locations}
    response = await http.post(f"{stack.url('inbox')}/api/v1/api-tokens", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestApiTokens:
    async def test_a_token_opens_only_its_scopes_and_hotels_until_revoked(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        created = await api_token(http, stack, ["calls:write"], [location])
        assert created["token"]
        bearer = {"Authorization": f"Bearer {created['token']}"}
        calls = f"{stack.url('ingest')}/ingest/calls"
        call = {"call_id": "api-1", "location": location, "caller": "+33612345600", "duration_seconds": 30}
        assert (await http.post(calls, json=call, headers=bearer)).status_code == 202
        elsewhere = await http.post(calls, json={**call, "call_id": "api-2", "location": "other-hotel"}, headers=bearer)
        assert elsewhere.status_code == 403
        review = {"platform": "google", "review_id": "r", "location": location, "rating": 5, "scale": 5}
        no_scope = await http.post(f"{stack.url('ingest')}/ingest/reviews", json=review, headers=bearer)
        assert no_scope.status_code == 403
        assert "reviews:write" in no_scope.json()["detail"]
        agents_only = await http.get(f"{stack.url('inbox')}/api/v1/conversations", headers=bearer)
        assert agents_only.status_code == 403
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        await api.wait_for(location)
        listed = await http.get(f"{stack.url('inbox')}/api/v1/api-tokens", headers=ADMIN)
        assert next(t for t in listed.json() if t["id"] == created["id"])["scopes"] == ["calls:write"]
        assert all("token" not in t for t in listed.json()), "a token is shown once, at creation"
        revoked = await http.delete(f"{stack.url('inbox')}/api/v1/api-tokens/{created['id']}", headers=ADMIN)
        assert revoked.status_code == 204
        again = {**call, "call_id": "api-3"}
        await eventually(lambda: http.post(calls, json=again, headers=bearer), lambda r: r.status_code == 401)

    async def test_headquarters_import_with_a_chain_wide_token(self, stack: Stack, http: httpx.AsyncClient) -> None:
        created = await api_token(http, stack, ["contacts:import"], [])
        bearer = {"Authorization": f"Bearer {created['token']}", "Content-Type": "text/csv"}
        rows = b"email,segment\nhq-import@example.com,vip\n"
        started = await http.post(f"{stack.url('contacts')}/api/v1/contacts/imports", content=rows, headers=bearer)
        assert started.status_code == 202, started.text
        report = await eventually(
            lambda: http.get(f"{stack.url('contacts')}{started.json()['report']}", headers=bearer),
            lambda r: r.json().get("status") == "done",
        )
        assert report.json()["applied"] == 1
        search = await http.get(f"{stack.url('contacts')}/api/v1/contacts?q=hq", headers=bearer)
        assert search.status_code == 403, "an import token reads no contact"

    async def test_only_admins_create_tokens(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        manager = agent_headers([location], role="manager")
        body = {"name": "x", "scopes": ["calls:write"]}
        answer = await http.post(f"{stack.url('inbox')}/api/v1/api-tokens", json=body, headers=manager)
        assert answer.status_code == 403
        unknown = await http.post(
            f"{stack.url('inbox')}/api/v1/api-tokens", json={**body, "scopes": ["everything"]}, headers=ADMIN
        )
        assert unknown.status_code == 422
        assert "scopes" in unknown.json()["detail"]


class TestAudit:
    async def test_admin_changes_are_recorded_without_secrets(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        email = await new_agent(http, stack, location)
        inbox = stack.url("inbox")
        hotel = f"audit-{uuid.uuid4().hex[:8]}"
        created = await http.post(f"{inbox}/api/v1/locations", json={"id": hotel, "name": "Audit"}, headers=ADMIN)
        assert created.status_code == 201
        trail = await http.get(f"{inbox}/api/v1/audit?limit=50", headers=ADMIN)
        assert trail.status_code == 200
        entries = trail.json()["items"]
        assert entries[0]["action"] == "location.create"
        assert entries[0]["target"] == f"location:{hotel}"
        assert entries[0]["actor"]["id"] == "admin-test"
        agent_entry = next(e for e in entries if e["action"] == "agent.create")
        assert "password" in agent_entry["fields"]
        assert PASSWORD not in json.dumps(trail.json()), "field names only, never values"
        assert email not in json.dumps(agent_entry)
        page = await http.get(f"{inbox}/api/v1/audit?limit=1&before={entries[0]['id']}", headers=ADMIN)
        assert page.json()["items"][0]["id"] == entries[1]["id"]
        agent = await http.get(f"{inbox}/api/v1/audit", headers=agent_headers([location]))
        assert agent.status_code == 403


class TestGuestHtml:
    async def test_the_html_is_sandboxed_and_remote_images_wait_for_the_agent(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
    ) -> None:
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        await publish_inbound(nc, location, channel=Channel.EMAIL, text="see the photo")
        conversation = (await api.wait_for(location))[0]
        entry = next(e for e in (await api.get(conversation["id"]))["timeline"] if e["kind"] == "message")
        await _store_html(stack, entry["id"], '<p>Hi</p><img data-remote-src="https://tracker.example/p.gif">')
        url = f"{stack.url('inbox')}/api/v1/conversations/{conversation['id']}/entries/{entry['id']}/html"
        page = await http.get(url, headers=ADMIN)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "sandbox" in policy
        assert "allow-scripts" not in policy
        assert "img-src data:;" in policy
        assert page.headers["x-remote-images"] == "1"
        assert ' src="https://tracker.example' not in page.text
        shown = await http.get(url, params={"remote_images": "true"}, headers=ADMIN)
        assert 'src="https://tracker.example/p.gif"' in shown.text
        assert "https:" in shown.headers["content-security-policy"]
        other = await http.get(url, headers=agent_headers(["another-hotel"]))
        assert other.status_code == 404


async def _store_html(stack: Stack, entry_id: str, html: str) -> None:
    """Give an entry the HTML ingest would have stored (the ingest path has tests of its own)."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongo_url)
    try:
        await client["hub"]["timeline"].update_one({"_id": entry_id}, {"$set": {"html": html}})
    finally:
        await client.close()
