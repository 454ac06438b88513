"""Composition root of the inbox service."""

from fastapi import FastAPI

from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from . import handlers
from .api import router
from .repository import INDEXES
from .settings import InboxSettings


def build_app(settings: HubSettings | None = None, http: InboxSettings | None = None) -> FastAPI:
    http = http or InboxSettings()
    runtime = Runtime.build("inbox", settings or HubSettings(), INDEXES)
    handlers.register(runtime, http)
    return create_app(runtime, [router], title="Hub inbox")


def main() -> None:
    settings, http = HubSettings(), InboxSettings()
    serve(build_app(settings, http), "inbox", http, settings)
