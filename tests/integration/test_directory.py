"""Sign-in, hotels, groups, agents, templates and settings through the inbox's API."""

from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from scripts.demo_chain import PASSWORD, load_chain
from shared.auth import verify_token
from tests.integration.conftest import BOOTSTRAP_PASSWORD, TEST_SECRET, Stack, agent_headers
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


async def sign_in(http: httpx.AsyncClient, base: str, email: str, password: str) -> dict[str, Any]:
    response = await http.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def post(http: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str], status: int = 201) -> Any:
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


class TestSignIn:
    async def test_the_bootstrap_admin_signs_in_and_never_sees_a_hash(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        signed_in = await sign_in(http, stack.url("inbox"), "Admin@Test.Hotel", BOOTSTRAP_PASSWORD)
        assert signed_in["agent"]["role"] == "admin"
        assert signed_in["agent"]["email"] == "admin@test.hotel", "emails are matched without case"
        me = await http.get(f"{stack.url('inbox')}/api/v1/agents/me", headers=admin)
        assert me.status_code == 200
        assert "password_hash" not in me.json()
        assert "password" not in me.json()

    async def test_wrong_password_and_unknown_email_get_the_same_answer(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1/auth/login"
        wrong = await http.post(base, json={"email": "admin@test.hotel", "password": "nope-nope-nope"})
        unknown = await http.post(base, json={"email": "ghost@test.hotel", "password": "nope-nope-nope"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["detail"] == unknown.json()["detail"]

    async def test_no_token_or_a_forged_one_is_401(self, stack: Stack, http: httpx.AsyncClient) -> None:
        base = f"{stack.url('inbox')}/api/v1/locations"
        assert (await http.get(base)).status_code == 401
        assert (await http.get(base, headers={"Authorization": "Bearer abc.def"})).status_code == 401


class TestHotelsGroupsAgents:
    async def test_admin_builds_a_chain_and_an_agent_sees_only_their_hotels(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        location = new_hotel  # this test creates its hotel through the API
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

        signed_in = await sign_in(http, stack.url("inbox"), email, "a-long-password")
        token = verify_token(signed_in["token"], TEST_SECRET)
        assert token.location_ids == sorted([location, grouped]), "the token carries the group's hotels"
        assert token.group_ids == [f"grp-{location}"]
        headers = {"Authorization": f"Bearer {signed_in['token']}"}
        me = (await http.get(f"{base}/agents/me", headers=headers)).json()
        assert me["visible_location_ids"] == sorted([location, grouped]), "groups expand to their hotels"
        seen = {loc["id"]: loc for loc in (await http.get(f"{base}/locations", headers=headers)).json()}
        assert set(seen) == {location, grouped}
        assert seen[grouped]["group_ids"] == [f"grp-{location}"]
        assert (await http.get(f"{base}/locations/{other}", headers=headers)).status_code == 404
        assert (await http.get(f"{base}/locations/{grouped}", headers=headers)).status_code == 200
        assert (await http.get(f"{base}/location-groups/grp-{location}", headers=headers)).status_code == 200
        forbidden = await http.post(f"{base}/locations", json={"id": "x-new", "name": "x"}, headers=headers)
        assert forbidden.status_code == 403

        await publish_inbound(nc, grouped, text="via the group")
        conversations = await eventually(lambda: _list(http, base, headers, grouped), lambda items: len(items) == 1)
        assert conversations[0]["snippet"] == "via the group"

    async def test_unknown_ids_are_404_and_a_null_in_a_patch_changes_nothing(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        location = new_hotel  # this test creates its hotel through the API
        base = f"{stack.url('inbox')}/api/v1"
        for path in ("locations", "location-groups", "agents", "templates"):
            assert (await http.get(f"{base}/{path}/nothing-here", headers=admin)).status_code == 404, path
        assert (
            await http.patch(f"{base}/locations/nothing-here", json={"name": "x"}, headers=admin)
        ).status_code == 404

        await post(http, f"{base}/locations", {"id": location, "name": "Hotel"}, admin)
        await post(
            http, f"{base}/location-groups", {"id": f"grp-{location}", "name": "G", "location_ids": [location]}, admin
        )
        email = f"null.{location}@test.hotel"
        agent = await post(
            http,
            f"{base}/agents",
            {"name": "Null Test", "email": email, "group_ids": [f"grp-{location}"], "password": "a-long-password"},
            admin,
        )
        for path, body in [
            (f"agents/{agent['id']}", {"password": None, "role": None, "location_ids": None}),
            (f"location-groups/grp-{location}", {"location_ids": None}),
            (f"locations/{location}", {"name": None, "timezone": None}),
        ]:
            response = await http.patch(f"{base}/{path}", json=body, headers=admin)
            assert response.status_code == 200, (path, response.text)
        token = verify_token((await sign_in(http, stack.url("inbox"), email, "a-long-password"))["token"], TEST_SECRET)
        assert (token.role, token.location_ids) == ("agent", [location])
        hotel = (await http.get(f"{base}/locations/{location}", headers=admin)).json()
        assert (hotel["name"], hotel["timezone"]) == ("Hotel", "Europe/Paris")

    async def test_a_null_clears_a_hotels_short_name_and_sender(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        base = f"{stack.url('inbox')}/api/v1/locations"
        sender = {"short_name": "Opéra", "sender_name": "Réception", "sender_email": "desk@opera.example.com"}
        await post(http, base, {"id": new_hotel, "name": "Hôtel Grand Opéra", "language": "en", **sender}, admin)
        cleared = {"short_name": None, "sender_name": None, "sender_email": None, "language": None}
        response = await http.patch(f"{base}/{new_hotel}", json=cleared, headers=admin)
        assert response.status_code == 200, response.text
        hotel = response.json()
        assert (hotel["short_name"], hotel.get("sender_name"), hotel.get("sender_email")) == ("Grand Opéra", None, None)
        assert hotel["language"] == "en", "a null leaves a field that always has a value as it is"

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
        assert response.json()["errors"][0]["field"] == "timezone"


class TestTemplatesAndSettings:
    async def test_template_crud_and_render_for_a_conversation(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        location = new_hotel  # this test creates its hotel through the API
        base = f"{stack.url('inbox')}/api/v1"
        await post(http, f"{base}/locations", {"id": location, "name": "Hôtel Opéra"}, admin)
        template = await post(
            http,
            f"{base}/templates",
            {
                "name": "Welcome",
                "language": "fr",
                "body": "Bonjour {guest_first_name}, merci. L'équipe de {hotel_name}, {agent_name}",
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
        # A French template elides "de" before the hotel's name (issue 21).
        assert rendered["body"] == "Bonjour Anna, merci. L'équipe d'Hôtel Opéra, Administrator"
        patched = await http.patch(f"{base}/templates/{template['id']}", json={"name": "Bienvenue"}, headers=admin)
        assert patched.json()["name"] == "Bienvenue"
        assert (await http.delete(f"{base}/templates/{template['id']}", headers=admin)).status_code == 204
        assert (await http.get(f"{base}/templates/{template['id']}", headers=admin)).status_code == 404

    async def test_templates_of_another_hotel_are_404_and_agents_do_not_edit_them(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        location = new_hotel  # this test creates its hotel through the API
        base = f"{stack.url('inbox')}/api/v1"
        other = f"{location}-b"
        for hotel in (location, other):
            await post(http, f"{base}/locations", {"id": hotel, "name": f"Hotel {hotel}"}, admin)
        theirs = await post(http, f"{base}/templates", {"name": "B only", "body": "x", "location_ids": [other]}, admin)
        everyone = await post(http, f"{base}/templates", {"name": "All hotels", "body": "{guest_name}"}, admin)
        email = f"tpl.{location}@test.hotel"
        await post(
            http,
            f"{base}/agents",
            {"name": "Tom Petit", "email": email, "location_ids": [location], "password": "a-long-password"},
            admin,
        )
        agent = await login(http, stack.url("inbox"), email, "a-long-password")
        assert (await http.get(f"{base}/templates/{theirs['id']}", headers=agent)).status_code == 404
        assert (await http.get(f"{base}/templates/{everyone['id']}", headers=agent)).status_code == 200
        listed = {t["id"] for t in (await http.get(f"{base}/templates", headers=agent)).json()}
        assert everyone["id"] in listed
        assert theirs["id"] not in listed
        edit = await http.patch(f"{base}/templates/{everyone['id']}", json={"name": "mine"}, headers=agent)
        assert edit.status_code == 403
        hidden = await http.delete(f"{base}/templates/{theirs['id']}", headers=agent)
        assert hidden.status_code == 404, "a template outside the agent's hotels is not even acknowledged"

    async def test_a_manager_cannot_retarget_templates_outside_his_hotels(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], location: str
    ) -> None:
        """Issue 18, finding 4: naming his own hotel in `location_ids` must not open a chain-wide or a
        shared template to a manager (that would take it away from the other hotels)."""
        base = f"{stack.url('inbox')}/api/v1"
        other = f"{location}-b"
        chain_wide = await post(http, f"{base}/templates", {"name": "Chain", "body": "x"}, admin)
        shared = await post(
            http, f"{base}/templates", {"name": "Both", "body": "x", "location_ids": [location, other]}, admin
        )
        own = await post(http, f"{base}/templates", {"name": "Mine", "body": "x", "location_ids": [location]}, admin)
        manager = agent_headers([location], role="manager", agent_id=f"mgr-{location}")
        for template in (chain_wide, shared):
            url = f"{base}/templates/{template['id']}"
            assert (await http.patch(url, json={"body": "y"}, headers=manager)).status_code == 403
            retarget = await http.patch(url, json={"body": "y", "location_ids": [location]}, headers=manager)
            assert retarget.status_code == 403, retarget.text
            assert (await http.delete(url, headers=manager)).status_code == 403
            unchanged = (await http.get(url, headers=admin)).json()
            assert unchanged["body"] == "x"
            assert unchanged["location_ids"] == template["location_ids"]
        own_url = f"{base}/templates/{own['id']}"
        widened = await http.patch(own_url, json={"location_ids": [location, other]}, headers=manager)
        assert widened.status_code == 403, "nor may he give his template to another hotel"
        made_chain_wide = await http.patch(own_url, json={"location_ids": []}, headers=manager)
        assert made_chain_wide.status_code == 403
        assert (
            await http.post(f"{base}/templates", json={"name": "C", "body": "x"}, headers=manager)
        ).status_code == 403
        assert (await http.patch(own_url, json={"body": "y"}, headers=manager)).status_code == 200
        assert (await http.delete(own_url, headers=manager)).status_code == 204
        admin_edit = await http.patch(f"{base}/templates/{chain_wide['id']}", json={"body": "z"}, headers=admin)
        assert admin_edit.status_code == 200

    async def test_settings_round_trip_and_only_admins_change_them(
        self, stack: Stack, http: httpx.AsyncClient, admin: dict[str, str], new_hotel: str
    ) -> None:
        location = new_hotel  # this test creates its hotel through the API
        base = f"{stack.url('inbox')}/api/v1/settings"
        body = {
            "contact_reasons": [{"id": "billing", "label_fr": "Facturation", "label_en": "Billing"}],
            "customer_service_email": "care@chain.example",
            "alert_rule": {"max_rating": 2, "text_threshold": 0.6},
        }
        response = await http.put(base, json=body, headers=admin)
        assert response.status_code == 200, response.text
        assert (await http.get(base, headers=admin)).json() == body
        bad = await http.put(base, json={**body, "alert_rule": {"max_rating": 9}}, headers=admin)
        assert bad.status_code == 422
        assert "max_rating" in bad.json()["detail"]

        api = f"{stack.url('inbox')}/api/v1"
        await post(http, f"{api}/locations", {"id": location, "name": "Hotel"}, admin)
        for role in ("agent", "manager"):
            email = f"{role}.settings.{location}@test.hotel"
            await post(
                http,
                f"{api}/agents",
                {
                    "name": f"{role} x",
                    "email": email,
                    "role": role,
                    "location_ids": [location],
                    "password": "0123456789",
                },
                admin,
            )
            headers = await login(http, stack.url("inbox"), email, "0123456789")
            assert (await http.get(base, headers=headers)).json() == body, "every agent reads the settings"
            # The chain's settings reach every hotel: a regional manager must not change other regions'.
            assert (await http.put(base, json=body, headers=headers)).status_code == 403, role


async def _list(http: httpx.AsyncClient, base: str, headers: dict[str, str], location: str) -> list[dict[str, Any]]:
    response = await http.get(f"{base}/conversations", params={"location": location, "view": "all"}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestDemoChain:
    def test_loading_twice_changes_nothing_the_second_time(self, stack: Stack, admin: dict[str, str]) -> None:
        with httpx.Client(base_url=stack.url("inbox"), timeout=10) as client:
            first = load_chain(client, admin)
            assert sum(first.values()) == 12, first  # 4 hotels, 2 groups, 3 agents, 2 templates, settings
            second = load_chain(client, admin)
            assert second == {"unchanged": 12}
            marc = client.post("/api/v1/auth/login", json={"email": "marc@demo.hotel", "password": PASSWORD})
            assert marc.status_code == 200, marc.text
            assert verify_token(marc.json()["token"], TEST_SECRET).location_ids == [
                "cannes-croisette",
                "nice-promenade",
            ]
