"""Issue 24, the console's lists: each row says when its request is due ("due in 45 min", "dû dans 45 min"),
a met target shows nothing, the list sorts by what is due first and filters what is due soon; the open
request's header shows its targets."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, row, send_form, sign_in
from tests.integration.inbox_helpers import AgentApi

pytestmark = pytest.mark.browser


@dataclass
class Hotel:
    id: str
    agent: str  # the email of an agent of the hotel (English)
    subjects: list[str]  # oldest first: each due 45 minutes after it came; the last one answered


@pytest.fixture
async def hotel_with_policy(gateway: str, chain: Chain) -> AsyncIterator[Hotel]:
    """A hotel of this test's own whose group promises web forms an answer within 45 minutes, with three
    forms (the newest answered) and an agent."""
    suffix = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=15) as http:

        async def ok(method: str, path: str, body: object) -> dict[str, object]:
            answer = await http.request(method, f"{gateway}{path}", json=body, headers=chain.admin)
            assert answer.is_success, answer.text
            found: dict[str, object] = answer.json()
            return found

        hotel_id = f"due-{suffix}"
        group_id = f"due-grp-{suffix}"
        await ok("POST", "/api/v1/locations", {"id": hotel_id, "name": f"Hôtel Gare {suffix}"})
        await ok(
            "POST", "/api/v1/location-groups", {"id": group_id, "name": f"Due {suffix}", "location_ids": [hotel_id]}
        )
        policy = {"name": "Forms in 45 min", "group_id": group_id, "channels": ["form"], "first_response_minutes": 45}
        policy_id = (await ok("POST", "/api/v1/sla/policies", policy))["id"]
        agent = f"due-{suffix}@browser.hotel"
        body = {"name": "Dana Due", "email": agent, "location_ids": [hotel_id], "language": "en", "password": PASSWORD}
        await ok("POST", "/api/v1/agents", body)
        admin = AgentApi(http, gateway, chain.admin)
        subjects = [f"{word} {suffix}" for word in ("Parking", "Late arrival", "Invoice")]
        for count, subject in enumerate(subjects, start=1):  # one after the other: their due times follow
            await send_form(gateway, hotel_id, subject, "Could you help?")
            await admin.wait_for(hotel_id, count=count)
        [answered] = [i for i in await admin.conversations(location=hotel_id) if i["subject"] == subjects[-1]]
        await admin.ok("POST", answered["id"], "messages", {"text": "Here is your invoice."})
        yield Hotel(hotel_id, agent, subjects)
        await http.delete(f"{gateway}/api/v1/sla/policies/{policy_id}", headers=chain.admin)
        await http.delete(f"{gateway}/api/v1/location-groups/{group_id}", headers=chain.admin)


async def listed_subjects(page: Page) -> list[str]:
    subjects: list[str] = await page.locator("#list .item .subject").all_inner_texts()
    return [s.strip() for s in subjects]


class TestDueTimesInTheConsole:
    async def test_rows_say_when_each_request_is_due_and_the_list_sorts_by_it(
        self, gateway: str, hotel_with_policy: Hotel, new_page: NewPage, screenshots: Path
    ) -> None:
        parking, late, invoice = hotel_with_policy.subjects
        watched = await new_page()
        page = watched.page
        await sign_in(page, gateway, hotel_with_policy.agent)
        await expect(row(page, parking)).to_be_visible()
        # Most recent first: the answered request (met: nothing shown), then the two waiting ones.
        assert await listed_subjects(page) == [invoice, late, parking]
        await expect(row(page, parking).locator(".due")).to_have_text(re.compile(r"^due in 4\d min$"))
        await expect(row(page, late).locator(".due")).to_have_text(re.compile(r"^due in 4\d min$"))
        await expect(row(page, invoice).locator(".due")).to_have_count(0)

        # What is due first: the oldest waiting request, the answered one last.
        await page.select_option("#filter-sort", "due")
        await expect(page.locator("#list .item").first).to_contain_text(parking)
        assert await listed_subjects(page) == [parking, late, invoice]
        await page.select_option("#filter-due", "soon")
        await expect(row(page, invoice)).to_have_count(0)
        assert await listed_subjects(page) == [parking, late]

        # In French.
        await page.select_option("#lang-select", "fr")
        await expect(row(page, parking).locator(".due")).to_have_text(re.compile(r"^dû dans 4\d min$"))
        await expect(page.locator("#filter-sort option:checked")).to_have_text("À traiter d’abord")
        await expect(page.locator("#filter-due option:checked")).to_have_text("Bientôt dus")
        await row(page, parking).click()
        await expect(page.locator("#sla .target[data-target=first_response]")).to_have_text(
            re.compile(r"^Première réponse : due le .+")
        )
        await page.screenshot(path=screenshots / "due-list-fr.png")
        await page.select_option("#lang-select", "en")
        await expect(page.locator("#sla .target[data-target=first_response]")).to_have_text(
            re.compile(r"^First response: due .+")
        )
        await expect(row(page, parking).locator(".due")).to_have_text(re.compile(r"^due in 4\d min$"))
