"""Google Business Profile connector: the v4 reviews API with the OAuth2 refresh-token flow.

https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews: reviews are
listed per location (`GET /v4/accounts/{a}/locations/{l}/reviews`, 50 a page), the hotel's reply is
`PUT /v4/{review name}/reply` with `{"comment"}` and `DELETE` on the same path. Errors come as
`{"error": {"code", "message", "status"}}`; quota answers are 429 `RESOURCE_EXHAUSTED`.
"""

import asyncio
import re
import time
from datetime import datetime
from typing import Any

import httpx

from .connector import PlatformLocation, PlatformReply, PlatformReview, Rejected, RetryLater, retry_after_seconds
from .settings import ReviewPlatformSettings

PLATFORM = "google"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
PAGE_SIZE = 50
REVIEW_NAME = re.compile(r"accounts/[0-9A-Za-z_-]+/locations/[0-9A-Za-z_-]+/reviews/[0-9A-Za-z_-]+")
MAX_PAGES = 200  # 10,000 reviews: a location with more is listed up to there
# A token is renewed this long before Google says it expires, so a call never carries an expired one.
TOKEN_MARGIN_SECONDS = 60.0


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_review(data: dict[str, Any]) -> PlatformReview:
    """A Review resource as the hub reads it."""
    reply = data.get("reviewReply")
    reviewer = data.get("reviewer") or {}
    return PlatformReview(
        review_id=str(data["name"]),
        author=reviewer.get("displayName") or None,
        rating=STARS.get(str(data.get("starRating"))),
        comment=str(data.get("comment") or ""),
        created_at=_time(data.get("createTime")),
        updated_at=_time(data.get("updateTime")),
        reply=PlatformReply(str(reply.get("comment") or ""), _time(reply.get("updateTime")))
        if isinstance(reply, dict)
        else None,
    )


def error_message(response: httpx.Response) -> str:
    """Google's own words for a failed call (`error.message`), else the status line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):  # the OAuth token endpoint: {"error": "invalid_grant", ...}
            description = body.get("error_description")
            return f"{error}: {description}" if description else error
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _check_name(review_id: str) -> None:
    """A reply goes only to a review's resource name (it is put in the URL's path)."""
    if not REVIEW_NAME.fullmatch(review_id):
        raise Rejected(f"Not a Google review name: {review_id!r}")


def classify(response: httpx.Response) -> Rejected | RetryLater:
    """How a failed answer ends: 429 (quota) and 5xx are tried again, after Retry-After when given;
    any other 4xx is Google refusing the reply, with its reason."""
    message = error_message(response)
    status = response.status_code
    if status == 429 or status >= 500:
        after = retry_after_seconds(response.headers.get("Retry-After"))
        return RetryLater(f"Google Business Profile is busy ({status}): {message}", after)
    return Rejected(message)


class GoogleConnector:
    """One per service; it keeps the access token until shortly before it expires."""

    platform = PLATFORM

    def __init__(self, settings: ReviewPlatformSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.request_timeout_seconds)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def access_token(self) -> str:
        """A valid access token, exchanged from the refresh token when the cached one is (nearly) expired."""
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires:
                return self._token
            settings = self.settings
            try:
                response = await self.client.post(
                    settings.google_token_url,
                    data={
                        "grant_type": "refresh_token",
                        "client_id": settings.google_client_id,
                        "client_secret": settings.google_client_secret.get_secret_value(),
                        "refresh_token": settings.google_refresh_token.get_secret_value(),
                    },
                )
            except httpx.HTTPError as exc:
                raise RetryLater(f"Google's sign-in could not be reached: {exc!r}") from exc
            if response.status_code != 200:
                # A refused refresh token (invalid_grant) needs an administrator, not a retry: rejected.
                failure = classify(response)
                reason = f"Google sign-in refused: {failure.reason}"
                if isinstance(failure, RetryLater):
                    raise RetryLater(reason, failure.after)
                raise Rejected(reason)
            body = response.json()
            self._token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
            self._expires = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call with a Bearer token; a 401 (a token revoked early) takes a new token once."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                response = await self.client.request(
                    method,
                    f"{self.settings.google_api_url}/v4/{path}",
                    headers={"Authorization": f"Bearer {token}"},
                    **kwargs,
                )
            except httpx.HTTPError as exc:
                raise RetryLater(f"Google Business Profile could not be reached: {exc!r}") from exc
            if response.status_code == 401 and attempt == 1:
                async with self._lock:
                    self._token = None
                continue
            if response.is_success:
                return response
            raise classify(response)
        raise RetryLater("Google Business Profile refused the access token twice")  # pragma: no cover

    async def list_reviews(self, location: PlatformLocation) -> list[PlatformReview]:
        reviews: list[PlatformReview] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {"pageSize": PAGE_SIZE}
            if token:
                params["pageToken"] = token
            response = await self._call(
                "GET", f"accounts/{location.account}/locations/{location.location}/reviews", params=params
            )
            body = response.json()
            reviews.extend(parse_review(item) for item in body.get("reviews") or [])
            token = body.get("nextPageToken")
            if not token:
                break
        return reviews

    async def put_reply(self, review_id: str, text: str, *, key: str, hotel: str = "") -> PlatformReply:
        _check_name(review_id)
        response = await self._call("PUT", f"{review_id}/reply", json={"comment": text})
        body = response.json()
        return PlatformReply(str(body.get("comment") or text), _time(body.get("updateTime")))

    async def delete_reply(self, review_id: str, *, key: str) -> None:
        _check_name(review_id)
        await self._call("DELETE", f"{review_id}/reply")
