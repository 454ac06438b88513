"""Issue 24: a manager sets their hotel's business hours (an overnight range, a closure) and survey channels in
the hotel settings dialog, in French, and finds them after a reload; the section reads in English too. And a
manager writes a response-time policy with an escalation step on the "Response times" page."""

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, sign_in

pytestmark = pytest.mark.browser


async def created(http: httpx.AsyncClient, path: str, body: dict[str, Any], chain: Chain) -> Any:
    answer = await http.post(path, json=body, headers=chain.admin)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def a_manager_of_a_new_hotel(http: httpx.AsyncClient, chain: Chain, tag: str) -> tuple[str, str, str]:
    """A hotel of its own, a group holding it, and the group's manager (French): (hotel, group, email)."""
    hotel, group, email = f"hours-{tag}", f"hours-group-{tag}", f"hours-boss-{tag}@browser.hotel"
    await created(http, "/api/v1/locations", {"id": hotel, "name": f"Hôtel Horaires {tag}"}, chain)
    await created(http, "/api/v1/location-groups", {"id": group, "name": f"Nord {tag}", "location_ids": [hotel]}, chain)
    manager = {"name": "Maud Nord", "email": email, "role": "manager", "group_ids": [group], "language": "fr"}
    await created(http, "/api/v1/agents", {**manager, "password": PASSWORD}, chain)
    return hotel, group, email


async def open_settings(page: Page, hotel: str) -> Any:
    # The hotels come with the directory, after the list: the dialog lists them once it is there.
    await expect(page.locator(f"#filter-location option[value='{hotel}']")).to_have_count(1)
    await page.locator("#hotel-settings").click()
    form = page.locator(".hotel-settings-form")
    await form.locator("select[name=hotel]").select_option(hotel)
    return form


def day(form: Any, name: str) -> Any:
    return form.locator(f".hours-day[data-day={name}]")


async def test_a_manager_edits_business_hours_in_french_and_reads_them_after_a_reload(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        hotel, _, email = await a_manager_of_a_new_hotel(http, chain, tag)
        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, email)
        await expect(page.locator("#hotel-settings")).to_have_text("Réglages des hôtels")
        form = await open_settings(page, hotel)
        # A manager sees the hours and the survey, not the hotel's names, senders or chatbot (the admins').
        await expect(form.locator("input[name=name]")).to_have_count(0)
        await expect(form.locator("fieldset.hotel-bot")).to_have_count(0)
        hours = form.locator("fieldset.hotel-hours")
        await expect(hours.locator("legend")).to_have_text("Horaires d’ouverture")
        always = hours.locator("input[name=always_open]")
        await expect(always).to_be_checked()  # no hours yet: around the clock
        await expect(hours.locator(".hours-week")).to_be_hidden()

        await always.uncheck()
        await day(form, "mon").locator("button[name=add_range]").click()  # 09:00-18:00 to begin with
        friday = day(form, "fri")
        await friday.locator("button[name=add_range]").click()
        night = friday.locator("li.hours-range").last
        await night.locator("input[name=start]").fill("22:00")
        await night.locator("input[name=end]").fill("06:00")
        await expect(night.locator(".overnight")).to_have_text("jusqu’au lendemain")
        await hours.locator("button[name=add_closure]").click()
        closure = hours.locator("li.hours-closure")
        await closure.locator("input[name=closure_start]").fill("2026-12-26")
        await closure.locator("input[name=closure_end]").fill("2026-12-24")
        await closure.locator("input[name=closure_label]").fill("Noël")
        await form.locator("input[name=survey_email]").check()
        await form.locator("input[name=survey_chat]").check()

        # A closure ending before it starts: the API's problem, in French, under the section; nothing saved.
        await form.locator("button[type=submit]").click()
        problem = hours.locator(":scope > small.error")
        await expect(problem).to_contain_text("une fermeture finit le jour où elle commence ou après")
        await expect(closure.locator("input[name=closure_start]")).to_have_attribute("aria-invalid", "true")
        assert (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()["business_hours"] is None

        await closure.locator("input[name=closure_start]").fill("2026-12-24")
        await closure.locator("input[name=closure_end]").fill("2026-12-26")
        await page.screenshot(path=str(screenshots / "hotel-business-hours.png"))
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#modal")).not_to_be_visible()
        await expect(page.locator("#toast .toast.info")).to_contain_text("réglages enregistrés")
        saved = (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()
        assert saved["business_hours"] == {
            "weekly": {"mon": [{"start": "09:00", "end": "18:00"}], "fri": [{"start": "22:00", "end": "06:00"}]},
            "closures": [{"start": "2026-12-24", "end": "2026-12-26", "label": "Noël"}],
        }
        assert saved["survey_channels"] == ["email", "chat"]

        await page.reload()
        await page.wait_for_selector("body[data-ready=true]")
        form = await open_settings(page, hotel)
        hours = form.locator("fieldset.hotel-hours")
        await expect(hours.locator("input[name=always_open]")).not_to_be_checked()
        await expect(day(form, "mon").locator("input[name=start]")).to_have_value("09:00")
        await expect(day(form, "mon").locator("input[name=end]")).to_have_value("18:00")
        await expect(day(form, "tue").locator("li.hours-range")).to_have_count(0)  # closed on Tuesdays
        night = day(form, "fri").locator("li.hours-range")
        await expect(night.locator("input[name=start]")).to_have_value("22:00")
        await expect(night.locator("input[name=end]")).to_have_value("06:00")
        await expect(night.locator(".overnight")).to_be_visible()
        closure = hours.locator("li.hours-closure")
        await expect(closure.locator("input[name=closure_start]")).to_have_value("2026-12-24")
        await expect(closure.locator("input[name=closure_end]")).to_have_value("2026-12-26")
        await expect(closure.locator("input[name=closure_label]")).to_have_value("Noël")
        await expect(form.locator("input[name=survey_email]")).to_be_checked()
        await expect(form.locator("input[name=survey_form]")).not_to_be_checked()
        await expect(form.locator("input[name=survey_chat]")).to_be_checked()

        # Saved unchanged, nothing is sent; in English, the same section in English words.
        await page.keyboard.press("Escape")
        await page.locator("#lang-select").select_option("en")
        await expect(page.locator("#hotel-settings")).to_have_text("Hotel settings")
        form = await open_settings(page, hotel)
        hours = form.locator("fieldset.hotel-hours")
        await expect(hours.locator("legend")).to_have_text("Business hours")
        await expect(hours.locator("label.check")).to_have_text("Open 24/7")
        await expect(day(form, "fri").locator(".day-name")).to_have_text("Friday")
        await expect(day(form, "fri").locator(".overnight")).to_have_text("until the next day")
        await expect(hours.locator(".hours-closures-block .subtitle")).to_have_text("Closures")
        await expect(form.locator("fieldset.hotel-survey legend")).to_have_text("Satisfaction survey")
        await expect(form.locator("fieldset.hotel-survey label.check")).to_have_text(["Email", "Web form", "Chat"])

        # Open 24/7 again: no weekly ranges, the closure kept.
        await hours.locator("input[name=always_open]").check()
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#modal")).not_to_be_visible()
        saved = (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()
        assert saved["business_hours"]["weekly"] == {}
        assert saved["business_hours"]["closures"] == [{"start": "2026-12-24", "end": "2026-12-26", "label": "Noël"}]


async def test_a_manager_writes_a_response_time_policy_with_an_escalation_step(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        _, group, email = await a_manager_of_a_new_hotel(http, chain, tag)
        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, email)
        entry = page.locator("#sla-policies")
        await expect(entry).to_have_text("Délais de réponse")
        await expect(page.locator(f"#filter-location option[value='hours-{tag}']")).to_have_count(1)
        await entry.click()
        form = page.locator(".policy-form")
        await expect(form.locator("h2")).to_have_text("Politiques de délais de réponse")
        mine_shown = form.locator("#policy-list li", has_text=f"Avis mal notés {tag}")
        await expect(mine_shown).to_have_count(0)
        await expect(form.locator("select[name=group_id] option")).to_have_count(
            1
        )  # their group; chain-wide is the admins'

        await form.locator("input[name=name]").fill(f"Avis mal notés {tag}")
        await form.locator("input[name=channel_review]").check()
        await form.locator("input[name=alerts_only]").check()
        await form.locator("input[name=first_response_minutes]").fill("240")
        await form.locator("button[name=add_step]").click()
        step = form.locator("li.policy-step")
        await step.locator("select[name=step_target]").select_option("first_response")
        await step.locator("input[name=step_at_minutes]").fill("-30")
        await step.locator("select[name=step_action]").select_option("notify_managers")
        await expect(step.locator("select[name=step_group]")).to_be_hidden()
        await form.locator("button[type=submit]").click()

        policy = form.locator("#policy-list li", has_text=f"Avis mal notés {tag}")
        await expect(policy).to_contain_text("première réponse sous 4 h")
        await expect(policy).to_contain_text("1 étape d’escalade")
        await page.screenshot(path=str(screenshots / "sla-policies.png"))
        mine = [
            p for p in (await http.get("/api/v1/sla/policies", headers=chain.admin)).json() if p["group_id"] == group
        ]
        assert [(p["channels"], p["alerts_only"], p["first_response_minutes"]) for p in mine] == [
            (["review"], True, 240)
        ]
        assert mine[0]["escalation"] == [
            {"target": "first_response", "at_minutes": -30, "action": "notify_managers", "group_id": None}
        ]

        # Edited: the step's time changes; then deleted, and the list is empty again.
        await policy.locator("button[name=edit_policy]").click()
        await expect(form.locator("input[name=name]")).to_have_value(f"Avis mal notés {tag}")
        await form.locator("li.policy-step input[name=step_at_minutes]").fill("0")
        await expect(form.locator("button[type=submit]")).to_have_text("Enregistrer la politique")
        await form.locator("button[type=submit]").click()
        await expect(form.locator("button[type=submit]")).to_have_text("Créer la politique")  # saved: a new one next
        edited = (await http.get(f"/api/v1/sla/policies/{mine[0]['id']}", headers=chain.admin)).json()
        assert edited["escalation"][0]["at_minutes"] == 0
        await policy.locator("button[name=delete_policy]").click()
        await expect(mine_shown).to_have_count(0)
        assert (await http.get(f"/api/v1/sla/policies/{mine[0]['id']}", headers=chain.admin)).status_code == 404
