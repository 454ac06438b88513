"""Who sees and changes which part of a contact: one guest chain-wide, seen through each hotel's own requests.

A contact keeps two lists of hotels. `location_ids`: the hotels the guest is in contact with (they wrote
there, by any channel, or an agent there created or linked them); they say who may find and open the
contact and whose requests its history shows. `served_location_ids`: the hotels where an agent vouched
for the guest (created the contact there, answered one of the guest's requests there, or linked a
request there to the contact). Anyone can write to a hotel with any address, so only the second list,
which only an agent's act widens, opens headquarters attributes and the right to change the contact
for every hotel. The README's Security section states the rule.
"""

from typing import Any

from shared.auth import Actor

# What every hotel the guest is in contact with sees: who the guest is, as the chain knows them.
CARD_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "emails",
    "bounced_emails",  # addresses a mail server returned an email from for good (a fact of the address)
    "phones",
    "language",
    "merged_ids",
    "ratings",  # the guest's satisfaction ratings: last, count, average (ratings.py)
    "created_at",
    "updated_at",
)
# Headquarters data (imports): only admins and the hotels that served the guest.
HQ_FIELDS = ("attributes",)


def hotels_of(contact: dict[str, Any]) -> list[str]:
    return list(contact.get("location_ids") or [])


def served_by(contact: dict[str, Any]) -> list[str]:
    return list(contact.get("served_location_ids") or [])


def may_open(actor: Actor, contact: dict[str, Any]) -> bool:
    """The contact is one of a hotel of the actor's guests (or the actor is an admin)."""
    return actor.sees_everything or any(actor.can_see(hotel) for hotel in hotels_of(contact))


def served_here(actor: Actor, contact: dict[str, Any]) -> bool:
    """An agent of one of the actor's hotels has vouched for the guest (admins: always)."""
    return actor.sees_everything or any(actor.can_see(hotel) for hotel in served_by(contact))


def all_hotels_mine(actor: Actor, contact: dict[str, Any]) -> bool:
    """Every hotel of the contact is one of the actor's: a change shows nowhere else."""
    return actor.sees_everything or all(actor.can_see(hotel) for hotel in hotels_of(contact))


def may_edit(actor: Actor, contact: dict[str, Any]) -> bool:
    """Shared fields (names, language) show in every hotel: admins, a hotel that served the guest, or an
    agent whose hotels are all the contact's hotels (then nobody else's view changes)."""
    return served_here(actor, contact) or all_hotels_mine(actor, contact)


def may_merge(actor: Actor, contact: dict[str, Any]) -> bool:
    """A merge re-points every request of the contact and unites its attributes into the survivor's: the
    actor must see every hotel of it, and its headquarters attributes if it has any."""
    return all_hotels_mine(actor, contact) and (not contact.get("attributes") or served_here(actor, contact))


def view(actor: Actor, contact: dict[str, Any]) -> dict[str, Any]:
    """The contact as the actor may see it: its card, only the actor's hotels, HQ attributes if served."""
    if actor.sees_everything:
        shown = {k: v for k, v in contact.items() if k != "_id"}
        return {"id": contact["_id"], **shown}
    seen: dict[str, Any] = {"id": contact["_id"], **{k: contact[k] for k in CARD_FIELDS if k in contact}}
    seen["location_ids"] = [hotel for hotel in hotels_of(contact) if actor.can_see(hotel)]
    if served_here(actor, contact):
        seen.update({k: contact[k] for k in HQ_FIELDS if k in contact})
    return seen
