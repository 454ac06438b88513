"""Composition root of the notify service: connects to the bus and its database and reports ready.

Its OUTBOUND consumer (email over SMTP, chat pushes, forwards) arrives with the notify issue.
"""

from fastapi import FastAPI

from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from .repository import INDEXES
from .settings import NotifySettings


def build_app(settings: HubSettings | None = None) -> FastAPI:
    return create_app(Runtime.build("notify", settings or HubSettings(), INDEXES), title="Hub notify")


def main() -> None:
    settings, http = HubSettings(), NotifySettings()
    serve(build_app(settings), "notify", http, settings)
