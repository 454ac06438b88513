"""A webhook review platform (shared/review_platforms/webhook.py) against the real stack: its reviews come
in through ingest's signed `POST /reviews`, notify POSTs the hotel's public replies, signed, to the
platform's reply endpoint (tests/support/review_platform.py), and the platform's answer reaches the
request. A platform without a connector is answered by email."""

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from shared import signatures
from tests.integration.conftest import ADMIN, WEBHOOK_PLATFORM, WEBHOOK_PLATFORM_SECRET, WEBHOOK_SECRET, Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually
from tests.support.review_platform import ReviewPlatform
from tests.support.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.integration


@pytest.fixture
def platform(stack: Stack) -> ReviewPlatform:
    assert stack.review_platform is not None
    return stack.review_platform


@pytest.fixture
def api(stack: Stack, http: httpx.AsyncClient) -> AgentApi:
    return AgentApi(http, stack.url("inbox"), ADMIN)


async def push_review(stack: Stack, http: httpx.AsyncClient, review: dict[str, Any]) -> None:
    """The platform's webhook call, signed with ingest's webhook secret."""
    body = json.dumps(review).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, body),
    }
    response = await http.post(f"{stack.url('ingest')}/ingest/reviews", content=body, headers=headers)
    assert response.status_code == 202, response.text


def new_review(location: str, platform: str = WEBHOOK_PLATFORM, **fields: Any) -> dict[str, Any]:
    return {
        "platform": platform,
        "review_id": f"rv-{uuid.uuid4().hex[:10]}",
        "location": location,
        "author": "Robin",
        "rating": 2,
        "scale": 5,
        "text": "The breakfast was cold.",
        **fields,
    }


async def request_of(api: AgentApi, location: str) -> dict[str, Any]:
    [request] = await api.wait_for(location)
    return request


def public_replies(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in detail["timeline"] if e["kind"] == "message" and e.get("public")]


async def reply(api: AgentApi, conversation_id: str, text: str, via: str | None = "public") -> None:
    body = {"text": text} if via is None else {"text": text, "via": via}
    response = await api.call("POST", conversation_id, "messages", body)
    assert response.status_code in {200, 201}, response.text


async def reply_state(api: AgentApi, conversation_id: str, state: str) -> dict[str, Any]:
    """The public reply's delivery, once it shows `state`."""
    detail = await eventually(
        lambda: api.get(conversation_id),
        lambda d: bool(public_replies(d)) and (public_replies(d)[-1].get("delivery") or {}).get("state") == state,
    )
    delivery: dict[str, Any] = public_replies(detail)[-1]["delivery"]
    return delivery


class TestWebhookPlatform:
    async def test_a_public_reply_is_posted_signed_to_the_platform(
        self, stack: Stack, http: httpx.AsyncClient, api: AgentApi, platform: ReviewPlatform, location: str
    ) -> None:
        review = new_review(location)
        await push_review(stack, http, review)
        request = await request_of(api, location)
        assert (request["channel"], request["rating"], request["alert"]) == ("review", 2, True)

        await reply(api, request["id"], "Sorry about breakfast; it is hot again.")
        [posted] = await platform.wait_for(review["review_id"])
        assert posted.signed_by(WEBHOOK_PLATFORM_SECRET)
        assert not posted.signed_by("another-secret")
        assert posted.headers["content-type"] == "application/json"
        body = posted.json
        assert body.pop("delivery_id")
        assert body == {
            "event": "reply.put",
            "platform": WEBHOOK_PLATFORM,
            "review_id": review["review_id"],
            "location_id": location,
            "text": "Sorry about breakfast; it is hot again.",
        }
        await reply_state(api, request["id"], "sent")
        [entry] = public_replies(await api.get(request["id"]))
        assert (entry["channel"], entry["platform"]) == ("review", WEBHOOK_PLATFORM)

    async def test_the_default_reply_to_a_connected_platform_is_public(
        self, stack: Stack, http: httpx.AsyncClient, api: AgentApi, platform: ReviewPlatform, location: str
    ) -> None:
        review = new_review(location, author_email="robin@example.com")
        await push_review(stack, http, review)
        request = await request_of(api, location)
        await reply(api, request["id"], "Thank you for your review.", via=None)
        await platform.wait_for(review["review_id"])
        await reply_state(api, request["id"], "sent")

    async def test_a_refusal_fails_with_the_platform_s_reason_and_is_not_retried(
        self, stack: Stack, http: httpx.AsyncClient, api: AgentApi, platform: ReviewPlatform, location: str
    ) -> None:
        review = new_review(location)
        platform.answer(review["review_id"], 422, "Replies may not contain phone numbers.")
        await push_review(stack, http, review)
        request = await request_of(api, location)
        await reply(api, request["id"], "Call us on +33 1 23 45 67 89.")
        delivery = await reply_state(api, request["id"], "failed")
        assert delivery["reason"] == "Replies may not contain phone numbers."
        assert len(platform.about(review["review_id"])) == 1, "a refusal is not tried again"

    async def test_a_busy_platform_is_asked_again(
        self, stack: Stack, http: httpx.AsyncClient, api: AgentApi, platform: ReviewPlatform, location: str
    ) -> None:
        review = new_review(location)
        platform.answer(review["review_id"], 503, "Maintenance")
        platform.answer(review["review_id"], 429, "Slow down", retry_after=1)
        await push_review(stack, http, review)
        request = await request_of(api, location)
        await reply(api, request["id"], "We are glad you came.")
        first, second, third = await platform.wait_for(review["review_id"], count=3)
        assert third.at - second.at >= 0.9, "the platform's Retry-After is respected"
        assert first.json["delivery_id"] == second.json["delivery_id"] == third.json["delivery_id"]
        assert all(call.signed_by(WEBHOOK_PLATFORM_SECRET) for call in (first, second, third))
        await reply_state(api, request["id"], "sent")
        assert len(platform.about(review["review_id"])) == 3


class TestPlatformWithoutConnector:
    async def test_the_default_reply_is_an_email_and_a_public_one_is_refused_with_a_clear_reason(
        self, stack: Stack, http: httpx.AsyncClient, api: AgentApi, platform: ReviewPlatform, location: str
    ) -> None:
        guest = f"guest-{uuid.uuid4().hex[:8]}@example.com"
        review = new_review(location, platform="booking", author_email=guest)
        await push_review(stack, http, review)
        request = await request_of(api, location)

        await reply(api, request["id"], "Thank you, we hope to see you again.", via=None)
        sink = stack.sink
        assert isinstance(sink, SmtpSink)
        [mail] = await eventually(lambda: _mails_to(sink, guest), lambda mails: len(mails) == 1)
        assert "Thank you, we hope to see you again." in mail.data.decode(errors="replace")
        assert public_replies(await api.get(request["id"])) == []

        refused = await api.call("POST", request["id"], "messages", {"text": "A public thank-you.", "via": "public"})
        assert refused.status_code == 409, refused.text
        assert "private email" in refused.json()["detail"]
        assert public_replies(await api.get(request["id"])) == []
        assert platform.about(review["review_id"]) == []


async def _mails_to(sink: SmtpSink, recipient: str) -> list[Received]:
    return sink.to(recipient)
