"""The generic signed-webhook connector: a platform or aggregator pushes its reviews to ingest's signed
`POST /reviews`, and takes the hotel's replies at its `reply_url`.

notify POSTs `{"event": "reply.put"|"reply.delete", "delivery_id", "platform", "review_id", "text"}`
signed like the hub's own webhooks (shared/signatures.py: `X-Hub-Timestamp`, `X-Hub-Signature`).
2xx: published; 429 or 5xx: tried again (after Retry-After); any other 4xx: rejected, with the reason
the body gives (`{"reason"}`, `{"error"}`, `{"detail"}` or its text).
"""

import json
import time
from typing import Any

import httpx

from shared.signatures import sign

from .connector import PlatformLocation, PlatformReply, PlatformReview, Rejected, RetryLater, retry_after_seconds
from .settings import WebhookPlatform

REASON_LENGTH = 500


def reason_of(response: httpx.Response) -> str:
    """What the platform said was wrong, kept short for the timeline."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for field in ("reason", "error", "detail", "message"):
            value = body.get(field)
            if isinstance(value, str) and value:
                return value[:REASON_LENGTH]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:REASON_LENGTH]
    text = response.text.strip()
    return (text or f"HTTP {response.status_code}")[:REASON_LENGTH]


def classify(response: httpx.Response) -> Rejected | RetryLater:
    status = response.status_code
    if status == 429 or status >= 500:
        return RetryLater(
            f"The platform is busy ({status}): {reason_of(response)}",
            retry_after_seconds(response.headers.get("Retry-After")),
        )
    return Rejected(reason_of(response))


class WebhookConnector:
    def __init__(self, config: WebhookPlatform, client: httpx.AsyncClient, *, clock: Any = time.time) -> None:
        self.platform = config.platform
        self.config = config
        self.client = client
        self.clock = clock

    async def list_reviews(self, location: PlatformLocation) -> list[PlatformReview]:
        return []  # the platform pushes its reviews to ingest

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(self.clock())
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Timestamp": str(timestamp),
            "X-Hub-Signature": sign(self.config.secret.get_secret_value(), timestamp, body),
        }
        try:
            response = await self.client.post(self.config.reply_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryLater(f"The platform could not be reached: {exc!r}") from exc
        if not response.is_success:
            raise classify(response)
        return response

    async def put_reply(self, review_id: str, text: str, *, key: str, hotel: str = "") -> PlatformReply:
        payload = {"event": "reply.put", "delivery_id": key, "platform": self.platform, "review_id": review_id}
        await self._post({**payload, "location_id": hotel, "text": text})
        return PlatformReply(text)

    async def delete_reply(self, review_id: str, *, key: str) -> None:
        await self._post(
            {"event": "reply.delete", "delivery_id": key, "platform": self.platform, "review_id": review_id}
        )
