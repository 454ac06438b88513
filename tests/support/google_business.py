"""A local stand-in for the Google Business Profile API (a real HTTP server in a thread): the OAuth2
refresh-token exchange, the v4 reviews list and the reply PUT/DELETE, as Google documents them
(https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews), with Google's
error bodies. Tests add, edit and delete reviews, take a reply down, queue failures (400, 429 with
Retry-After, 503) and read the requests it received."""

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import http_stub
from tests.support.polling import eventually
from tests.support.servers import free_port

STAR_RATINGS = ("ONE", "TWO", "THREE", "FOUR", "FIVE")
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
MAX_PAGE_SIZE = 50
LIST_PATH = re.compile(r"^/v4/(accounts/[^/]+/locations/[^/]+)/reviews$")
REPLY_PATH = re.compile(r"^/v4/(accounts/[^/]+/locations/[^/]+/reviews/[^/]+)/reply$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Request:
    """One request the stand-in received (token requests included)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() when it arrived


@dataclass
class Failure:
    """An answer to give instead of the normal one, the next `times` matching requests."""

    method: str  # "GET", "PUT", "DELETE", "TOKEN" or "*"
    status: int
    message: str
    retry_after: float | None
    times: int


@dataclass
class GoogleBusiness:
    port: int = field(default_factory=free_port)
    client_id: str = "hub-test-client.apps.googleusercontent.com"
    client_secret: str = "hub-test-client-secret"
    refresh_token: str = "hub-test-refresh-token"
    token_lifetime_seconds: int = 3600
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)  # review name -> Review JSON
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> monotonic expiry
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def start(self) -> "GoogleBusiness":
        stand_in = self

        class Handler(_Handler):
            google = stand_in

        self.server = http_stub.start(Handler, self.port)
        return self

    def stop(self) -> None:
        http_stub.stop(self.server)

    # Test controls -----------------------------------------------------------------------------------

    def add_review(
        self,
        account: str,
        location: str,
        *,
        rating: int = 5,
        comment: str | None = "Great stay",
        reviewer: str = "Jane Guest",
        review_id: str | None = None,
        reply: str | None = None,
    ) -> str:
        """A new review on the location; returns its resource name."""
        review_id = review_id or uuid.uuid4().hex
        name = f"accounts/{account}/locations/{location}/reviews/{review_id}"
        now = _now()
        review: dict[str, Any] = {
            "name": name,
            "reviewId": review_id,
            "reviewer": {"displayName": reviewer, "isAnonymous": False},
            "starRating": STAR_RATINGS[rating - 1],
            "createTime": now,
            "updateTime": now,
        }
        if comment is not None:
            review["comment"] = comment
        if reply is not None:
            review["reviewReply"] = {"comment": reply, "updateTime": now}
        with self.lock:
            self.reviews[name] = review
        return name

    def edit_review(self, name: str, *, comment: str | None = None, rating: int | None = None) -> None:
        """The guest edits their review (a new updateTime)."""
        with self.lock:
            review = self.reviews[name]
            if comment is not None:
                review["comment"] = comment
            if rating is not None:
                review["starRating"] = STAR_RATINGS[rating - 1]
            review["updateTime"] = _now()

    def delete_review(self, name: str) -> None:
        """The guest (or Google) removes the review: it disappears from the listing."""
        with self.lock:
            del self.reviews[name]

    def take_down_reply(self, name: str) -> None:
        """The owner's reply disappears (removed on the platform, or taken down by Google)."""
        with self.lock:
            self.reviews[name].pop("reviewReply", None)

    def edit_reply(self, name: str, comment: str) -> None:
        """The reply is changed on the platform itself (e.g. in the Business Profile manager)."""
        with self.lock:
            self.reviews[name]["reviewReply"] = {"comment": comment, "updateTime": _now()}

    def reply_of(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            reply = self.reviews.get(name, {}).get("reviewReply")
            return dict(reply) if reply is not None else None

    def fail(
        self, method: str, status: int, message: str = "", *, retry_after: float | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests of `method` ("GET", "PUT", "DELETE", "TOKEN", "*") with an error."""
        with self.lock:
            self.failures.append(
                Failure(method, status, message or STATUS_NAMES.get(status, "error"), retry_after, times)
            )

    def received(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self.lock:
            return [
                r for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def replies_to(self, name: str) -> list[Request]:
        """The PUT requests received for this review's reply."""
        return self.received("PUT", f"/v4/{name}/reply")

    async def wait_for_replies(self, name: str, count: int = 1, timeout: float = 20.0) -> list[Request]:
        async def probe() -> list[Request]:
            return self.replies_to(name)

        return await eventually(probe, lambda found: len(found) >= count, timeout=timeout)

    # Server side ------------------------------------------------------------------------------------

    def _failure(self, method: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.times > 0 and failure.method in (method, "*"):
                    failure.times -= 1
                    return failure
        return None

    def _issue_token(self) -> str:
        token = "ya29." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime_seconds
        return token

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self.lock:
            expiry = self.tokens.get(header.removeprefix("Bearer "))
        return expiry is not None and expiry > time.monotonic()

    def _list(self, parent: str, query: dict[str, list[str]]) -> dict[str, Any]:
        size = min(int(query.get("pageSize", [str(MAX_PAGE_SIZE)])[0] or MAX_PAGE_SIZE), MAX_PAGE_SIZE)
        start = int(query.get("pageToken", ["0"])[0] or 0)
        with self.lock:
            mine = [dict(r) for name, r in self.reviews.items() if name.startswith(parent + "/reviews/")]
        mine.sort(key=lambda r: r["updateTime"], reverse=True)
        page = mine[start : start + size]
        answer: dict[str, Any] = {"reviews": page, "totalReviewCount": len(mine)}
        if mine:
            answer["averageRating"] = sum(STAR_RATINGS.index(r["starRating"]) + 1 for r in mine) / len(mine)
        if start + size < len(mine):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _put_reply(self, name: str, body: Any) -> dict[str, Any] | None:
        with self.lock:
            review = self.reviews.get(name)
            if review is None:
                return None
            reply = {"comment": body["comment"], "updateTime": _now()}
            review["reviewReply"] = reply
            return dict(reply)

    def _delete_reply(self, name: str) -> bool:
        with self.lock:
            review = self.reviews.get(name)
            if review is None:
                return False
            review.pop("reviewReply", None)
            return True


class _Handler(BaseHTTPRequestHandler):
    google: GoogleBusiness
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if split.path == "/token":
            body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        self.google.requests.append(
            Request(method, split.path, parse_qs(split.query), dict(self.headers.items()), body, time.monotonic())
        )
        if split.path == "/token" and method == "POST":
            self._token(body)
            return
        if not self.google._authorized(self.headers.get("Authorization")):
            self._error(401, "Request had invalid authentication credentials.")
            return
        failure = self.google._failure(method)
        if failure is not None:
            self._error(failure.status, failure.message, retry_after=failure.retry_after)
            return
        if method == "GET" and (match := LIST_PATH.match(split.path)):
            self._json(200, self.google._list(match[1], parse_qs(split.query)))
        elif method == "PUT" and (match := REPLY_PATH.match(split.path)):
            if not isinstance(body, dict) or not isinstance(body.get("comment"), str) or not body["comment"]:
                self._error(400, "Request contains an invalid argument.")
                return
            reply = self.google._put_reply(match[1], body)
            if reply is None:
                self._error(404, "Requested entity was not found.")
            else:
                self._json(200, reply)
        elif method == "DELETE" and (match := REPLY_PATH.match(split.path)):
            if self.google._delete_reply(match[1]):
                self._json(200, {})
            else:
                self._error(404, "Requested entity was not found.")
        else:
            self._error(404, "Requested entity was not found.")

    def _token(self, form: dict[str, str]) -> None:
        failure = self.google._failure("TOKEN")
        if failure is not None:
            self._json(failure.status, {"error": "temporarily_unavailable", "error_description": failure.message})
            return
        google = self.google
        if form.get("grant_type") != "refresh_token":
            self._json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        elif form.get("client_id") != google.client_id or form.get("client_secret") != google.client_secret:
            self._json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        elif form.get("refresh_token") != google.refresh_token:
            self._json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        else:
            self._json(
                200,
                {
                    "access_token": google._issue_token(),
                    "expires_in": google.token_lifetime_seconds,
                    "scope": "https://www.googleapis.com/auth/business.manage",
                    "token_type": "Bearer",
                },
            )

    def _error(self, status: int, message: str, *, retry_after: float | None = None) -> None:
        body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        self._json(status, body, headers)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
