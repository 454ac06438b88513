"""Composition root of the inbox service."""

from fastapi import FastAPI

from shared.bus import CONVERSATION_CREATED, MESSAGE_RECEIVED, RESOLVE_CONTACT
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from . import handlers
from .api import router
from .repository import INDEXES
from .settings import InboxSettings


def build_app(settings: HubSettings | None = None, http: InboxSettings | None = None) -> FastAPI:
    http = http or InboxSettings()
    runtime = Runtime.build(
        "inbox",
        settings or HubSettings(),
        INDEXES,
        publications=[CONVERSATION_CREATED, MESSAGE_RECEIVED, RESOLVE_CONTACT],
    )
    handlers.register(runtime, http)
    return create_app(runtime, [router], title="Hub inbox")


def main() -> None:
    settings, http = HubSettings(), InboxSettings()
    serve(build_app(settings, http), "inbox", http, settings)
