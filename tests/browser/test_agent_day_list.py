"""Issue 21 ("The agent's day"), the list: an alert comes first in the inbox, however many newer requests
there are; a manager of several hotels sees each row's hotel; the pressed bucket's count is readable; the
chat widget's send button shows its whole label."""

import asyncio
import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Chain, NewPage, send_form, send_review, sign_in
from tests.integration.conftest import Stack, create_hotel
from tests.integration.inbox_helpers import AgentApi

pytestmark = pytest.mark.browser

NEWER = 34  # more than a page of the console (30): an alert listed by activity alone would be on the second


async def hotel(http: httpx.AsyncClient, gateway: str, chain: Chain, **fields: str) -> str:
    hotel_id = f"day-{uuid.uuid4().hex[:8]}"
    answer = await http.post(f"{gateway}/api/v1/locations", json={"id": hotel_id, **fields}, headers=chain.admin)
    assert answer.status_code == 201, answer.text
    return hotel_id


# The WCAG contrast ratio of an element's text against the background it is drawn on (its own, or the
# first ancestor's that is not transparent).
CONTRAST = """element => {
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let back = element;
  while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const [a, b] = [rgb(getComputedStyle(element).color), rgb(getComputedStyle(back || document.body).backgroundColor)]
    .map(luminance).sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


async def contrast(page: Page, selector: str) -> float:
    ratio: float = await page.locator(selector).evaluate(CONTRAST)
    return ratio


class TestTheAgentsList:
    async def test_a_bad_review_comes_first_among_newer_requests_and_each_row_names_its_hotel(
        self, gateway: str, chain: Chain, new_page: NewPage
    ) -> None:
        suffix = uuid.uuid4().hex[:6]
        async with httpx.AsyncClient(timeout=15) as http:
            lyon = await hotel(http, gateway, chain, name=f"Hôtel Lyon {suffix}")
            marseille = await hotel(
                http, gateway, chain, name=f"Hôtel Marseille Vieux-Port {suffix}", short_name="Marseille VP"
            )
            manager = f"manager-{suffix}@browser.hotel"
            body = {
                "name": "Nadia Manager",
                "email": manager,
                "role": "manager",
                "location_ids": [lyon, marseille],
                "language": "en",
                "password": PASSWORD,
            }
            answer = await http.post(f"{gateway}/api/v1/agents", json=body, headers=chain.admin)
            assert answer.status_code == 201, answer.text

            title = f"Never again {suffix}"
            await send_review(gateway, lyon, title, rating=1)
            admin = AgentApi(http, gateway, chain.admin)
            [review] = await admin.wait_for(lyon)
            assert review["alert"]
            assert review["priority"] == "high"
            await asyncio.gather(
                *(
                    send_form(gateway, (lyon, marseille)[n % 2], f"Question {n} {suffix}", "When is breakfast?")
                    for n in range(NEWER)
                )
            )
            await admin.wait_for(lyon, count=1 + NEWER // 2)
            await admin.wait_for(marseille, count=NEWER // 2)

        page = (await new_page()).page
        await sign_in(page, gateway, manager)
        first = page.locator("#list .item").first
        await expect(first).to_contain_text(title)
        await expect(first).to_have_attribute("data-alert", "true")
        await expect(first.locator(".alert")).to_be_visible()
        await expect(page.locator("#list .item")).to_have_count(30)
        await expect(page.locator("#list .item[data-alert=true]")).to_have_count(1)

        # Two hotels in one list: each row says whose it is, by the hotel's short name.
        await expect(first.locator(".hotel")).to_have_text(f"Lyon {suffix}")
        await expect(first.locator(".hotel")).to_have_attribute("title", f"Hôtel Lyon {suffix}")
        await expect(page.locator(f"#list .item[data-location={marseille}] .hotel").first).to_have_text("Marseille VP")
        await expect(page.locator(f"#list .item[data-location={lyon}] .hotel").last).to_have_text(f"Lyon {suffix}")
        await expect(page.locator("#list .item .hotel")).to_have_count(30)
        # One hotel chosen: the rows need not say it.
        await page.select_option("#filter-location", marseille)
        await expect(page.locator("#list .item").first).to_contain_text(suffix)
        await expect(page.locator("#list .item .hotel")).to_have_count(0)

    async def test_the_pressed_buckets_count_is_readable(self, gateway: str, chain: Chain, new_page: NewPage) -> None:
        page = (await new_page()).page
        await sign_in(page, gateway, chain.claire)
        for bucket in ("on_hold", "alerts", "new"):
            await page.click(f".bucket[data-bucket={bucket}]")
            pressed = f".bucket[data-bucket={bucket}][aria-pressed=true] .count"
            await expect(page.locator(pressed)).to_be_visible()
            assert await contrast(page, pressed) >= 4.5, bucket
            assert await contrast(page, f".bucket[data-bucket={bucket}][aria-pressed=true]") >= 4.5, bucket
        await page.click(".bucket[data-bucket=new]")  # released
        for bucket in ("on_hold", "alerts", "new"):
            assert await contrast(page, f".bucket[data-bucket={bucket}] .count") >= 4.5, bucket


async def test_the_chat_widgets_send_button_shows_its_whole_label(
    stack: Stack, gateway: str, new_page: NewPage
) -> None:
    hotel_id = create_hotel(stack, f"widget-{uuid.uuid4().hex[:8]}")
    guest = (await new_page(locale="fr-FR")).page
    await guest.goto(f"{gateway}/ingest/demo/{hotel_id}")
    widget = guest.locator("section[aria-label]")
    send = widget.locator("button[type=submit]")
    await expect(send).to_have_text("Envoyer")
    fits = await send.evaluate(
        "b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().right <= b.closest('section')"
        ".getBoundingClientRect().right"
    )
    assert fits, "the label is clipped or the button overflows the widget"
