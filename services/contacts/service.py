"""Rules of contacts: who a guest is, whatever channel they write from, and finding them as you type."""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from faststream.nats import NatsBroker

from shared.auth import Actor
from shared.bus import (
    Channel,
    ContactHotels,
    ContactHotelsRequest,
    ContactRenamed,
    ContactResolved,
    Guest,
    ResolveContact,
    utcnow,
)
from shared.messaging import PublishFailedError, publish_event
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

# Channels whose guest gave their own name: a form's or a chat's, an email's From display name. It names
# a contact that has no name yet, and never replaces one (an agent's or an import's names win). A caller id
# or a review's author is not the guest's own words; such a contact starts with its number or address only.
NAMED_CHANNELS = frozenset({Channel.FORM, Channel.CHAT, Channel.EMAIL})


def guest_name(request: ResolveContact) -> str | None:
    """The name the guest gave on a channel that names contacts; a display name that is an address is none."""
    name = (request.guest.name or "").strip() if request.channel in NAMED_CHANNELS else ""
    return name if name and "@" not in name else None


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
    name = guest_name(request)
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
        display_name=name_of(contact),
        created=contact_id == candidate,
    )


async def hotels_of(repository: ContactRepository, request: ContactHotelsRequest) -> ContactHotels:
    """The hotels of a contact (following merges), for the inbox to check an agent may link it, and its
    name and addresses when it is in contact with one of the hotels asking (the inbox then replies by
    email on a request linked to it, chat or not)."""
    contact = await repository.get(request.contact_id)
    if contact is None:
        return ContactHotels(found=False)
    hotels = access.hotels_of(contact)
    answer = ContactHotels(found=True, location_ids=hotels)
    if request.hotels is None or set(request.hotels) & set(hotels):
        answer.contact_id = str(contact["_id"])
        answer.display_name = name_of(contact)
        answer.emails = list(contact.get("emails") or [])
        if request.with_attributes and isinstance(contact.get("attributes"), dict):
            answer.attributes = dict(contact["attributes"])
    return answer


def name_of(contact: dict[str, Any]) -> str | None:
    """What the contact is called: the names an agent gave, else the name it was known by."""
    names = " ".join(str(n) for n in (contact.get("first_name"), contact.get("last_name")) if n)
    return names or (str(contact["display_name"]) if contact.get("display_name") else None)


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
    if name and not name_of(contact):
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
    """The identity (`email:…` or `phone:…`) the agent typed belongs to a contact they may open: link it."""

    def __init__(self, contact: dict[str, Any], identity: str) -> None:
        super().__init__(contact["_id"])
        self.contact_id = str(contact["_id"])
        self.display_name = str(contact["display_name"]) if contact.get("display_name") else None
        self.identity = identity


class CreationBusyError(Exception):
    """Concurrent creations of the same identities kept taking and giving them back (answered 409, retry)."""


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
    """A contact an agent creates in one of their hotels, all or nothing, never duplicating a guest's identity.

    Every address and number is claimed for the new contact, or none is: a conflict gives back what this
    creation claimed. An address or number of a contact the agent may open is refused (AlreadyKnownError
    names it). One of a guest the agent may not open changes nothing and answers as a creation would:
    typing an address neither puts a hotel in contact with a guest nor tells that another hotel knows them.
    """
    now = utcnow()
    phone = to_e164(new.phone, await region_for(repository, new.location_id)) if new.phone else None
    if new.phone and phone is None:
        raise InvalidPhoneError(new.phone)
    # Always email before phone: identical creations race for the same first claim, and one wins it.
    identities = [f"email:{new.email.lower()}"] if new.email else []
    identities += [f"phone:{phone}"] if phone else []
    fields = _new_fields(new, phone)
    contact_id = uuid.uuid4().hex
    for _ in range(CREATE_ATTEMPTS):
        owners = await _claim_all(repository, identities, contact_id)
        if owners is None:
            fields["served_location_ids"] = [new.location_id]
            return Created(await reindex(repository, await repository.ensure_contact(contact_id, fields, now)))
        if owners:
            if known := next(((key, c) for key, c in owners if may_open(c)), None):
                raise AlreadyKnownError(known[1], known[0])
            return Created({"_id": contact_id, **fields, "created_at": now, "updated_at": now}, stored=False)
        # The identities were given back meanwhile (a creation that failed): claim them again.
    raise CreationBusyError(identities)


CREATE_ATTEMPTS = 3
# A creation or a resolve stores its contact within milliseconds of claiming its first identity; a claim
# without a contact after this long is a crashed one's, and is given back.
CLAIM_SETTLES_SECONDS = 5.0


async def _claim_all(
    repository: ContactRepository, identities: list[str], candidate: str
) -> list[tuple[str, dict[str, Any]]] | None:
    """Claim every identity for `candidate`; None once all are its. Else nothing stays claimed for it (only
    claims naming it are given back: a contact that won one keeps it) and the answer lists the contacts
    holding the identities, empty when they were given back meanwhile and the claims may be tried again.

    FerretDB v1 has no multi-document transaction: each claim is a unique insert, the one atomic write.
    """
    if not any([await repository.owner_of(identity) for identity in identities]):  # the usual case: all new
        for identity in identities:
            if await repository.claim_identity(identity, candidate, utcnow()) != candidate:
                await repository.release_identities(identities, candidate)
                break
        else:
            return None
    holders = [(identity, await _holder(repository, identity)) for identity in identities]
    return [(identity, contact) for identity, contact in holders if contact is not None]


async def _holder(repository: ContactRepository, identity: str) -> dict[str, Any] | None:
    """The contact the identity is bound to, waiting for one being created to be stored; None if unbound."""
    while True:
        claim = await repository.claim_of(identity)
        if claim is None:
            return None
        owner = str(claim["contact_id"])
        if (contact := await repository.get(owner)) is not None:
            return contact
        claimed_at: datetime = claim.get("created_at") or datetime.min.replace(tzinfo=UTC)  # none: an old one
        if (utcnow() - claimed_at).total_seconds() > CLAIM_SETTLES_SECONDS:
            await repository.release_identities([identity], owner)
            return None
        await asyncio.sleep(0.05)


async def change(repository: ContactRepository, contact: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    updated = {**contact, **changes}
    if "display_name" not in changes and ({"first_name", "last_name"} & set(changes)):
        updated["display_name"] = " ".join(n for n in (updated.get("first_name"), updated.get("last_name")) if n)
    values = {k: updated.get(k) for k in ("first_name", "last_name", "display_name", "language")}
    values["updated_at"] = utcnow()
    return await reindex(repository, await repository.update(str(contact["_id"]), values) or updated)


class PhoneTakenError(Exception):
    """The number is another contact's identity (answered 409, naming it only to who may open it)."""

    def __init__(self, contact_id: str) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id


async def change_phone(
    repository: ContactRepository, contact: dict[str, Any], typed: str, region: str
) -> dict[str, Any]:
    """Make `typed` the contact's main number (the first of its phones, which it replaces).

    Identities stay one owner each: the new number is claimed for the contact before the contact shows
    it (another contact's number raises PhoneTakenError and changes nothing), and the replaced number is
    released after, so a guest calling from it is no longer taken for this contact.
    """
    number = to_e164(typed, region)
    if number is None:
        raise InvalidPhoneError(typed)
    contact_id, phones = str(contact["_id"]), [str(p) for p in contact.get("phones") or []]
    if phones[:1] == [number]:
        return contact
    now = utcnow()
    owner = await repository.claim_identity(f"phone:{number}", contact_id, now)
    if owner != contact_id:
        raise PhoneTakenError(owner)
    replaced = phones[0] if phones else None
    kept = [number, *(p for p in phones[1:] if p != number)]
    changes = {"phones": kept, "updated_at": now}
    updated = await repository.update(contact_id, changes) or {**contact, **changes}
    if replaced is not None and replaced not in kept:
        await repository.release_identity(f"phone:{replaced}", contact_id)
    return await reindex(repository, updated)


def repository_of(runtime: Runtime) -> ContactRepository:
    """The repository with the search variant of the database the hub runs on (`HUB_MONGO_FLAVOUR`)."""
    return ContactRepository(runtime.db, runtime.settings.mongo_flavour)


# --- contacts as the HTTP surface serves them: every rule scoped to the one asking ---------------------


# Said the same whatever the reason, so that a refusal does not tell which other hotel knows the guest.
NOT_YOURS = (
    "Only admins, or agents of the hotels that served this guest, may {what}: it is shared with hotels"
    " you do not work for."
)


def already_known_detail(known: AlreadyKnownError) -> str:
    """Which contact holds what the agent typed, named so the agent links it rather than create it again."""
    what = "phone number" if known.identity.startswith("phone:") else "email address"
    holder = f"the contact {known.display_name}" if known.display_name else "a contact with no name yet"
    return f"This {what} belongs to {holder} already; link that contact instead."


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
            raise Problem(
                409,
                "Already a contact",
                already_known_detail(exc),
                contact_id=exc.contact_id,
                display_name=exc.display_name,
            ) from None
        except CreationBusyError:
            detail = "This email or phone is being given to a contact right now; try again."
            raise Problem(409, "Busy", detail) from None
        if not created.stored:
            log.info("creation of another hotel's guest answered as new", extra={"location_id": new.location_id})
        return access.view(actor, created.contact)

    async def read(self, actor: Actor, contact_id: str) -> dict[str, Any]:
        return access.view(actor, await self.visible(actor, contact_id))

    async def edit(self, actor: Actor, contact_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Names, language and the main phone number; a number another contact holds answers 409."""
        contact = await self.visible(actor, contact_id)
        if not access.may_edit(actor, contact):
            raise Problem(403, "Forbidden", NOT_YOURS.format(what="change this contact"))
        phone = changes.pop("phone", None)
        if phone is not None:
            contact = await self._change_phone(actor, contact, str(phone))
        if changes:
            before = name_of(contact)
            contact = await change(self.repository, contact, changes)
            if name_of(contact) != before:
                await self._tell_renamed(actor, contact)
        return access.view(actor, contact)

    async def _tell_renamed(self, actor: Actor, contact: dict[str, Any]) -> None:
        """The inbox shows the new name on the contact's requests (`ContactRenamed`)."""
        renamed = ContactRenamed(contact_id=str(contact["_id"]), display_name=name_of(contact), actor_id=actor.agent_id)
        try:
            await publish_event(self.broker, renamed)
        except PublishFailedError:  # the name is stored; its requests show the old one until it changes again
            log.warning("a contact's new name was not announced", extra={"contact_id": renamed.contact_id})

    async def _change_phone(self, actor: Actor, contact: dict[str, Any], typed: str) -> dict[str, Any]:
        # A national number is read in the region of a hotel of the actor's where the guest is known.
        hotels = access.hotels_of(contact)
        hotel = next((h for h in hotels if actor.can_see(h)), hotels[0] if hotels else None)
        region = await region_for(self.repository, hotel) if hotel else DEFAULT_REGION
        try:
            return await change_phone(self.repository, contact, typed, region)
        except InvalidPhoneError:
            raise Problem(422, "Invalid request", f"phone: {typed!r} is not a phone number.") from None
        except PhoneTakenError as exc:
            owner = await self.repository.get(exc.contact_id)
            if owner is not None and access.may_open(actor, owner):
                detail = "This phone number belongs to another contact; merge the two instead."
                raise Problem(409, "Already a contact", detail, contact_id=str(owner["_id"])) from None
            # Not named: the agent may not open that guest (the answer does not tell whose it is).
            raise Problem(409, "Already a contact", "This phone number belongs to another contact.") from None

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
