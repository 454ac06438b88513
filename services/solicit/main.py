"""Composition root of the solicit service: connects to the bus and its database and reports ready.

Its API and the consumer of `hub.inbound.solicitation.*` arrive with the solicit issue.
"""

from fastapi import FastAPI

from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings

from .repository import INDEXES
from .settings import SolicitSettings


def build_app(settings: HubSettings | None = None) -> FastAPI:
    return create_app(Runtime.build("solicit", settings or HubSettings(), INDEXES), title="Hub solicit")


def main() -> None:
    settings, http = HubSettings(), SolicitSettings()
    serve(build_app(settings), "solicit", http, settings)
