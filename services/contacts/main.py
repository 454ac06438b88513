"""Composition root of the contacts service."""

from fastapi import FastAPI

from shared.bus import CONTACT_ERASED, CONTACT_EXPORT, CONTACT_MERGED, CONTACT_RENAMED, Declared
from shared.runtime import Runtime, create_app, serve
from shared.settings import HubSettings, load_settings

from . import handlers
from .api import router
from .repository import indexes_for
from .settings import ContactsSettings

PUBLICATIONS: list[Declared] = [CONTACT_MERGED, CONTACT_ERASED, CONTACT_RENAMED, CONTACT_EXPORT]


def build_app(settings: HubSettings | None = None, http: ContactsSettings | None = None) -> FastAPI:
    http = http or ContactsSettings()
    settings = settings or HubSettings()
    runtime = Runtime.build("contacts", settings, indexes_for(settings.mongo_flavour), publications=PUBLICATIONS)
    handlers.register(runtime)
    imports = "/api/v1/contacts/imports"
    app = create_app(
        runtime,
        [router],
        title="Hub contacts",
        background=[handlers.migrate_search_index],
        body_limits=[(imports, http.import_max_bytes)],
        streamed=[imports],
    )
    app.state.contacts_settings = http
    return app


def main() -> None:
    settings, http = load_settings(HubSettings), load_settings(ContactsSettings)
    serve(build_app(settings, http), "contacts", http, settings)
