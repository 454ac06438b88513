"""Browser tests of the agent console: headless Chromium (Debian's `chromium`) driven by Playwright
from PyPI through `executable_path`, so no browser is downloaded.

The stack is the integration tests' (`stack` and `gateway` are imported from there). Fixtures belong to
the directory that defines them, so in a full run the browser tests get a stack of their own, like the
fault suite, and neither sees the other's data. Each session builds a small chain of its own (three
hotels in two groups, two agents, a template) with unique ids. Screenshots of the main screens go to
`HUB_SCREENSHOTS_DIR` (default `.run/screenshots`, git-ignored).
"""

import json
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from scripts.demo_chain import SETTINGS
from shared import signatures
from tests.integration.conftest import (  # noqa: F401 - fixtures used by the tests of this directory
    BOOTSTRAP_PASSWORD,
    HOTEL_MAIL_DOMAIN,
    WEBHOOK_SECRET,
    Stack,
    gateway,
    stack,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-test-password"
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}


@dataclass
class Chain:
    """The session's hotels, groups and agents (ids unique to the run)."""

    suffix: str
    opera: str
    louvre: str
    nice: str
    paris_group: str
    riviera_group: str
    claire: str  # an agent of both groups (English)
    marc: str  # another agent of both groups (French)
    template: str
    admin: dict[str, str] = field(default_factory=dict)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Debian's chromium is not installed: run `make tools` (scripts/install-tools.sh)")
    return found


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS_DIR", ROOT / ".run" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def chain(stack: Stack, gateway: str) -> Chain:  # noqa: F811 - the imported fixtures
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=gateway, timeout=15) as client:
        deadline = time.monotonic() + 60
        while True:
            answer = client.post(
                "/api/v1/auth/login", json={"email": "admin@test.hotel", "password": BOOTSTRAP_PASSWORD}
            )
            if answer.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer.status_code == 200, answer.text
        admin = {"Authorization": f"Bearer {answer.json()['token']}"}

        def ok(response: httpx.Response) -> Any:
            assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
            return response.json() if response.content else None

        built = Chain(
            suffix=suffix,
            opera=f"opera-{suffix}",
            louvre=f"louvre-{suffix}",
            nice=f"nice-{suffix}",
            paris_group=f"paris-{suffix}",
            riviera_group=f"riviera-{suffix}",
            claire=f"claire-{suffix}@browser.hotel",
            marc=f"marc-{suffix}@browser.hotel",
            template="",
            admin=admin,
        )
        for hotel, name in [(built.opera, "Opéra"), (built.louvre, "Louvre"), (built.nice, "Promenade Nice")]:
            ok(client.post("/api/v1/locations", json={"id": hotel, "name": f"Hôtel {name}"}, headers=admin))
        for group, name, hotels in [
            (built.paris_group, "Paris region", [built.opera, built.louvre]),
            (built.riviera_group, "Riviera", [built.nice]),
        ]:
            body = {"id": group, "name": f"{name} {suffix}", "location_ids": hotels}
            ok(client.post("/api/v1/location-groups", json=body, headers=admin))
        groups = [built.paris_group, built.riviera_group]
        for email, name, language in [(built.claire, "Claire Dubois", "en"), (built.marc, "Marc Petit", "fr")]:
            body = {"name": name, "email": email, "group_ids": groups, "language": language, "password": PASSWORD}
            ok(client.post("/api/v1/agents", json=body, headers=admin))
        template = {
            "name": f"Welcome {suffix}",
            "language": "en",
            "body": "Hello {guest_first_name},\n\nThank you for writing to {hotel_name}.\n\n{agent_name}",
            "location_ids": [built.opera, built.louvre, built.nice],
        }
        built.template = ok(client.post("/api/v1/templates", json=template, headers=admin))["id"]
        ok(client.put("/api/v1/settings", json=SETTINGS, headers=admin))
    return built


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses to run as root
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path(), args=args)
        yield launched
        await launched.close()


@dataclass
class Watched:
    """A page with what would betray injected script: dialogs opened, uncaught errors."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


NewPage = Callable[..., Awaitable[Watched]]


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[NewPage]:
    """Open pages, each in a browser context of its own (its own cookies: another person)."""
    contexts: list[BrowserContext] = []
    watched: list[Watched] = []

    async def open_page(locale: str = "en-GB") -> Watched:
        context = await browser.new_context(viewport=VIEWPORT, locale=locale, timezone_id="America/New_York")
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        seen = Watched(page)

        async def dismiss(dialog: Any) -> None:
            seen.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", dismiss)
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        watched.append(seen)
        return seen

    yield open_page
    for context in contexts:
        await context.close()
    for seen in watched:
        assert not seen.errors, f"the page threw: {seen.errors}"
        assert not seen.dialogs, f"a dialog opened: {seen.dialogs}"


async def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/")
    await page.wait_for_selector("body[data-ready=login]")
    await page.fill("#login-form input[name=email]", email)
    await page.fill("#login-form input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("body[data-ready=true]")


async def send_form(base: str, hotel: str, subject: str, message: str, name: str = "Anna Guest", **extra: str) -> None:
    """A guest's web form, as the hotel's website posts it."""
    body = {"name": name, "email": f"guest-{uuid.uuid4().hex[:6]}@example.com", "subject": subject, "message": message}
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(f"{base}/ingest/forms/{hotel}", json={**body, **extra})
    assert answer.status_code == 202, answer.text


async def signed_post(base: str, path: str, content: bytes, content_type: str = "application/json") -> None:
    """A webhook signed with the shared secret (review platforms, inbound mail)."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": content_type,
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, content),
    }
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(f"{base}{path}", content=content, headers=headers)
    assert answer.status_code == 202, answer.text


async def send_review(base: str, hotel: str, title: str, rating: int) -> None:
    review = {
        "platform": "tripadvisor",
        "review_id": uuid.uuid4().hex,
        "location": hotel,
        "author": "Sam Critic",
        "rating": rating,
        "scale": 5,
        "title": title,
        "text": "Noise all night and nobody at the desk.",
    }
    await signed_post(base, "/ingest/reviews", json.dumps(review).encode())


async def send_email(base: str, hotel: str, raw: str) -> None:
    await signed_post(base, f"/ingest/email/raw?to={hotel}@{HOTEL_MAIL_DOMAIN}", raw.encode(), "message/rfc822")


def row(page: Page, subject: str) -> Any:
    """The list row of the request with this subject."""
    return page.locator("#list .item", has_text=subject)
