"""Rules of contacts: who a guest is, whatever channel they write from."""

import uuid

from shared.bus import ContactResolved, ResolveContact, utcnow

from .repository import ContactRepository


def identity_of(request: ResolveContact) -> str | None:
    """The key a guest is recognised by: their email address first, else their phone number."""
    if request.guest.email:
        return f"email:{request.guest.email.strip().lower()}"
    if request.guest.phone:
        digits = "".join(ch for ch in request.guest.phone if ch.isdigit() or ch == "+")
        return f"phone:{digits}" if digits else None
    return None


async def resolve(repository: ContactRepository, request: ResolveContact) -> ContactResolved:
    """Find the guest's contact or create it; concurrent resolves of one new address create one contact."""
    identity = identity_of(request)
    if identity is None:
        return ContactResolved(contact_id=None)
    now = utcnow()
    candidate = uuid.uuid4().hex
    contact_id = await repository.claim_identity(identity, candidate, now)
    guest = request.guest
    fields = {
        "display_name": guest.name or None,
        "emails": [guest.email.lower()] if guest.email else [],
        "phones": [identity.removeprefix("phone:")] if identity.startswith("phone:") else [],
        "location_ids": [request.location_id],
    }
    contact = await repository.ensure_contact(contact_id, fields, now)
    return ContactResolved(
        contact_id=contact_id,
        display_name=str(contact["display_name"]) if contact.get("display_name") else None,
        created=contact_id == candidate,
    )
