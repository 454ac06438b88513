"""Connects the reference FAQ bot (services/faqbot) to the demo hotel of `make up`, then runs it.

Through the public API, as any chain would connect a bot: an admin creates an API token with the `bot`
scope for the hotel, and registers the bot on the hotel (`PUT /api/v1/locations/{id}/bot`) with its
webhook address and a secret. Each run makes a new token and secret and revokes the previous run's token.
"""

import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from scripts.demo_chain import GATEWAY, wait_for_gateway

ROOT = Path(__file__).resolve().parents[1]
HOTEL = "paris-opera"
TOKEN_NAME = "Demo FAQ bot"  # noqa: S105 - the token's label in the admin list, not a secret
BOT_NAME = "Concierge"
FAQ_FILE = ROOT / "deploy" / "faqbot" / "demo-faq.json"


class NotConnected(Exception):
    """The bot could not be connected; the rest of the stack runs on without it."""


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        request = response.request
        raise NotConnected(f"{request.method} {request.url.path} answered {response.status_code}: {response.text}")
    return response.json() if response.content else None


def wait_for_hotel(client: httpx.Client, headers: dict[str, str]) -> None:
    """The demo chain is loaded by the `demo` process at the same time."""
    deadline = time.monotonic() + 120
    while client.get(f"/api/v1/locations/{HOTEL}", headers=headers).status_code != 200:
        if time.monotonic() > deadline:
            raise NotConnected(f"the hotel {HOTEL} was not created within 2 minutes")
        time.sleep(1)


def connect(client: httpx.Client, headers: dict[str, str], webhook_url: str) -> tuple[str, str]:
    """A fresh bot token for the hotel and the bot registered with a fresh secret: (token, secret)."""
    tokens = _ok(client.get("/api/v1/api-tokens", headers=headers))
    for previous in tokens:
        if previous["name"] == TOKEN_NAME and not previous.get("revoked_at"):
            _ok(client.delete(f"/api/v1/api-tokens/{previous['id']}", headers=headers))
    body = {"name": TOKEN_NAME, "scopes": ["bot"], "location_ids": [HOTEL]}
    created = _ok(client.post("/api/v1/api-tokens", json=body, headers=headers))
    secret = secrets.token_urlsafe(36)
    bot = {"name": BOT_NAME, "webhook_url": webhook_url, "secret": secret}
    _ok(client.put(f"/api/v1/locations/{HOTEL}/bot", json=bot, headers=headers))
    return str(created["token"]), secret


def main() -> None:
    gateway = os.environ.get("HUB_FAQBOT_API_URL", GATEWAY)
    port = os.environ.get("HUB_FAQBOT_PORT", "8006")
    try:
        with httpx.Client(base_url=gateway, timeout=10) as client:
            headers = wait_for_gateway(client)
            wait_for_hotel(client, headers)
            token, secret = connect(client, headers, f"http://127.0.0.1:{port}/webhook")
    except (NotConnected, httpx.HTTPError) as exc:
        print(f"  FAQ bot not connected ({exc}); the hub runs without it", flush=True)
        # `make up` stops every process when one exits (scripts/run_screen.py); stay idle so the stack keeps running.
        while True:
            time.sleep(3600)
    print(f"  FAQ bot {BOT_NAME!r} answers the chat of {HOTEL} ({gateway}/ingest/demo/{HOTEL})", flush=True)
    env = {
        **os.environ,
        "HUB_FAQBOT_API_URL": gateway,
        "HUB_FAQBOT_PORT": port,
        "HUB_FAQBOT_TOKEN": token,
        "HUB_FAQBOT_SECRET": secret,
        "HUB_FAQBOT_FAQ_FILE": os.environ.get("HUB_FAQBOT_FAQ_FILE", str(FAQ_FILE)),
    }
    # The bot is this process from now on, as `make up` started it (`make down` stops it with the rest).
    os.execve(sys.executable, [sys.executable, "-m", "services.faqbot"], env)  # noqa: S606 - our own module


if __name__ == "__main__":
    main()
