"""The chat widget's rating prompt in a real browser: a hotel asking chat guests for a rating shows five
buttons when the agent ends the chat; one click rates the request once."""

import uuid

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import NewPage
from tests.integration.conftest import ADMIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi

pytestmark = pytest.mark.browser


async def test_the_guest_rates_an_ended_chat_in_the_widget(stack: Stack, gateway: str, new_page: NewPage) -> None:
    hotel = create_hotel(stack, f"survey-{uuid.uuid4().hex[:8]}")
    guest = (await new_page(locale="fr-FR")).page
    async with httpx.AsyncClient(timeout=10) as http:
        asking = await http.patch(
            f"{stack.url('inbox')}/api/v1/locations/{hotel}", json={"survey_channels": ["chat"]}, headers=ADMIN
        )
        assert asking.status_code == 200, asking.text
        api = AgentApi(http, stack.url("inbox"), agent_headers([hotel]))
        await guest.goto(f"{gateway}/ingest/demo/{hotel}")
        widget = guest.locator("section[aria-label]")
        message = widget.locator("input[aria-label]").first
        await message.fill("Le petit-déjeuner est-il compris ?")
        await message.press("Enter")
        [chat] = await api.wait_for(hotel)
        await api.ok("POST", chat["id"], "close-chat", {})

        prompt = widget.locator(".hub-chat-rating")
        await expect(prompt).to_contain_text("Êtes-vous satisfait de cette conversation ?")
        await expect(prompt.locator("button")).to_have_count(5)
        await prompt.get_by_role("button", name="4/5").click()
        await expect(prompt).to_contain_text("Merci pour votre note !")
        survey = (await api.get(chat["id"]))["conversation"]["survey"]
        assert survey["rating"] == 4
        assert survey["channel"] == "chat"
