"""A webhook review platform's reply endpoint for tests (shared/review_platforms/webhook.py): a local HTTP
server that keeps every request notify makes and answers 204, or what a test scripted for a review."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared import signatures
from tests.support import http_stub
from tests.support.polling import eventually


@dataclass
class Request:
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def signed_by(self, secret: str) -> bool:
        try:
            signatures.verify(
                secret, self.headers.get("x-hub-timestamp"), self.headers.get("x-hub-signature"), self.body
            )
        except signatures.SignatureError:
            return False
        return True


@dataclass
class Answer:
    status: int
    reason: str | None = None  # sent as `{"reason": ...}`
    retry_after: int | None = None


@dataclass
class ReviewPlatform:
    """Keeps every request; answers each review's scripted answers first (`answer`), then 204."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    scripted: dict[str, list[Answer]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, review_id: str, status: int, reason: str | None = None, *, retry_after: int | None = None) -> None:
        """The next request about `review_id` gets this answer (several calls: in order)."""
        with self.lock:
            self.scripted.setdefault(review_id, []).append(Answer(status, reason, retry_after))

    def about(self, review_id: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.json.get("review_id") == review_id]

    async def wait_for(self, review_id: str, count: int = 1) -> list[Request]:
        async def probe() -> list[Request]:
            return self.about(review_id)

        return await eventually(probe, lambda requests: len(requests) >= count)

    def _next_answer(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            try:
                review_id = str(request.json.get("review_id"))
            except ValueError:
                return Answer(400, "the body is not JSON")
            pending = self.scripted.get(review_id) or []
            return pending.pop(0) if pending else Answer(204)

    def start(self) -> "ReviewPlatform":
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                request = Request({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                answer = platform._next_answer(request)
                content = json.dumps({"reason": answer.reason}).encode() if answer.reason else b""
                self.send_response(answer.status)
                if answer.retry_after is not None:
                    self.send_header("Retry-After", str(answer.retry_after))
                if content:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http_stub.start(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/replies"
        return self

    def stop(self) -> None:
        http_stub.stop(self.server)
