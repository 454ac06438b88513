"""What every service process shares: a typed runtime (bus + database), its lifespan, health and metrics.

A service's `main.py` builds a `Runtime`, registers its subscribers on `runtime.broker`, and calls
`create_app`; the lifespan connects to the database and the bus (waiting for them while they start),
creates the indexes, starts the subscribers, and drains them on shutdown.
"""

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from faststream.nats import NatsBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import HTTPConnection

from shared import tracing
from shared.bus import Declared
from shared.db import Document, IndexSpec, ensure_indexes, make_client, ping
from shared.http import RequestIds, media_type, nul_fields, refuse_nul
from shared.logging import configure_logging
from shared.messaging import RetryPolicy, connect_and_start, make_broker, observe_bus, register_publications
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS, initialise_bus_series
from shared.problems import install_problem_handlers, language_of, problem_response
from shared.settings import HttpSettings, HubSettings

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 120.0
BACKGROUND_STOP_SECONDS = 5.0


def stopping() -> bool:
    """Whether the running task has been asked to stop (for background loops: see `create_app`)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@dataclass
class Runtime:
    """The process's connections, created once and handed to handlers and routes."""

    service: str
    settings: HubSettings
    broker: NatsBroker
    policy: RetryPolicy
    mongo: AsyncMongoClient[Document]
    indexes: Mapping[str, Sequence[IndexSpec]] = field(default_factory=dict)
    draining: bool = False

    @classmethod
    def build(
        cls,
        service: str,
        settings: HubSettings,
        indexes: Mapping[str, Sequence[IndexSpec]] | None = None,
        publications: Sequence[Declared] = (),
    ) -> "Runtime":
        tracing.configure(service)  # before the broker: its middlewares depend on it
        broker, policy = make_broker(settings, client_name=f"hub-{service}")
        register_publications(broker, publications)
        initialise_bus_series(service, publications)
        return cls(
            service=service,
            settings=settings,
            broker=broker,
            policy=policy,
            mongo=make_client(settings),
            indexes=indexes or {},
        )

    @property
    def db(self) -> AsyncDatabase[Document]:
        return self.mongo[self.settings.mongo_database]

    def bus_connected(self) -> bool:
        try:
            return bool(self.broker.connection.is_connected)
        except Exception:  # noqa: BLE001 - not connected yet
            return False

    async def start(self) -> None:
        await _retry_until_ready("database", self._prepare_database)
        replicas, max_bytes = self.settings.stream_replicas, self.settings.stream_max_bytes
        await _retry_until_ready(
            "NATS", lambda: connect_and_start(self.broker, stream_replicas=replicas, stream_max_bytes=max_bytes)
        )

    async def _prepare_database(self) -> None:
        await ensure_indexes(self.db, self.indexes)

    async def stop(self) -> None:
        self.draining = True
        await self.broker.stop()
        await self.mongo.close()


async def _retry_until_ready(what: str, attempt: Callable[[], Awaitable[None]]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    delay = 0.2
    while True:
        try:
            await attempt()
        except Exception as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("waiting for %s: %r", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            return


async def watch_bus(runtime: Runtime) -> None:
    """Keep the bus gauges (consumer lag, dead letters) fresh for /metrics: one look every interval."""
    while True:
        try:
            await observe_bus(runtime.broker, runtime.service)
        except Exception as exc:  # noqa: BLE001 - a metric must never take the service down
            log.debug("bus metrics not observed: %r", exc)
        await asyncio.sleep(runtime.settings.bus_metrics_seconds)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    async def readyz(runtime: RuntimeDep, request: Request) -> Response:
        checks = {
            "bus": runtime.bus_connected(),
            "database": await ping(runtime.mongo),
            "accepting": not runtime.draining,
        }
        if all(checks.values()):
            return Response('{"status":"ready"}', media_type="application/json")
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        detail = f"Not ready: {failing} unavailable."
        return problem_response(503, "Not ready", detail, language=language_of(request), checks=checks)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


API_CSP = b"default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = b"frame-ancestors 'none'"


class SecurityHeaders:
    """Headers every HTTP response carries unless its route set its own: no MIME sniffing, no framing,
    no referrer, and for data (JSON, text) a policy that lets a browser run nothing from it. A pure
    ASGI middleware, so streams (Server-Sent Events) and WebSockets pass untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                defaults = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", PAGE_CSP if content_type.startswith(b"text/html") else API_CSP),
                ]
                headers += [(name, value) for name, value in defaults if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


DEFAULT_MAX_BODY_BYTES = 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def refuse_nul_characters(connection: HTTPConnection) -> None:
    """Every route's first dependency: a NUL character in a path or query parameter or in a JSON body is a 422
    naming the field, before a route queries or stores it (which the database would answer with an error).
    A JSON body over the default cap is left to its route, which reads it with a limit of its own."""
    found = [f"path.{name}" for name, value in connection.path_params.items() if "\x00" in str(value)]
    found += [f"query.{name}" for name, value in connection.query_params.multi_items() if "\x00" in name + value]
    declared = connection.headers.get("content-length", "")
    if (
        isinstance(connection, Request)
        and media_type(connection) == "application/json"
        and declared.isdigit()
        and int(declared) <= DEFAULT_MAX_BODY_BYTES
    ):
        raw = await connection.body()
        # JSON can only carry a NUL escaped (a raw one is invalid JSON): without the escape there is none,
        # and the body is not decoded a second time (the route decodes it).
        if b"\\u0000" in raw:
            try:
                body = json.loads(raw)
            except ValueError:  # not JSON, or not UTF-8: the route's own decoding says so
                body = None
            found += nul_fields(body)
    refuse_nul(found)


class BodyLimit:
    """Refuse a body larger than its path's limit before any route reads it: 413 when the declared
    Content-Length is over, 411 when there is none, except on paths whose routes read the stream with a
    cap of their own (`streamed`, e.g. imports). The server enforces the declared length's framing, so
    a client cannot send more than it declared. `limits` are (path prefix, bytes), the first match wins."""

    def __init__(self, app: Any, limits: Sequence[tuple[str, int]] = (), streamed: Sequence[str] = ()) -> None:
        self.app, self.limits, self.streamed = app, limits, tuple(streamed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = next((size for prefix, size in self.limits if path.startswith(prefix)), DEFAULT_MAX_BODY_BYTES)
        headers = {name.lower(): value for name, value in scope.get("headers") or []}
        declared = headers.get(b"content-length")
        problem = None
        language = language_of(HTTPConnection(scope))
        if declared is None:
            if b"transfer-encoding" in headers and not any(path.startswith(prefix) for prefix in self.streamed):
                detail = "Send the body with a Content-Length header."
                problem = problem_response(411, "Length required", detail, language=language)
        elif not declared.isdigit():
            detail = "The Content-Length header is not a number."
            problem = problem_response(400, "Bad request", detail, language=language)
        elif int(declared) > limit:
            detail = f"The request body is larger than the limit of {limit} bytes."
            problem = problem_response(413, "Payload too large", detail, language=language)
        if problem is None:
            await self.app(scope, receive, send)
        else:
            await problem(scope, receive, send)


class RequestMetrics:
    """Each request's latency and outcome by route (plain ASGI: no task or stream per request)."""

    def __init__(self, app: Any, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if route not in {"/metrics", "/healthz", "/readyz"}:
                HTTP_LATENCY.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)
                HTTP_REQUESTS.labels(self.service, scope["method"], route, f"{status // 100}xx").inc()


BackgroundTask = Callable[[Runtime], Coroutine[Any, Any, None]]


def create_app(
    runtime: Runtime,
    routers: Sequence[APIRouter] = (),
    *,
    title: str,
    background: Sequence[BackgroundTask] = (),
    body_limits: Sequence[tuple[str, int]] = (),
    streamed: Sequence[str] = (),
) -> FastAPI:
    """The service's app; `background` coroutines (sweeps) run from start-up until shutdown. Bodies are
    capped at 1 MiB except under the path prefixes of `body_limits` (see `BodyLimit`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime
        await runtime.start()
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(task(runtime), name=getattr(task, "__name__", "task"))
            for task in [*background, watch_bus]
        ]
        log.info("%s ready", runtime.service)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Python 3.11's `asyncio.wait_for` can swallow a cancellation that arrives as its awaitable
            # completes (nats-py uses it for every request): a loop that missed it would hold the shutdown
            # for ever. The loops check `stopping()`, and the shutdown waits for them a few seconds only.
            _, stuck = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_SECONDS)
            for task in stuck:
                log.warning(
                    "background task did not stop in time; shutting down without it", extra={"task": task.get_name()}
                )
            await runtime.stop()
            tracing.shutdown()

    app = FastAPI(title=title, lifespan=lifespan, dependencies=[Depends(refuse_nul_characters)])
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(RequestMetrics, service=runtime.service)
    app.add_middleware(BodyLimit, limits=body_limits, streamed=streamed)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestIds)  # outermost of ours: every line logged while serving has the id
    tracing.instrument(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    return app


class DrainingServer(uvicorn.Server):
    """uvicorn, with readiness going false first: on SIGTERM `/readyz` answers 503 at once while requests
    are still served for `delay` seconds (so load balancers stop sending), then uvicorn stops accepting,
    finishes the requests in flight, and the lifespan drains the bus (handlers running finish and ack).
    A second signal stops at once."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime, delay: float) -> None:
        super().__init__(config)
        self.runtime, self.delay = runtime, delay

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.runtime.draining or self.delay <= 0:
            self.runtime.draining = True
            super().handle_exit(sig, frame)
            return
        self.runtime.draining = True
        log.info("draining: not ready any more, stopping in %.1f s", self.delay)
        timer = threading.Timer(self.delay, super().handle_exit, args=(sig, frame))
        timer.daemon = True
        timer.start()


def serve(app: FastAPI, service: str, http: HttpSettings, settings: HubSettings) -> None:
    """Run one service process until SIGTERM, then drain (see `DrainingServer`)."""
    configure_logging(service, settings.log_level)
    config = uvicorn.Config(
        app, host=http.host, port=http.port, log_config=None, timeout_graceful_shutdown=20, ws_max_size=64 * 1024
    )
    DrainingServer(config, app.state.runtime, settings.shutdown_delay_seconds).run()
