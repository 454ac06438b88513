"""Issue 18: the places where a hotel is implied rather than named. A thread key, an email reference or a
review id written by a sender never leads into another hotel's conversation (finding 2); an API token
limited to some hotels is checked against the hotel its message resolves to (finding 3); a hotel the
directory does not have gets nothing (finding 10)."""

import asyncio
import json
import smtplib
import time
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import websockets
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient
from websockets.exceptions import InvalidStatus

from shared import signatures
from shared.bus import Channel
from tests.integration.conftest import ADMIN, HOTEL_MAIL_DOMAIN, WEBHOOK_SECRET, Stack, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, Any]]


@pytest.fixture
async def two_hotels(stack: Stack) -> tuple[str, str]:
    """Two sister hotels of the directory (A, B)."""
    tag = uuid.uuid4().hex[:8]
    return create_hotel(stack, f"implied-a-{tag}"), create_hotel(stack, f"implied-b-{tag}")


def email(to: str, message_id: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Nina Guest <nina@example.org>")
    message["To"] = to
    message["Subject"] = "Late arrival"
    message["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("We arrive at 23:40.")
    return message.as_bytes()


def signed(body: bytes, content_type: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "X-Hub-Timestamp": str(now),
        "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, now, body),
        "Content-Type": content_type,
    }


async def api_token(http: httpx.AsyncClient, stack: Stack, scope: str, hotel: str) -> dict[str, str]:
    body = {"name": f"{scope} {hotel}", "scopes": [scope], "location_ids": [hotel]}
    answer = await http.post(f"{stack.url('inbox')}/api/v1/api-tokens", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


class TestThreadKeysNameTheHotel:
    """Finding 2."""

    async def test_an_email_to_a_sister_hotel_replying_to_a_guests_message_opens_a_request_there(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, two_hotels: tuple[str, str]
    ) -> None:
        a, b = two_hotels
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        raw = email(f"{a}@{HOTEL_MAIL_DOMAIN}", f"guest-root@{a}")
        sent = await http.post(
            f"{stack.url('ingest')}/ingest/email/raw", content=raw, headers=signed(raw, "message/rfc822")
        )
        assert sent.status_code == 202, sent.text
        [theirs] = await api.wait_for(a)

        events: list[dict[str, Any]] = []

        async def collect(msg: Any) -> None:
            events.append({**json.loads(msg.data), "nats_subject": msg.subject})

        subscription = await nc.subscribe("hub.events.>", cb=collect)
        forwarded = email(
            f"{b}@{HOTEL_MAIL_DOMAIN}", f"forward@{b}", In_Reply_To=f"<guest-root@{a}>", References=f"<guest-root@{a}>"
        )
        sent = await http.post(
            f"{stack.url('ingest')}/ingest/email/raw", content=forwarded, headers=signed(forwarded, "message/rfc822")
        )
        assert sent.status_code == 202, sent.text
        [ours] = await api.wait_for(b)
        assert ours["id"] != theirs["id"], "the sister hotel's request is its own"
        assert ours["location_id"] == b
        assert len((await api.get(theirs["id"]))["timeline"]) == 1, "A's request did not grow"
        await eventually(
            lambda: asyncio.sleep(0, events), lambda got: any(e.get("conversation_id") == ours["id"] for e in got)
        )
        await subscription.unsubscribe()
        for event in events:
            if event.get("conversation_id") in {ours["id"], theirs["id"]}:
                own = a if event["conversation_id"] == theirs["id"] else b
                assert event["location_id"] == own, event
                assert event["nats_subject"].endswith(f".{own}"), event

    async def test_a_review_token_of_one_hotel_reusing_anothers_review_id_makes_its_own_conversation(
        self, stack: Stack, http: httpx.AsyncClient, two_hotels: tuple[str, str]
    ) -> None:
        a, b = two_hotels
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        review_id = f"rv-{uuid.uuid4().hex[:8]}"
        bad = {"platform": "google", "review_id": review_id, "location": a, "rating": 1, "scale": 5, "text": "Awful"}
        body = json.dumps(bad).encode()
        answer = await http.post(
            f"{stack.url('ingest')}/ingest/reviews", content=body, headers=signed(body, "application/json")
        )
        assert answer.status_code == 202, answer.text
        [theirs] = await api.wait_for(a)
        assert theirs["alert"] is True
        token = await api_token(http, stack, "reviews:write", b)
        reuse = {**bad, "location": b, "rating": 5, "text": "Awful"}
        answer = await http.post(f"{stack.url('ingest')}/ingest/reviews", json=reuse, headers=token)
        assert answer.status_code == 202, answer.text
        [ours] = await api.wait_for(b)
        assert ours["id"] != theirs["id"]
        await asyncio.sleep(1)
        detail = await api.get(theirs["id"])
        assert detail["conversation"]["alert"] is True, "A's alert is not cleared by B's review"
        assert len(detail["timeline"]) == 1

    async def test_references_stored_before_they_named_the_hotel_still_thread_within_their_hotel(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, mongo: Mongo, two_hotels: tuple[str, str]
    ) -> None:
        a, b = two_hotels
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        await publish_inbound(nc, a, message_id=f"old-root@{a}")
        [older] = await api.wait_for(a)
        # As an older version stored them: no hotel in the reference.
        legacy = f"msgid:old-parent@{a}"
        await mongo["hub"]["thread_refs"].insert_one({"_id": legacy, "conversation_id": older["id"]})
        await publish_inbound(nc, a, message_id=f"old-reply@{a}", in_reply_to=[f"old-parent@{a}"])
        await eventually(lambda: api.get(older["id"]), lambda d: len(d["timeline"]) == 2)
        await publish_inbound(nc, b, message_id=f"sister@{b}", in_reply_to=[f"old-parent@{a}"])
        [sister] = await api.wait_for(b)
        assert sister["id"] != older["id"]
        review = f"google:legacy-{uuid.uuid4().hex[:8]}"
        await mongo["hub"]["thread_refs"].insert_one({"_id": f"review:{review}", "conversation_id": older["id"]})
        await publish_inbound(nc, a, channel=Channel.REVIEW, review_id=review, rating=5)
        await eventually(lambda: api.get(older["id"]), lambda d: len(d["timeline"]) == 3)
        await publish_inbound(nc, b, channel=Channel.REVIEW, review_id=review, rating=5)
        await api.wait_for(b, count=2)
        assert len(await api.conversations(location=a, view="all")) == 1


class TestTokensAreCheckedAgainstTheResolvedHotel:
    """Finding 3."""

    async def test_an_email_token_of_one_hotel_cannot_store_mail_for_another(
        self, stack: Stack, http: httpx.AsyncClient, mongo: Mongo, two_hotels: tuple[str, str]
    ) -> None:
        a, b = two_hotels
        token = {**await api_token(http, stack, "email:write", a), "Content-Type": "message/rfc822"}
        url = f"{stack.url('ingest')}/ingest/email/raw"
        elsewhere = await http.post(url, content=email(f"{b}@{HOTEL_MAIL_DOMAIN}", f"x@{b}"), headers=token)
        assert elsewhere.status_code == 403, elsewhere.text
        assert b in elsewhere.json()["detail"]
        by_envelope = await http.post(
            url,
            content=email("someone@example.net", f"y@{b}"),
            params={"to": f"{b}@{HOTEL_MAIL_DOMAIN}"},
            headers=token,
        )
        assert by_envelope.status_code == 403, by_envelope.text
        own = await http.post(url, content=email(f"{a}@{HOTEL_MAIL_DOMAIN}", f"z@{a}"), headers=token)
        assert own.status_code == 202, own.text
        await AgentApi(http, stack.url("inbox"), ADMIN).wait_for(a)
        assert await mongo["hub"]["conversations"].count_documents({"location_id": b}) == 0


def smtp_recipient_answer(stack: Stack, recipient: str) -> int:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.ehlo()
        client.mail("guest@example.com")
        code, _ = client.rcpt(recipient)
        client.rset()
    return int(code)


class TestHotelsThatDoNotExist:
    """Finding 10: the directory says which hotels exist; a made-up one gets nothing stored and no metric."""

    async def test_unknown_hotels_are_refused_on_every_channel_and_create_nothing(
        self, stack: Stack, http: httpx.AsyncClient, mongo: Mongo, two_hotels: tuple[str, str]
    ) -> None:
        a, _ = two_hotels
        ghost = f"ghost-{uuid.uuid4().hex[:8]}"
        ingest = stack.url("ingest")
        assert await asyncio.to_thread(smtp_recipient_answer, stack, f"{ghost}@{HOTEL_MAIL_DOMAIN}") == 550
        assert await asyncio.to_thread(smtp_recipient_answer, stack, f"{a}@{HOTEL_MAIL_DOMAIN}") == 250
        form = await http.post(f"{ingest}/ingest/forms/{ghost}", json={"email": "a@example.com", "message": "x"})
        assert form.status_code == 404, form.text
        assert ghost in form.json()["detail"]
        review = {"platform": "google", "review_id": ghost, "location": ghost, "rating": 4, "scale": 5}
        body = json.dumps(review).encode()
        answer = await http.post(f"{ingest}/ingest/reviews", content=body, headers=signed(body, "application/json"))
        assert answer.status_code == 404, answer.text
        call = {"call_id": ghost, "location": ghost, "caller": "+33611223344", "duration_seconds": 5}
        body = json.dumps(call).encode()
        answer = await http.post(f"{ingest}/ingest/calls", content=body, headers=signed(body, "application/json"))
        assert answer.status_code == 404, answer.text
        raw = email(f"{ghost}@{HOTEL_MAIL_DOMAIN}", f"m@{ghost}")
        answer = await http.post(f"{ingest}/ingest/email/raw", content=raw, headers=signed(raw, "message/rfc822"))
        assert answer.status_code == 422, answer.text
        url = stack.url("ingest").replace("http://", "ws://") + f"/ingest/chat/{ghost}"
        with pytest.raises(InvalidStatus):
            async with websockets.connect(url, open_timeout=10):
                pass
        await asyncio.sleep(1)
        assert await mongo["hub"]["conversations"].count_documents({"location_id": ghost}) == 0
        metrics = (await http.get(f"{ingest}/metrics")).text
        assert ghost not in metrics, "no metric label value for a hotel that does not exist"

    async def test_a_new_hotel_is_accepted_at_once(self, stack: Stack, http: httpx.AsyncClient) -> None:
        hotel = f"new-{uuid.uuid4().hex[:8]}"
        url = f"{stack.url('ingest')}/ingest/forms/{hotel}"
        before = await http.post(url, json={"email": "a@example.com", "message": "x"})
        assert before.status_code == 404
        create_hotel(stack, hotel)
        after = await eventually(
            lambda: http.post(url, json={"email": "a@example.com", "message": "x"}),
            lambda r: r.status_code == 202,
            timeout=5,
        )
        assert after.status_code == 202
