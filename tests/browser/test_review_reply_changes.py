"""Issue 22: the hotel's public reply to a Google review, edited and then taken down on Google itself (the
Google Business Profile stand-in), reaches the request through ingest's poller; the console shows what
Google shows now, on the reply and as entries of the timeline."""

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, sign_in
from tests.integration.conftest import GOOGLE_ACCOUNT, GOOGLE_HOTEL, GOOGLE_LOCATION, Stack
from tests.support.google_business import GoogleBusiness
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


def public_reply(detail: dict[str, Any]) -> dict[str, Any]:
    replies = [e for e in detail["timeline"] if e["kind"] == "message" and e.get("public")]
    return replies[-1] if replies else {}


def reply_changes(page: Page, state: str) -> Any:
    return page.locator(f".entry.review-reply[data-state={state}]")


async def test_a_reply_edited_then_taken_down_on_google_shows_in_the_console(
    gateway: str, stack: Stack, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    assert stack.google is not None
    google: GoogleBusiness = stack.google
    reviewer = f"Guest {uuid.uuid4().hex[:8]}"
    ours, theirs = "We are sorry; the lift is repaired.", "We are sorry; the lift was repaired on Monday."
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        admin = chain.admin
        people = {language: f"reviews-{language}-{uuid.uuid4().hex[:6]}@browser.hotel" for language in ("fr", "en")}
        for language, email in people.items():
            body = {
                "name": f"Admin {language}",
                "email": email,
                "role": "admin",
                "language": language,
                "password": PASSWORD,
            }
            answer = await http.post("/api/v1/agents", json=body, headers=admin)
            assert answer.status_code == 201, answer.text
        hotel = await http.post("/api/v1/locations", json={"id": GOOGLE_HOTEL, "name": "Hôtel Google"}, headers=admin)
        assert hotel.status_code in (201, 409), hotel.text  # ingest takes reviews of the directory's hotels only

        async def detail_of(conversation_id: str) -> dict[str, Any]:
            answer = await http.get(f"/api/v1/conversations/{conversation_id}", headers=admin)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        async def requests() -> list[str]:
            params = {"location": GOOGLE_HOTEL, "view": "all"}
            found = await http.get("/api/v1/conversations", params=params, headers=admin)
            return [c["id"] for c in found.json()["items"] if (c.get("guest") or {}).get("name") == reviewer]

        name = google.add_review(
            GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=2, comment="The lift broke.", reviewer=reviewer
        )
        [conversation_id] = await eventually(requests, bool, timeout=30)
        sent = await http.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": ours, "via": "public"}, headers=admin
        )
        assert sent.status_code in (200, 201), sent.text
        await eventually(
            lambda: detail_of(conversation_id), lambda d: public_reply(d).get("delivery", {}).get("state") == "sent"
        )
        # The poller has listed the location since the reply was put: it knows the reply as ours.
        await eventually(_polled_since_put(google), bool)

        google.edit_reply(name, theirs)
        await eventually(
            lambda: detail_of(conversation_id), lambda d: public_reply(d).get("delivery", {}).get("state") == "edited"
        )

        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, people["fr"])
        await page.goto(f"{gateway}/conversations/{conversation_id}")
        reply = page.locator(".entry.message.outbound", has_text=ours)
        await expect(reply.locator(".delivery")).to_have_attribute("data-state", "edited")
        await expect(reply.locator(".delivery")).to_have_text("Modifiée sur la plateforme")
        await expect(reply.locator(".edited-comment")).to_have_text(f"Son texte là-bas désormais : « {theirs} »")
        await expect(reply_changes(page, "edited")).to_contain_text(f"Réponse modifiée sur Google : « {theirs} »")
        await page.screenshot(path=str(screenshots / "review-reply-edited.png"))

        google.take_down_reply(name)
        await eventually(
            lambda: detail_of(conversation_id), lambda d: public_reply(d).get("delivery", {}).get("state") == "deleted"
        )
        await page.reload()
        await expect(reply.locator(".delivery")).to_have_text("Supprimée sur la plateforme")
        await expect(reply.locator(".edited-comment")).to_have_count(0)
        await expect(reply_changes(page, "deleted")).to_contain_text("Réponse retirée de Google")
        await expect(reply_changes(page, "edited")).to_have_count(1)  # the edit stays in the history
        await page.screenshot(path=str(screenshots / "review-reply-taken-down.png"))
        # Never the entry's raw kind, as unknown kinds are shown.
        await expect(page.locator(".entry", has_text="review_reply")).to_have_count(0)

        english = (await new_page()).page
        await sign_in(english, gateway, people["en"])
        await english.goto(f"{gateway}/conversations/{conversation_id}")
        await expect(reply_changes(english, "deleted")).to_contain_text("Reply taken down on Google")
        await expect(reply_changes(english, "edited")).to_contain_text(f"Reply edited on Google: “{theirs}”")


def _polled_since_put(google: GoogleBusiness) -> Any:
    async def probe() -> bool:
        puts, lists = google.received("PUT"), google.received("GET")
        return bool(puts) and bool(lists) and lists[-1].at > puts[-1].at

    return probe
