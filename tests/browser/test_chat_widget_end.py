"""The chat widget in a real browser after the agent ended the chat: a reload still shows the end and the
email form (the hub says so, not only the page's memory), and the guest's next message starts a new chat
that the agent answers live."""

import uuid

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import NewPage
from tests.integration.conftest import Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


async def test_a_reloaded_widget_shows_the_end_then_a_new_message_starts_a_new_chat(
    stack: Stack, gateway: str, new_page: NewPage
) -> None:
    hotel = create_hotel(stack, f"widget-{uuid.uuid4().hex[:8]}")
    guest = (await new_page(locale="fr-FR")).page
    storage_key = f"hub-chat-session-{hotel}"
    async with httpx.AsyncClient(timeout=10) as http:
        api = AgentApi(http, stack.url("inbox"), agent_headers([hotel]))
        await guest.goto(f"{gateway}/ingest/demo/{hotel}")
        widget = guest.locator("section[aria-label]")
        message = widget.locator("input[aria-label]").first
        await message.fill("Avez-vous un parking ?")
        await message.press("Enter")
        [ended] = await api.wait_for(hotel)
        await api.ok("POST", ended["id"], "close-chat", {})
        await expect(widget).to_contain_text("La conversation est terminée.")
        session = await guest.evaluate("key => localStorage.getItem(key)", storage_key)

        # A reload: the hub tells the widget the chat ended; the guest can still leave an address.
        await guest.reload()
        await expect(widget).to_contain_text("Avez-vous un parking ?")
        await expect(widget).to_contain_text("La conversation est terminée.")
        await expect(widget.locator("input[type=email]")).to_be_visible()
        await expect(widget.locator("input[type=file]")).to_be_disabled()

        # Writing again starts a new chat: a new request, answered live in the same widget.
        await message.fill("Et une borne de recharge ?")
        await message.press("Enter")
        await expect(widget).to_contain_text("Nouvelle conversation")
        await expect(widget.locator("input[type=email]")).to_have_count(0)
        conversations = await api.wait_for(hotel, count=2)
        [fresh] = [c for c in conversations if c["id"] != ended["id"]]
        assert fresh["chat_session_id"] != session
        stored = await eventually(
            lambda: guest.evaluate("key => localStorage.getItem(key)", storage_key),
            lambda value: value == fresh["chat_session_id"],
        )
        assert stored == fresh["chat_session_id"], "the widget keeps the new session"
        await expect(widget.locator("input[type=file]")).to_be_enabled()
        await api.ok("POST", fresh["id"], "messages", {"text": "Oui, deux bornes au niveau -1."})
        await expect(widget).to_contain_text("Oui, deux bornes au niveau -1.")

        # Reloaded once more, the widget shows the new chat, live.
        await guest.reload()
        await expect(widget).to_contain_text("Oui, deux bornes au niveau -1.")
        await expect(widget).not_to_contain_text("La conversation est terminée.")
        await expect(widget).not_to_contain_text("Avez-vous un parking ?")
        await expect(widget.locator("input[type=email]")).to_have_count(0)
