"""HTTP surface of contacts: search as you type, create, read, edit, history, merge, HQ imports, GDPR.

Agents see the contacts of their hotels; imports, exports and erasures are chain-wide, so admins'.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from shared.auth import Actor, ActorDep, agent_or_scope
from shared.http import media_type
from shared.problems import Problem
from shared.runtime import RuntimeDep

from . import imports, lifecycle, service
from .repository import ContactRepository
from .schemas import ContactChanges, MergeRequest, NewContact
from .settings import ContactsSettings

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
ContactId = Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")]
IMPORT_FORMATS = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
}


def _settings(request: Request) -> ContactsSettings:
    settings: ContactsSettings = request.app.state.contacts_settings
    return settings


# Headquarters imports: admins, or a chain-wide integration holding an API token with the `contacts:import` scope.
ImporterDep = Annotated[Actor, Depends(agent_or_scope("contacts:import"))]


def _visible(actor: Actor, contact: dict[str, Any]) -> bool:
    return actor.sees_everything or any(actor.can_see(loc) for loc in contact.get("location_ids") or [])


def _admins_only(actor: Actor, what: str) -> None:
    if not actor.sees_everything:
        raise Problem(403, "Forbidden", f"Only admins may {what}: it concerns every hotel of the chain.")


async def _contact(runtime: RuntimeDep, actor: Actor, contact_id: str) -> dict[str, Any]:
    repository = ContactRepository(runtime.db)
    contact = await repository.get(contact_id)
    if contact is None or not _visible(actor, contact):
        stored = await repository.raw(contact_id) if actor.sees_everything else None
        if stored is not None and stored.get("erased_at"):
            raise Problem(410, "Erased", f"The contact {contact_id!r} was erased.", erasure_id=stored.get("erasure_id"))
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
    if service.query_key(q) is None:
        raise Problem(422, "Invalid request", f"q: type at least {service.MIN_QUERY} characters.")
    hotels = None if actor.sees_everything else actor.location_ids
    found = await service.search(ContactRepository(runtime.db), q, hotels, limit)
    return {"items": [service.public_contact(c) for c in found]}


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
        # Its id only to those who may open it: another hotel's contact is not named to this agent.
        known = await ContactRepository(runtime.db).get(exc.contact_id)
        detail = "This email or phone belongs to a contact already."
        if known is not None and _visible(actor, known):
            raise Problem(409, "Already a contact", detail, contact_id=exc.contact_id) from None
        raise Problem(409, "Already a contact", detail) from None
    return service.public_contact(contact)


# --- headquarters imports and erasure reports (before /{contact_id}, which they would not match anyway) ---


@router.post("/imports", status_code=202)
async def start_import(
    request: Request,
    runtime: RuntimeDep,
    actor: ImporterDep,
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """Upload a CSV (`text/csv`) or JSON lines (`application/x-ndjson`) file of headquarters attributes.

    Rows are keyed by `email` or `customer_id`; the other columns are attributes (see
    `GET /imports/attributes`). Answers 202 at once with the import's id; its report fills in as it runs.
    """
    _admins_only(actor, "import headquarters attributes")
    fmt = IMPORT_FORMATS.get(media_type(request))
    if fmt is None:
        known = ", ".join(sorted(IMPORT_FORMATS))
        raise Problem(415, "Unsupported file type", f"Content-Type: send the file as one of {known}.")
    settings = _settings(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.import_max_bytes:
        raise Problem(413, "Payload too large", f"The file is larger than {settings.import_max_bytes} bytes.")
    try:
        path, size = await imports.receive(request.stream(), fmt, settings.import_max_bytes)
    except imports.FileTooLargeError:
        raise Problem(413, "Payload too large", f"The file is larger than {settings.import_max_bytes} bytes.") from None
    report = await imports.start(
        ContactRepository(runtime.db), settings.attributes, path, fmt, filename, actor.agent_id
    )
    location = f"{router.prefix}/imports/{report.id}"
    body = {"id": report.id, "status": report.status, "bytes": size, "report": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})


@router.get("/imports/attributes")
async def importable_attributes(request: Request, actor: ImporterDep) -> dict[str, Any]:
    """The attributes an import may set, with their types; other columns are ignored and reported."""
    return {"keys": list(imports.KEYS), "attributes": _settings(request).attributes}


@router.get("/imports/{import_id}")
async def import_report(
    import_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], runtime: RuntimeDep, actor: ImporterDep
) -> dict[str, Any]:
    _admins_only(actor, "read import reports")
    report = await ContactRepository(runtime.db).import_report(import_id)
    if report is None:
        raise Problem(404, "Not found", f"No import has the id {import_id!r}.")
    return {"id": report.pop("_id"), **report}


@router.get("/erasures/{erasure_id}")
async def erasure_record(
    erasure_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], runtime: RuntimeDep, actor: ActorDep
) -> dict[str, Any]:
    """Who asked for an erasure, when, why, and what each service reported having removed."""
    _admins_only(actor, "read erasure records")
    record = await ContactRepository(runtime.db).erasure(erasure_id)
    if record is None:
        raise Problem(404, "Not found", f"No erasure has the id {erasure_id!r}.")
    return {"id": record.pop("_id"), **record}


# --- one contact ------------------------------------------------------------------------------------


@router.get("/{contact_id}")
async def read(contact_id: ContactId, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    """The contact; a merged-away id answers with the contact it was merged into."""
    return service.public_contact(await _contact(runtime, actor, contact_id))


@router.patch("/{contact_id}")
async def edit(contact_id: ContactId, body: ContactChanges, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    contact = await _contact(runtime, actor, contact_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return service.public_contact(await service.change(ContactRepository(runtime.db), contact, changes))


@router.get("/{contact_id}/history")
async def history(
    contact_id: ContactId,
    runtime: RuntimeDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The guest's requests across channels and hotels (those the agent works for), newest activity first."""
    contact = await _contact(runtime, actor, contact_id)
    locations = None if actor.sees_everything else actor.location_ids
    found = await ContactRepository(runtime.db).history_of(str(contact["_id"]), locations, limit=limit)
    return {"items": [{"conversation_id": doc.pop("_id"), **doc} for doc in found]}


@router.post("/{contact_id}/merge")
async def merge(contact_id: ContactId, body: MergeRequest, runtime: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    """Merge `contact_id` of the body into this contact, which survives with both's addresses and history."""
    survivor = await _contact(runtime, actor, contact_id)
    other = await _contact(runtime, actor, body.contact_id)
    try:
        merged = await lifecycle.merge(ContactRepository(runtime.db), runtime.broker, survivor, other, actor)
    except lifecycle.SameContactError:
        raise Problem(
            422, "Invalid request", "contact_id: this is the same contact (or merged into it already)."
        ) from None
    return service.public_contact(merged)


@router.get("/{contact_id}/export")
async def export(contact_id: ContactId, request: Request, runtime: RuntimeDep, actor: ActorDep) -> JSONResponse:
    """Everything the hub holds about the contact, as one JSON document (GDPR right of access)."""
    _admins_only(actor, "export a contact")
    contact = await _contact(runtime, actor, contact_id)
    timeout = _settings(request).export_page_timeout_seconds
    try:
        document = await lifecycle.export(ContactRepository(runtime.db), runtime.broker, contact, timeout)
    except lifecycle.InboxUnavailableError:
        raise Problem(503, "Try again", "The inbox did not answer in time; nothing is missing, ask again.") from None
    filename = f"contact-{contact['_id']}.json"
    disposition = f'attachment; filename="{filename}"'
    return JSONResponse(jsonable_encoder(document), headers={"Content-Disposition": disposition})


@router.delete("/{contact_id}", status_code=202)
async def erase(
    contact_id: ContactId,
    runtime: RuntimeDep,
    actor: ActorDep,
    reason: Annotated[str, Query(min_length=1, max_length=500)] = "guest's request",
) -> dict[str, Any]:
    """Erase the contact (GDPR right to erasure): its data here now, its requests' content in the inbox next."""
    _admins_only(actor, "erase a contact")
    contact = await _contact(runtime, actor, contact_id)
    record = await lifecycle.erase(ContactRepository(runtime.db), runtime.broker, contact, actor, reason)
    return {"id": record.pop("_id"), **record}
