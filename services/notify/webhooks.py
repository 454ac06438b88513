"""Calls to hotels' chatbots over HTTP: the signed body the inbox wrote, sent byte for byte with its
headers (the bot's secret stays in the inbox). When to call and retry is `service.Notifier`'s."""

import httpx

from shared.bus import BotCall

TIMEOUT_SECONDS = 10.0


def headers_of(call: BotCall) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Event": call.event,
        "X-Hub-Delivery": call.key,
        "X-Hub-Signature-256": call.signature,
    }


async def post(call: BotCall) -> str | None:
    """POST the call; None when the bot answered 2xx, else why not."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            answer = await client.post(call.url, content=call.body.encode(), headers=headers_of(call))
    except httpx.HTTPError as exc:
        return f"the bot could not be reached: {exc!r}"
    if 200 <= answer.status_code < 300:
        return None
    return f"the bot answered {answer.status_code}"
