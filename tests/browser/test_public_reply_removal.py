"""Issue 22: an agent takes the hotel's public reply to a Google review down from the console ("Retirer de
Google" / "Remove from Google", after a confirmation), against the Google Business Profile stand-in: the
reply shows removed by the hotel, or, when Google refuses, still published with Google's reason."""

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


async def remove_from_google(page: Page, reply: Any, button: str) -> None:
    """Click the reply's removal button, then confirm in the dialog."""
    await reply.get_by_role("button", name=button).click()
    modal = page.locator("#modal")
    await expect(modal).to_be_visible()
    await modal.get_by_role("button", name=button).click()


async def test_an_agent_removes_a_public_reply_from_google_or_sees_why_not(
    gateway: str, stack: Stack, chain: Chain, new_page: NewPage, screenshots: Path
) -> None:
    assert stack.google is not None
    google: GoogleBusiness = stack.google
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        admin = chain.admin
        people = {language: f"removal-{language}-{uuid.uuid4().hex[:6]}@browser.hotel" for language in ("fr", "en")}
        for language, email in people.items():
            body = {"name": f"Admin {language}", "email": email, "role": "admin", "language": language}
            answer = await http.post("/api/v1/agents", json=body | {"password": PASSWORD}, headers=admin)
            assert answer.status_code == 201, answer.text
        hotel = await http.post("/api/v1/locations", json={"id": GOOGLE_HOTEL, "name": "Hôtel Google"}, headers=admin)
        assert hotel.status_code in (201, 409), hotel.text

        async def detail_of(conversation_id: str) -> dict[str, Any]:
            answer = await http.get(f"/api/v1/conversations/{conversation_id}", headers=admin)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        async def answered_review(text: str) -> tuple[str, str]:
            """A new Google review, answered publicly; (review name, request id) once Google shows the reply."""
            reviewer = f"Guest {uuid.uuid4().hex[:8]}"
            name = google.add_review(GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=2, comment="Cold room.", reviewer=reviewer)

            async def requests() -> list[str]:
                params = {"location": GOOGLE_HOTEL, "view": "all"}
                found = await http.get("/api/v1/conversations", params=params, headers=admin)
                return [c["id"] for c in found.json()["items"] if (c.get("guest") or {}).get("name") == reviewer]

            [conversation_id] = await eventually(requests, bool, timeout=30)
            body = {"text": text, "via": "public"}
            sent = await http.post(f"/api/v1/conversations/{conversation_id}/messages", json=body, headers=admin)
            assert sent.status_code in (200, 201), sent.text
            await eventually(
                lambda: detail_of(conversation_id), lambda d: public_reply(d).get("delivery", {}).get("state") == "sent"
            )
            return name, conversation_id

        ours = "We are sorry; the heating is repaired."
        name, conversation_id = await answered_review(ours)
        page = (await new_page(locale="fr-FR")).page
        await sign_in(page, gateway, people["fr"])
        await page.goto(f"{gateway}/conversations/{conversation_id}")
        reply = page.locator(".entry.message.outbound", has_text=ours)
        await expect(reply.locator(".delivery")).to_have_text("Publiée")
        await reply.get_by_role("button", name="Retirer de Google").click()
        await expect(page.locator("#modal")).to_contain_text("La réponse publique sera retirée de Google")
        await page.screenshot(path=str(screenshots / "public-reply-removal-confirm.png"))
        await page.locator("#modal").get_by_role("button", name="Retirer de Google").click()

        await expect(reply.locator(".delivery")).to_have_text("Retirée par l’hôtel", timeout=20_000)
        await expect(reply.get_by_role("button", name="Retirer de Google")).to_have_count(0)
        removal = page.locator(".entry.reply-removal")
        await expect(removal).to_contain_text("Retrait de Google demandé par Admin fr · effectué")
        await expect(removal).to_have_attribute("data-state", "sent")
        assert google.reply_of(name) is None
        await page.screenshot(path=str(screenshots / "public-reply-removed.png"))

        # Google refuses the next one: the reply stays published, with Google's reason, in English.
        kept = "Thank you for your visit."
        name, conversation_id = await answered_review(kept)
        google.fail("DELETE", 403, "The caller does not have permission")
        english = (await new_page()).page
        await sign_in(english, gateway, people["en"])
        await english.goto(f"{gateway}/conversations/{conversation_id}")
        reply = english.locator(".entry.message.outbound", has_text=kept)
        await remove_from_google(english, reply, "Remove from Google")
        await expect(reply.locator(".removal-failed")).to_have_text(
            "Removal refused by the platform: The caller does not have permission", timeout=20_000
        )
        await expect(reply.locator(".delivery")).to_have_text("Published")
        await expect(english.locator(".entry.reply-removal")).to_contain_text(
            "Removal from Google requested by Admin en · refused — The caller does not have permission"
        )
        await expect(reply.get_by_role("button", name="Remove from Google")).to_be_visible()  # it can be tried again
        assert (google.reply_of(name) or {}).get("comment") == kept
        await english.screenshot(path=str(screenshots / "public-reply-removal-refused.png"))
