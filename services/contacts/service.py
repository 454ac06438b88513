"""Rules of contacts: who a guest is, whatever channel they write from, and finding them as you type."""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from faststream.nats import NatsBroker

from shared.auth import Actor
from shared.bus import Channel, ContactHotels, ContactResolved, Guest, ResolveContact, utcnow
from shared.problems import Problem
from shared.runtime import Runtime

from . import access
from .phones import to_e164
from .repository import ContactRepository
from .schemas import NewContact
from .search_words import MIN_QUERY, query_key, query_words, sort_name
from .settings import ContactsSettings

log = logging.getLogger(__name__)
DEFAULT_REGION = ContactsSettings().default_phone_region

# Channels whose guest typed their own name: it names a new contact. An email's display name or a
# caller id is not reliable enough; such a contact starts with its address or number only.
NAMED_CHANNELS = frozenset({Channel.FORM, Channel.CHAT})


_regions: dict[str, tuple[str, float]] = {}
REGION_TTL_SECONDS = 60.0


async def region_for(repository: ContactRepository, location_id: str) -> str:
    """Where a national phone number written at this hotel is read (the hotel's region, else the default).

    Asked for every inbound message; a hotel's region rarely changes, so it is kept for a minute.
    """
    cached = _regions.get(location_id)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    region = await repository.region_of(location_id)
    if region is None:  # not heard of yet: asked again next time, so the hotel's region applies once known
        return DEFAULT_REGION
    _regions[location_id] = (region, time.monotonic() + REGION_TTL_SECONDS)
    return region


def identities_of(guest: Guest, region: str) -> list[str]:
    """The keys a guest is recognised by, strongest first: email address, then phone number."""
    keys = []
    if guest.email:
        keys.append(f"email:{guest.email.strip().lower()}")
    if guest.phone and (number := to_e164(guest.phone, region)):
        keys.append(f"phone:{number}")
    return keys


def _fields_of(identities: list[str]) -> dict[str, list[str]]:
    return {
        "emails": [key.removeprefix("email:") for key in identities if key.startswith("email:")],
        "phones": [key.removeprefix("phone:") for key in identities if key.startswith("phone:")],
    }


async def resolve(repository: ContactRepository, request: ResolveContact) -> ContactResolved:
    """Find the guest's contact or create it; concurrent resolves of one new address create one contact.

    A known email or phone links to its contact, which then learns whatever else the message brings
    (another address, the hotel, a name it had none of).
    """
    keys = identities_of(request.guest, await region_for(repository, request.location_id))
    if not keys:
        return ContactResolved(contact_id=None)
    now = utcnow()
    owners = {key: await repository.owner_of(key) for key in keys}
    owner = next((found for found in owners.values() if found), None)
    candidate = uuid.uuid4().hex
    contact_id = owner or await repository.claim_identity(keys[0], candidate, now)
    unowned = [key for key, found in owners.items() if found is None and (owner or key != keys[0])]
    name = request.guest.name if request.channel in NAMED_CHANNELS else None
    # Nobody vouched for a guest who only wrote: no hotel served them yet (see `access`).
    fields: dict[str, Any] = {
        "display_name": name or None,
        **_fields_of(keys),
        "location_ids": [request.location_id],
        "served_location_ids": [],
    }
    contact = await repository.ensure_contact(contact_id, fields, now)
    if contact_id == candidate:
        await reindex(repository, contact)
    contact = await _learn(repository, contact, unowned, name, request.location_id, now)
    return ContactResolved(
        contact_id=str(contact["_id"]),
        display_name=str(contact["display_name"]) if contact.get("display_name") else None,
        created=contact_id == candidate,
    )


async def hotels_of(repository: ContactRepository, contact_id: str) -> ContactHotels:
    """The hotels of a contact (following merges), for the inbox to check an agent may link it."""
    contact = await repository.get(contact_id)
    if contact is None:
        return ContactHotels(found=False)
    return ContactHotels(found=True, location_ids=list(contact.get("location_ids") or []))


async def served(repository: ContactRepository, contact_id: str, location_id: str) -> None:
    """An agent of the hotel answered the guest, linked a request to them or opened one for them there:
    the hotel now served the guest (see `access`), and is in contact with them."""
    contact = await repository.get(contact_id)
    if contact is None:
        return
    hotels, serving = access.hotels_of(contact), access.served_by(contact)
    if location_id in serving and location_id in hotels:
        return
    changes = {
        "served_location_ids": list(dict.fromkeys([*serving, location_id])),
        "location_ids": list(dict.fromkeys([*hotels, location_id])),
    }
    updated = await repository.update(str(contact["_id"]), changes)
    if location_id not in hotels:
        await reindex(repository, updated or {**contact, **changes})


async def _learn(
    repository: ContactRepository,
    contact: dict[str, Any],
    unowned: list[str],
    name: str | None,
    location: str,
    now: Any,
) -> dict[str, Any]:
    """Bind the message's still unowned addresses to the contact (unless another resolve took them
    first) and add them, the hotel and a missing name to it."""
    contact_id = str(contact["_id"])
    learnt = [key for key in unowned if await repository.claim_identity(key, contact_id, now) == contact_id]
    updated = dict(contact)
    for field, values in _fields_of(learnt).items():
        updated[field] = list(dict.fromkeys([*(contact.get(field) or []), *values]))
    if location not in (contact.get("location_ids") or []):
        updated["location_ids"] = [*(contact.get("location_ids") or []), location]
    if name and not contact.get("display_name"):
        updated["display_name"] = name
    if updated == contact:
        return contact
    changes: dict[str, Any] = {
        k: updated[k] for k in ("emails", "phones", "location_ids", "display_name") if k in updated
    }
    changes["updated_at"] = now
    return await reindex(repository, await repository.update(contact_id, changes) or updated)


async def migrate_search(repository: ContactRepository, page: int = 500) -> int:
    """Rebuild every contact's search entries when they were made by an older version of the keys.

    Runs in the background at start; several replicas may run it at once (each entry is replaced
    whole, so they agree). Until it ends, a chain-wide search may miss contacts not yet rebuilt.
    """
    if await repository.search_version() == repository.search.version:
        return 0
    rebuilt, after = 0, None
    while batch := await repository.contacts_page(after, page):
        for contact in batch:
            if not contact.get("erased_at") and not contact.get("merged_into"):
                await reindex(repository, contact)
                rebuilt += 1
        after = str(batch[-1]["_id"])
    await repository.set_search_version(repository.search.version)
    return rebuilt


async def reindex(repository: ContactRepository, contact: dict[str, Any]) -> dict[str, Any]:
    """Bring the contact's search entries up to date after a change; returns the contact."""
    await repository.search.index(contact)
    return contact


class QueryTooShortError(ValueError):
    """Nothing typed is long enough to look up (answered 422)."""


async def search(
    repository: ContactRepository, text: str, hotels: list[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Contacts matching every word typed, in the given hotels (None: the whole chain), by name."""
    if query_key(text) is None:
        raise QueryTooShortError(text)
    found = await repository.search.find(query_words(text), hotels, limit)
    contacts = [c for c in await asyncio.gather(*(repository.get(i) for i in found[:limit])) if c is not None]
    return sorted(contacts, key=lambda c: (sort_name(c), str(c["_id"])))


def public_contact(document: dict[str, Any]) -> dict[str, Any]:
    hidden = {"_id"}
    return {"id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}


class InvalidPhoneError(ValueError):
    """Not a phone number (answered 422)."""


class AlreadyKnownError(Exception):
    def __init__(self, contact_id: str) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id


@dataclass(frozen=True)
class Created:
    """What an agent's creation did: a new contact, or nothing, for a guest the agent may not open.

    `contact` is what the answer shows: for a guest the agent may not open, exactly what a new contact
    would be (their fields, a new id, stored nowhere), so the answer does not tell that a hotel the agent
    does not work for knows the guest, and the guest keeps one identity.
    """

    contact: dict[str, Any]
    stored: bool = True


def _new_fields(new: NewContact, phone: str | None) -> dict[str, Any]:
    names = " ".join(n for n in (new.first_name, new.last_name) if n)
    return {
        "first_name": new.first_name,
        "last_name": new.last_name,
        "display_name": names or None,
        "emails": [new.email.lower()] if new.email else [],
        "phones": [phone] if phone else [],
        "language": new.language,
        "location_ids": [new.location_id],
    }


async def create(repository: ContactRepository, new: NewContact, may_open: Callable[[dict[str, Any]], bool]) -> Created:
    """A contact an agent creates in one of their hotels, without ever duplicating a guest's identity.

    An address or number of a contact the agent may open is refused (AlreadyKnownError names it). One of
    a guest the agent may not open changes nothing and answers as a creation would: typing an address
    neither puts a hotel in contact with a guest nor tells that another hotel knows them.
    """
    now = utcnow()
    phone = to_e164(new.phone, await region_for(repository, new.location_id)) if new.phone else None
    if new.phone and phone is None:
        raise InvalidPhoneError(new.phone)
    identities = [f"email:{new.email.lower()}"] if new.email else []
    identities += [f"phone:{phone}"] if phone else []
    fields = _new_fields(new, phone)
    contact_id = uuid.uuid4().hex
    owners = [owner for identity in identities if (owner := await repository.owner_of(identity))]
    if not owners:
        for identity in identities:
            if (claimed := await repository.claim_identity(identity, contact_id, now)) != contact_id:
                owners.append(claimed)  # a resolve of the same guest came first
                break
    known = await repository.get(owners[0]) if owners else None
    if known is not None:
        if may_open(known):
            raise AlreadyKnownError(str(known["_id"]))
        return Created({"_id": contact_id, **fields, "created_at": now, "updated_at": now}, stored=False)
    fields["served_location_ids"] = [new.location_id]
    return Created(await reindex(repository, await repository.ensure_contact(contact_id, fields, now)))


async def change(repository: ContactRepository, contact: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    updated = {**contact, **changes}
    if "display_name" not in changes and ({"first_name", "last_name"} & set(changes)):
        updated["display_name"] = " ".join(n for n in (updated.get("first_name"), updated.get("last_name")) if n)
    values = {k: updated.get(k) for k in ("first_name", "last_name", "display_name", "language")}
    values["updated_at"] = utcnow()
    return await reindex(repository, await repository.update(str(contact["_id"]), values) or updated)


def repository_of(runtime: Runtime) -> ContactRepository:
    """The repository with the search variant of the database the hub runs on (`HUB_MONGO_FLAVOUR`)."""
    return ContactRepository(runtime.db, runtime.settings.mongo_flavour)


# --- contacts as the HTTP surface serves them: every rule scoped to the one asking ---------------------


# Said the same whatever the reason, so that a refusal does not tell which other hotel knows the guest.
NOT_YOURS = (
    "Only admins, or agents of the hotels that served this guest, may {what}: it is shared with hotels"
    " you do not work for."
)


def admins_only(actor: Actor, what: str) -> None:
    if not actor.sees_everything:
        raise Problem(403, "Forbidden", f"Only admins may {what}: it concerns every hotel of the chain.")


@dataclass
class Contacts:
    """What an agent (or an integration) may do with contacts; built per request by `contacts_of`."""

    repository: ContactRepository
    broker: NatsBroker
    settings: ContactsSettings

    async def visible(self, actor: Actor, contact_id: str) -> dict[str, Any]:
        """The contact if the actor may see it; an erased one answers 410 to admins, else 404."""
        contact = await self.repository.get(contact_id)
        if contact is None or not access.may_open(actor, contact):
            stored = await self.repository.raw(contact_id) if actor.sees_everything else None
            if stored is not None and stored.get("erased_at"):
                raise Problem(
                    410, "Erased", f"The contact {contact_id!r} was erased.", erasure_id=stored.get("erasure_id")
                )
            raise Problem(404, "Not found", f"No contact has the id {contact_id!r}.")
        return contact

    async def search(self, actor: Actor, text: str, limit: int) -> list[dict[str, Any]]:
        try:
            found = await search(self.repository, text, None if actor.sees_everything else actor.location_ids, limit)
        except QueryTooShortError:
            raise Problem(422, "Invalid request", f"q: type at least {MIN_QUERY} characters.") from None
        return [access.view(actor, c) for c in found]

    async def create(self, actor: Actor, new: NewContact) -> dict[str, Any]:
        if not actor.can_see(new.location_id):
            raise Problem(404, "Unknown hotel", f"No hotel you work for has the id {new.location_id!r}.")
        if not new.email and not new.phone and not (new.first_name or new.last_name):
            raise Problem(422, "Invalid request", "email: give at least a name, an email address or a phone number.")
        try:
            created = await create(self.repository, new, partial(access.may_open, actor))
        except InvalidPhoneError:
            raise Problem(422, "Invalid request", f"phone: {new.phone!r} is not a phone number.") from None
        except AlreadyKnownError as exc:
            # Only a contact the actor may open already: another hotel's guest answers as a creation does.
            detail = "This email or phone belongs to a contact already."
            raise Problem(409, "Already a contact", detail, contact_id=exc.contact_id) from None
        if not created.stored:
            log.info("creation of another hotel's guest answered as new", extra={"location_id": new.location_id})
        return access.view(actor, created.contact)

    async def read(self, actor: Actor, contact_id: str) -> dict[str, Any]:
        return access.view(actor, await self.visible(actor, contact_id))

    async def edit(self, actor: Actor, contact_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        contact = await self.visible(actor, contact_id)
        if not access.may_edit(actor, contact):
            raise Problem(403, "Forbidden", NOT_YOURS.format(what="change this contact"))
        return access.view(actor, await change(self.repository, contact, changes))

    async def history(self, actor: Actor, contact_id: str, limit: int) -> list[dict[str, Any]]:
        """The guest's requests in the hotels the actor works for, newest activity first."""
        contact = await self.visible(actor, contact_id)
        locations = None if actor.sees_everything else actor.location_ids
        found = await self.repository.history_of(str(contact["_id"]), locations, limit=limit)
        return [{"conversation_id": doc.pop("_id"), **doc} for doc in found]

    # Merges, erasures, exports and imports build on this module's rules (`reindex`, `public_contact`):
    # their modules are imported where used, so that the dependency runs one way.

    async def merge(self, actor: Actor, contact_id: str, other_id: str) -> dict[str, Any]:
        from . import lifecycle

        survivor = await self.visible(actor, contact_id)
        other = await self.visible(actor, other_id)
        if not (access.may_merge(actor, survivor) and access.may_merge(actor, other)):
            raise Problem(403, "Forbidden", NOT_YOURS.format(what="merge these contacts"))
        try:
            merged = await lifecycle.merge(self.repository, self.broker, survivor, other, actor)
        except lifecycle.SameContactError:
            raise Problem(
                422, "Invalid request", "contact_id: this is the same contact (or merged into it already)."
            ) from None
        return access.view(actor, merged)

    async def export(self, actor: Actor, contact_id: str) -> tuple[dict[str, Any], str]:
        """Everything held about the contact, and the id it is held under (a merged-away id's survivor)."""
        from . import lifecycle

        admins_only(actor, "export a contact")
        contact = await self.visible(actor, contact_id)
        timeout = self.settings.export_page_timeout_seconds
        try:
            return await lifecycle.export(self.repository, self.broker, contact, timeout), str(contact["_id"])
        except lifecycle.InboxUnavailableError:
            raise Problem(
                503, "Try again", "The inbox did not answer in time; nothing is missing, ask again."
            ) from None

    async def erase(self, actor: Actor, contact_id: str, reason: str) -> dict[str, Any]:
        from . import lifecycle

        admins_only(actor, "erase a contact")
        contact = await self.visible(actor, contact_id)
        record = await lifecycle.erase(self.repository, self.broker, contact, actor, reason)
        return {"id": record.pop("_id"), **record}

    async def erasure_record(self, actor: Actor, erasure_id: str) -> dict[str, Any]:
        admins_only(actor, "read erasure records")
        record = await self.repository.erasure(erasure_id)
        if record is None:
            raise Problem(404, "Not found", f"No erasure has the id {erasure_id!r}.")
        return {"id": record.pop("_id"), **record}

    async def start_import(
        self, actor: Actor, chunks: AsyncIterator[bytes], fmt: str | None, declared: str, filename: str | None
    ) -> dict[str, Any]:
        """Spool a headquarters file and start applying it; its report fills in as it runs."""
        from . import imports

        admins_only(actor, "import headquarters attributes")
        if fmt is None:
            known = ", ".join(sorted(IMPORT_FORMATS))
            raise Problem(415, "Unsupported file type", f"Content-Type: send the file as one of {known}.")
        limit = self.settings.import_max_bytes
        too_large = Problem(413, "Payload too large", f"The file is larger than {limit} bytes.")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        try:
            path, size = await imports.receive(chunks, fmt, limit)
        except imports.FileTooLargeError:
            raise too_large from None
        report = await imports.start(self.repository, self.settings.attributes, path, fmt, filename, actor.agent_id)
        return {"id": report.id, "status": report.status, "bytes": size}

    def importable_attributes(self) -> dict[str, Any]:
        from . import imports

        return {"keys": list(imports.KEYS), "attributes": self.settings.attributes}

    async def import_report(self, actor: Actor, import_id: str) -> dict[str, Any]:
        admins_only(actor, "read import reports")
        report = await self.repository.import_report(import_id)
        if report is None:
            raise Problem(404, "Not found", f"No import has the id {import_id!r}.")
        return {"id": report.pop("_id"), **report}


IMPORT_FORMATS = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
}


def contacts_of(request: Request) -> Contacts:
    runtime: Runtime = request.app.state.runtime
    settings: ContactsSettings = request.app.state.contacts_settings
    return Contacts(repository_of(runtime), runtime.broker, settings)


ContactsDep = Annotated[Contacts, Depends(contacts_of)]
