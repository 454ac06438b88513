"""Composition root of the notify service: the OUTBOUND consumer that sends email and chat pushes, and the
bounce consumer that reports what came back."""

from fastapi import FastAPI

from shared.bus import CHAT_TO_GUEST, DELIVERY_STATUSES, UNMATCHED_BOUNCE
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings, load_settings

from . import handlers
from .repository import INDEXES
from .settings import NotifySettings

PUBLICATIONS = [*DELIVERY_STATUSES, CHAT_TO_GUEST, UNMATCHED_BOUNCE]


def build_app(settings: HubSettings | None = None, notify: NotifySettings | None = None) -> FastAPI:
    notify = notify or NotifySettings()
    runtime = Runtime.build("notify", settings or HubSettings(), INDEXES, publications=PUBLICATIONS)
    commits = handlers.register(runtime, notify)
    return create_app(runtime, title="Hub notify", background=[handlers.prepare_commit_marks(commits)])


def main() -> None:
    settings, notify = load_settings(HubSettings), load_settings(NotifySettings)
    serve(build_app(settings, notify), "notify", notify, settings)
