"""Composition root of the inbox service."""

from fastapi import FastAPI

from shared.bus import (
    CHAT_TO_GUEST,
    CONTACT_HOTELS,
    CONVERSATION_EVENTS,
    CONVERSATION_VIEWING,
    ERASURE_APPLIED,
    LOCATION_CHANGED,
    OUTBOUND_BOT,
    OUTBOUND_CHAT,
    OUTBOUND_EMAIL,
    OUTBOUND_REVIEW,
    RESOLVE_CONTACT,
    Declared,
)
from shared.client_limits import ClientLimits
from shared.db import IndexSpec
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings, load_settings

from . import jobs
from .access import api as access_api
from .attachments import api as attachments_api
from .autoreplies import api as autoreplies_api
from .autoreplies.repository import AUTO_REPLY_INDEXES
from .availability.repository import AVAILABILITY_INDEXES
from .bots import api as bots_api
from .console import api as console_api
from .conversations import api as conversations_api
from .conversations import handlers as conversations_handlers
from .conversations.repository import indexes_for
from .directory import api as directory_api
from .directory import handlers as directory_handlers
from .directory.repository import DIRECTORY_INDEXES
from .live import api as live_api
from .live.service import LiveHub
from .merging import api as merging_api
from .privacy import handlers as privacy_handlers
from .reports import api as reports_api
from .reports.repository import SCORE_INDEXES
from .rules import api as rules_api
from .rules import handlers as rules_handlers
from .rules.repository import RULE_INDEXES
from .settings import InboxSettings
from .sla import api as sla_api
from .sla.repository import SLA_INDEXES
from .solicitations import handlers as solicitations_handlers
from .surveys import api as surveys_api
from .surveys import handlers as surveys_handlers

PUBLICATIONS: list[Declared] = [
    *CONVERSATION_EVENTS,
    CONVERSATION_VIEWING,
    OUTBOUND_EMAIL,
    OUTBOUND_CHAT,
    OUTBOUND_BOT,
    OUTBOUND_REVIEW,
    CHAT_TO_GUEST,
    RESOLVE_CONTACT,
    CONTACT_HOTELS,
    ERASURE_APPLIED,
    LOCATION_CHANGED,
]


def build_app(settings: HubSettings | None = None, http: InboxSettings | None = None) -> FastAPI:
    http = http or InboxSettings()
    settings = settings or HubSettings()
    indexes: dict[str, list[IndexSpec]] = {}
    parts = (
        indexes_for(settings.mongo_flavour),
        DIRECTORY_INDEXES,
        AUTO_REPLY_INDEXES,
        SCORE_INDEXES,
        SLA_INDEXES,
        AVAILABILITY_INDEXES,
        RULE_INDEXES,
    )
    for part in parts:
        for collection, specs in part.items():  # the scores' index is on `conversations` too
            indexes.setdefault(collection, []).extend(specs)
    runtime = Runtime.build("inbox", settings, indexes, publications=PUBLICATIONS)
    # The agents' live streams have a NATS connection of their own: a slow one never costs the broker's.
    live_hub = LiveHub(settings.nats_url)
    for handlers in (
        conversations_handlers,
        privacy_handlers,
        solicitations_handlers,
        directory_handlers,
        surveys_handlers,
        rules_handlers,
    ):
        handlers.register(runtime, http)
    app = create_app(
        runtime,
        [
            conversations_api.router,
            merging_api.router,
            live_api.router,
            access_api.router,
            directory_api.router,
            attachments_api.router,
            autoreplies_api.router,
            reports_api.router,
            sla_api.router,
            bots_api.router,
            console_api.router,
            surveys_api.router,
            rules_api.router,
        ],
        title="Hub inbox",
        background=[
            jobs.snooze_sweep(http),
            jobs.auto_reply_sweep(http),
            jobs.bootstrap_admin(http),
            jobs.counters_keeper(http),
            jobs.score_keeper(http),
            jobs.sla_sweep(http),
            jobs.fill_derived,
            jobs.prune_claims,
            live_hub.close_at_shutdown,
        ],
        # An upload is the file plus the multipart envelope.
        body_limits=[("/api/v1/attachments", http.attachment_max_bytes + 64 * 1024)],
    )
    app.mount("/console", console_api.static_files(), name="console")
    app.state.inbox_settings = http
    app.state.live_hub = live_hub
    # The client address is uvicorn's: the peer, or X-Forwarded-For when the peer is the trusted gateway
    # (FORWARDED_ALLOW_IPS, see docker-compose.yml); the counters are shared by every replica.
    app.state.client_limits = ClientLimits(runtime.broker, settings.stream_replicas)
    return app


def main() -> None:
    settings, http = load_settings(HubSettings), load_settings(InboxSettings)
    serve(build_app(settings, http), "inbox", http, settings)
