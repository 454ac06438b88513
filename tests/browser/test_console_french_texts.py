"""What the hub writes itself reads in the agent's language (issue 21, item 4): a call's subject and summary,
the placeholder of a message without text, a reservation's party size (one and other plural forms), and the
names of headquarters' attributes on the guest card; the same request shows them in English to an English
reader (the texts are stored as keys and values beside their English)."""

import json
import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, send_email, sign_in, signed_post
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.browser

RESERVED_FOR = "2026-12-24"
CUSTOMER = f"C-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Shown:
    """What the console shows in one language."""

    agent: str  # the chain's agent who reads it
    call_subject: str
    call_text: str
    no_text: str
    reservation: str
    attributes: dict[str, tuple[str, str | re.Pattern[str]]]  # name -> (label, value)


SHOWN = {
    "fr": Shown(
        agent="marc",
        call_subject="Appel de {caller}",
        call_text="Appel manqué de {caller}, 0 min 00 s.",
        no_text="(sans texte)",
        reservation=f"🛎 Réservation : Restaurant, {RESERVED_FOR}, 1 personne",
        attributes={
            "loyalty_tier": ("Niveau de fidélité", "gold"),
            "purchase_amount": ("Montant des achats", re.compile(r"^1\s234,5$")),  # a narrow no-break space
            "birth_date": ("Date de naissance", "1 mai 1980"),
            "vip": ("VIP", "✓"),
            "customer_id": ("Numéro client", CUSTOMER),
        },
    ),
    "en": Shown(
        agent="claire",
        call_subject="Call from {caller}",
        call_text="Missed call from {caller}, 0 min 00 s.",
        no_text="(no text)",
        reservation=f"🛎 Reservation: Restaurant, {RESERVED_FOR}, 1 person",
        attributes={
            "loyalty_tier": ("Loyalty tier", "gold"),
            "purchase_amount": ("Purchase amount", "1,234.5"),
            "birth_date": ("Date of birth", "1 May 1980"),
            "vip": ("VIP", "✓"),
            "customer_id": ("Customer ID", CUSTOMER),
        },
    ),
}


async def a_missed_call(gateway: str, hotel: str) -> str:
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    caller = f"+33 6 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
    call = {"call_id": uuid.uuid4().hex, "location": hotel, "caller": caller, "direction": "missed"}
    await signed_post(gateway, "/ingest/calls", json.dumps(call).encode())
    return caller


async def an_email_without_text(gateway: str, hotel: str, sender: str, subject: str) -> None:
    raw = (
        f"From: Nora Guest <{sender}>\r\nTo: {hotel}@hotels.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    await send_email(gateway, hotel, raw)


async def show(page: Page, who: str, language: str, gateway: str) -> None:
    await sign_in(page, gateway, who)
    await page.select_option("#lang-select", language)
    await expect(page.locator("html")).to_have_attribute("lang", language)


async def test_texts_the_hub_wrote_read_in_the_agent_s_language(gateway: str, chain: Chain, new_page: NewPage) -> None:
    caller = await a_missed_call(gateway, chain.opera)
    sender = f"nora-{uuid.uuid4().hex[:8]}@example.com"
    subject = f"Photo of the view {uuid.uuid4().hex[:6]}"
    await an_email_without_text(gateway, chain.opera, sender, subject)
    async with httpx.AsyncClient(timeout=15) as http:
        admin = AgentApi(http, gateway, chain.admin)
        # The guest who wrote is a contact (contacts resolved her address); headquarters knows more of her.
        [emailed] = await eventually(
            lambda: admin.conversations(location=chain.opera, q=subject),
            lambda found: bool(found and found[0]["contact_id"]),
        )
        await admin.ok(
            "POST", emailed["id"], "reservations", {"kind": "restaurant", "date": RESERVED_FOR, "party_size": 1}
        )
        rows = (
            "email,customer_id,loyalty_tier,purchase_amount,birth_date,vip\n"
            f"{sender},{CUSTOMER},gold,1234.5,1980-05-01,true\n"
        )
        headers = {**chain.admin, "Content-Type": "text/csv"}
        started = await http.post(f"{gateway}/api/v1/contacts/imports", content=rows.encode(), headers=headers)
        assert started.status_code == 202, started.text
        report = await eventually(
            lambda: http.get(f"{gateway}/api/v1/contacts/imports/{started.json()['id']}", headers=chain.admin),
            lambda answer: answer.json()["status"] != "running",
        )
        assert report.json()["applied"] == 1, report.json()
        # Headquarters' attributes show to the agents of a hotel that served the guest: the hotel answers her.
        await admin.ok("POST", emailed["id"], "messages", {"text": "Lovely view indeed."})
        signed_in = await http.post(f"{gateway}/api/v1/auth/login", json={"email": chain.marc, "password": PASSWORD})
        marc = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        await eventually(
            lambda: http.get(f"{gateway}/api/v1/contacts/{emailed['contact_id']}", headers=marc),
            lambda answer: bool(answer.json().get("attributes")),
            timeout=30,
        )

    for language, expected in SHOWN.items():
        page = (await new_page(locale="fr-FR" if language == "fr" else "en-GB")).page
        await show(page, getattr(chain, expected.agent), language, gateway)

        # The missed call: its subject and summary, on the list's row and in the request.
        call_row = page.locator("#list .item", has_text=caller)
        await expect(call_row.locator(".subject")).to_have_text(
            expected.call_subject.format(caller=caller), timeout=20_000
        )
        await expect(call_row.locator(".snippet")).to_have_text(expected.call_text.format(caller=caller))
        await call_row.click()
        await expect(page.locator("#subject")).to_have_text(expected.call_subject.format(caller=caller))
        message = page.locator(".entry.message.inbound").last
        await expect(message.locator(".entry-subject")).to_have_text(expected.call_subject.format(caller=caller))
        await expect(message.locator(".text")).to_have_text(expected.call_text.format(caller=caller))

        # The email without text: the placeholder; the reservation for one; the contact's imported attributes.
        mail_row = page.locator("#list .item", has_text=subject)
        await expect(mail_row.locator(".snippet")).to_have_text(expected.no_text)
        await mail_row.click()
        await expect(page.locator("#subject")).to_have_text(subject)
        await expect(page.locator(".entry.message.inbound .text")).to_have_text(expected.no_text)
        await expect(page.locator(".entry.reservation strong")).to_have_text(expected.reservation)
        attributes = page.locator("#profile dl.attributes")
        for name, (label, value) in expected.attributes.items():
            await expect(attributes.locator(f'dt[data-attribute="{name}"]')).to_have_text(label)
            await expect(attributes.locator(f'dt[data-attribute="{name}"] + dd')).to_have_text(value)
