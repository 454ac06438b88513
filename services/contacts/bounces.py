"""Guests' addresses that do not take mail: a hard bounce (5.x.x) of an email sent to one marks it on its
contact (`bounced_emails: [{email, at, reason}]`), so agents see it on the contact card. A soft or
delayed bounce marks nothing: the next email may well arrive."""

from datetime import datetime
from typing import Any

from shared.bus import BouncedRecipient, BounceKind

from .repository import ContactRepository

MAX_MARKS = 20  # per contact: the latest of each address


def marked(current: list[dict[str, Any]], email: str, at: datetime, reason: str) -> list[dict[str, Any]] | None:
    """The contact's marks with this address's (one per address, the latest kept); None if it is there already
    (a redelivered event changes nothing)."""
    kept = [mark for mark in current if mark.get("email") != email]
    previous = next((mark for mark in current if mark.get("email") == email), None)
    if previous is not None and previous.get("at") is not None and previous["at"] >= at:
        return None
    return [*kept, {"email": email, "at": at, "reason": reason}][-MAX_MARKS:]


async def mark_bounced(repository: ContactRepository, recipients: list[BouncedRecipient], at: datetime) -> None:
    """Mark each hard-bounced address on the contact that has it (an address no contact has is nobody's)."""
    for recipient in recipients:
        if recipient.kind != BounceKind.HARD or not recipient.address:
            continue
        email = recipient.address.lower()
        owner = await repository.owner_of(f"email:{email}")
        contact = await repository.get(owner) if owner else None
        if contact is None or email not in (contact.get("emails") or []):
            continue
        reason = recipient.diagnostic or recipient.status or "the receiving mail server refused it"
        marks = marked(list(contact.get("bounced_emails") or []), email, at, reason)
        if marks is not None:
            await repository.update(str(contact["_id"]), {"bounced_emails": marks})
