"""One word per status, in each language, wherever the console names a status (issue 21): the tabs, the
badges (request header, list rows), the status dialog, the buttons that change it, the end-of-chat dialog
and the history. The words are the README's table ("Statuses: one word each"), taken from the help pages.

And a review shows where it comes from: its platform, a link to it there, its rating on its own scale."""

import json
import re
import uuid
from pathlib import Path

import pytest
import websockets
from playwright.async_api import Page, expect

from tests.browser.conftest import Chain, NewPage, row, send_form, sign_in, signed_post
from tests.integration.conftest import Stack
from tests.support.chat import receive, ws_url

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

# status -> (the word on a badge, a choice or in the history; the tab's), per language
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "open": ("Open", "Open"),
        "on_hold": ("On hold", "On hold"),
        "closed": ("Done", "Done"),
        "spam": ("Spam", "Spam"),
    },
    "fr": {
        "open": ("Ouverte", "Ouvertes"),
        "on_hold": ("En attente", "En attente"),
        "closed": ("Terminée", "Terminées"),
        "spam": ("Spam", "Spam"),
    },
}
TABS = {"en": {"inbox": "Inbox", "all": "All"}, "fr": {"inbox": "Boîte de réception", "all": "Toutes"}}
BUTTONS = {  # (close, reopen, end the chat)
    "en": ("Mark as done", "Reopen", "End the chat"),
    "fr": ("Terminer", "Rouvrir", "Mettre fin au chat"),
}
# The other words the help pages use for the same statuses: none may appear anywhere a status is named.
OTHERS = {
    "en": [r"Closed?", r"In progress", r"Pending", r"Resolved", r"Finished"],
    "fr": [r"En cours", r"Clôtur\w*", r"Fermée?s?", r"Ouverts?", r"Terminés?", r"Résolues?"],
}
AGENT = {"en": "claire", "fr": "marc"}


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def words_in(texts: list[str], language: str) -> list[str]:
    """The other candidates found in these texts (whole words only)."""
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(OTHERS[language]) + r")(?!\w)")
    return [f"{found!r} in {text!r}" for text in texts for found in pattern.findall(text)]


async def texts(page: Page, selector: str) -> list[str]:
    found: list[str] = await page.locator(selector).evaluate_all(
        "nodes => nodes.filter(n => n.offsetParent !== null || n.closest('dialog[open]')).map(n => n.innerText.trim())"
    )
    return found


async def status_texts(page: Page) -> list[str]:
    """Everything on screen that names a status: tabs, badges, action bar, dialog, the history's changes."""
    seen: list[str] = []
    for selector in [
        "#tabs .tab",
        "#list .item .status",
        "#status-badge",
        ".actions button",
        "#modal[open]",
        ".timeline .entry.event",
    ]:
        seen += await texts(page, selector)
    return seen


def test_the_readme_table_holds_these_words() -> None:
    """The README's table is the reference: status -> French word -> English word."""
    readme = (ROOT / "README.md").read_text()
    for status, (fr, fr_tab) in WORDS["fr"].items():
        en, _ = WORDS["en"][status]
        assert re.search(rf"\| `{status}` \| {fr}( \({fr_tab}\))? \| {en} \|", readme), status


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_one_word_per_status_everywhere(
    language: str, gateway: str, stack: Stack, chain: Chain, new_page: NewPage
) -> None:
    words = {status: badge for status, (badge, _) in WORDS[language].items()}
    close, reopen, end_chat = BUTTONS[language]
    agent = (await new_page()).page
    await sign_in(agent, gateway, getattr(chain, AGENT[language]))

    # The tabs.
    labels = dict(
        zip(
            await agent.locator("#tabs .tab").evaluate_all("tabs => tabs.map(t => t.dataset.view)"),
            await agent.locator("#tabs .tab .name").all_inner_texts(),
            strict=True,
        )
    )
    expected = {"inbox": TABS[language]["inbox"], "all": TABS[language]["all"]}
    expected |= {status: tab for status, (_, tab) in WORDS[language].items()}
    assert labels == expected

    # A request: its badge, the status dialog, the close button, then closed: its badge, the list's, reopen.
    subject = unique("Vocabulary")
    await send_form(gateway, chain.opera, subject, "Which word is it?")
    await row(agent, subject).click()
    badge = agent.locator("#status-badge")
    await expect(badge).to_have_text(words["open"])
    await expect(agent.locator("#close-button")).to_have_text(f"✓ {close}")
    await agent.click("#status-button")
    choices = agent.locator("#modal .choice")
    await expect(choices).to_have_text([words["open"], words["on_hold"], words["closed"]])
    seen = await status_texts(agent)
    await agent.locator("#modal .choice[data-status=closed]").click()
    await expect(badge).to_have_text(words["closed"])
    await expect(agent.locator("#close-button")).to_have_text(reopen)
    change = agent.locator(".timeline .entry.event", has_text=f"{words['open']} → {words['closed']}")
    await expect(change).to_be_visible()
    await agent.click(".tab[data-view=closed]")
    await expect(row(agent, subject).locator(".status")).to_have_text(words["closed"])
    seen += await status_texts(agent)

    # A live chat (titled by its first message): the end-of-chat dialog offers the same words.
    opening = unique("Une chambre pour ce soir ?")
    async with websockets.connect(ws_url(stack, chain.louvre)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": opening}))
        await receive(socket, "ack")
        await agent.click(".tab[data-view=open]")
        await row(agent, opening).click()
        await expect(agent.locator("#subject")).to_have_text(opening)
        await expect(agent.locator("#close-chat-button")).to_have_text(f"× {end_chat}")
        await agent.click("#close-chat-button")
        options = agent.locator("#modal select[name=resulting_status] option")
        await expect(options).to_have_text([words["closed"], words["open"], words["on_hold"]])
        await expect(agent.locator("#modal button[type=submit]")).to_have_text(end_chat)
        seen += await status_texts(agent)
        await agent.select_option("#modal select[name=resulting_status]", "on_hold")
        await agent.click("#modal button[type=submit]")
        await expect(badge).to_have_text(words["on_hold"])
        seen += await status_texts(agent)

    assert seen, "the status texts were collected"
    assert words_in(seen, language) == []


async def send_rated_review(base: str, hotel: str, title: str, **fields: object) -> None:
    review = {
        "review_id": uuid.uuid4().hex,
        "location": hotel,
        "author": "Sam Critic",
        "title": title,
        "text": "Thin walls, kind staff.",
        **fields,
    }
    await signed_post(base, "/ingest/reviews", json.dumps(review).encode())


async def test_a_review_shows_its_platform_a_link_and_its_own_scale(
    gateway: str, chain: Chain, new_page: NewPage
) -> None:
    agent = (await new_page()).page
    await sign_in(agent, gateway, chain.claire)
    url = f"https://www.booking.com/reviews/fr/hotel/opera.html?r={chain.suffix}"
    title = unique("Thin walls")
    await send_rated_review(gateway, chain.opera, title, platform="booking", rating=3, scale=10, url=url)
    await row(agent, title).click()
    await expect(agent.locator("#subject")).to_have_text(title)
    review = agent.locator(".entry.message.inbound").last
    await expect(review.locator(".rating")).to_have_text("★ 3/10")  # not the hub's 2/5
    await expect(agent.locator(".conversation-head .rating")).to_have_text("Rating 3/10")
    await expect(review.locator(".review-source")).to_contain_text("Review on Booking.com")
    link = review.locator(".review-source a")
    await expect(link).to_have_attribute("href", url)
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_contain_text("Booking.com")

    # A platform the console does not know, a decimal rating, and an address that is no web page: no link.
    odd = unique("Odd review")
    await send_rated_review(
        gateway, chain.opera, odd, platform="my-site", rating=8.5, scale=10, url="javascript:alert(document.cookie)"
    )
    await row(agent, odd).click()
    await expect(agent.locator("#subject")).to_have_text(odd)
    review = agent.locator(".entry.message.inbound").last
    await expect(review.locator(".rating")).to_have_text("★ 8.5/10")
    await expect(review.locator(".review-source")).to_have_text("Review on My site")
    await expect(review.locator("a")).to_have_count(0)
