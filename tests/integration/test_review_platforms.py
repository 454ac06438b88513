"""Google Business Profile against its stand-in (tests/support/google_business.py) and the real stack:
ingest's poller turns the location's reviews into requests, notify posts public replies through the
connector, and what changes on the platform reaches the request."""

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ADMIN, GOOGLE_ACCOUNT, GOOGLE_HOTEL, GOOGLE_LOCATION, Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support.google_business import GoogleBusiness, Request
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def google_hotel(stack: Stack) -> str:
    """The hotel whose location the stack's ingest polls (created once; other modules may have made it)."""
    answer = httpx.post(
        f"{stack.url('inbox')}/api/v1/locations", json={"id": GOOGLE_HOTEL, "name": "Google hotel"}, headers=ADMIN
    )
    assert answer.status_code in {201, 409}, answer.text
    return GOOGLE_HOTEL


@pytest.fixture
def google(stack: Stack) -> GoogleBusiness:
    assert stack.google is not None
    return stack.google


@pytest.fixture
def api(stack: Stack, http: httpx.AsyncClient) -> AgentApi:
    return AgentApi(http, stack.url("inbox"), ADMIN)


async def request_of(api: AgentApi, reviewer: str) -> dict[str, Any]:
    """The request the reviewer's review became, once the poller has fetched it."""
    found = await eventually(
        lambda: api.conversations(location=GOOGLE_HOTEL, view="all"),
        lambda items: any(i["guest"].get("name") == reviewer for i in items),
    )
    return next(i for i in found if i["guest"].get("name") == reviewer)


def public_replies(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in detail["timeline"] if e["kind"] == "message" and e.get("public")]


async def reply_publicly(api: AgentApi, conversation_id: str, text: str) -> None:
    response = await api.call("POST", conversation_id, "messages", {"text": text, "via": "public"})
    assert response.status_code in {200, 201}, response.text


async def reply_state(api: AgentApi, conversation_id: str, state: str) -> dict[str, Any]:
    """The request once its latest public reply shows `state`."""
    return await eventually(
        lambda: api.get(conversation_id),
        lambda d: bool(public_replies(d)) and (public_replies(d)[-1].get("delivery") or {}).get("state") == state,
    )


def new_reviewer() -> str:
    return f"Guest {uuid.uuid4().hex[:8]}"


class TestGoogleReviews:
    async def test_a_review_becomes_a_request_and_a_public_reply_is_published(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        reviewer = new_reviewer()
        name = google.add_review(
            GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=2, comment="The room was cold.", reviewer=reviewer
        )
        request = await request_of(api, reviewer)
        assert (request["channel"], request["rating"], request["alert"]) == ("review", 2, True)
        detail = await api.get(request["id"])
        review = detail["timeline"][0]
        assert review["text"] == "The room was cold."

        await reply_publicly(api, request["id"], "We are sorry; the heating is fixed.")
        put = (await google.wait_for_replies(name))[0]
        assert put.path == f"/v4/{name}/reply"
        assert put.body == {"comment": "We are sorry; the heating is fixed."}
        assert put.headers["Authorization"].startswith("Bearer ya29.")
        await reply_state(api, request["id"], "sent")
        assert (google.reply_of(name) or {}).get("comment") == "We are sorry; the heating is fixed."

    async def test_a_refused_reply_shows_rejected_with_google_s_reason(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        reviewer = new_reviewer()
        name = google.add_review(GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=4, comment="Nice.", reviewer=reviewer)
        request = await request_of(api, reviewer)
        google.fail("PUT", 400, "The reply contains a URL, which Google's policy forbids.")
        await reply_publicly(api, request["id"], "Book again at http://example.com")
        detail = await reply_state(api, request["id"], "failed")
        assert (
            public_replies(detail)[-1]["delivery"]["reason"]
            == "The reply contains a URL, which Google's policy forbids."
        )
        assert len(google.replies_to(name)) == 1, "a refusal is not tried again"
        assert google.reply_of(name) is None

    async def test_a_quota_answer_is_tried_again_after_its_retry_after(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        reviewer = new_reviewer()
        name = google.add_review(GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=5, comment="Perfect.", reviewer=reviewer)
        request = await request_of(api, reviewer)
        google.fail("PUT", 429, "Quota exceeded for quota metric 'Requests'.", retry_after=2)
        await reply_publicly(api, request["id"], "Thank you!")
        first, second = await google.wait_for_replies(name, count=2)
        # notify's own back-off is at most 1 s in the test stack: only Retry-After makes it wait 2 s.
        assert 2.0 <= second.at - first.at < 6.0
        await reply_state(api, request["id"], "sent")
        assert (google.reply_of(name) or {}).get("comment") == "Thank you!"

    async def test_edits_and_deletions_on_the_platform_reach_the_request(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        reviewer = new_reviewer()
        name = google.add_review(
            GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=1, comment="Dirty bathroom.", reviewer=reviewer
        )
        request = await request_of(api, reviewer)
        await reply_publicly(api, request["id"], "We apologise and have spoken to housekeeping.")
        await reply_state(api, request["id"], "sent")
        await eventually(lambda: _polled(google), lambda polled: polled)  # the poller has seen the reply

        google.take_down_reply(name)
        await reply_state(api, request["id"], "deleted")
        detail = await eventually(
            lambda: api.get(request["id"]), lambda d: any(e["kind"] == "review_reply" for e in d["timeline"])
        )
        changes = [e for e in detail["timeline"] if e["kind"] == "review_reply"]
        assert [(c["state"], c["platform"]) for c in changes] == [("deleted", "google")]

        google.edit_review(name, comment="Dirty bathroom, but they fixed it quickly.", rating=3)
        detail = await eventually(
            lambda: api.get(request["id"]),
            lambda d: (
                any(e.get("text") == "Dirty bathroom, but they fixed it quickly." for e in d["timeline"])
                and d["conversation"]["rating"] == 3
            ),  # the entry is stored first, then the request's rating
        )

        google.delete_review(name)
        detail = await eventually(
            lambda: api.get(request["id"]),
            lambda d: any(e.get("text_key") == "review.deleted" for e in d["timeline"]),
        )
        assert len(await api.conversations(location=GOOGLE_HOTEL, view="all")) >= 1
        assert [
            i["id"]
            for i in await api.conversations(location=GOOGLE_HOTEL, view="all")
            if i["guest"].get("name") == reviewer
        ] == [request["id"]]


class TestRemovingAPublicReply:
    """An agent takes the hotel's published reply down from Google (`DELETE .../public-reply`)."""

    async def published(self, google: GoogleBusiness, api: AgentApi, text: str) -> tuple[str, str]:
        """A new review answered publicly, once Google shows the reply: (review name, request id)."""
        reviewer = new_reviewer()
        name = google.add_review(GOOGLE_ACCOUNT, GOOGLE_LOCATION, rating=3, comment="Noisy street.", reviewer=reviewer)
        request = await request_of(api, reviewer)
        await reply_publicly(api, request["id"], text)
        await reply_state(api, request["id"], "sent")
        return name, request["id"]

    async def test_the_reply_is_deleted_on_google_and_shown_removed_by_the_hotel(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        name, conversation_id = await self.published(google, api, "Thank you, we moved you to a quiet room.")
        removed = await api.ok("DELETE", conversation_id, "public-reply")
        (removal,) = removed["entries"]
        assert (removal["kind"], removal["platform"]) == ("public_reply_removal", "google")
        reply = public_replies(await api.get(conversation_id))[-1]
        assert removal["reply_entry_id"] == reply["id"]
        assert reply["delivery"]["state"] in {"deleting", "deleted"}

        # (ingest's poller may see the reply gone first: "deleted" on the platform, then by the hotel.)
        await eventually(
            lambda: api.get(conversation_id),
            lambda d: (
                (public_replies(d)[-1]["delivery"]["state"], public_replies(d)[-1]["delivery"].get("by"))
                == ("deleted", "hotel")
            ),
        )
        (deleted,) = _deletes(google, name)
        assert deleted.headers["Authorization"].startswith("Bearer ya29.")
        assert google.reply_of(name) is None
        await eventually(
            lambda: api.get(conversation_id),
            lambda d: (
                [e["delivery"]["state"] for e in d["timeline"] if e["kind"] == "public_reply_removal"] == ["sent"]
            ),
        )

        again = await api.call("DELETE", conversation_id, "public-reply")
        assert again.status_code == 409, again.text
        assert again.json()["title"] == "Not published"
        assert len(_deletes(google, name)) == 1, "nothing is sent for a reply already taken down"

    async def test_a_refusal_keeps_the_reply_published_with_google_s_reason(
        self, google_hotel: str, google: GoogleBusiness, api: AgentApi
    ) -> None:
        name, conversation_id = await self.published(google, api, "We hope to see you again.")
        google.fail("DELETE", 403, "The caller does not have permission")
        await api.ok("DELETE", conversation_id, "public-reply")

        detail = await eventually(
            lambda: api.get(conversation_id),
            lambda d: bool((public_replies(d)[-1].get("delivery") or {}).get("removal_failed")),
        )
        delivery = public_replies(detail)[-1]["delivery"]
        assert (delivery["state"], delivery["removal_failed"]) == ("sent", "The caller does not have permission")
        (removal,) = [e for e in detail["timeline"] if e["kind"] == "public_reply_removal"]
        assert removal["delivery"]["state"] == "failed"
        assert removal["delivery"]["reason"] == "The caller does not have permission"
        assert len(_deletes(google, name)) == 1, "a refusal is not tried again"
        assert (google.reply_of(name) or {}).get("comment") == "We hope to see you again."


def _deletes(google: GoogleBusiness, name: str) -> list[Request]:
    """The DELETE requests Google received for this review's reply."""
    return google.received("DELETE", f"/v4/{name}/reply")


async def _polled(google: GoogleBusiness) -> bool:
    """Whether ingest listed the location after the last reply was put (so it remembers that reply)."""
    puts = google.received("PUT")
    lists = google.received("GET")
    return bool(puts) and bool(lists) and lists[-1].at > puts[-1].at
