"""Composition root of the contacts service."""

from fastapi import FastAPI

from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from . import handlers
from .api import router
from .repository import INDEXES
from .settings import ContactsSettings


def build_app(settings: HubSettings | None = None) -> FastAPI:
    runtime = Runtime.build("contacts", settings or HubSettings(), INDEXES)
    handlers.register(runtime)
    return create_app(runtime, [router], title="Hub contacts")


def main() -> None:
    settings, http = HubSettings(), ContactsSettings()
    serve(build_app(settings), "contacts", http, settings)
