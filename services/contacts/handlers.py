"""Bus handlers of contacts: the resolve request/reply used by the inbox, and the event projections."""

from typing import Any

from shared.bus import CONTACTS_EVENTS, ContactResolved, ResolveContact, Subjects
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from . import history, service
from .repository import ContactRepository


def register(runtime: Runtime) -> None:
    # A queue group: replicas of contacts share the requests.
    @runtime.broker.subscriber(Subjects.RESOLVE_CONTACT, queue="contacts")
    async def resolve_contact(request: ResolveContact) -> ContactResolved:
        return await service.resolve(ContactRepository(runtime.db), request)

    @durable_subscriber(runtime.broker, CONTACTS_EVENTS, runtime.policy)
    async def on_event(event: dict[str, Any]) -> None:
        await history.project(ContactRepository(runtime.db), event)
