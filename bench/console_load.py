"""Benchmark: how long the console's inbox takes to become interactive with 10,000 requests in the hotel.

    .venv/bin/python -m bench.console_load [--conversations 10000] [--loads 9] [--backend postgresql|sqlite]

Starts its own NATS, FerretDB (on Debian's PostgreSQL by default, as `make up` runs it) and inbox in a
temporary folder, stores the requests of one hotel straight into the inbox's collections (bench.inbox_list's
synthetic data: 30% open, 10% on hold, the rest closed or spam), then opens the console in headless
Chromium (Debian's package) as an agent of that hotel, several times, each in a fresh browser context
with the session cookie set. "Interactive" is the console's own mark `console-interactive`: the first page
of the list is on screen and the keyboard works (counts and the directory fill in after it). Prints the
median and p95 of that mark from the start of navigation, of the page's API calls, and of the counts.
"""

import argparse
import asyncio
import os
import shutil
import statistics
from typing import Any

from playwright.async_api import async_playwright
from pymongo import AsyncMongoClient

from bench.inbox_list import load
from bench.stack import BACKEND_HELP, BACKENDS, SECRET, bench_stack, p95
from shared.auth import CSRF_COOKIE, SESSION_COOKIE, Actor, csrf_token, issue_token

HOTEL = "hotel-000"  # bench.inbox_list's first hotel: every request, with --locations 1


async def add_agent_and_hotel(mongo_url: str) -> Actor:
    """The hotel and its agent, as the directory stores them (the console reads both at start)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    db = client["hub"]
    await db["locations"].insert_one(
        {"_id": HOTEL, "name": "Hôtel du Banc d'Essai", "timezone": "Europe/Paris", "default_phone_region": "FR"}
    )
    fields = {"name": "Bench Agent", "email": "bench@bench.hotel", "role": "agent", "initials": "BA"}
    hotels = {"location_ids": [HOTEL], "group_ids": []}
    await db["agents"].insert_one({"_id": "bench-agent", **fields, **hotels, "language": "en", "password_hash": ""})
    await client.close()
    return Actor(agent_id="bench-agent", **fields, location_ids=[HOTEL])


PAGE_TIMINGS = """() => {
  const mark = performance.getEntriesByName("console-interactive")[0];
  const calls = performance.getEntriesByType("resource").filter((r) => r.name.includes("/api/v1/conversations"));
  const list = calls.find((r) => !r.name.includes("/counts"));
  const counts = calls.find((r) => r.name.includes("/counts"));
  return {
    interactive: mark ? mark.startTime : null,
    list: list ? list.responseEnd - list.startTime : null,
    counts: counts ? counts.responseEnd : null,
    rows: document.querySelectorAll("#list .item").length,
  };
}"""


async def measure(base: str, actor: Actor, loads: int) -> list[dict[str, float]]:
    token = issue_token(actor, SECRET)
    cookies: list[Any] = [
        {"name": SESSION_COOKIE, "value": token, "url": base},
        {"name": CSRF_COOKIE, "value": csrf_token(token, SECRET), "url": base},
    ]
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=args)
        for attempt in range(loads + 1):  # the first load warms the caches and is not counted
            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            await context.add_cookies(cookies)
            page = await context.new_page()
            await page.goto(f"{base}/")
            await page.wait_for_selector("body[data-ready=true]", timeout=120_000)
            await page.wait_for_selector(".tab .count", timeout=120_000)  # no wait_for_function: the CSP forbids eval
            timings = await page.evaluate(PAGE_TIMINGS)
            await context.close()
            if attempt:
                results.append(timings)
                print(
                    f"  load {attempt}: interactive {timings['interactive']:.0f} ms "
                    f"(list API {timings['list']:.0f} ms, {timings['rows']} rows), counts at {timings['counts']:.0f} ms"
                )
        await browser.close()
    return results


def summary(name: str, samples: list[float]) -> str:
    return f"{name:<40} median {statistics.median(samples):7.0f} ms   p95 {p95(samples):7.0f} ms"


async def run(total: int, loads: int, backend: str) -> None:
    with bench_stack("inbox", backend) as stack:
        seconds = await load(stack.mongo_url, total, 1)
        actor = await add_agent_and_hotel(stack.mongo_url)
        stack.add_gin_indexes()
        print(f"stored {total} requests in one hotel in {seconds:.1f}s; {loads} loads of the console follow")
        results = await measure(stack.service_url, actor, loads)
    print(f"\nthe console's inbox with {total} requests in the hotel ({backend}), {loads} loads:")
    print(summary("time to interactive (list on screen)", [r["interactive"] for r in results]))
    print(summary("  of which the list API call", [r["list"] for r in results]))
    print(summary("counts on the tabs", [r["counts"] for r in results]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=9)
    parser.add_argument("--backend", choices=BACKENDS, default="postgresql", help=BACKEND_HELP)
    options = parser.parse_args()
    asyncio.run(run(options.conversations, options.loads, options.backend))


if __name__ == "__main__":
    main()
