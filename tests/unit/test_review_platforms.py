"""The review platforms' connectors (shared/review_platforms) and the rules around them: what a platform's
failure means, the token kept until it expires, what changed between two listings, when a reply's
change is news, and how long a busy platform is left alone."""

import json
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from pydantic import SecretStr

from services.inbox.conversations.review_replies import is_news
from services.ingest.platform_reviews import Seen, as_review, compare, fingerprint
from services.notify.service import review_retry_delay
from services.notify.settings import NotifySettings
from shared import signatures
from shared.bus import ReviewReplyChanged
from shared.review_platforms import (
    Connectors,
    PlatformLocation,
    PlatformReply,
    PlatformReview,
    Rejected,
    RetryLater,
    has_connector,
)
from shared.review_platforms.google import GoogleConnector, classify, parse_review
from shared.review_platforms.settings import ReviewPlatformSettings, WebhookPlatform
from shared.review_platforms.webhook import WebhookConnector

NAME = "accounts/1001/locations/2002/reviews/r1"
AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def google_settings(**fields: Any) -> ReviewPlatformSettings:
    values: dict[str, Any] = {
        "google_token_url": "https://oauth.test/token",
        "google_api_url": "https://api.test",
        "google_client_id": "client",
        "google_client_secret": SecretStr("secret"),
        "google_refresh_token": SecretStr("refresh"),
        **fields,
    }
    return ReviewPlatformSettings(**values)


def google_error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": status, "message": message, "status": "X"}}
    return httpx.Response(status, json=body, headers=headers or {})


class FakeGoogle:
    """Answers the connector's calls in memory (the real stand-in server is tests/support/google_business.py)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_answers: list[httpx.Response] = []
        self.api_answers: list[httpx.Response] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            if self.token_answers:
                return self.token_answers.pop(0)
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"t{self.tokens}", "expires_in": 3600})
        if self.api_answers:
            return self.api_answers.pop(0)
        return httpx.Response(200, json={"comment": "ok", "updateTime": "2026-12-03T09:30:00Z"})

    def connector(self, **fields: Any) -> GoogleConnector:
        return GoogleConnector(google_settings(**fields), httpx.AsyncClient(transport=httpx.MockTransport(self)))


class TestGoogleFailures:
    def test_quota_is_retried_after_its_retry_after(self) -> None:
        failure = classify(google_error(429, "Quota exceeded", {"Retry-After": "7"}))
        assert isinstance(failure, RetryLater)
        assert failure.after == 7.0
        assert "Quota exceeded" in failure.reason

    def test_a_server_error_is_retried_without_a_delay_of_its_own(self) -> None:
        failure = classify(google_error(503, "The service is currently unavailable."))
        assert isinstance(failure, RetryLater)
        assert failure.after is None

    def test_another_4xx_is_rejected_with_google_s_message(self) -> None:
        failure = classify(google_error(400, "Request contains an invalid argument."))
        assert isinstance(failure, Rejected)
        assert failure.reason == "Request contains an invalid argument."

    def test_a_body_that_is_not_google_s_still_gives_a_reason(self) -> None:
        failure = classify(httpx.Response(404, text="<html>nope</html>"))
        assert isinstance(failure, Rejected)
        assert failure.reason.startswith("HTTP 404")


class TestGoogleConnector:
    async def test_the_token_is_kept_until_it_expires(self) -> None:
        google = FakeGoogle()
        connector = google.connector()
        await connector.put_reply(NAME, "Thanks", key="k1")
        await connector.put_reply(NAME, "Thanks again", key="k2")
        token_calls = [r for r in google.requests if r.url.path == "/token"]
        assert len(token_calls) == 1
        form = dict(httpx.QueryParams(token_calls[0].content.decode()))
        assert form == {
            "grant_type": "refresh_token",
            "client_id": "client",
            "client_secret": "secret",
            "refresh_token": "refresh",
        }
        puts = [r for r in google.requests if r.method == "PUT"]
        assert [r.url.path for r in puts] == [f"/v4/{NAME}/reply"] * 2
        assert json.loads(puts[1].content) == {"comment": "Thanks again"}
        assert puts[1].headers["Authorization"] == "Bearer t1"

    async def test_a_token_refused_early_is_exchanged_again_once(self) -> None:
        google = FakeGoogle()
        google.api_answers.append(google_error(401, "Request had invalid authentication credentials."))
        reply = await google.connector().put_reply(NAME, "Thanks", key="k1")
        assert reply.comment == "ok"
        assert google.tokens == 2

    async def test_a_refused_refresh_token_says_it_is_the_sign_in(self) -> None:
        google = FakeGoogle()
        google.token_answers.append(httpx.Response(400, json={"error": "invalid_grant", "error_description": "Bad"}))
        with pytest.raises(Rejected, match="Google sign-in refused: invalid_grant: Bad"):
            await google.connector().put_reply(NAME, "Thanks", key="k1")

    async def test_a_reply_goes_only_to_a_review_name(self) -> None:
        google = FakeGoogle()
        with pytest.raises(Rejected, match="Not a Google review name"):
            await google.connector().put_reply("accounts/1/../../admin", "x", key="k1")
        assert google.requests == []

    async def test_every_page_of_the_listing_is_read(self) -> None:
        google = FakeGoogle()
        review = {
            "name": NAME,
            "reviewId": "r1",
            "starRating": "TWO",
            "comment": "Cold",
            "reviewer": {"displayName": "Ann"},
        }
        second = {**review, "name": NAME + "b", "starRating": "FIVE"}
        google.api_answers += [
            httpx.Response(200, json={"reviews": [review], "nextPageToken": "p2"}),
            httpx.Response(200, json={"reviews": [second]}),
        ]
        listed = await google.connector().list_reviews(PlatformLocation("opera", "1001", "2002"))
        assert [(r.review_id, r.rating, r.author) for r in listed] == [(NAME, 2, "Ann"), (NAME + "b", 5, "Ann")]
        gets = [r for r in google.requests if r.method == "GET"]
        assert [r.url.params.get("pageToken") for r in gets] == [None, "p2"]
        assert gets[0].url.path == "/v4/accounts/1001/locations/2002/reviews"

    def test_a_review_is_read_as_google_documents_it(self) -> None:
        review = parse_review(
            {
                "name": NAME,
                "reviewId": "r1",
                "reviewer": {"displayName": "Ann", "isAnonymous": False},
                "starRating": "FOUR",
                "createTime": "2026-12-01T10:00:00Z",
                "updateTime": "2026-12-02T10:00:00.5Z",
                "reviewReply": {"comment": "Thanks", "updateTime": "2026-12-03T09:30:00Z"},
            }
        )
        assert (review.rating, review.comment, review.reply) == (4, "", PlatformReply("Thanks", AT))
        assert review.created_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


class TestWebhookConnector:
    def connector(self, answer: httpx.Response, seen: list[httpx.Request]) -> WebhookConnector:
        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answer

        config = WebhookPlatform(platform="trustyou", reply_url="https://hook.test/replies", secret=SecretStr("s3cret"))
        client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        return WebhookConnector(config, client, clock=lambda: 1_800_000_000)

    async def test_a_reply_is_posted_signed(self) -> None:
        seen: list[httpx.Request] = []
        await self.connector(httpx.Response(204), seen).put_reply("rv-9", "Thanks!", key="entry:1", hotel="h-9")
        request = seen[0]
        assert json.loads(request.content) == {
            "event": "reply.put",
            "delivery_id": "entry:1",
            "platform": "trustyou",
            "review_id": "rv-9",
            "location_id": "h-9",
            "text": "Thanks!",
        }
        signatures.verify(
            "s3cret",
            request.headers["X-Hub-Timestamp"],
            request.headers["X-Hub-Signature"],
            request.content,
            now=1_800_000_000,
        )

    async def test_a_4xx_is_rejected_with_the_body_s_reason(self) -> None:
        answer = httpx.Response(422, json={"reason": "Replies are closed for this review."})
        with pytest.raises(Rejected, match=r"Replies are closed for this review\."):
            await self.connector(answer, []).put_reply("rv-9", "Thanks!", key="entry:1")

    @pytest.mark.parametrize("status", [429, 500, 503])
    async def test_busy_or_down_is_retried(self, status: int) -> None:
        answer = httpx.Response(status, text="busy", headers={"Retry-After": "3"})
        with pytest.raises(RetryLater) as raised:
            await self.connector(answer, []).delete_reply("rv-9", key="entry:1")
        assert raised.value.after == 3.0


class TestWhichPlatformsHaveAConnector:
    def test_google_needs_its_credentials_and_a_webhook_its_entry(self) -> None:
        webhook = WebhookPlatform(platform="trustyou", reply_url="https://hook.test", secret=SecretStr("x"))
        configured = google_settings(webhooks=[webhook])
        assert has_connector("google", configured)
        assert has_connector("trustyou", configured)
        assert not has_connector("tripadvisor", configured)
        assert not has_connector("google", ReviewPlatformSettings(google_client_id=""))
        assert sorted(Connectors(configured).by_platform) == ["google", "trustyou"]


def listed(review_id: str, comment: str = "Nice", rating: int = 4, reply: str | None = None) -> PlatformReview:
    return PlatformReview(review_id, "Ann", rating, comment, AT, AT, PlatformReply(reply, AT) if reply else None)


class TestWhatChangedOnThePlatform:
    def test_a_new_review_and_an_edited_one_are_handed_over_an_unchanged_one_is_not(self) -> None:
        same, edited = listed("r1"), listed("r2", comment="Now better")
        seen = {"r1": Seen(fingerprint(same), None), "r2": Seen(fingerprint(listed("r2")), None)}
        changes = compare(seen, [same, edited, listed("r3")])
        assert [r.review_id for r in changes.reviews] == ["r2", "r3"]
        assert changes.deleted == []
        assert changes.replies == []

    def test_a_review_gone_from_the_listing_is_deleted(self) -> None:
        changes = compare({"r1": Seen("x", None), "r2": Seen(fingerprint(listed("r2")), None)}, [listed("r2")])
        assert changes.deleted == ["r1"]

    def test_a_reply_edited_or_taken_down_is_news_a_reply_appearing_is_not(self) -> None:
        seen = {
            "r1": Seen(fingerprint(listed("r1")), "Thanks"),
            "r2": Seen(fingerprint(listed("r2")), "Thanks"),
            "r3": Seen(fingerprint(listed("r3")), None),
        }
        now = [listed("r1", reply="Thanks a lot"), listed("r2"), listed("r3", reply="Thanks")]
        assert [(r.review_id, state) for r, state in compare(seen, now).replies] == [
            ("r1", "edited"),
            ("r2", "deleted"),
        ]

    def test_the_platform_s_review_is_read_as_ingest_s_own(self) -> None:
        review = as_review("opera", "google", listed(NAME, rating=2))
        assert (review.review_id, review.location, review.stars(), review.text) == (NAME, "opera", 2, "Nice")


def changed(state: Literal["edited", "deleted"], comment: str | None = None) -> ReviewReplyChanged:
    return ReviewReplyChanged(
        location_id="opera",
        platform="google",
        review_id=NAME,
        state=state,
        comment=comment,
        at=AT,
    )


class TestWhenAReplyChangeIsNews:
    def test_our_own_text_shown_again_is_not_an_edit(self) -> None:
        reply = {"text": "Thanks", "delivery": {"state": "sent"}}
        assert not is_news(reply, changed("edited", "Thanks"))
        assert is_news(reply, changed("edited", "Thanks, edited on Google"))

    def test_the_same_report_twice_is_shown_once(self) -> None:
        reply = {"text": "Thanks", "delivery": {"state": "deleted", "comment": None}}
        assert not is_news(reply, changed("deleted"))
        assert is_news({"text": "Thanks", "delivery": {"state": "sent"}}, changed("deleted"))


class TestRetryDelay:
    def test_retry_after_comes_before_the_back_off(self) -> None:
        settings = NotifySettings(retry_base_seconds=0.2, retry_max_seconds=1)
        assert review_retry_delay(5.0, 1, settings) == 5.0
        assert review_retry_delay(None, 3, settings) == 0.8
        assert review_retry_delay(86_400.0, 1, settings) == 3600.0
