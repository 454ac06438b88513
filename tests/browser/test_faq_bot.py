"""The reference FAQ bot (services/faqbot) in a real browser, connected as any chain would connect a bot: an
API token with the `bot` scope made through the admin API, the bot registered on its hotel, its own process.
The guest asks the breakfast hours in the widget and the bot answers; the guest asks for a person and gives
a first name and an email; the request enters "Open" with the contact linked; the agent answers live, closes,
and the conversation is the bot's again."""

import json
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from services.faqbot import dialogue
from tests.browser.conftest import PASSWORD, Chain, NewPage, sign_in
from tests.integration.conftest import Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support import servers

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DEMO_FAQ = ROOT / "deploy" / "faqbot" / "demo-faq.json"


@dataclass
class ConnectedBot:
    hotel: str
    agent: str  # the email of an agent of the hotel
    process: servers.Process


def ok(response: httpx.Response) -> object:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture
async def faq_bot(stack: Stack, gateway: str, chain: Chain) -> AsyncIterator[ConnectedBot]:
    """A hotel of its own with an agent, and the FAQ bot connected to it through the public API only."""
    suffix = uuid.uuid4().hex[:8]
    hotel, agent = f"faq-{suffix}", f"nina-{suffix}@browser.hotel"
    faq = json.loads(DEMO_FAQ.read_text())["hotels"]["paris-opera"]
    faq_file = stack.root / f"faq-{suffix}.json"
    faq_file.write_text(json.dumps({"hotels": {hotel: faq}}))
    port, secret = servers.free_port(), secrets.token_urlsafe(36)
    async with httpx.AsyncClient(base_url=gateway, timeout=10, headers=chain.admin) as admin:
        ok(await admin.post("/api/v1/locations", json={"id": hotel, "name": "Hôtel FAQ"}))
        person = {"name": "Nina Roux", "email": agent, "location_ids": [hotel], "language": "en", "password": PASSWORD}
        ok(await admin.post("/api/v1/agents", json=person))
        grant = {"name": f"FAQ bot {suffix}", "scopes": ["bot"], "location_ids": [hotel]}
        token = ok(await admin.post("/api/v1/api-tokens", json=grant))
        assert isinstance(token, dict)
        process = servers.Process(
            name="faqbot",
            argv=[sys.executable, "-m", "services.faqbot"],
            log_path=stack.root / f"faqbot-{suffix}.log",
            env={
                "HUB_FAQBOT_API_URL": gateway,
                "HUB_FAQBOT_TOKEN": token["token"],
                "HUB_FAQBOT_SECRET": secret,
                "HUB_FAQBOT_FAQ_FILE": str(faq_file),
                "HUB_FAQBOT_PORT": str(port),
            },
            port=port,
        ).start()
        try:
            bot = {"name": "Concierge", "webhook_url": f"http://127.0.0.1:{port}/webhook", "secret": secret}
            assert ok(await admin.put(f"/api/v1/locations/{hotel}/bot", json=bot)) == {
                "name": "Concierge",
                "webhook_url": bot["webhook_url"],
            }
            yield ConnectedBot(hotel=hotel, agent=agent, process=process)
        finally:
            process.stop()
            await admin.delete(f"/api/v1/locations/{hotel}/bot")


async def say(page: Page, text: str) -> None:
    widget = page.locator("section[aria-label]")
    message = widget.locator("input[aria-label]").first
    await message.fill(text)
    await message.press("Enter")


async def test_the_faq_bot_answers_then_hands_over_and_gets_the_conversation_back_when_closed(
    gateway: str, chain: Chain, faq_bot: ConnectedBot, new_page: NewPage, screenshots: Path
) -> None:
    guest = (await new_page(locale="fr-FR")).page
    agent = (await new_page()).page
    await sign_in(agent, gateway, faq_bot.agent)
    await guest.goto(f"{gateway}/ingest/demo/{faq_bot.hotel}")
    widget = guest.locator("section[aria-label]")

    # The bot answers a question of its FAQ in the guest's language, as the bot.
    await say(guest, "Bonjour, à quelle heure est servi le petit-déjeuner ?")
    answer = "Le petit-déjeuner est servi de 7h à 10h30 en semaine"
    await expect(widget).to_contain_text(answer, timeout=20_000)
    await expect(widget.locator(".hub-chat-bot").first).to_contain_text("Concierge")
    async with httpx.AsyncClient(timeout=10) as http:
        api = AgentApi(http, gateway, chain.admin)
        [handled] = await api.wait_for(faq_bot.hotel)
    assert handled["bot_active"] is True
    assert handled["status"] == "open"

    # While the bot handles it, the request is only under "All", with the bot's badge.
    row = agent.locator(f'#list .item[data-id="{handled["id"]}"]')
    await agent.click(".tab[data-view=open]")
    await expect(row).to_have_count(0)
    await agent.click(".tab[data-view=all]")
    await expect(row).to_be_visible(timeout=20_000)
    await expect(row.locator("span.bot")).to_be_visible()

    # The guest asks for a person: first name, then email, then the hand-over.
    await say(guest, "Je voudrais parler à un conseiller")
    await expect(widget).to_contain_text("quel est votre prénom ?")
    await say(guest, "Claire")
    await expect(widget).to_contain_text("Merci Claire ! Quelle est votre adresse e-mail")
    address = f"claire-{uuid.uuid4().hex[:8]}@example.com"
    await say(guest, address)
    await expect(widget).to_contain_text(dialogue.HANDED_OVER.fr)
    # The team takes over, and the widget does not ask again for the address the bot already has.
    await expect(widget).to_contain_text("Un membre de l'équipe vous répond.")
    await expect(widget).not_to_contain_text("laissez votre adresse")

    # In "Open" now, with the captured contact linked and the bot's messages badged in the timeline.
    await agent.click(".tab[data-view=open]")
    await expect(row).to_be_visible(timeout=20_000)
    await expect(row.locator("span.bot")).to_have_count(0)
    await row.click()
    await expect(agent.locator("#profile .card.contact")).to_contain_text(address)
    await expect(agent.locator("#guest-name")).to_contain_text("Claire")
    await expect(agent.locator("#bot-badge")).to_have_count(0)
    await expect(agent.locator(".entry.message.outbound.bot", has_text=answer)).to_be_visible()
    await expect(agent.locator(".entry", has_text="guest asked for a person")).to_be_visible()
    await guest.screenshot(path=str(screenshots / "faq-bot-guest.png"))
    await agent.screenshot(path=str(screenshots / "faq-bot-console.png"))

    # The agent answers in the chat, live.
    await agent.fill("#composer-text", "Bonjour Claire, je suis Nina. Comment puis-je vous aider ?")
    await agent.press("#composer-text", "Control+Enter")
    await expect(widget).to_contain_text("Bonjour Claire, je suis Nina.")

    # Closed, it goes back to the bot: out of "Open", badged under "All"; the bot answers the guest's next
    # message in the same chat, which stays out of "Open".
    await agent.click("#close-button")
    await expect(agent.locator("#status-badge")).to_have_attribute("data-status", "closed")
    await expect(row).to_have_count(0)
    await agent.click(".tab[data-view=all]")
    await expect(row.locator("span.bot")).to_be_visible(timeout=20_000)
    await expect(agent.locator("#bot-badge")).to_be_visible()
    async with httpx.AsyncClient(timeout=10) as http:
        api = AgentApi(http, gateway, chain.admin)
        closed = (await api.get(handled["id"]))["conversation"]
        assert (closed["status"], closed["bot_active"]) == ("closed", True)
        await say(guest, "Merci ! Et le wifi, c'est quoi le mot de passe ?")
        await expect(widget).to_contain_text("Le wifi est gratuit dans tout l'hôtel", timeout=20_000)
        [again] = await api.conversations(location=faq_bot.hotel, view="all")
    assert (again["id"], again["status"], again["bot_active"]) == (handled["id"], "open", True)
    await agent.click(".tab[data-view=open]")
    await expect(row).to_have_count(0)
