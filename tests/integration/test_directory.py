"""Sign-in, hotels, groups, agents, templates and settings through the inbox's API."""

from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from tests.integration.conftest import BOOTSTRAP_PASSWORD, Stack
from tests.integration.inbox_helpers import publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def login(http: httpx.AsyncClient, base: str, email: str, password: str) -> dict[str, str]:
    response = await http.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def admin(stack: Stack, http: httpx.AsyncClient) -> dict[str, str]:
    return await eventually(
        lambda: login(http, stack.url("inbox"), "admin@test.hotel", BOOTSTRAP_PASSWORD), lambda headers: True
    )


async def post(http: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str], status: int = 201) -> Any:
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


class TestSignIn:
    async def test_wrong_password_and_unknown_email_get_the_same_answer(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1/auth/login"
        wrong = await http.post(base, json={"email": "admin@test.hotel", "password": "nope-nope-nope"})
        unknown = await http.post(base, json={"email": "ghost@test.hotel", "password": "nope-nope-nope"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["detail"] == unknown.json()["detail"]


class TestHotelsGroupsAgents:
    async def test_admin_builds_a_chain_and_an_agent_sees_only_their_hotels(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, admin: dict[str, str], location: str
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1"
        other = f"{location}-b"
        grouped = f"{location}-g"
        for hotel in (location, other, grouped):
            await post(http, f"{base}/locations", {"id": hotel, "name": f"Hotel {hotel}"}, admin)
        duplicate = await http.post(f"{base}/locations", json={"id": location, "name": "again"}, headers=admin)
        assert duplicate.status_code == 409
        await post(
            http,
            f"{base}/location-groups",
            {"id": f"grp-{location}", "name": "Riviera", "location_ids": [grouped]},
            admin,
        )
        email = f"agent.{location}@test.hotel"
        agent = await post(
            http,
            f"{base}/agents",
            {
                "name": "Chloé Durand",
                "email": email,
                "location_ids": [location],
                "group_ids": [f"grp-{location}"],
                "password": "a-long-password",
            },
            admin,
        )
        assert agent["initials"] == "CD"
        assert "password_hash" not in agent
        again = await http.post(
            f"{base}/agents", json={"name": "X", "email": email.upper(), "password": "a-long-password"}, headers=admin
        )
        assert again.status_code == 409

        headers = await login(http, stack.url("inbox"), email, "a-long-password")
        me = (await http.get(f"{base}/agents/me", headers=headers)).json()
        assert me["visible_location_ids"] == sorted([location, grouped]), "groups expand to their hotels"
        seen = {loc["id"] for loc in (await http.get(f"{base}/locations", headers=headers)).json()}
        assert seen == {location, grouped}
        assert (await http.get(f"{base}/locations/{other}", headers=headers)).status_code == 404
        forbidden = await http.post(f"{base}/locations", json={"id": "x-new", "name": "x"}, headers=headers)
        assert forbidden.status_code == 403

        await publish_inbound(nc, grouped, text="via the group")
        conversations = await eventually(lambda: _list(http, base, headers, grouped), lambda items: len(items) == 1)
        assert conversations[0]["snippet"] == "via the group"

    async def test_bad_timezone_names_the_field(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], location: str
    ) -> None:
        response = await http.post(
            f"{stack.url('inbox')}/api/v1/locations",
            json={"id": location, "name": "x", "timezone": "Mars/Olympus"},
            headers=admin,
        )
        assert response.status_code == 422
        assert "timezone" in response.json()["detail"]


class TestTemplatesAndSettings:
    async def test_template_crud_and_render_for_a_conversation(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, admin: dict[str, str], location: str
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1"
        await post(http, f"{base}/locations", {"id": location, "name": "Hôtel Opéra"}, admin)
        template = await post(
            http,
            f"{base}/templates",
            {
                "name": "Welcome",
                "language": "fr",
                "body": "Bonjour {guest_first_name}, merci d'avoir choisi {hotel_name}. {agent_name}",
            },
            admin,
        )
        await publish_inbound(nc, location, name="Anna Martin", text="hello")
        conversation = (await eventually(lambda: _list(http, base, admin, location), lambda items: len(items) == 1))[0]
        rendered = await post(
            http,
            f"{base}/templates/{template['id']}/render",
            {"conversation_id": conversation["id"]},
            admin,
            status=200,
        )
        assert rendered["body"] == "Bonjour Anna, merci d'avoir choisi Hôtel Opéra. Administrator"
        patched = await http.patch(f"{base}/templates/{template['id']}", json={"name": "Bienvenue"}, headers=admin)
        assert patched.json()["name"] == "Bienvenue"
        assert (await http.delete(f"{base}/templates/{template['id']}", headers=admin)).status_code == 204
        assert (await http.get(f"{base}/templates/{template['id']}", headers=admin)).status_code == 404

    async def test_settings_round_trip_and_only_admins_change_them(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1/settings"
        body = {
            "contact_reasons": [{"id": "billing", "label_fr": "Facturation", "label_en": "Billing"}],
            "customer_service_email": "care@chain.example",
            "alert_rule": {"max_rating": 2},
        }
        response = await http.put(base, json=body, headers=admin)
        assert response.status_code == 200, response.text
        assert (await http.get(base, headers=admin)).json() == body
        bad = await http.put(base, json={**body, "alert_rule": {"max_rating": 9}}, headers=admin)
        assert bad.status_code == 422
        assert "max_rating" in bad.json()["detail"]


async def _list(http: httpx.AsyncClient, base: str, headers: dict[str, str], location: str) -> list[dict[str, Any]]:
    response = await http.get(f"{base}/conversations", params={"location": location, "view": "all"}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
