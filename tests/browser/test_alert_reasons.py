"""Issue 22, part 5, in the console: a request made an alert by the guest's words says why, in the header of
the request and in its list row's tooltip, in the reader's language."""

import uuid

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Chain, NewPage, row, send_form, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("agent", "locale", "shown"),
    [("claire", "en-US", "Alert: negative wording"), ("marc", "fr-FR", "Alerte : propos très négatifs")],
)
async def test_an_alert_from_the_guest_words_says_why(
    gateway: str, chain: Chain, new_page: NewPage, agent: str, locale: str, shown: str
) -> None:
    subject = f"Room 12 {uuid.uuid4().hex[:6]}"
    await send_form(gateway, chain.opera, subject, "This is unacceptable. Filthy room, I want a refund.")
    page = (await new_page(locale=locale)).page
    await sign_in(page, gateway, getattr(chain, agent))
    listed = row(page, subject)
    await expect(listed.locator(".alert")).to_have_attribute("title", shown)
    await listed.click()
    await expect(page.locator("#alert-badge")).to_have_text(f"⚠ {shown}")
