"""Issue 25, merge and split in the console: an agent merges a guest's second request into the first from
the request's view (the same guest's request offered first), the merged-away request's address then shows
the survivor; a French colleague splits a message out into a new request. The timelines are checked
through the API: every entry in exactly one request, in time order."""

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, row, send_form, sign_in
from tests.integration.inbox_helpers import AgentApi

pytestmark = pytest.mark.browser


def ids(timeline: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in timeline]


async def timeline(http: httpx.AsyncClient, chain: Chain, conversation_id: str) -> list[dict[str, Any]]:
    answer = await http.get(
        f"/api/v1/conversations/{conversation_id}", params={"timeline_limit": 200}, headers=chain.admin
    )
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["timeline"]
    return entries


async def test_merge_two_requests_of_one_guest_then_split_a_message_out(
    gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    hotel = f"merge-{suffix}"
    guest = f"anna-{suffix}@example.com"
    parking, late, spa = f"Parking {suffix}", f"Late arrival {suffix}", f"Spa {suffix}"
    agents = {"en": f"merge-en-{suffix}@browser.hotel", "fr": f"merge-fr-{suffix}@browser.hotel"}
    agent_ids: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        answer = await http.post(
            "/api/v1/locations", json={"id": hotel, "name": f"Hôtel Fusion {suffix}"}, headers=chain.admin
        )
        assert answer.status_code == 201, answer.text
        for language, email in agents.items():
            body = {"name": f"Agent {language.upper()}", "email": email, "location_ids": [hotel], "language": language}
            answer = await http.post("/api/v1/agents", json={**body, "password": PASSWORD}, headers=chain.admin)
            assert answer.status_code == 201, answer.text
            agent_ids[language] = answer.json()["id"]
        admin = AgentApi(http, gateway, chain.admin)
        # The guest writes twice (two web forms: two requests), and another guest once.
        for count, (subject, text, name, email) in enumerate(
            [
                (parking, "Is there a car park?", "Anna Guest", guest),
                (spa, "Is the spa open on Sunday?", "Bob Other", f"bob-{suffix}@example.com"),
                (late, "We arrive at midnight.", "Anna Guest", guest),
            ],
            start=1,
        ):
            await send_form(gateway, hotel, subject, text, name=name, email=email)
            await admin.wait_for(hotel, count=count)
        requests = {item["subject"]: item["id"] for item in await admin.conversations(location=hotel, view="all")}
        before = {subject: await timeline(http, chain, requests[subject]) for subject in (parking, late)}

        # Merge, in English, from the request the guest wrote last: their other request is offered first.
        page = (await new_page()).page
        await sign_in(page, gateway, agents["en"])
        await row(page, late).click()
        await expect(page.locator("#subject")).to_have_text(late)
        await page.locator("#merge-button").click()
        dialog = page.locator("form.merge-form")
        await expect(dialog.locator("h2")).to_have_text("Merge another request into this one")
        candidates = dialog.locator("#merge-candidates button.choice")
        await expect(candidates).to_have_count(2)
        await expect(candidates.first).to_contain_text(parking)
        await expect(candidates.first).to_have_attribute("data-same", "true")
        await expect(candidates.last).to_contain_text(spa)
        await candidates.first.click()
        await expect(candidates.first).to_have_attribute("aria-pressed", "true")
        await dialog.get_by_role("button", name="Merge", exact=True).click()
        await expect(dialog).to_be_hidden()
        inbound = page.locator(".timeline li.entry.message.inbound")
        await expect(inbound).to_have_count(2)
        await expect(inbound.first).to_contain_text("Is there a car park?")  # interleaved by time
        await expect(page.locator(".timeline li.entry.merge")).to_contain_text("Another request merged into this one")
        await page.screenshot(path=str(screenshots / "merge-en.png"))

        merged = await timeline(http, chain, requests[late])
        assert len(ids(merged)) == len(set(ids(merged)))  # every entry once
        kept = set(ids(before[parking])) | set(ids(before[late]))
        assert kept <= set(ids(merged))
        [merge_entry] = [entry for entry in merged if entry["kind"] == "merge"]
        assert merge_entry["merged_id"] == requests[parking]
        assert [entry["at"] for entry in merged] == sorted(entry["at"] for entry in merged)
        moved = await http.get(f"/api/v1/conversations/{requests[parking]}", headers=chain.admin)
        assert moved.status_code == 308, moved.text
        assert moved.headers["location"].split("?")[0].endswith(f"/api/v1/conversations/{requests[late]}")
        listed = {item["id"] for item in await admin.conversations(location=hotel, view="all")}
        assert requests[parking] not in listed

        # The merged-away request's address shows the survivor.
        await page.goto(f"{gateway}/conversations/{requests[parking]}")
        await page.wait_for_selector("body[data-ready=true]")
        await expect(page.locator("#subject")).to_have_text(late)
        await page.wait_for_url(f"**/conversations/{requests[late]}")

        # Split, in French: the car-park question becomes a request of its own, which opens.
        french = (await new_page(locale="fr-FR")).page
        await sign_in(french, gateway, agents["fr"])
        await french.goto(f"{gateway}/conversations/{requests[late]}")
        await french.wait_for_selector("body[data-ready=true]")
        await expect(french.locator("#merge-button")).to_have_text("Fusionner avec…")
        message = french.locator(".timeline li.entry.message.inbound", has_text="Is there a car park?")
        await message.get_by_role("button", name="Scinder en nouvelle demande").click()
        dialog = french.locator("form.split-form")
        await expect(dialog.locator("h2")).to_have_text("Scinder en nouvelle demande")
        await expect(dialog.get_by_label("Avec les éléments qui suivent")).not_to_be_checked()
        await dialog.get_by_role("button", name="Scinder", exact=True).click()
        await french.wait_for_url(lambda url: "/conversations/" in url and not url.endswith(requests[late]))
        created = french.url.rsplit("/", 1)[1]
        await expect(french.locator(".timeline li.entry.message.inbound")).to_have_count(1)
        await expect(french.locator(".timeline li.entry.message.inbound")).to_contain_text("Is there a car park?")
        await expect(french.locator(".timeline li.entry.merge")).to_contain_text("Scindée d’une autre demande")
        await expect(row(french, parking)).to_be_visible()  # listed again, as a request of its own
        await french.screenshot(path=str(screenshots / "split-fr.png"))

        split_message = next(
            entry["id"] for entry in merged if entry["kind"] == "message" and "car park" in (entry.get("text") or "")
        )
        original, new = await timeline(http, chain, requests[late]), await timeline(http, chain, created)
        assert split_message in ids(new)
        assert split_message not in ids(original)
        for entry_id in ids(merged):  # every entry of the merged request in exactly one of the two
            assert (entry_id in ids(original)) != (entry_id in ids(new)), entry_id
        [to_entry] = [entry for entry in original if entry["kind"] == "split"]
        [from_entry] = [entry for entry in new if entry["kind"] == "split"]
        assert to_entry["to_conversation_id"] == created
        assert from_entry["from_conversation_id"] == requests[late]

        # The French agent steps away (their profile menu); the English colleague sees it when assigning.
        await french.locator("#me").click()
        await french.get_by_role("switch", name="Absent").check()
        await expect(french.locator("#me-away")).to_be_visible()  # once the API said so
        await expect(french.locator("#me-away")).to_have_text("Absent")
        agent = await http.get(f"/api/v1/agents/{agent_ids['fr']}", headers=chain.admin)
        assert agent.json()["away"] is True
        await page.locator("#assign-button").click()
        colleague = page.locator(f"dialog button.choice[data-agent='{agent_ids['fr']}']")
        await expect(colleague.locator(".presence")).to_have_text("away")
        await expect(colleague.locator(".presence")).to_have_attribute("data-presence", "away")
