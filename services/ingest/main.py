"""Composition root of the ingest service."""

from fastapi import FastAPI

from shared.bus import (
    INBOUND_BOUNCE,
    INBOUND_GUEST_MESSAGE,
    INBOUND_SOLICITATION_REPLY,
    LOCATION_EXISTS,
    REVIEW_REPLY_CHANGED,
)
from shared.client_limits import ClientLimits
from shared.review_platforms import ReviewPlatformSettings
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings, load_settings

from . import chat, hotels
from .api import router
from .backpressure import Budget, Overload
from .imap import imap_pollers
from .limits import GuestLimits
from .platform_reviews import review_pollers
from .repository import CHAT_INDEXES, MAILBOX_INDEXES, PLATFORM_REVIEW_INDEXES
from .settings import IngestSettings
from .smtp import smtp_receiver


def build_app(settings: HubSettings | None = None, http: IngestSettings | None = None) -> FastAPI:
    settings = settings or HubSettings()
    http = http or IngestSettings()
    runtime = Runtime.build(
        "ingest",
        settings,
        {**MAILBOX_INDEXES, **CHAT_INDEXES, **PLATFORM_REVIEW_INDEXES},
        publications=[
            INBOUND_GUEST_MESSAGE,
            INBOUND_SOLICITATION_REPLY,
            INBOUND_BOUNCE,
            LOCATION_EXISTS,
            REVIEW_REPLY_CHANGED,
        ],
    )
    chat.register(runtime)
    known_hotels = hotels.KnownHotels(runtime.broker)
    hotels.register(runtime, known_hotels)
    budget = Budget(http.max_in_flight)  # shared by HTTP and SMTP: one bound on what ingest holds
    background = [
        smtp_receiver(http, budget, known_hotels),
        imap_pollers(http),
        review_pollers(ReviewPlatformSettings()),
    ]
    limits = [
        ("/ingest/email/raw", http.email_max_bytes),
        ("/ingest/reviews/import", http.review_import_max_bytes),
        ("/ingest/forms/", http.form_with_files_max_bytes),
        ("/ingest/chat/", http.form_with_files_max_bytes),
    ]
    # Every ingest route reads its body through `read_body`, which caps a stream without a length too.
    app = create_app(
        runtime, [router], title="Hub ingest", background=background, body_limits=limits, streamed=["/ingest/"]
    )
    app.state.ingest_settings = http
    app.state.hotels = known_hotels
    app.add_middleware(Overload, budget=budget)
    # Per client address (uvicorn's: X-Forwarded-For only from FORWARDED_ALLOW_IPS, the gateway), shared
    # by every replica through NATS KV.
    app.state.guest_limits = GuestLimits(ClientLimits(runtime.broker, settings.stream_replicas), http)
    return app


def main() -> None:
    settings, http = load_settings(HubSettings), load_settings(IngestSettings)
    serve(build_app(settings, http), "ingest", http, settings)
