"""Helpers for the inbox's integration tests: put guest messages on the bus, call the agent API."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from nats.aio.client import Client as NatsClient

from shared.bus import Channel, Guest, InboundMessage, Subjects, ThreadHints
from tests.support.polling import eventually


async def publish_inbound(
    nc: NatsClient,
    location: str,
    *,
    channel: Channel = Channel.EMAIL,
    text: str = "Hello",
    key: str | None = None,
    email: str | None = "guest@example.com",
    name: str | None = None,
    subject: str = "A question",
    rating: int | None = None,
    bot_handled: bool = False,
    received_at: datetime | None = None,
    **thread: Any,
) -> InboundMessage:
    message = InboundMessage(
        key=key or f"{channel.value}:{location}:{uuid.uuid4().hex}",
        channel=channel,
        location_id=location,
        guest=Guest(email=email, name=name),
        subject=subject,
        text=text,
        rating=rating,
        bot_handled=bot_handled,
        thread=ThreadHints(**thread),
        received_at=received_at or datetime.now(UTC),
    )
    await nc.jetstream().publish(
        Subjects.inbound_guest(channel, location),
        message.model_dump_json().encode(),
        headers={"Nats-Msg-Id": message.key},
    )
    return message


class AgentApi:
    """The agent API of one inbox, as one agent."""

    def __init__(self, http: httpx.AsyncClient, base: str, headers: dict[str, str]) -> None:
        self.http, self.base, self.headers = http, f"{base}/api/v1/conversations", headers

    async def conversations(self, **params: str) -> list[dict[str, Any]]:
        response = await self.http.get(self.base, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def counts(self, **params: str) -> dict[str, Any]:
        response = await self.http.get(f"{self.base}/counts", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        counts: dict[str, Any] = response.json()
        return counts

    async def get(self, conversation_id: str) -> dict[str, Any]:
        response = await self.http.get(f"{self.base}/{conversation_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        detail: dict[str, Any] = response.json()
        return detail

    async def call(self, method: str, conversation_id: str, action: str = "", body: Any = None) -> httpx.Response:
        url = f"{self.base}/{conversation_id}" + (f"/{action}" if action else "")
        return await self.http.request(method, url, json=body, headers=self.headers)

    async def ok(self, method: str, conversation_id: str, action: str = "", body: Any = None) -> dict[str, Any]:
        response = await self.call(method, conversation_id, action, body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def wait_for(self, location: str, count: int = 1, view: str = "all") -> list[dict[str, Any]]:
        return await eventually(
            lambda: self.conversations(location=location, view=view), lambda items: len(items) >= count
        )
