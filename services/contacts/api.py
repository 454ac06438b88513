"""HTTP surface of contacts: search as you type, create, read and edit (scoped to the agent's hotels)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from shared.auth import Actor, ActorDep
from shared.problems import Problem
from shared.runtime import RuntimeDep

from . import service
from .repository import ContactRepository
from .schemas import ContactChanges, NewContact

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
ContactId = Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")]
SEARCH_SCAN = 200


def _visible(actor: Actor, contact: dict[str, Any]) -> bool:
    return actor.sees_everything or any(actor.can_see(loc) for loc in contact.get("location_ids") or [])


async def _contact(runtime: RuntimeDep, actor: Actor, contact_id: str) -> dict[str, Any]:
    contact = await ContactRepository(runtime.db).get(contact_id)
    if contact is None or not _visible(actor, contact):
        raise Problem(404, "Not found", f"No contact has the id {contact_id!r}.")
    return contact


@router.get("")
async def search(
    runtime: RuntimeDep,
    actor: ActorDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name, email or phone, as typed")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Contacts whose name, email or phone starts with what was typed (case and accents ignored)."""
    key = service.query_key(q)
    if key is None:
        raise Problem(422, "Invalid request", f"q: type at least {service.MIN_QUERY} characters.")
    found = await ContactRepository(runtime.db).search(key, SEARCH_SCAN)
    visible = [c for c in found if _visible(actor, c) and service.matches_all_words(c, q)]
    return {"items": [service.public_contact(c) for c in visible[:limit]]}


@router.post("", status_code=201)
async def create(body: NewContact, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    if not actor.can_see(body.location_id):
        raise Problem(404, "Unknown hotel", f"No hotel you work for has the id {body.location_id!r}.")
    if not body.email and not body.phone and not (body.first_name or body.last_name):
        raise Problem(422, "Invalid request", "email: give at least a name, an email address or a phone number.")
    try:
        contact = await service.create(ContactRepository(runtime.db), body)
    except service.InvalidPhoneError:
        raise Problem(422, "Invalid request", f"phone: {body.phone!r} is not a phone number.") from None
    except service.AlreadyKnownError as exc:
        raise Problem(
            409, "Already a contact", "This email or phone belongs to a contact already.", contact_id=exc.contact_id
        ) from None
    return service.public_contact(contact)


@router.get("/{contact_id}")
async def read(contact_id: ContactId, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    return service.public_contact(await _contact(runtime, actor, contact_id))


@router.patch("/{contact_id}")
async def edit(contact_id: ContactId, body: ContactChanges, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    contact = await _contact(runtime, actor, contact_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return service.public_contact(await service.change(ContactRepository(runtime.db), contact, changes))
