"""Back-pressure: a bound on the messages ingest holds while it waits for JetStream to store them.

When the bus (or whatever slows it) answers late, requests pile up, each holding its body. Past
`max_in_flight`, ingest answers at once — HTTP 503 with Retry-After, SMTP 451 — so the sender tries
again later and memory stays bounded; nothing is accepted that is not stored.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import HTTPConnection

from shared.problems import language_of, problem_response

from .metrics import IN_FLIGHT, INBOUND_REJECTED

RETRY_AFTER_SECONDS = 5


class Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a slot held, or False when the budget is spent (hold nothing then)."""
        if self.in_flight >= self.limit:
            yield False
            return
        self.in_flight += 1
        IN_FLIGHT.set(self.in_flight)
        try:
            yield True
        finally:
            self.in_flight -= 1
            IN_FLIGHT.set(self.in_flight)


class Overload:
    """ASGI middleware: every POST under /ingest/ takes a slot of the budget for as long as it runs."""

    def __init__(self, app: Any, budget: Budget) -> None:
        self.app, self.budget = app, budget

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/ingest/"):
            await self.app(scope, receive, send)
            return
        with self.budget.slot() as admitted:
            if admitted:
                await self.app(scope, receive, send)
                return
        INBOUND_REJECTED.labels(channel="http", reason="overloaded").inc()
        busy = problem_response(
            503,
            "Too busy",
            f"Too many messages are being stored right now; send again in {RETRY_AFTER_SECONDS} s.",
            language=language_of(HTTPConnection(scope)),
        )
        busy.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        await busy(scope, receive, send)
