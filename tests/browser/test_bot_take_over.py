"""An agent takes a chat over from the hotel's chatbot in the console (in French): the bot's badge on the row
and in the header, the "Prendre la main" button, and the bot told of the hand-over."""

import json
import secrets
import uuid

import httpx
import pytest
import websockets
from playwright.async_api import expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, sign_in
from tests.integration.conftest import Stack
from tests.support.bot_receiver import bot_receiver
from tests.support.chat import receive, ws_url
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


async def test_an_agent_takes_over_from_the_bot(stack: Stack, gateway: str, chain: Chain, new_page: NewPage) -> None:
    suffix = uuid.uuid4().hex[:8]
    hotel, email = f"bot-{suffix}", f"lou-{suffix}@browser.hotel"
    with bot_receiver() as receiver:
        async with httpx.AsyncClient(base_url=gateway, timeout=10, headers=chain.admin) as admin:
            assert (await admin.post("/api/v1/locations", json={"id": hotel, "name": "Hôtel Bot"})).status_code == 201
            person = {
                "name": "Lou Martin",
                "email": email,
                "location_ids": [hotel],
                "language": "fr",
                "password": PASSWORD,
            }
            assert (await admin.post("/api/v1/agents", json=person)).status_code == 201
            bot = {"name": "Concierge", "webhook_url": receiver.url, "secret": secrets.token_urlsafe(36)}
            assert (await admin.put(f"/api/v1/locations/{hotel}/bot", json=bot)).status_code == 200
        async with websockets.connect(ws_url(stack, hotel)) as socket:
            await socket.send(json.dumps({"type": "hello"}))
            await receive(socket, "welcome")
            await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Avez-vous un parking ?"}))
            await receive(socket, "ack")

            page = (await new_page()).page
            await sign_in(page, gateway, email)
            await page.click(".tab[data-view=all]")
            row = page.locator("#list .item", has_text="Avez-vous un parking ?")
            await expect(row.locator("span.bot")).to_be_visible(timeout=20_000)
            await row.click()
            await expect(page.locator("#bot-badge")).to_be_visible()
            take_over = page.locator("#take-over-button")
            await expect(take_over).to_contain_text("Prendre la main")
            await take_over.click()
            await expect(page.locator("#bot-badge")).to_have_count(0)
            await expect(take_over).to_have_count(0)
            await expect(page.locator("#status-badge")).to_have_attribute("data-status", "open")
            await receive(socket, "handed_over")  # the guest's widget says a person answers now
        await eventually(lambda: receiver.calls_of("handed_over"), lambda calls: len(calls) == 1)
        await page.click(".tab[data-view=open]")
        await expect(row).to_be_visible(timeout=20_000)
        await expect(row.locator("span.bot")).to_have_count(0)
