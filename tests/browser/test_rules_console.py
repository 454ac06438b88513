"""Issue 25, the console's rules page: a group's manager builds a rule from choices (a trigger, a condition
on the subject's words, two actions), sees it listed under their group, and dry-runs it on a request (its
planned changes shown, nothing changed), in French; an English manager dry-runs it on a sample request and
switches it off; a rule that would set itself off again shows the loop guard's count."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, send_form, sign_in
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


@dataclass
class Group:
    suffix: str
    hotel: str
    group: str
    managers: dict[str, str]  # language -> email
    request: str  # a web form's request in the hotel: "Parking …"


@pytest.fixture
async def group(gateway: str, chain: Chain) -> AsyncIterator[Group]:
    """A group of this test's own (one hotel, a French and an English manager, a request); its rules are
    deleted afterwards."""
    suffix = uuid.uuid4().hex[:6]
    hotel, group_id = f"rules-{suffix}", f"rules-grp-{suffix}"
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:

        async def created(path: str, body: dict[str, Any]) -> Any:
            answer = await http.post(path, json=body, headers=chain.admin)
            assert answer.status_code == 201, answer.text
            return answer.json()

        await created("/api/v1/locations", {"id": hotel, "name": f"Hôtel Règles {suffix}"})
        await created("/api/v1/location-groups", {"id": group_id, "name": f"Rules {suffix}", "location_ids": [hotel]})
        managers = {language: f"rules-{language}-{suffix}@browser.hotel" for language in ("fr", "en")}
        for language, email in managers.items():
            body = {
                "name": f"Manager {language.upper()}",
                "email": email,
                "role": "manager",
                "group_ids": [group_id],
                "language": language,
                "password": PASSWORD,
            }
            await created("/api/v1/agents", body)
        await send_form(gateway, hotel, f"Parking {suffix}", "Is there a parking near the hotel?")
        [request] = await AgentApi(http, gateway, chain.admin).wait_for(hotel)
        yield Group(suffix, hotel, group_id, managers, request["id"])
        listed = await http.get("/api/v1/rules", params={"group_id": group_id}, headers=chain.admin)
        for rule in listed.json().get("items", []) if listed.status_code == 200 else []:
            await http.delete(f"/api/v1/rules/{rule['id']}", headers=chain.admin)
        await http.delete(f"/api/v1/location-groups/{group_id}", headers=chain.admin)


async def group_rules(http: httpx.AsyncClient, chain: Chain, group: Group) -> list[dict[str, Any]]:
    answer = await http.get("/api/v1/rules", params={"group_id": group.group}, headers=chain.admin)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def dry_run(http: httpx.AsyncClient, chain: Chain, body: dict[str, Any]) -> dict[str, Any]:
    answer = await http.post("/api/v1/rules/dry-run", json=body, headers=chain.admin)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def open_rules(page: Page) -> Locator:
    await page.locator("#rules").click()
    dialog = page.locator("section.rules")
    await expect(dialog).to_be_visible()
    return dialog


class TestTheRulesPage:
    async def test_a_group_rule_built_and_dry_run_in_french_then_in_english(
        self, gateway: str, chain: Chain, group: Group, new_page: NewPage, screenshots: Path
    ) -> None:
        name, label = f"Parking {group.suffix}", f"parking-{group.suffix}"
        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, group.managers["fr"])
        await expect(page.locator("#rules")).to_have_text("Règles")
        dialog = await open_rules(page)
        await expect(dialog.locator("h2")).to_have_text("Règles d’automatisation")
        form = dialog.locator("#rule-form")
        await form.locator("input[name=name]").fill(name)
        await form.locator("select[name=group_id]").select_option(group.group)
        await expect(form.get_by_label("Une demande est créée")).to_be_checked()
        await form.get_by_role("button", name="Ajouter une condition").click()
        condition = form.locator("li.rule-condition").last
        await condition.get_by_label("Condition").select_option("subject")
        await expect(condition.get_by_label("Comparaison")).to_have_value("contains_any")
        await condition.get_by_label("Valeur").fill("garage, parking")
        await form.locator("li.rule-action").first.get_by_label("Étiquettes, séparées par des virgules").fill(label)
        await form.get_by_role("button", name="Ajouter une action").click()
        priority = form.locator("li.rule-action").last
        await priority.get_by_label("Action").select_option("set_priority")
        await priority.get_by_label("Priorité").select_option("high")
        await form.get_by_role("button", name="Créer la règle").click()
        listed = dialog.locator(f"section.rule-scope[data-scope='{group.group}'] li.rule")
        await expect(listed).to_contain_text(name)
        await expect(dialog.locator(f"section.rule-scope[data-scope='{group.group}'] h4")).to_contain_text("Groupe : ")

        async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
            [rule] = await group_rules(http, chain, group)
            assert (rule["name"], rule["enabled"], rule["on"]) == (name, True, ["created"])
            assert [(c["field"], c["op"], c["value"]) for c in rule["conditions"]] == [
                ("subject", "contains_any", ["garage", "parking"])
            ]
            assert rule["actions"] == [
                {"type": "add_labels", "labels": [label]},
                {"type": "set_priority", "priority": "high"},
            ]

            # The dry run on the request: the rule would fire with its two changes, and nothing changes.
            await dialog.locator("select[name=dry_source]").select_option("conversation")
            await dialog.get_by_label("Identifiant de la demande").fill(group.request)
            await dialog.locator("select[name=event]").select_option("created")
            await dialog.get_by_role("button", name="Essayer", exact=True).click()
            result = dialog.locator("#dry-run-result")
            planned = await dry_run(http, chain, {"conversation_id": group.request, "event": "created"})
            assert [fired["rule_id"] for fired in planned["fired"]] == [rule["id"]]
            await expect(result.locator(f"li[data-rule='{rule['id']}'] > strong")).to_have_text(name)
            for action in planned["fired"][0]["actions"]:
                await expect(result.locator(f"li[data-action='{action['type']}']")).to_have_text(action["summary_fr"])
            await expect(result.locator(".dry-changes dd[data-field=labels]")).to_have_text(label)
            priority_after = result.locator(".dry-changes dd[data-field=priority]")
            await expect(priority_after).to_have_text("Haute")
            await expect(priority_after).to_have_attribute("data-changed", "true")
            await page.screenshot(path=str(screenshots / "rules-fr.png"))
            detail = (await http.get(f"/api/v1/conversations/{group.request}", headers=chain.admin)).json()
            assert label not in detail["conversation"].get("labels", [])
            assert detail["conversation"].get("priority") != "high"
            assert not [entry for entry in detail["timeline"] if entry["kind"] == "rule"]

            # In English, on a sample request; then switched off, the rule no longer fires.
            english = (await new_page(locale="en-GB")).page
            await sign_in(english, gateway, group.managers["en"])
            await expect(english.locator("#rules")).to_have_text("Rules")
            dialog = await open_rules(english)
            await expect(dialog.locator("h2")).to_have_text("Automation rules")
            await expect(dialog.locator(f"li.rule[data-rule='{rule['id']}']")).to_contain_text("A request is created")
            await dialog.locator("select[name=dry_source]").select_option("request")
            await dialog.locator(".dry-sample select[name=location_id]").select_option(group.hotel)
            await dialog.locator(".dry-sample select[name=channel]").select_option("email")
            await dialog.locator(".dry-sample input[name=subject]").fill("Garage for two cars?")
            await dialog.get_by_role("button", name="Try", exact=True).click()
            sample = {"location_id": group.hotel, "channel": "email", "subject": "Garage for two cars?", "alert": False}
            planned = await dry_run(http, chain, {"request": sample, "event": "created"})
            result = dialog.locator("#dry-run-result")
            for action in planned["fired"][0]["actions"]:
                await expect(result.locator(f"li[data-action='{action['type']}']")).to_have_text(action["summary_en"])
            await english.screenshot(path=str(screenshots / "rules-en.png"))
            await dialog.get_by_role("switch", name=f"Enabled: {name}").uncheck()
            await eventually(lambda: group_rules(http, chain, group), lambda rules: rules[0]["enabled"] is False)
            await expect(dialog.locator(f"li.rule[data-rule='{rule['id']}']")).to_have_attribute(
                "data-enabled", "false"
            )
            await dialog.get_by_role("button", name="Try", exact=True).click()
            await expect(result.locator(".dry-none")).to_have_text("No rule would fire.")

    async def test_a_rule_stopped_by_the_loop_guard_says_so(
        self, gateway: str, chain: Chain, group: Group, new_page: NewPage
    ) -> None:
        """A rule that adds a label when a label is added would set itself off again: the engine stops it
        after its pass, and the rules page shows how many times."""
        name = f"Loop {group.suffix}"
        body = {
            "name": name,
            "group_id": group.group,
            "on": ["created", "label_added"],
            "conditions": [{"field": "subject", "op": "contains_any", "value": [f"loop{group.suffix}"]}],
            "actions": [{"type": "add_labels", "labels": [f"looped-{group.suffix}"]}],
        }
        async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
            answer = await http.post("/api/v1/rules", json=body, headers=chain.admin)
            assert answer.status_code == 201, answer.text
            rule = answer.json()
            await send_form(gateway, group.hotel, f"Help loop{group.suffix}", "A question.")

            async def stored() -> dict[str, Any]:
                [found] = [r for r in await group_rules(http, chain, group) if r["id"] == rule["id"]]
                return found

            await eventually(stored, lambda found: found["loop_guard"]["stopped"] >= 1, timeout=30)
        page = (await new_page(locale="en-GB")).page
        await sign_in(page, gateway, group.managers["en"])
        dialog = await open_rules(page)
        badge = dialog.locator(f"li.rule[data-rule='{rule['id']}'] .loop-badge")
        await expect(badge).to_have_text("⟲ Stopped 1 time (loop)")
        # The action it took, named on the request's timeline.
        await dialog.get_by_role("button", name="Close", exact=True).click()
        await page.locator("#list .item", has_text=f"Help loop{group.suffix}").click()
        entry = page.locator(f".timeline li.entry.rule[data-rule='{rule['id']}']")
        await expect(entry).to_contain_text(f"⚙ Rule “{name}”: Add labels: looped-{group.suffix}")
