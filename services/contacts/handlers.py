"""Bus handlers of contacts: the resolve request/reply used by the inbox, and the event projections."""

import asyncio
import logging

from shared.bus import (
    CONTACTS_EVENTS,
    BusEventIn,
    ContactHotels,
    ContactHotelsRequest,
    ContactResolved,
    ResolveContact,
    Subjects,
)
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from . import history, service

log = logging.getLogger(__name__)
RESOLVE_WORKERS = 16


def register(runtime: Runtime) -> None:
    # A queue group: replicas of contacts share the requests, each answering several at once (concurrent
    # resolves of one new address still create one contact: `service.resolve`).
    @runtime.broker.subscriber(Subjects.RESOLVE_CONTACT, queue="contacts", max_workers=RESOLVE_WORKERS)
    async def resolve_contact(request: ResolveContact) -> ContactResolved:
        return await service.resolve(service.repository_of(runtime), request)

    @runtime.broker.subscriber(Subjects.CONTACT_HOTELS, queue="contacts")
    async def contact_hotels(request: ContactHotelsRequest) -> ContactHotels:
        return await service.hotels_of(service.repository_of(runtime), request)

    @durable_subscriber(runtime.broker, CONTACTS_EVENTS, runtime.policy)
    async def on_event(event: BusEventIn) -> None:
        await history.project(service.repository_of(runtime), event)


async def migrate_search_index(runtime: Runtime) -> None:
    """Background task: rebuild the search entries once if their key shape changed (see `migrate_search`)."""
    while True:
        try:
            rebuilt = await service.migrate_search(service.repository_of(runtime))
        except Exception as exc:  # noqa: BLE001 - the database is away: try again later
            log.warning("search entries not rebuilt yet: %r", exc)
            await asyncio.sleep(30)
            continue
        if rebuilt:
            log.info("search entries rebuilt", extra={"contacts": rebuilt})
        return
