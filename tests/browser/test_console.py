"""The agent console in a real browser, as a hotel agent works: sign in, see requests arrive live, read,
assign, answer, put on hold, close, chat with a guest, solicit someone outside, filter, switch language;
and whatever a guest sends stays text."""

import asyncio
import base64
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import (
    PASSWORD,
    Chain,
    NewPage,
    row,
    send_email,
    send_form,
    send_review,
    sign_in,
)
from tests.integration.conftest import Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

PNG = base64.b64decode(  # one pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


async def open_request(page: Page, subject: str) -> None:
    await row(page, subject).click()
    await expect(page.locator("#subject")).to_have_text(subject)


async def shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"))


class TestInbox:
    async def test_sign_in_and_a_new_form_request_arrives_live(
        self, gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
    ) -> None:
        agent = (await new_page()).page
        await agent.goto(f"{gateway}/")
        await agent.wait_for_selector("body[data-ready=login]")
        await shot(agent, screenshots, "01-sign-in")
        await sign_in(agent, gateway, chain.claire)
        await expect(agent.locator("#me")).to_contain_text("Claire Dubois")
        await expect(agent.locator("#live-state")).to_have_attribute("data-state", "connected")
        tab = agent.locator(".tab[data-view=inbox] .count")
        before = int(await tab.text_content() or "0")

        subject = unique("Late check-in")
        await send_form(gateway, chain.opera, subject, "We land at 23:40, please keep the room.", name="Anna Keller")
        new_row = row(agent, subject)
        await expect(new_row).to_be_visible()  # no reload: the live stream brought it
        await expect(new_row.locator(".who")).to_have_text("Anna Keller")
        await expect(new_row).to_have_attribute("data-unread", "true")
        await expect(tab).to_have_text(str(before + 1))
        await shot(agent, screenshots, "02-inbox")

    async def test_a_resync_from_the_live_stream_reloads_the_open_request(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        """Issue 19: a stream that fell behind is sent `resync` instead of losing events silently, and the
        console reloads the list, the counts and the open request. The test plays the stream: silent while
        a note is added, then `resync` (a reconnection alone reloads the list, never the open request)."""
        subject = unique("Extra pillows")
        await send_form(gateway, chain.opera, subject, "Two more pillows for room 8, please.")
        async with httpx.AsyncClient(timeout=10) as http:
            admin = AgentApi(http, gateway, chain.admin)
            found = await eventually(lambda: admin.conversations(location=chain.opera, q=subject), bool)
            may_speak = asyncio.Event()

            async def stream(route: Route) -> None:
                await may_speak.wait()
                body = 'retry: 3000\n\nevent: resync\ndata: {"reason": "stream_behind"}\n\n'
                await route.fulfill(status=200, content_type="text/event-stream", body=body)

            agent = (await new_page()).page
            await agent.route("**/api/v1/events", stream)
            await sign_in(agent, gateway, chain.claire)
            await open_request(agent, subject)
            note = unique("Pillows brought up")
            await admin.ok("POST", found[0]["id"], "notes", {"text": note})
            await agent.wait_for_timeout(500)
            await expect(agent.locator(".entry.note")).to_have_count(0)
            may_speak.set()
            await expect(agent.locator(".entry.note").last).to_contain_text(note)

    async def test_unread_clears_after_three_seconds_of_viewing_not_one(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        agent = (await new_page()).page
        first, second = unique("Parking question"), unique("Breakfast hours")
        await send_form(gateway, chain.louvre, first, "Is there a parking nearby?")
        await send_form(gateway, chain.louvre, second, "From what time is breakfast served?")
        await sign_in(agent, gateway, chain.claire)
        await expect(row(agent, first)).to_be_visible()
        await expect(row(agent, second)).to_be_visible()

        # A glance of one second at the first: it stays unread.
        await open_request(agent, first)
        await agent.wait_for_timeout(1000)
        await open_request(agent, second)
        await agent.wait_for_timeout(2500)  # longer than 3 s after the first was left
        await expect(row(agent, first)).to_have_attribute("data-unread", "true")

        # Three seconds on the second: its dot clears, and not before.
        opened = time.monotonic()
        await open_request(agent, second)
        await expect(row(agent, second)).to_have_attribute("data-unread", "false", timeout=6000)
        assert time.monotonic() - opened >= 2.9
        await agent.reload()
        await agent.wait_for_selector("body[data-ready=true]")
        await expect(row(agent, second)).to_have_attribute("data-unread", "false")
        await expect(row(agent, first)).to_have_attribute("data-unread", "true")

    async def test_keyboard_moves_opens_replies_and_shows_help(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        agent = (await new_page()).page
        subject = unique("Keyboard")
        await send_form(gateway, chain.nice, subject, "Typed with keys.")
        await sign_in(agent, gateway, chain.claire)
        await agent.select_option("#filter-location", chain.nice)
        await expect(agent.locator("#list .item").first).to_contain_text(subject)
        await agent.locator("#list").focus()
        await agent.keyboard.press("j")
        await agent.keyboard.press("k")
        await expect(agent.locator("#list .item").first).to_have_attribute("aria-selected", "true")
        await agent.keyboard.press("Enter")
        await expect(agent.locator("#subject")).to_have_text(subject)
        await agent.locator("body").press("r")
        await expect(agent.locator("#composer-text")).to_be_focused()
        await agent.locator("#composer-text").blur()
        await agent.keyboard.press("?")
        await expect(agent.locator("#help")).to_be_visible()
        await agent.keyboard.press("Escape")
        await expect(agent.locator("#help")).to_be_hidden()


class TestWorkingARequest:
    async def test_assign_reply_with_a_template_note_hold_until_a_time_and_close(
        self, gateway: str, chain: Chain, stack: Stack, new_page: NewPage, screenshots: Path
    ) -> None:
        agent = (await new_page()).page
        subject = unique("Anniversary dinner")
        await send_form(
            gateway, chain.opera, subject, "Could you book a table for two on Friday?", name="Louise Martin"
        )
        await sign_in(agent, gateway, chain.claire)
        await open_request(agent, subject)

        # Assign to self: the initials replace "Assign", on the button and in the list.
        await agent.click("#assign-button")
        await agent.click("#assign-me")
        await expect(agent.locator("#assign-button")).to_have_text("CD")
        await expect(row(agent, subject).locator(".initials")).to_have_text("CD")

        # Reply with the template (the little pencil), edited before sending with Ctrl+Enter.
        await agent.click(".composer .pencil")
        await agent.locator(".templates .template", has_text=f"Welcome {chain.suffix}").click()
        text = agent.locator("#composer-text")
        await expect(text).to_have_value("Hello Louise,\n\nThank you for writing to Hôtel Opéra.\n\nClaire Dubois")
        await text.press("End")
        await text.type("\nP.S. Friday 20:00 is booked.")
        # With an image shown in the email's body (the picture button; pasting or dropping one does the same).
        table = {"name": "table.png", "mimeType": "image/png", "buffer": PNG}
        await agent.locator("#composer-image-input").set_input_files(table)  # type: ignore[arg-type]
        await expect(agent.locator(".composer .chip[data-inline=true]")).to_contain_text("table.png")
        await text.press("Control+Enter")
        reply = agent.locator(".entry.message.outbound").last
        await expect(reply).to_contain_text("Thank you for writing to Hôtel Opéra.")
        await expect(reply).to_contain_text("P.S. Friday 20:00 is booked.")
        await expect(reply.locator(".inline-images img")).to_have_js_property("naturalWidth", 1)
        await expect(text).to_have_value("")
        guest = (await agent.locator(".right .card a[href^='mailto:']").first.text_content()) or ""
        sent = await eventually(lambda: asyncio.sleep(0, result=stack.sink.to(guest) if stack.sink else []), bool)
        assert "P.S. Friday 20:00 is booked." in sent[-1].email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = sent[-1].email.get_body(("html",))
        assert html is not None
        assert '<img src="cid:' in html.get_content()
        await expect(reply.locator(".delivery")).to_have_attribute("data-state", "sent")

        # An internal note, shown apart from the messages.
        await agent.click(".composer-tabs [data-mode=note]")
        await text.fill("Guest is a regular: offer the corner table.")
        await agent.click(".composer .send")
        await expect(agent.locator(".entry.note").last).to_contain_text("offer the corner table")
        await shot(agent, screenshots, "03-request")

        # On hold until a time (in the hotel's time zone): it comes back by itself.
        await agent.click("#snooze-button")
        until = await agent.evaluate(
            """() => {
              const parts = {};
              const f = new Intl.DateTimeFormat("en-US", {timeZone: "Europe/Paris", hourCycle: "h23", year: "numeric",
                month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"});
              for (const p of f.formatToParts(new Date(Date.now() + 4000))) parts[p.type] = p.value;
              return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
            }"""
        )
        await agent.fill("#snooze-until", until)
        await agent.click("#modal button[type=submit]")
        badge = agent.locator("#status-badge")
        await expect(badge).to_have_attribute("data-status", "on_hold")
        await expect(badge).to_contain_text(until[11:16])  # the hotel's wall-clock time, not the browser's
        await expect(badge).to_have_attribute("data-status", "open", timeout=15_000)
        await expect(agent.locator(".entry.event", has_text="hold time passed")).to_be_visible()

        # Close it with the keyboard (e): it leaves the inbox for the closed tab.
        await agent.locator("body").press("e")
        await expect(badge).to_have_attribute("data-status", "closed")
        await expect(row(agent, subject)).to_have_count(0)
        await agent.click(".tab[data-view=closed]")
        await expect(row(agent, subject)).to_be_visible()

    async def test_a_guest_chat_answered_live_then_ended_on_hold(
        self, gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
    ) -> None:
        guest = (await new_page(locale="fr-FR")).page
        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        await agent.select_option("#filter-channel", "chat")

        await guest.goto(f"{gateway}/ingest/demo/{chain.louvre}")
        widget = guest.locator("section[aria-label]")
        opening = unique("Bonjour, avez-vous une chambre pour ce soir ?")
        await widget.locator("input[aria-label]").first.fill(opening)
        await widget.locator("button[type=submit]").click()

        chat_row = agent.locator("#list .item", has_text=opening)
        await expect(chat_row).to_be_visible(timeout=20_000)
        await chat_row.click()
        await expect(agent.locator("#composer-channel")).to_have_attribute("data-channel", "chat")
        await agent.fill("#composer-text", "Bonsoir ! Oui, une chambre double est libre.")
        await agent.press("#composer-text", "Control+Enter")
        await expect(widget).to_contain_text("Bonsoir ! Oui, une chambre double est libre.")

        follow_up = "Parfait, je la prends."
        await widget.locator("input[aria-label]").first.fill(follow_up)
        await widget.locator("button[type=submit]").click()
        await expect(agent.locator(".entry.message.inbound", has_text=follow_up)).to_be_visible()
        await shot(agent, screenshots, "04-chat-agent")
        await shot(guest, screenshots, "05-chat-guest")

        await agent.click("#close-chat-button")
        await expect(agent.locator("#modal select[name=resulting_status]")).to_have_value("closed")
        await agent.select_option("#modal select[name=resulting_status]", "on_hold")
        await agent.click("#modal button[type=submit]")
        await expect(agent.locator("#status-badge")).to_have_attribute("data-status", "on_hold")
        await expect(widget).to_contain_text("La conversation est terminée.")
        await expect(agent.locator("#close-chat-button")).to_have_count(0)

    async def test_two_agents_on_one_request_see_each_other(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        subject = unique("Lost umbrella")
        await send_form(gateway, chain.opera, subject, "I left a blue umbrella in room 12.")
        claire, marc = (await new_page()).page, (await new_page(locale="fr-FR")).page
        await sign_in(claire, gateway, chain.claire)
        await sign_in(marc, gateway, chain.marc)
        await open_request(claire, subject)
        await open_request(marc, subject)
        await expect(marc.locator("#collision")).to_contain_text("Claire Dubois")
        await expect(claire.locator("#collision")).to_contain_text("Marc Petit")


class TestViews:
    async def test_a_bad_review_is_listed_under_alerts(
        self, gateway: str, chain: Chain, new_page: NewPage, screenshots: Path
    ) -> None:
        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        title = unique("Never again")
        await send_review(gateway, chain.nice, title, rating=1)
        await agent.click(".bucket[data-bucket=alerts]")
        alert = row(agent, title)
        await expect(alert).to_be_visible()
        await expect(alert.locator(".alert")).to_be_visible()
        await expect(agent.locator(".bucket[data-bucket=alerts] .count")).not_to_have_text("0")
        await open_request(agent, title)
        await expect(agent.locator(".entry.message.inbound .rating")).to_have_text("★ 1/5")  # the platform's scale
        await shot(agent, screenshots, "06-alerts")

    async def test_filter_by_a_group_of_hotels(self, gateway: str, chain: Chain, new_page: NewPage) -> None:
        in_paris, in_nice = unique("Paris request"), unique("Nice request")
        await send_form(gateway, chain.louvre, in_paris, "For the Louvre.")
        await send_form(gateway, chain.nice, in_nice, "For Nice.")
        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        await expect(row(agent, in_nice)).to_be_visible()
        await agent.select_option("#filter-group", chain.paris_group)
        await expect(row(agent, in_nice)).to_have_count(0)
        await expect(row(agent, in_paris)).to_be_visible()
        hotels = await agent.locator("#list .item").evaluate_all("rows => rows.map(r => r.dataset.location)")
        assert set(hotels) <= {chain.opera, chain.louvre}, hotels

    async def test_switch_to_french(self, gateway: str, chain: Chain, new_page: NewPage, screenshots: Path) -> None:
        agent = (await new_page()).page
        subject = unique("Room upgrade")
        await send_form(gateway, chain.opera, subject, "Is an upgrade possible?")
        await sign_in(agent, gateway, chain.claire)
        await expect(agent.locator(".tab[data-view=inbox]")).to_contain_text("Inbox")
        await agent.select_option("#lang-select", "fr")
        await expect(agent.locator(".tab[data-view=inbox]")).to_contain_text("Boîte de réception")
        await expect(agent.locator(".bucket[data-bucket=alerts]")).to_contain_text("Alertes")
        await open_request(agent, subject)
        await expect(agent.locator("#close-button")).to_contain_text("Terminer")
        await expect(agent.locator("#composer-text")).to_have_attribute(
            "placeholder", "Rédigez votre réponse… (Ctrl+Entrée pour envoyer)"
        )
        await shot(agent, screenshots, "07-french")
        await agent.reload()  # the choice is kept
        await agent.wait_for_selector("body[data-ready=true]")
        await expect(agent.locator(".tab[data-view=inbox]")).to_contain_text("Boîte de réception")
        # The choice is the agent's setting: put English back for the tests that sign in as Claire next.
        await agent.select_option("#lang-select", "en")
        await expect(agent.locator(".tab[data-view=inbox]")).to_contain_text("Inbox")


class TestSolicitations:
    async def test_solicit_with_keyboard_autocomplete_then_answer_in_the_thread(
        self, gateway: str, chain: Chain, stack: Stack, new_page: NewPage, screenshots: Path
    ) -> None:
        subject = unique("Wheelchair access")
        await send_form(gateway, chain.opera, subject, "Is the spa reachable by wheelchair?")
        often, once = f"spa-{chain.suffix}@partner.hotel", f"spare-{chain.suffix}@supplier.hotel"
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as http:
            signed_in = await http.post("/api/v1/auth/login", json={"email": chain.claire, "password": PASSWORD})
            bearer = {"Authorization": f"Bearer {signed_in.json()['token']}"}

            async def listed() -> list[dict[str, Any]]:
                found = await http.get("/api/v1/conversations", params={"q": subject}, headers=bearer)
                items: list[dict[str, Any]] = found.json()["items"]
                return items

            conversation_id = (await eventually(listed, bool))[0]["id"]
            # Earlier solicitations from this hotel: the most used address comes first.
            for to in [often, often, once]:
                body = {"conversation_id": conversation_id, "to": to, "text": "Earlier question."}
                answer = await http.post("/api/v1/solicitations", json=body, headers=bearer)
                assert answer.status_code == 201, answer.text

        agent = (await new_page()).page
        await sign_in(agent, gateway, chain.claire)
        await open_request(agent, subject)
        await agent.click("#solicit-button")
        await expect(agent.locator("#solicit-subject")).to_have_value(subject)
        recipient = agent.locator("#solicit-to")
        await recipient.type("spa", delay=30)
        options = agent.locator("#solicit-suggestions li")
        await expect(options).to_have_count(2)
        await expect(options.first).to_contain_text(often)
        await recipient.press("ArrowDown")
        await recipient.press("ArrowDown")
        await recipient.press("ArrowUp")
        await expect(options.first).to_have_attribute("aria-selected", "true")
        await recipient.press("Enter")
        await expect(recipient).to_have_value(often)
        await expect(agent.locator("#modal")).to_be_visible()  # Enter picked the address, it did not send
        await agent.fill("#solicit-subject", f"{subject} — access")
        await agent.fill("#modal textarea[name=text]", "Can a wheelchair reach the spa on level -1?")
        await agent.click("#modal button[type=submit]")

        # Each solicitation is a thread of its own, folded under its heading: the earlier ones, and this one.
        thread = agent.locator("details.solicitation", has_text="Can a wheelchair reach the spa on level -1?")
        await expect(thread).to_have_count(1, timeout=15_000)
        await expect(agent.locator("details.solicitation", has_text=often)).to_have_count(3)
        await thread.locator("summary").click()
        await expect(thread).to_have_attribute("open", "")
        await expect(thread.locator("summary")).to_contain_text(often)
        await thread.locator("button.answer").click()
        await expect(agent.locator("#answer-to")).to_have_value(often)
        await expect(agent.locator("#answer-to")).to_have_attribute("readonly", "")
        await expect(agent.locator("#answer-subject")).to_have_value(f"{subject} — access")
        await shot(agent, screenshots, "08-solicitation")
        # A formatted body: the B button wraps the selection; the thread and the email show it in bold.
        text = agent.locator("#modal textarea[name=text]")
        await text.fill("lift")
        await text.press("Control+a")
        await agent.click("#format-bold")
        await text.press("End")
        await text.type(" from the lobby?")
        await expect(text).to_have_value("**lift** from the lobby?")
        await agent.click("#modal button[type=submit]")
        await expect(thread).to_contain_text("lift from the lobby?", timeout=15_000)
        await expect(thread.locator(".formatted strong")).to_have_text("lift")

        async def bodies() -> list[str]:
            mails = stack.sink.to(often) if stack.sink else []
            return [str(part.get_content()) for m in mails if (part := m.email.get_body(("html",))) is not None]

        html = await eventually(bodies, lambda found: any("lobby" in body for body in found))
        assert any("<strong>lift</strong> from the lobby?" in body for body in html)


HOSTILE = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'


class TestHostileContent:
    async def test_scripts_handlers_svg_and_javascript_links_from_guests_stay_inert(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        form_subject = unique("Question") + HOSTILE
        await send_form(
            gateway,
            chain.nice,
            form_subject,
            '<svg onload="window.__pwned=3"><script>alert(4)</script></svg> <a href="javascript:alert(5)">click</a>',
            name='<b onmouseover="window.__pwned=6">Eve</b>',
        )
        mail_subject = unique("Invoice")
        html = (
            "<p>Hello</p><script>parent.__pwned=7;alert(7)</script>"
            '<img src="cid:none" onerror="parent.__pwned=8">'
            '<svg><script>parent.__pwned=9</script><circle r="5" onclick="alert(10)"/></svg>'
            '<a href="javascript:parent.__pwned=11">pay here</a>'
            '<iframe src="javascript:alert(12)"></iframe><form action="https://evil.test"><input name=card></form>'
        )
        raw = (
            f"From: Eve <eve@example.com>\r\nTo: {chain.nice}@hotels.test\r\nSubject: {mail_subject}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello <script>alert(13)</script>\r\n"
            f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
        )
        await send_email(gateway, chain.nice, raw)

        watched = await new_page()
        agent = watched.page
        await sign_in(agent, gateway, chain.claire)
        await agent.select_option("#filter-location", chain.nice)
        hostile_row = row(agent, HOSTILE)
        await expect(hostile_row).to_be_visible()
        await expect(hostile_row.locator(".who")).to_have_text('<b onmouseover="window.__pwned=6">Eve</b>')
        await hostile_row.click()
        await expect(agent.locator("#subject")).to_have_text(form_subject)
        await expect(agent.locator(".entry.message.inbound .text")).to_contain_text('<a href="javascript:alert(5)">')
        await agent.hover(".right .card .name")

        await row(agent, mail_subject).click()
        await expect(agent.locator("#subject")).to_have_text(mail_subject)
        details = agent.locator("details.html-version").first
        await details.locator("summary").click()
        frame_element = details.locator("iframe")
        await expect(frame_element).to_have_attribute("sandbox", "allow-popups allow-popups-to-escape-sandbox")
        frame = agent.frame_locator("details.html-version iframe").first
        await expect(frame.locator("body")).to_contain_text("Hello")
        await frame.locator("a", has_text="pay here").click()
        await agent.wait_for_timeout(500)

        assert await agent.evaluate("() => window.__pwned") is None
        assert not await agent.locator("script:not([src])").count(), "no inline script may enter the console"
        assert watched.dialogs == []
        assert watched.errors == []
