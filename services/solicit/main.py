"""Composition root of the solicit service."""

from fastapi import FastAPI

from shared.bus import CONVERSATION_BRIEF, OUTBOUND_SOLICITATION, SOLICITATION_EVENTS, Declared
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings, load_settings

from . import handlers
from .api import router
from .repository import INDEXES
from .settings import SolicitSettings

PUBLICATIONS: list[Declared] = [OUTBOUND_SOLICITATION, *SOLICITATION_EVENTS, CONVERSATION_BRIEF]


def build_app(settings: HubSettings | None = None, http: SolicitSettings | None = None) -> FastAPI:
    http = http or SolicitSettings()
    runtime = Runtime.build("solicit", settings or HubSettings(), INDEXES, publications=PUBLICATIONS)
    handlers.register(runtime)
    app = create_app(runtime, [router], title="Hub solicit")
    app.state.solicit_settings = http
    return app


def main() -> None:
    settings, http = load_settings(HubSettings), load_settings(SolicitSettings)
    serve(build_app(settings, http), "solicit", http, settings)
