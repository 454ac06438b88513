"""Issue 24: the console's reports page, in French and in English: a group's manager picks a period and
their group and reads a row per hotel (with its sparklines) and the total row."""

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, send_form, sign_in
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


async def created(http: httpx.AsyncClient, path: str, body: dict[str, Any], chain: Chain) -> Any:
    answer = await http.post(path, json=body, headers=chain.admin)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def open_reports(page: Page, group: str) -> Any:
    await page.locator("#reports").click()
    dialog = page.locator("section.reports")
    await dialog.locator("select[name=group_id]").select_option(group)
    await dialog.locator("select[name=period]").select_option("7")
    return dialog


async def test_a_managers_reports_in_french_and_in_english(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    first, second, group = f"scores-a-{suffix}", f"scores-b-{suffix}", f"scores-{suffix}"
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        await created(http, "/api/v1/locations", {"id": first, "name": f"Hôtel Étoile {suffix}"}, chain)
        await created(http, "/api/v1/locations", {"id": second, "name": f"Hôtel Gare {suffix}"}, chain)
        await created(
            http,
            "/api/v1/location-groups",
            {"id": group, "name": f"Scores {suffix}", "location_ids": [first, second]},
            chain,
        )
        emails = {language: f"manager-{language}-{suffix}@browser.hotel" for language in ("fr", "en")}
        for language, email in emails.items():
            body = {
                "name": f"Manager {language.upper()}",
                "email": email,
                "role": "manager",
                "group_ids": [group],
                "language": language,
                "password": PASSWORD,
            }
            await created(http, "/api/v1/agents", body, chain)
        await send_form(gateway, first, "Parking", "Is there a car park?")
        await send_form(gateway, first, "Late", "We arrive at midnight.")

        async def served() -> Any:
            answer = await http.get("/api/v1/reports/response-times", params={"group_id": group}, headers=chain.admin)
            return answer.json()

        await eventually(served, lambda report: report["total"]["requests"] == 2, timeout=30)

        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, emails["fr"])
        await expect(page.locator("#reports")).to_have_text("Rapports")
        dialog = await open_reports(page, group)
        await expect(dialog.locator("h2")).to_have_text("Délais de réponse et satisfaction")
        table = dialog.locator("#reports-table")
        await expect(table.locator("thead")).to_contain_text("Taux de réponse")
        hotel = table.locator(f"tr[data-hotel='{first}']")
        await expect(hotel).to_contain_text(f"Hôtel Étoile {suffix}")
        await expect(hotel.locator("[data-figure=requests]")).to_have_text("2")
        await expect(hotel.locator("[data-figure=response_rate]")).to_have_text("0 %")
        await expect(hotel.locator("svg.sparkline")).to_have_count(2)
        await expect(table.locator(f"tr[data-hotel='{second}'] [data-figure=response_rate]")).to_have_text("—")
        total = table.locator("tr[data-total]")
        await expect(total).to_contain_text("Total")
        await expect(total.locator("[data-figure=requests]")).to_have_text("2")
        await expect(table.locator("tbody tr")).to_have_count(2)
        await expect(dialog.locator(".reports-period")).to_contain_text("Du ")
        first_day = await dialog.locator(".reports-period").inner_text()
        await dialog.locator("select[name=period]").select_option("30")
        await expect(dialog.locator(".reports-period")).not_to_have_text(first_day)
        await expect(hotel.locator("svg.sparkline polyline")).to_have_count(2)
        await page.screenshot(path=str(screenshots / "reports-fr.png"))

        english = (await new_page(locale="en-GB")).page
        await sign_in(english, gateway, emails["en"])
        await expect(english.locator("#reports")).to_have_text("Reports")
        dialog = await open_reports(english, group)
        await expect(dialog.locator("h2")).to_have_text("Response times and satisfaction")
        table = dialog.locator("#reports-table")
        await expect(table.locator("thead")).to_contain_text("Response rate")
        await expect(table.locator(f"tr[data-hotel='{first}'] [data-figure=response_rate]")).to_have_text("0%")
        await expect(table.locator(f"tr[data-hotel='{second}']")).to_contain_text(f"Hôtel Gare {suffix}")
        await expect(dialog.locator(".reports-period")).to_contain_text("From ")
        await english.screenshot(path=str(screenshots / "reports-en.png"))
