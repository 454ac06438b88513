"""An automatic reply rule with approval, in the console: a manager's rule prepares the reply to a new
Google review, the reply waits, an agent edits and approves it, and it is published on the platform (the
Google Business Profile stand-in receives the PUT) and shown "published" on the request."""

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import NewPage, sign_in
from tests.integration.conftest import (
    BOOTSTRAP_PASSWORD,
    GOOGLE_ACCOUNT,
    GOOGLE_HOTEL,
    GOOGLE_LOCATION,
    Stack,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


async def test_a_reply_waiting_for_approval_is_published_once_an_agent_approves_it(
    gateway: str, stack: Stack, new_page: NewPage, screenshots: Path
) -> None:
    assert stack.google is not None
    google = stack.google
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "admin@test.hotel", "password": BOOTSTRAP_PASSWORD}
        )
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        hotel = await client.post("/api/v1/locations", json={"id": GOOGLE_HOTEL, "name": "Hôtel Google"}, headers=admin)
        assert hotel.status_code in (201, 409), hotel.text  # ingest takes reviews of the directory's hotels only

    page = (await new_page()).page
    await sign_in(page, gateway, "admin@test.hotel", BOOTSTRAP_PASSWORD)
    # The rule, set in the console: Google reviews of 4 stars or more, with a text, approved by an agent.
    await page.click("#auto-replies")
    form = page.locator("form.auto-reply-form")
    name = f"Google thanks {uuid.uuid4().hex[:6]}"
    await form.locator("input[name=name]").fill(name)
    await form.locator("select[name=location_id]").select_option(GOOGLE_HOTEL)
    await form.locator("input[name=platform]").fill("google")
    await form.locator("input[name=min_rating]").fill("4")
    await form.locator("select[name=with_text]").select_option("true")
    await form.locator("textarea[name=en]").fill(
        "Thank you {guest_first_name}, we hope to see you again at {hotel_name}!"
    )
    await form.locator("textarea[name=fr]").fill("Merci {guest_first_name} !")
    await form.locator("input[name=needs_approval]").check()
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#auto-reply-rules li", has_text=name)).to_be_visible()
    await page.keyboard.press("Escape")

    review = google.add_review(GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=5, comment="Perfect stay", reviewer="Jane Guest")

    async def request_of_review() -> list[str]:
        async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
            found = await client.get(
                "/api/v1/conversations", params={"location": GOOGLE_HOTEL, "view": "all"}, headers=admin
            )
            return [c["id"] for c in found.json()["items"] if c.get("auto_reply") and c["snippet"] == "Perfect stay"]

    [conversation_id] = await eventually(request_of_review, bool, timeout=30)
    await page.goto(f"{gateway}/conversations/{conversation_id}")
    panel = page.locator("#auto-reply")
    await expect(panel).to_have_attribute("data-state", "waiting_approval")
    # Google says no language here: the reply is in the hotel's (French, the default), with the guest's name.
    await expect(page.locator("#auto-reply-text")).to_have_value("Merci Jane !")
    await expect(page.locator(".entry.auto-reply[data-state=waiting_approval]")).to_be_visible()
    # The reply waits: nothing went to Google yet.
    assert google.replies_to(review) == []
    await page.screenshot(path=str(screenshots / "auto-reply-waiting.png"))

    approved = "Thank you Jane, we hope to see you again soon!"
    await page.fill("#auto-reply-text", approved)
    await page.click("#auto-reply-approve")
    reply = page.locator(".entry.message.outbound").last
    await expect(reply.locator(".delivery")).to_have_attribute("data-state", "sent")
    await expect(reply.locator(".delivery")).to_have_text("Published")
    await expect(reply).to_contain_text("Automatic reply (approved by")
    await expect(reply.locator(".text")).to_have_text(approved)
    await expect(panel).to_have_count(0)
    await page.screenshot(path=str(screenshots / "auto-reply-published.png"))

    [put] = await google.wait_for_replies(review)
    assert put.body == {"comment": approved}
    assert (google.reply_of(review) or {}).get("comment") == approved
