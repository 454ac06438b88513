"""A chatbot's webhook endpoint for tests: a local HTTP server that keeps every call the hub makes."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support import http_stub


@dataclass
class Call:
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def signed_by(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-hub-signature-256", ""), expected)


@dataclass
class Receiver:
    """Keeps every call; answers 500 to the first `fail_first[event]` calls of an event, 204 to the others."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)

    def of(self, event: str) -> list[Call]:
        return [call for call in self.calls if call.headers.get("x-hub-event") == event]

    async def calls_of(self, event: str) -> list[Call]:
        """The same, as a probe for `tests.support.polling.eventually`."""
        return self.of(event)


@contextmanager
def bot_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            call = Call({k.lower(): v for k, v in self.headers.items()}, body)
            state.calls.append(call)
            event = call.headers.get("x-hub-event", "")
            failing = state.fail_first.get(event, 0) > 0
            if failing:
                state.fail_first[event] -= 1
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with http_stub.serving(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
        yield state
