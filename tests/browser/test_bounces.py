"""A bounce in the console: an agent's reply that a mail server returned shows "not delivered" with the
server's diagnostic on that reply, live, in French and in English."""

import asyncio
import smtplib
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import Chain, NewPage, row, send_form, sign_in
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi
from tests.support import bounce_mail
from tests.support.polling import eventually

pytestmark = pytest.mark.browser


async def test_a_returned_reply_shows_not_delivered_on_it(
    gateway: str, chain: Chain, stack: Stack, new_page: NewPage, screenshots: Path
) -> None:
    subject = f"Shuttle from the airport {uuid.uuid4().hex[:6]}"
    guest = f"gone-{uuid.uuid4().hex[:8]}@example.com"
    await send_form(gateway, chain.opera, subject, "Is there a shuttle from CDG?", name="Paul Absent", email=guest)
    marc = (await new_page(locale="fr-FR")).page
    await sign_in(marc, gateway, chain.marc)
    await row(marc, subject).click()
    await expect(marc.locator("#subject")).to_have_text(subject)
    await marc.fill("#composer-text", "Bonjour, oui : la navette part toutes les heures.")
    await marc.press("#composer-text", "Control+Enter")
    reply = marc.locator(".entry.message.outbound").last
    await expect(reply.locator(".delivery")).to_have_attribute("data-state", "sent")

    assert stack.sink is not None
    sink = stack.sink
    [sent] = await eventually(lambda: asyncio.sleep(0, result=sink.to(guest)), bool)
    message_id = str(sent.email["Message-ID"]).strip("<>")
    hotel = f"{chain.opera}@{HOTEL_MAIL_DOMAIN}"
    report = bounce_mail.postfix(hotel, guest, message_id)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.sendmail("", [hotel], report)

    # Live, on the reply itself: the French label and the receiving server's words.
    badge = reply.locator(".delivery")
    await expect(badge).to_have_attribute("data-bounce", "hard")
    await expect(badge).to_contain_text("Non distribué")
    await expect(badge).to_contain_text("550 5.1.1 mailbox unavailable")
    await marc.screenshot(path=str(screenshots / "bounce-fr.png"))

    # A hard bounce: the contact card shows the address does not take mail (contacts marks it).
    async def marks() -> list[object]:
        async with httpx.AsyncClient(timeout=10) as client:
            api = AgentApi(client, stack.url("inbox"), agent_headers([chain.opera]))
            [request] = [
                c for c in await api.conversations(location=chain.opera, view="all") if c["subject"] == subject
            ]
            contact = await client.get(
                f"{stack.url('contacts')}/api/v1/contacts/{request['contact_id']}", headers=ADMIN
            )
            return list(contact.json().get("bounced_emails") or [])

    await eventually(marks, bool)
    claire = (await new_page()).page
    await sign_in(claire, gateway, chain.claire)
    await row(claire, subject).click()
    returned = claire.locator(".entry.message.outbound").last.locator(".delivery")
    await expect(returned).to_contain_text("Not delivered — 550 5.1.1 mailbox unavailable")
    card = claire.locator(".right .card.contact")
    await expect(card.locator(".bounced")).to_contain_text("mail not delivered — 550 5.1.1 mailbox unavailable")
