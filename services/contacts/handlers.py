"""Bus handlers of contacts: the resolve request/reply used by the inbox for every inbound message."""

from shared.bus import ContactResolved, ResolveContact, Subjects
from shared.runtime import Runtime

from . import service
from .repository import ContactRepository


def register(runtime: Runtime) -> None:
    # A queue group: replicas of contacts share the requests.
    @runtime.broker.subscriber(Subjects.RESOLVE_CONTACT, queue="contacts")
    async def resolve_contact(request: ResolveContact) -> ContactResolved:
        return await service.resolve(ContactRepository(runtime.db), request)
