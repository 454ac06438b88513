"""The guest card in a real browser (seed 003): a chat's agent creates the guest's contact from the card, the
request takes the contact's name everywhere, the chat ends "in progress" and goes on by email from the same
request; the agent corrects the contact's name and phone from the card."""

import uuid
from email.message import EmailMessage

import aiosmtplib
import pytest
from playwright.async_api import expect

from tests.browser.conftest import Chain, NewPage, sign_in
from tests.integration.conftest import Stack
from tests.support.polling import eventually
from tests.support.smtp_sink import Received

pytestmark = pytest.mark.browser


async def test_a_chat_linked_to_a_new_contact_goes_on_by_email_and_the_card_edits_name_and_phone(
    gateway: str, chain: Chain, stack: Stack, new_page: NewPage
) -> None:
    guest = (await new_page(locale="fr-FR")).page
    agent = (await new_page()).page
    await sign_in(agent, gateway, chain.claire)
    await agent.select_option("#filter-channel", "chat")

    await guest.goto(f"{gateway}/ingest/demo/{chain.opera}")
    widget = guest.locator("section[aria-label]")
    opening = f"Pouvez-vous m'envoyer les tarifs du spa ? {uuid.uuid4().hex[:6]}"
    await widget.locator("input[aria-label]").first.fill(opening)
    await widget.locator("button[type=submit]").click()
    await expect(agent.locator("#list .item", has_text=opening)).to_be_visible(timeout=20_000)
    # The row by its request (its snippet changes as the guest writes again).
    cid = await agent.locator("#list .item", has_text=opening).get_attribute("data-id")
    chat_row = agent.locator(f'#list .item[data-id="{cid}"]')
    await expect(chat_row.locator(".who")).to_have_text("Unknown guest")
    await chat_row.click()
    await expect(agent.locator("#composer-channel")).to_have_attribute("data-channel", "chat")

    # The agent creates the guest's contact from the card; the request is linked to it and named after it.
    address = f"lea-{uuid.uuid4().hex[:8]}@example.com"
    profile = agent.locator("#profile")
    await profile.get_by_role("button", name="Create a contact").click()
    await agent.fill("#modal input[name=first_name]", "Léa")
    await agent.fill("#modal input[name=last_name]", "Martin")
    await agent.fill("#modal input[name=email]", address)
    await agent.click("#modal button[type=submit]")
    await expect(profile.locator(".card.contact")).to_contain_text(address)
    await expect(profile.locator("p.name").first).to_have_text("Léa Martin")
    await expect(agent.locator("#guest-name")).to_have_text("Léa Martin")
    await expect(chat_row.locator(".who")).to_have_text("Léa Martin")

    # Ended "in progress": the composer now offers email, to the contact's address.
    await agent.click("#close-chat-button")
    await agent.select_option("#modal select[name=resulting_status]", "open")
    await agent.click("#modal button[type=submit]")
    await expect(agent.locator("#status-badge")).to_have_attribute("data-status", "open")
    await expect(widget).to_contain_text("La conversation est terminée.")
    channel = agent.locator("#composer-channel")
    await expect(channel).to_have_attribute("data-channel", "email")
    await expect(channel).to_contain_text(address)

    await agent.fill("#composer-text", "Voici nos tarifs du spa, comme promis.")
    await agent.press("#composer-text", "Control+Enter")
    await expect(agent.locator(".entry.message.outbound", has_text="tarifs du spa")).to_be_visible()
    assert stack.sink is not None
    sink = stack.sink

    async def mails() -> list[Received]:
        return sink.to(address)

    [mail] = await eventually(mails, lambda found: len(found) == 1)
    answer = EmailMessage()
    answer["From"], answer["To"] = address, str(mail.email["Reply-To"])
    answer["Subject"], answer["In-Reply-To"] = f"Re: {mail.email['Subject']}", mail.message_id
    answer["Message-ID"] = f"<{uuid.uuid4().hex}@guest.example>"
    answer.set_content("Merci, je réserve le massage de vendredi.")
    await aiosmtplib.send(answer, hostname="127.0.0.1", port=stack.smtp_port)
    inbound = agent.locator(".entry.message.inbound", has_text="massage de vendredi")
    await expect(inbound).to_be_visible(timeout=20_000)
    await expect(inbound.locator(".entry-head strong")).to_have_text("Léa Martin")
    # The chat's opening message is still there (the email's subject, "Re: <the chat's title>", quotes it too).
    chat_opening = agent.locator(".entry.message.inbound", has_text=opening).filter(has_not_text="massage de vendredi")
    await expect(chat_opening).to_be_visible()

    # The agent corrects the name and the phone number from the card.
    await profile.locator("button.edit-contact").click()
    await agent.fill("#modal input[name=first_name]", "Léa-Marie")
    await agent.fill("#modal input[name=phone]", "06 12 34 56 99")
    await agent.click("#modal button[type=submit]")
    card = profile.locator(".card.contact")
    await expect(card.locator("p.name")).to_have_text("Léa-Marie Martin")
    await expect(card).to_contain_text("+33612345699")
    # The request follows the contact's new name: the list row, the header and the guest card.
    await expect(chat_row.locator(".who")).to_have_text("Léa-Marie Martin", timeout=20_000)
    await expect(agent.locator("#guest-name")).to_have_text("Léa-Marie Martin")
    await expect(profile.locator("p.name").first).to_have_text("Léa-Marie Martin")

    # What is no phone number is refused with the field named, and nothing changes.
    await profile.locator("button.edit-contact").click()
    await agent.fill("#modal input[name=phone]", "not a number")
    await agent.click("#modal button[type=submit]")
    await expect(agent.locator("#toast")).to_contain_text("phone")
    await agent.keyboard.press("Escape")
    await expect(card).to_contain_text("+33612345699")
