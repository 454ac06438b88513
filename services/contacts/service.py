"""Rules of contacts: who a guest is, whatever channel they write from, and finding them as you type."""

import asyncio
import math
import re
import time
import unicodedata
import uuid
import zlib
from collections.abc import Iterable
from typing import Any

from shared.bus import Channel, ContactHotels, ContactResolved, Guest, ResolveContact, utcnow

from .phones import national_digits, to_e164
from .repository import ContactRepository
from .schemas import NewContact
from .settings import ContactsSettings

MIN_QUERY = 2
CHAIN = "*"
HOTEL_BUCKETS = 16
# Chain-wide, short prefixes ("ma", "0600") match a large share of the guests: many small buckets keep
# what one look-up reads small; longer prefixes are selective: a few buckets keep rare ones to a few
# round trips. (One bucket count of 64 for every length: admin p95 at 200,000 contacts just over 50 ms.)
CHAIN_BUCKETS_SHORT = 256
CHAIN_BUCKETS_LONG = 32
SHORT_PREFIX = 5
MAX_PARALLEL = 32  # bucket look-ups at once
SEARCH_SCAN = 50  # entries read per bucket: more than a page, for the queries of several words
DEFAULT_REGION = ContactsSettings().default_phone_region
MAX_PREFIX = 12

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
    fields: dict[str, Any] = {"display_name": name or None, **_fields_of(keys), "location_ids": [request.location_id]}
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


def fold(text: str) -> str:
    """Lower case without accents: 'Zoé' and 'zoe' are found alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def search_keys(contact: dict[str, Any]) -> list[str]:
    """Every prefix (2 to 12 characters) of the contact's names, addresses and phone digits.

    Search is then one equality on an array field, which the database answers from its index
    (and FerretDB pushes down), instead of a scan with a regular expression.
    """
    words = set(_name_words(contact))
    for email in contact.get("emails") or []:
        words.add(fold(email))
    for phone in contact.get("phones") or []:
        words.add(re.sub(r"\D", "", phone))
        words.add(national_digits(phone) or "")
    return _prefixes(words)


def name_keys(contact: dict[str, Any]) -> list[str]:
    """The prefixes of the contact's names only (what a query's second word is looked up in)."""
    return _prefixes(_name_words(contact))


def _name_words(contact: dict[str, Any]) -> list[str]:
    names = (contact.get("display_name"), contact.get("first_name"), contact.get("last_name"))
    return [word for name in names for word in re.findall(r"[\w'-]+", fold(name or ""))]


def _prefixes(words: Iterable[str]) -> list[str]:
    return sorted({word[:n] for word in words for n in range(MIN_QUERY, min(len(word), MAX_PREFIX) + 1)})


def scope_code(scope: str) -> str:
    """A short stand-in for a hotel id in search keys (entries are read by the byte)."""
    return scope if scope == CHAIN else format(zlib.crc32(scope.encode()), "x")


def search_entries(contact: dict[str, Any]) -> list[dict[str, Any]]:
    """The contact's entries in the search collection: one per scope (the chain, "*", and each of its
    hotels), holding its keys as `<scope>|<prefix>#<bucket>`.

    An agent's search is then an equality on their hotels' keys, so guests of other hotels sharing
    the prefix are never read. Buckets bound what one look-up reads: FerretDB streams every match of
    a filtered query (it applies no limit), and a two-letter prefix can match a third of the chain;
    one bucket holds a slice of them, and search reads buckets until it has enough. Entries are small
    (keys only), because what FerretDB reads costs by the byte.
    """
    contact_id = str(contact["_id"])
    keys, names = search_keys(contact), name_keys(contact)
    entries = []
    for scope in [CHAIN, *(contact.get("location_ids") or [])]:
        code = scope_code(scope)
        entries.append(
            {
                "_id": f"{contact_id}|{scope}",
                "contact_id": contact_id,
                "keys": [f"{code}|{k}#{bucket_of(contact_id, scope, k)}" for k in keys],
                # A query's second word is filtered here, beside the first's bucket (names only: entries
                # are read by the element, and names are a quarter of the keys).
                "names": [f"{code}|{k}" for k in names],
            }
        )
    return entries


def buckets_for(scope: str, prefix: str) -> int:
    if scope != CHAIN:
        return HOTEL_BUCKETS
    return CHAIN_BUCKETS_SHORT if len(prefix) <= SHORT_PREFIX else CHAIN_BUCKETS_LONG


def bucket_of(contact_id: str, scope: str, prefix: str) -> int:
    """The contact's bucket for a key; every bucket count divides the largest, so the hash is one."""
    return zlib.crc32(contact_id.encode()) % buckets_for(scope, prefix)


SEARCH_VERSION = 3  # the shape of the search keys; a change rebuilds every contact's entries at start


async def migrate_search(repository: ContactRepository, page: int = 500) -> int:
    """Rebuild every contact's search entries when they were made by an older version of the keys.

    Runs in the background at start; several replicas may run it at once (each entry is replaced
    whole, so they agree). Until it ends, a chain-wide search may miss contacts not yet rebuilt.
    """
    if await repository.search_version() == SEARCH_VERSION:
        return 0
    rebuilt, after = 0, None
    while batch := await repository.contacts_page(after, page):
        for contact in batch:
            if not contact.get("erased_at") and not contact.get("merged_into"):
                await reindex(repository, contact)
                rebuilt += 1
        after = str(batch[-1]["_id"])
    await repository.set_search_version(SEARCH_VERSION)
    return rebuilt


async def reindex(repository: ContactRepository, contact: dict[str, Any]) -> dict[str, Any]:
    """Bring the contact's search entries up to date after a change; returns the contact."""
    await repository.index_search(str(contact["_id"]), search_entries(contact))
    return contact


async def search(
    repository: ContactRepository, text: str, hotels: list[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Contacts matching every word typed, in the given hotels (None: the whole chain), by name."""
    key = query_key(text)
    if key is None:
        return []
    words = query_words(text)
    # A second word that can only be a name is filtered by the database too (an equality on `names`),
    # so that a look-up reads the guests matching both, not every guest matching the first.
    others = [word for word in words if word != key and re.fullmatch(r"(?:[^\W\d_]|['-])+", word)]
    second = max(others, key=len) if others else None
    found: list[str] = []
    for scope in [CHAIN] if hotels is None else hotels:
        buckets, code = buckets_for(scope, key), scope_code(scope)
        also = f"{code}|{second}" if second else None
        first, width, matched = 0, 1, 0
        # One bucket first: a common prefix fills the page from it. Otherwise the buckets still needed
        # are estimated from what the ones read gave (see `next_width`), so that a query costs a
        # round trip or two, not one per bucket.
        while first < buckets and len(found) < limit:
            chosen = range(first, min(first + width, buckets))
            batches = await asyncio.gather(
                *(repository.search(f"{code}|{key}#{b}", SEARCH_SCAN, also=also) for b in chosen)
            )
            for entries in batches:
                for entry in entries:
                    contact_id, keys = str(entry["contact_id"]), set(entry["keys"])
                    wanted = (f"{code}|{word}#{bucket_of(contact_id, scope, word)}" for word in words)
                    if all(k in keys for k in wanted) and contact_id not in found:
                        found.append(contact_id)
                        matched += 1
            first += len(chosen)
            width = next_width(width, matched=matched, read=first, missing=limit - len(found))
        if len(found) >= limit:
            break
    contacts = [c for c in await asyncio.gather(*(repository.get(i) for i in found[:limit])) if c is not None]
    return sorted(contacts, key=lambda c: (fold(str(c.get("display_name") or "")) or "~", str(c["_id"])))


def next_width(width: int, *, matched: int, read: int, missing: int) -> int:
    """How many buckets to read next: as many as should give the `missing` matches at the rate the
    `read` buckets gave (with a margin), or twice as many as last time when none matched yet."""
    if matched == 0:
        return min(width * 2, MAX_PARALLEL)
    return max(1, min(math.ceil(1.5 * missing * read / matched), MAX_PARALLEL))


def query_words(text: str) -> list[str]:
    """The words of a search box's text as keys are made: folded, cut like them; a number as its digits."""
    if re.fullmatch(r"[\d\s+().-]+", text):  # "+33 6 12", "06.12": one number, however it is spaced
        digits = re.sub(r"\D", "", text)
        return [digits[:MAX_PREFIX]] if digits else []
    return [word[:MAX_PREFIX] for word in re.findall(r"[\w@.+'-]+", fold(text.strip())) if len(word) >= MIN_QUERY]


def query_key(text: str) -> str | None:
    """The key a search looks up: the query's longest word (the most selective), None when too short."""
    words = [word for word in query_words(text) if len(word) >= MIN_QUERY]
    return max(words, key=len) if words else None


def matches_all_words(contact: dict[str, Any], text: str) -> bool:
    """Every word of the query must be a prefix of one of the contact's words (the look-up used one)."""
    keys = set(search_keys(contact))
    return all(word in keys for word in query_words(text))


def public_contact(document: dict[str, Any]) -> dict[str, Any]:
    hidden = {"_id"}
    return {"id": document["_id"], **{k: v for k, v in document.items() if k not in hidden}}


class InvalidPhoneError(ValueError):
    """Not a phone number (answered 422)."""


class AlreadyKnownError(Exception):
    def __init__(self, contact_id: str) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id


async def create(repository: ContactRepository, new: NewContact) -> dict[str, Any]:
    """A contact an agent creates; an address or number that is someone's already is refused."""
    now = utcnow()
    contact_id = uuid.uuid4().hex
    phone = to_e164(new.phone, await region_for(repository, new.location_id)) if new.phone else None
    if new.phone and phone is None:
        raise InvalidPhoneError(new.phone)
    identities = [f"email:{new.email.lower()}"] if new.email else []
    identities += [f"phone:{phone}"] if phone else []
    for identity in identities:
        owner = await repository.claim_identity(identity, contact_id, now)
        if owner != contact_id:
            raise AlreadyKnownError(owner)
    names = " ".join(n for n in (new.first_name, new.last_name) if n)
    fields: dict[str, Any] = {
        "first_name": new.first_name,
        "last_name": new.last_name,
        "display_name": names or None,
        "emails": [new.email.lower()] if new.email else [],
        "phones": [phone] if phone else [],
        "language": new.language,
        "location_ids": [new.location_id],
    }
    return await reindex(repository, await repository.ensure_contact(contact_id, fields, now))


async def change(repository: ContactRepository, contact: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    updated = {**contact, **changes}
    if "display_name" not in changes and ({"first_name", "last_name"} & set(changes)):
        updated["display_name"] = " ".join(n for n in (updated.get("first_name"), updated.get("last_name")) if n)
    values = {k: updated.get(k) for k in ("first_name", "last_name", "display_name", "language")}
    values["updated_at"] = utcnow()
    return await reindex(repository, await repository.update(str(contact["_id"]), values) or updated)
