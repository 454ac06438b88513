"""Issue 21, item 11: an admin sets a hotel's names, sender and language from the console (the directory's
hotel, which every email to its guests follows); agents see no such entry."""

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


async def save(page: Page) -> None:
    await page.locator(".hotel-settings-form button[type=submit]").click()


async def test_an_admin_sets_a_hotels_sender_and_language(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    hotel, admin_email = f"settings-{suffix}", f"admin-{suffix}@browser.hotel"
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        await created(http, "/api/v1/locations", {"id": hotel, "name": f"Hôtel Réglages {suffix}"}, chain)
        admin = {"name": "Alice Admin", "email": admin_email, "role": "admin", "language": "fr", "password": PASSWORD}
        await created(http, "/api/v1/agents", admin, chain)

        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, admin_email)
        entry = page.locator("#hotel-settings")
        await expect(entry).to_have_text("Réglages des hôtels")
        await entry.click()
        form = page.locator(".hotel-settings-form")
        await expect(form.locator("h2")).to_have_text("Réglages de l’hôtel")
        await form.locator("select[name=hotel]").select_option(hotel)
        await expect(form.locator("input[name=name]")).to_have_value(f"Hôtel Réglages {suffix}")
        await expect(form.locator("input[name=sender_name]")).to_have_value("")

        # An address the browser takes but the API refuses: its problem shows, in the console's language.
        await form.locator("input[name=sender_name]").fill("Réception Réglages")
        await form.locator("input[name=sender_email]").fill("reception@reglages")
        await form.locator("select[name=language]").select_option("en")
        await save(page)
        await expect(page.locator("#hotel-settings-error")).to_contain_text("adresse e-mail valide")
        await expect(form.locator("input[name=sender_email]")).to_have_attribute("aria-invalid", "true")
        await expect(form.locator("[data-field=sender_email] small.error")).to_be_visible()
        await page.screenshot(path=str(screenshots / "hotel-settings.png"))
        assert (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json().get("sender_email") is None

        await form.locator("input[name=sender_email]").fill(f"reception@{suffix}.example.com")
        await save(page)
        await expect(page.locator("#modal")).not_to_be_visible()
        await expect(page.locator("#toast .toast.info")).to_contain_text("réglages enregistrés")
        saved = (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()
        assert (saved["sender_name"], saved["sender_email"], saved["language"]) == (
            "Réception Réglages",
            f"reception@{suffix}.example.com",
            "en",
        )

        # An emptied sender name is cleared: emails then go under the hotel's name.
        await entry.click()
        await form.locator("select[name=hotel]").select_option(hotel)
        await expect(form.locator("input[name=sender_email]")).to_have_value(f"reception@{suffix}.example.com")
        await expect(form.locator("select[name=language]")).to_have_value("en")
        await form.locator("input[name=sender_name]").fill("")
        await form.locator("input[name=short_name]").fill("Réglages")
        await save(page)
        await expect(page.locator("#modal")).not_to_be_visible()
        saved = (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()
        assert (saved.get("sender_name"), saved["short_name"], saved["sender_email"]) == (
            None,
            "Réglages",
            f"reception@{suffix}.example.com",
        )

    agent = (await new_page()).page
    await sign_in(agent, gateway, chain.claire)
    await expect(agent.locator("#hotel-settings")).to_be_hidden()


async def test_an_admin_gives_a_hotel_a_chatbot_and_removes_it(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    hotel, admin_email = f"bot-{suffix}", f"bot-admin-{suffix}@browser.hotel"
    bot_path = f"/api/v1/locations/{hotel}/bot"
    webhook = f"http://127.0.0.1:9/bots/{suffix}"
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        await created(http, "/api/v1/locations", {"id": hotel, "name": f"Hôtel Bot {suffix}"}, chain)
        admin = {"name": "Bea Admin", "email": admin_email, "role": "admin", "language": "fr", "password": PASSWORD}
        await created(http, "/api/v1/agents", admin, chain)

        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, admin_email)
        await page.locator("#hotel-settings").click()
        form = page.locator(".hotel-settings-form")
        await form.locator("select[name=hotel]").select_option(hotel)
        section = form.locator("fieldset.hotel-bot")
        await expect(section.locator("legend")).to_have_text("Chatbot")
        await expect(section).to_have_attribute("data-bot", "off")
        await expect(section.locator(".bot-status")).to_have_text(
            "Aucun chatbot : les chats de l’hôtel arrivent directement dans la boîte."
        )
        await expect(section.locator("button[name=remove_bot]")).to_be_hidden()

        # A secret too short for the API: its problem shows under the field, in French, and nothing is saved.
        await section.locator("input[name=bot_name]").fill("Concierge")
        await section.locator("input[name=webhook_url]").fill(webhook)
        await section.locator("input[name=secret]").fill("short")
        await section.locator("button[name=save_bot]").click()
        await expect(page.locator("#hotel-bot-error")).to_contain_text("secret")
        await expect(section.locator("input[name=secret]")).to_have_attribute("aria-invalid", "true")
        await expect(section.locator("[data-field=secret] small.error")).to_be_visible()
        assert (await http.get(bot_path, headers=chain.admin)).status_code == 404

        await section.locator("input[name=secret]").fill("s" * 40)
        await section.locator("button[name=save_bot]").click()
        await expect(page.locator("#toast .toast.info", has_text="Chatbot « Concierge » enregistré.")).to_be_visible()
        await expect(section).to_have_attribute("data-bot", "on")
        await expect(page.locator("#hotel-bot-error")).to_be_hidden()
        await expect(section.locator("input[name=secret]")).to_have_value("")  # never shown again
        assert (await http.get(bot_path, headers=chain.admin)).json() == {"name": "Concierge", "webhook_url": webhook}

        # Opened again, the dialog shows the hotel's bot; removing it leaves the hotel without one.
        await page.keyboard.press("Escape")
        await page.locator("#hotel-settings").click()
        await form.locator("select[name=hotel]").select_option(hotel)
        await expect(section.locator(".bot-status")).to_have_text(
            f"Chatbot « Concierge » : les nouveaux chats commencent avec lui ; il est appelé à {webhook}."
        )
        await expect(section.locator("input[name=webhook_url]")).to_have_value(webhook)
        await page.screenshot(path=str(screenshots / "hotel-bot.png"))
        await section.locator("button[name=remove_bot]").click()
        await expect(page.locator("#toast .toast.info", has_text="Chatbot retiré.")).to_be_visible()
        await expect(section).to_have_attribute("data-bot", "off")
        assert (await http.get(bot_path, headers=chain.admin)).status_code == 404
        # The hotel's own settings were left alone.
        assert (await http.get(f"/api/v1/locations/{hotel}", headers=chain.admin)).json()[
            "name"
        ] == f"Hôtel Bot {suffix}"
