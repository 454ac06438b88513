"""Signed webhooks of review platforms and telephony, landing as conversations in the inbox."""

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from shared import signatures
from tests.integration.conftest import ADMIN, WEBHOOK_SECRET, Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def signed_post(
    http: httpx.AsyncClient, url: str, payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET, age: int = 0
) -> httpx.Response:
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) - age
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Timestamp": str(timestamp),
        "X-Hub-Signature": signatures.sign(secret, timestamp, body),
    }
    return await http.post(url, content=body, headers=headers)


def review(location: str, **fields: Any) -> dict[str, Any]:
    return {
        "platform": "tripadvisor",
        "review_id": "r-1",
        "location": location,
        "author": "Sam",
        "rating": 1,
        "scale": 5,
        "title": "Noisy room",
        "text": "Construction work from 7am.",
        **fields,
    }


class TestReviews:
    async def test_bad_review_raises_an_alert_and_an_edit_updates_the_same_conversation(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/reviews"
        assert (await signed_post(http, url, review(location))).status_code == 202
        assert (await signed_post(http, url, review(location))).status_code == 202  # resent: accepted once
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        conversation = (await api.wait_for(location))[0]
        assert (conversation["channel"], conversation["alert"], conversation["rating"]) == ("review", True, 1)
        assert [i["id"] for i in await api.conversations(location=location, bucket="alerts")] == [conversation["id"]]
        edited = review(location, rating=8, scale=10, text="They moved us to a quiet room. Thanks!")
        assert (await signed_post(http, url, edited)).status_code == 202
        detail = await eventually(
            lambda: api.get(conversation["id"]),
            lambda d: len(d["timeline"]) == 2 and d["conversation"]["rating"] == 4,
        )
        assert detail["conversation"]["alert"] is False, "the edited rating (4/5) clears the alert"
        assert detail["conversation"]["rating"] == 4
        await asyncio.sleep(1)
        assert len(await api.conversations(location=location, view="all")) == 1

    async def test_bad_or_stale_signature_is_401_and_publishes_nothing(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/reviews"
        before = (await nc.jetstream().stream_info("INBOUND")).state.last_seq
        forged = await signed_post(http, url, review(location), secret="not-the-secret")
        stale = await signed_post(http, url, review(location), age=3600)
        unsigned = await http.post(url, json=review(location))
        assert forged.status_code == stale.status_code == unsigned.status_code == 401
        assert "older" in stale.json()["detail"]
        assert (await nc.jetstream().stream_info("INBOUND")).state.last_seq == before

    async def test_invalid_review_names_the_field(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        response = await signed_post(http, f"{stack.url('ingest')}/ingest/reviews", review(location, rating="bad"))
        assert response.status_code == 422
        assert "rating" in response.json()["detail"]

    async def test_a_rating_beyond_every_scale_is_refused_not_a_500(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        # Found by the OpenAPI fuzzer: 4e307 on a scale of 1 overflowed while converting to stars.
        response = await signed_post(http, f"{stack.url('ingest')}/ingest/reviews", review(location, rating=4e307))
        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["rating"]


class TestCalls:
    async def test_calls_from_one_number_thread_on_the_caller(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/calls"
        for n, caller in enumerate(["+33 6 12 34 56 78", "+33612345678", "+44 20 7946 0000"]):
            call = {"call_id": f"c{n}", "location": location, "caller": caller, "duration_seconds": 95}
            assert (await signed_post(http, url, call)).status_code == 202
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        items = await api.wait_for(location, count=2)
        await eventually(
            lambda: api.conversations(location=location, view="all"),
            lambda items: sorted(i["message_count"] for i in items) == [1, 2],
        )
        assert {i["channel"] for i in items} == {"phone"}
        bad = await signed_post(http, url, {"call_id": "x", "location": location, "caller": "call me maybe"})
        assert bad.status_code == 422
        assert "caller" in bad.json()["detail"]


class TestReviewHistoryImport:
    async def test_jsonl_and_csv_with_a_report_and_no_duplicates(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/reviews/import"
        lines = [json.dumps(review(location, review_id=f"h{n}", rating=n + 1)) for n in range(3)]
        lines.insert(1, "{broken")
        lines.append(json.dumps({"platform": "google", "location": location}))
        body = "\n".join(lines).encode()

        async def send(content: bytes, kind: str) -> httpx.Response:
            timestamp = int(time.time())
            return await http.post(
                url,
                content=content,
                headers={
                    "Content-Type": kind,
                    "X-Hub-Timestamp": str(timestamp),
                    "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, content),
                },
            )

        first = (await send(body, "application/x-ndjson")).json()
        assert first["applied"] == 3
        assert [r["row"] for r in first["rejected"]] == [2, 5]
        assert "review_id" in first["rejected"][1]["reason"]
        csv_body = (
            f"platform,review_id,location,rating,scale,text\ngoogle,g1,{location},4,5,Lovely stay\n"
            f"google,g2,{location},,5,No rating\n"
        ).encode()
        second = (await send(csv_body, "text/csv")).json()
        assert (second["applied"], second["rejected_count"]) == (1, 1)
        again = (await send(body, "application/x-ndjson")).json()
        assert again["applied"] == 3
        api = AgentApi(http, stack.url("inbox"), ADMIN)
        await eventually(lambda: api.conversations(location=location, view="all"), lambda items: len(items) == 4)
        await asyncio.sleep(1)
        assert len(await api.conversations(location=location, view="all")) == 4, "a re-import adds nothing"

    async def test_a_row_with_a_nul_character_is_refused_rather_than_lost_on_the_way(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        lines = [review(location, review_id="n1", text="Quiet\x00 room"), review(location, review_id="n2")]
        content = "\n".join(json.dumps(line) for line in lines).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/x-ndjson",
            "X-Hub-Timestamp": str(timestamp),
            "X-Hub-Signature": signatures.sign(WEBHOOK_SECRET, timestamp, content),
        }
        report = (
            await http.post(f"{stack.url('ingest')}/ingest/reviews/import", content=content, headers=headers)
        ).json()
        assert report["applied"] == 1, "stored, the inbox could not have saved it: it would be dead-lettered"
        assert report["rejected"] == [{"row": 1, "reason": "text: Text may not contain the NUL character (U+0000)."}]
