"""Composition root of the inbox service."""

from fastapi import FastAPI

from shared.bus import (
    CHAT_TO_GUEST,
    CONTACT_HOTELS,
    CONVERSATION_CREATED,
    CONVERSATION_UPDATED,
    CONVERSATION_VIEWING,
    ERASURE_APPLIED,
    LOCATION_CHANGED,
    MESSAGE_RECEIVED,
    OUTBOUND_CHAT,
    OUTBOUND_EMAIL,
    RESOLVE_CONTACT,
)
from shared.ratelimit import RateLimiter
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from . import handlers
from .access_api import router as access_router
from .api import events_router, router
from .attachments_api import router as attachments_router
from .console_api import router as console_router
from .console_api import static_files
from .directory_api import router as directory_router
from .directory_repository import DIRECTORY_INDEXES
from .repository import INDEXES
from .settings import InboxSettings

PUBLICATIONS = [
    CONVERSATION_CREATED,
    MESSAGE_RECEIVED,
    CONVERSATION_UPDATED,
    CONVERSATION_VIEWING,
    OUTBOUND_EMAIL,
    OUTBOUND_CHAT,
    CHAT_TO_GUEST,
    RESOLVE_CONTACT,
    CONTACT_HOTELS,
    ERASURE_APPLIED,
    LOCATION_CHANGED,
]


def build_app(settings: HubSettings | None = None, http: InboxSettings | None = None) -> FastAPI:
    http = http or InboxSettings()
    indexes = {**INDEXES, **DIRECTORY_INDEXES}
    runtime = Runtime.build("inbox", settings or HubSettings(), indexes, publications=PUBLICATIONS)
    handlers.register(runtime, http)
    app = create_app(
        runtime,
        [router, events_router, access_router, directory_router, attachments_router, console_router],
        title="Hub inbox",
        background=[
            handlers.snooze_sweep(http),
            handlers.bootstrap_admin(http),
            handlers.count_gauges(http),
            handlers.fill_derived,
        ],
        # An upload is the file plus the multipart envelope.
        body_limits=[("/api/v1/attachments", http.attachment_max_bytes + 64 * 1024)],
    )
    app.mount("/console", static_files(), name="console")
    app.state.inbox_settings = http
    app.state.login_limiter = RateLimiter(http.login_per_minute, burst=int(http.login_per_minute))
    return app


def main() -> None:
    settings, http = HubSettings(), InboxSettings()
    serve(build_app(settings, http), "inbox", http, settings)
