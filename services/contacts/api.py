"""HTTP surface of contacts: search as you type, create, read, edit, history, merge, HQ imports, GDPR.

Agents see the contacts of their hotels; imports, exports and erasures are chain-wide, so admins'.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from shared.auth import Actor, ActorDep, agent_or_scope
from shared.http import media_type

from .schemas import ContactChanges, MergeRequest, NewContact
from .service import IMPORT_FORMATS, ContactsDep

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
ContactId = Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")]
# Headquarters imports: admins, or a chain-wide integration holding an API token with the `contacts:import` scope.
ImporterDep = Annotated[Actor, Depends(agent_or_scope("contacts:import"))]


@router.get("")
async def search(
    contacts: ContactsDep,
    actor: ActorDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name, email or phone, as typed")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Contacts whose name, email or phone starts with what was typed (case and accents ignored)."""
    return {"items": await contacts.search(actor, q, limit)}


@router.post("", status_code=201)
async def create(body: NewContact, contacts: ContactsDep, actor: ActorDep) -> dict[str, Any]:
    return await contacts.create(actor, body)


# --- headquarters imports and erasure reports (before /{contact_id}, which they would not match anyway) ---


@router.post("/imports", status_code=202)
async def start_import(
    request: Request,
    contacts: ContactsDep,
    actor: ImporterDep,
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """Upload a CSV (`text/csv`) or JSON lines (`application/x-ndjson`) file of headquarters attributes.

    Rows are keyed by `email` or `customer_id`; the other columns are attributes (see
    `GET /imports/attributes`). Answers 202 at once with the import's id; its report fills in as it runs.
    """
    fmt = IMPORT_FORMATS.get(media_type(request))
    declared = request.headers.get("content-length", "")
    started = await contacts.start_import(actor, request.stream(), fmt, declared, filename)
    location = f"{router.prefix}/imports/{started['id']}"
    return JSONResponse({**started, "report": location}, status_code=202, headers={"Location": location})


@router.get("/imports/attributes")
async def importable_attributes(contacts: ContactsDep, actor: ImporterDep) -> dict[str, Any]:
    """The attributes an import may set, with their types; other columns are ignored and reported."""
    return contacts.importable_attributes()


@router.get("/imports/{import_id}")
async def import_report(
    import_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], contacts: ContactsDep, actor: ImporterDep
) -> dict[str, Any]:
    return await contacts.import_report(actor, import_id)


@router.get("/erasures/{erasure_id}")
async def erasure_record(
    erasure_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], contacts: ContactsDep, actor: ActorDep
) -> dict[str, Any]:
    """Who asked for an erasure, when, why, and what each service reported having removed."""
    return await contacts.erasure_record(actor, erasure_id)


# --- one contact ------------------------------------------------------------------------------------


@router.get("/{contact_id}")
async def read(contact_id: ContactId, contacts: ContactsDep, actor: ActorDep) -> dict[str, Any]:
    """The contact; a merged-away id answers with the contact it was merged into."""
    return await contacts.read(actor, contact_id)


@router.patch("/{contact_id}")
async def edit(contact_id: ContactId, body: ContactChanges, contacts: ContactsDep, actor: ActorDep) -> dict[str, Any]:
    return await contacts.edit(actor, contact_id, body.model_dump(exclude_unset=True, exclude_none=True))


@router.get("/{contact_id}/history")
async def history(
    contact_id: ContactId,
    contacts: ContactsDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The guest's requests across channels and hotels (those the agent works for), newest activity first."""
    return {"items": await contacts.history(actor, contact_id, limit)}


@router.post("/{contact_id}/merge")
async def merge(contact_id: ContactId, body: MergeRequest, contacts: ContactsDep, actor: ActorDep) -> dict[str, Any]:
    """Merge `contact_id` of the body into this contact, which survives with both's addresses and history."""
    return await contacts.merge(actor, contact_id, body.contact_id)


@router.get("/{contact_id}/export")
async def export(contact_id: ContactId, contacts: ContactsDep, actor: ActorDep) -> JSONResponse:
    """Everything the hub holds about the contact, as one JSON document (GDPR right of access)."""
    document, held_as = await contacts.export(actor, contact_id)
    disposition = f'attachment; filename="contact-{held_as}.json"'
    return JSONResponse(jsonable_encoder(document), headers={"Content-Disposition": disposition})


@router.delete("/{contact_id}", status_code=202)
async def erase(
    contact_id: ContactId,
    contacts: ContactsDep,
    actor: ActorDep,
    reason: Annotated[str, Query(min_length=1, max_length=500)] = "guest's request",
) -> dict[str, Any]:
    """Erase the contact (GDPR right to erasure): its data here now, its requests' content in the inbox next."""
    return await contacts.erase(actor, contact_id, reason)
