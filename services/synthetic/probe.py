"""The synthetic check: every few minutes, a form for the probe's own hotel, then its conversation looked up.

It goes the way a guest's form goes (ingest's HTTP API, JetStream, the inbox's consumer, the database) and
reads the result the way an agent does (the inbox's API), so one check proves the whole path of a form.
It runs as a process of its own, beside the services rather than inside one: it keeps reporting (failures)
while the services it checks are down or restarting, and a single probe needs no lease between replicas.

It signs its own short-lived tokens with `HUB_SECRET_KEY`, as the inbox's sign-in does: an agent of the
probe's hotel only, and an admin once, to put that hotel in the directory if it is missing. Each
conversation found is closed, so the probe's hotel has nothing waiting. Its messages count in ingest's
per-hotel series under its hotel id (`synthetic-check`), which dashboards and alerts leave out.

    python -m services.synthetic          # check every HUB_SYNTHETIC_INTERVAL_SECONDS, /metrics on its port
    python -m services.synthetic --once   # one check; exit code 0 when it passed, 1 when it failed
"""

import argparse
import asyncio
import logging
import sys
import time
import uuid

import httpx
from prometheus_client import start_http_server

from shared.auth import Actor, issue_token
from shared.logging import configure_logging
from shared.settings import HubSettings, load_settings

from .metrics import CHECKS, DURATION, LAST_SUCCESS, SUCCESS
from .settings import SyntheticSettings

log = logging.getLogger(__name__)

TOKEN_TTL_SECONDS = 600
POLL_SECONDS = 1.0


def _headers(secret: str, location_id: str, *, admin: bool = False) -> dict[str, str]:
    actor = Actor(
        agent_id="synthetic-check",
        name="Synthetic Check",
        initials="SC",
        email="synthetic-check@hub.invalid",
        role="admin" if admin else "agent",
        location_ids=[] if admin else [location_id],
    )
    return {"Authorization": f"Bearer {issue_token(actor, secret, ttl_seconds=TOKEN_TTL_SECONDS)}"}


async def ensure_hotel(http: httpx.AsyncClient, settings: SyntheticSettings, secret: str) -> None:
    """Put the probe's hotel in the directory (ingest accepts forms for the directory's hotels only)."""
    headers = _headers(secret, settings.location_id, admin=True)
    url = f"{settings.inbox_url}/api/v1/locations"
    found = await http.get(f"{url}/{settings.location_id}", headers=headers)
    if found.status_code == 404:
        created = await http.post(url, json={"id": settings.location_id, "name": "Synthetic check"}, headers=headers)
        if created.status_code not in {201, 409}:
            created.raise_for_status()
    else:
        found.raise_for_status()


async def check_once(http: httpx.AsyncClient, settings: SyntheticSettings, secret: str) -> bool:
    """Post one form and wait for its conversation; record the outcome in the metrics. Never raises."""
    started = time.monotonic()
    marker = uuid.uuid4().hex
    try:
        found = await _form_becomes_conversation(http, settings, secret, marker)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("synthetic check failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        found = False
    DURATION.set(time.monotonic() - started)
    SUCCESS.set(1 if found else 0)
    CHECKS.labels(result="success" if found else "failure").inc()
    if found:
        LAST_SUCCESS.set(time.time())
    return found


async def _form_becomes_conversation(
    http: httpx.AsyncClient, settings: SyntheticSettings, secret: str, marker: str
) -> bool:
    await ensure_hotel(http, settings, secret)
    form = {
        "name": "Synthetic Check",
        "email": "synthetic-check@example.com",
        "message": f"Synthetic check {marker}: an automatic test of the hub, to be ignored.",
    }
    posted = await http.post(f"{settings.ingest_url}/ingest/forms/{settings.location_id}", json=form)
    if posted.status_code != 202:
        log.warning("synthetic form refused", extra={"status": posted.status_code})
        return False
    headers = _headers(secret, settings.location_id)
    query = {"location": settings.location_id, "view": "all", "q": marker}
    deadline = time.monotonic() + settings.timeout_seconds
    while time.monotonic() < deadline:
        listed = await http.get(f"{settings.inbox_url}/api/v1/conversations", params=query, headers=headers)
        listed.raise_for_status()
        items = listed.json()["items"]
        if items:
            await _close(http, settings, headers, str(items[0]["id"]))
            return True
        await asyncio.sleep(POLL_SECONDS)
    log.warning("synthetic form not stored in time", extra={"timeout": settings.timeout_seconds})
    return False


async def _close(http: httpx.AsyncClient, settings: SyntheticSettings, headers: dict[str, str], key: str) -> None:
    url = f"{settings.inbox_url}/api/v1/conversations/{key}/status"
    closed = await http.put(url, json={"status": "closed"}, headers=headers)
    if closed.status_code != 200:  # the check passed; the next one finds the hotel with one more open request
        log.warning("synthetic conversation not closed", extra={"status": closed.status_code})


async def run(settings: SyntheticSettings, secret: str, *, once: bool) -> bool:
    async with httpx.AsyncClient(timeout=10.0) as http:
        while True:
            passed = await check_once(http, settings, secret)
            if once:
                return passed
            await asyncio.sleep(settings.interval_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="run one check and exit (0 passed, 1 failed)")
    args = parser.parse_args(argv)
    settings, hub = load_settings(SyntheticSettings), load_settings(HubSettings)
    configure_logging("synthetic", settings.log_level)
    if not args.once:
        start_http_server(settings.port, addr=settings.host)
    passed = asyncio.run(run(settings, hub.secret_key.get_secret_value(), once=args.once))
    sys.exit(0 if passed else 1)
