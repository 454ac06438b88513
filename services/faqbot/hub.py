"""The hub's bot API, as this bot calls it: its bearer token, under /api/v1/bot/conversations/{id}."""

from typing import Any

import httpx

from .dialogue import Capture
from .schemas import Conversation


class HubError(Exception):
    """The hub refused or did not answer a call (the webhook then answers 502, and the hub retries it)."""


class Hub:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @classmethod
    def client_for(cls, api_url: str, token: str, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=api_url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    async def conversation(self, conversation_id: str) -> Conversation:
        answer = await self._call("GET", conversation_id)
        return Conversation.model_validate(answer.json())

    async def say(self, conversation_id: str, text: str, key: str) -> None:
        """`key` names the message among all the bot sends to the conversation: the hub stores and sends it
        once however often the call is retried (a webhook call retried after the bot had answered)."""
        await self._call("POST", f"{conversation_id}/messages", {"text": text, "key": key})

    async def capture(self, conversation_id: str, capture: Capture) -> None:
        body: dict[str, Any] = {}
        if capture.first_name:
            body["first_name"] = capture.first_name
        if capture.email:
            body["email"] = capture.email
        if intent := capture.reservation_intent:
            body["reservation_intent"] = {"kind": intent.kind, "note": intent.note}
        if body:
            await self._call("POST", f"{conversation_id}/capture", body)

    async def hand_over(self, conversation_id: str, reason: str) -> None:
        await self._call("POST", f"{conversation_id}/handover", {"reason": reason})

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            answer = await self.client.request(method, f"/api/v1/bot/conversations/{path}", json=body)
        except httpx.HTTPError as exc:
            raise HubError(f"{method} {path}: {exc!r}") from exc
        if answer.is_error:
            raise HubError(f"{method} {path} answered {answer.status_code}: {answer.text[:500]}")
        return answer
