"""The agent's day in the console (issue 21): an error stays on screen until dismissed while new requests
arrive (grouped, and only those of the list in view); a guest message arriving on the open request is
read after 3 s on screen; the first click after a search lands; the guest card follows the guest who
identifies in the chat."""

import asyncio
import time
import uuid

import httpx
import nats
import pytest
from playwright.async_api import Page, expect

from shared.bus import Channel
from tests.browser.conftest import Chain, NewPage, row, send_form, send_review, sign_in
from tests.integration.conftest import Stack
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


async def open_request(page: Page, subject: str) -> None:
    await row(page, subject).click()
    await expect(page.locator("#subject")).to_have_text(subject)


class TestToasts:
    async def test_a_refused_reply_stays_on_screen_while_arrivals_are_grouped_and_filtered(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        agent = (await new_page()).page
        title = unique("Nice view")
        await send_review(gateway, chain.nice, title, rating=4)
        await sign_in(agent, gateway, chain.claire)
        await agent.select_option("#filter-location", chain.nice)
        await open_request(agent, title)

        # A review left no address: the API refuses the reply, and the console says so.
        await agent.fill("#composer-text", "Thank you for your kind words.")
        await agent.press("#composer-text", "Control+Enter")
        error = agent.locator("#toast .toast.error")
        await expect(error).to_have_count(1)
        await expect(error).to_be_visible()

        # Requests arrive: those of the hotel in view in one notice; the other hotel's says nothing.
        await send_form(gateway, chain.opera, unique("Elsewhere"), "Filtered out.")
        subjects = [unique(f"Arrival {n}") for n in range(3)]
        await asyncio.gather(*(send_form(gateway, chain.nice, subject, "Hello.") for subject in subjects))
        for subject in subjects:
            await expect(row(agent, subject)).to_be_visible()
        notice = agent.locator("#toast .toast.info")
        await expect(notice).to_have_text("3 new requests")
        await agent.wait_for_timeout(1000)  # what arrives late from the filtered-out hotel counts neither
        await expect(notice).not_to_have_text("4 new requests")
        await expect(error).to_have_count(1)
        await expect(error).to_be_visible()

        # Still there long after the notices went; dismissed with the keyboard.
        await expect(notice).to_have_count(0, timeout=10_000)
        await expect(error).to_be_visible()
        close = error.get_by_role("button", name="Dismiss")
        await close.focus()
        await agent.keyboard.press("Enter")
        await expect(error).to_have_count(0)


class TestReading:
    async def test_a_guest_message_arriving_on_the_open_request_is_read_after_three_seconds_on_screen(
        self, gateway: str, chain: Chain, stack: Stack, new_page: NewPage
    ) -> None:
        session = f"chat-{uuid.uuid4().hex[:10]}"
        first = unique("Is the pool heated?")
        client = await nats.connect(stack.nats_url)
        try:
            await publish_inbound(
                client, chain.louvre, channel=Channel.CHAT, chat_session_id=session, email=None, subject="", text=first
            )
            async with httpx.AsyncClient(timeout=10) as http:
                admin = AgentApi(http, gateway, chain.admin)
                [found] = await eventually(lambda: admin.conversations(location=chain.louvre, q=first), bool)
                conversation_id = found["id"]
                agent = (await new_page()).page
                await sign_in(agent, gateway, chain.claire)
                await agent.select_option("#filter-location", chain.louvre)
                request_row = agent.locator(f'#list .item[data-id="{conversation_id}"]')
                await request_row.click()
                await expect(request_row).to_have_attribute("data-unread", "false", timeout=8000)

                second = unique("And until what time?")
                await publish_inbound(
                    client, chain.louvre, channel=Channel.CHAT, chat_session_id=session, email=None, text=second
                )
                await expect(agent.locator(".entry.message.inbound", has_text=second)).to_be_visible()
                shown = time.monotonic()
                assert (await admin.get(conversation_id))["conversation"]["unread"] is True

                await eventually(
                    lambda: admin.get(conversation_id), lambda detail: not detail["conversation"]["unread"], 8
                )
                assert time.monotonic() - shown >= 2.5, "read before 3 s on screen"
                await expect(request_row).to_have_attribute("data-unread", "false")
        finally:
            await client.drain()


class TestSearch:
    async def test_the_first_click_after_typing_a_search_selects_the_tab_or_bucket(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        search = agent.locator("#filter-q")

        # Clicked at once (the search applies as the box is left) …
        await search.fill(unique("pool"))
        await agent.click(".tab[data-view=closed]")
        await expect(agent.locator(".tab[data-view=closed]")).to_have_attribute("aria-selected", "true")

        # … or after the search applied itself and the counts came back.
        await search.fill(unique("spa"))
        await agent.wait_for_timeout(800)
        await agent.click(".bucket[data-bucket=alerts]")
        await expect(agent.locator(".bucket[data-bucket=alerts]")).to_have_attribute("aria-pressed", "true")
        await expect(agent.locator(".tab[data-view=closed]")).to_have_attribute("aria-selected", "false")

        await search.fill("")
        await agent.click(".tab[data-view=all]")
        await expect(agent.locator(".tab[data-view=all]")).to_have_attribute("aria-selected", "true")


class TestGuestCard:
    async def test_a_chat_guest_who_leaves_name_and_email_shows_on_the_open_card_without_reload(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        guest = (await new_page(locale="fr-FR")).page
        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        await agent.select_option("#filter-channel", "chat")

        await guest.goto(f"{gateway}/ingest/demo/{chain.opera}")
        widget = guest.locator("section[aria-label]")
        opening = unique("Le petit-déjeuner est-il inclus ?")
        await widget.locator("input[aria-label]").first.fill(opening)
        await widget.locator("button[type=submit]").click()
        chat_row = agent.locator("#list .item", has_text=opening)
        await expect(chat_row).to_be_visible(timeout=20_000)
        await chat_row.click()
        profile = agent.locator("#profile")
        await expect(profile.locator("p.name").first).to_have_text("Unknown guest")
        await expect(profile).to_contain_text("Not linked to a contact.")

        # The agent ends the chat "in progress"; the widget asks the guest for an address, and gets it.
        await agent.click("#close-chat-button")
        await agent.select_option("#modal select[name=resulting_status]", "open")
        await agent.click("#modal button[type=submit]")
        await expect(widget.locator("input[type=email]")).to_be_visible()
        address = f"jeanne-{uuid.uuid4().hex[:8]}@example.com"
        await widget.get_by_placeholder("Prénom").fill("Jeanne Moreau")
        await widget.locator("input[type=email]").fill(address)
        await widget.locator("input[type=email]").press("Enter")

        # The open request's card follows: the guest's name, and the contact now linked.
        await expect(agent.locator(".entry.event", has_text="Linked to a contact")).to_be_visible(timeout=20_000)
        await expect(profile.locator("p.name").first).to_have_text("Jeanne Moreau")
        await expect(profile.locator(".card.contact")).to_contain_text(address)
        await expect(profile).not_to_contain_text("Not linked to a contact.")
