"""HTTP surface of the directory: hotels, groups, agents, reply templates, chain settings (each change audited)."""

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from shared.auth import Actor, ActorDep
from shared.bus import LocationChanged
from shared.messaging import PublishFailedError, publish_event
from shared.problems import Problem
from shared.runtime import RuntimeDep

from ..access import service as access
from ..conversations.repository import conversation_repository
from . import schemas
from . import service as directory
from .repository import AlreadyExistsError, DirectoryRepository

router = APIRouter(prefix="/api/v1", tags=["directory"])
log = logging.getLogger(__name__)
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def repository_of(runtime: RuntimeDep) -> DirectoryRepository:
    return DirectoryRepository(runtime.db)


RepositoryDep = Annotated[DirectoryRepository, Depends(repository_of)]


def _require(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Problem(403, "Forbidden", f"Only {' or '.join(roles)}s may do this.")


async def _audit(
    repository: DirectoryRepository, actor: Actor, action: str, target: str, fields: list[str] | None = None
) -> None:
    await repository.insert("audit", access.audit_entry(actor, action, target, fields))


def _not_found(kind: str, object_id: str) -> Problem:
    return Problem(404, "Not found", f"No {kind} has the id {object_id!r}.")


def _check_timezone(value: str | None) -> None:
    if value is not None and not directory.is_time_zone(value):
        message = f"{value!r} is not an IANA time zone (e.g. Europe/Paris)."
        # Shaped like a request validation error, so clients read every invalid field the same way.
        raise Problem(
            422, "Invalid request", f"timezone: {message}", errors=[{"field": "timezone", "message": message}]
        )


# --- hotels and groups ------------------------------------------------------------------------------


async def _announce(runtime: RuntimeDep, document: dict[str, Any]) -> None:
    """Tell other services what they need of a hotel (contacts reads national phone numbers by its region)."""
    changed = LocationChanged(location_id=document["_id"], default_phone_region=document["default_phone_region"])
    try:
        await publish_event(runtime.broker, changed)
    except PublishFailedError:
        # The hotel is saved; until its next edit, contacts reads its numbers in the default region.
        log.warning("could not announce a hotel change", extra={"location": changed.location_id})


@router.get("/locations")
async def list_locations(actor: ActorDep, repository: RepositoryDep) -> list[dict[str, Any]]:
    locations = await repository.all("locations")
    groups = await repository.groups_by_location()
    return [
        {**directory.public(loc), "group_ids": groups.get(str(loc["_id"]), [])}
        for loc in locations
        if actor.can_see(str(loc["_id"]))
    ]


@router.post("/locations", status_code=201)
async def create_location(
    body: schemas.LocationIn, actor: ActorDep, repository: RepositoryDep, runtime: RuntimeDep
) -> dict[str, Any]:
    _require(actor, "admin")
    _check_timezone(body.timezone)
    fields = body.model_dump(exclude={"id"})
    try:
        document = await repository.insert("locations", {"_id": body.id, **fields})
    except AlreadyExistsError:
        raise Problem(409, "Already exists", f"A hotel with the id {body.id!r} exists already.") from None
    await _audit(repository, actor, "location.create", f"location:{body.id}", list(fields))
    await _announce(runtime, document)
    return {**directory.public(document), "group_ids": await repository.groups_of(body.id)}


@router.get("/locations/{location_id}")
async def get_location(location_id: ObjectId, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    document = await repository.get("locations", location_id)
    if document is None or not actor.can_see(location_id):
        raise _not_found("hotel", location_id)
    return {**directory.public(document), "group_ids": await repository.groups_of(location_id)}


@router.patch("/locations/{location_id}")
async def update_location(
    location_id: ObjectId,
    body: schemas.LocationPatch,
    actor: ActorDep,
    repository: RepositoryDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    _require(actor, "admin")
    _check_timezone(body.timezone)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    document = await repository.set("locations", location_id, changes)
    if document is None:
        raise _not_found("hotel", location_id)
    await _audit(repository, actor, "location.update", f"location:{location_id}", list(changes))
    await _announce(runtime, document)
    return {**directory.public(document), "group_ids": await repository.groups_of(location_id)}


@router.get("/location-groups")
async def list_groups(actor: ActorDep, repository: RepositoryDep) -> list[dict[str, Any]]:
    groups = await repository.all("location_groups")
    return [directory.public(g) for g in groups if actor.sees_everything or g["_id"] in actor.group_ids]


@router.post("/location-groups", status_code=201)
async def create_group(body: schemas.GroupIn, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    _require(actor, "admin")
    try:
        document = await repository.insert("location_groups", {"_id": body.id, **body.model_dump(exclude={"id"})})
    except AlreadyExistsError:
        raise Problem(409, "Already exists", f"A group with the id {body.id!r} exists already.") from None
    await _audit(repository, actor, "location_group.create", f"location_group:{body.id}", list(body.model_fields_set))
    return directory.public(document)


@router.get("/location-groups/{group_id}")
async def get_group(group_id: ObjectId, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    document = await repository.get("location_groups", group_id)
    if document is None or not (actor.sees_everything or group_id in actor.group_ids):
        raise _not_found("group", group_id)
    return directory.public(document)


@router.patch("/location-groups/{group_id}")
async def update_group(
    group_id: ObjectId, body: schemas.GroupPatch, actor: ActorDep, repository: RepositoryDep
) -> dict[str, Any]:
    _require(actor, "admin")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    document = await repository.set("location_groups", group_id, changes)
    if document is None:
        raise _not_found("group", group_id)
    await _audit(repository, actor, "location_group.update", f"location_group:{group_id}", list(changes))
    return directory.public(document)


# --- agents -----------------------------------------------------------------------------------------


@router.get("/agents")
async def list_agents(actor: ActorDep, repository: RepositoryDep) -> list[dict[str, Any]]:
    """Colleagues an agent can assign requests to: those sharing one of their hotels (everyone, for admins)."""
    agents = await repository.all("agents", limit=5000)
    return [directory.public_agent(a) for a in agents if directory.is_colleague(actor, a)]


@router.get("/agents/me")
async def me(actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    document = await repository.get("agents", actor.agent_id)
    if document is None:
        raise _not_found("agent", actor.agent_id)
    return {**directory.public_agent(document), "visible_location_ids": actor.location_ids}


@router.post("/agents", status_code=201)
async def create_agent(body: schemas.AgentIn, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    _require(actor, "admin")
    try:
        document = await repository.insert("agents", directory.new_agent(body.model_dump()))
    except AlreadyExistsError:
        raise Problem(409, "Already exists", f"An agent with the email {body.email} exists already.") from None
    await _audit(repository, actor, "agent.create", f"agent:{document['_id']}", list(body.model_fields_set))
    return directory.public_agent(document)


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: ObjectId, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    document = await repository.get("agents", agent_id)
    if document is None or not directory.is_colleague(actor, document):
        raise _not_found("agent", agent_id)
    return directory.public_agent(document)


@router.patch("/agents/{agent_id}")
async def update_agent(
    agent_id: ObjectId, body: schemas.AgentPatch, actor: ActorDep, repository: RepositoryDep
) -> dict[str, Any]:
    if agent_id != actor.agent_id:
        _require(actor, "admin")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if (
        agent_id == actor.agent_id
        and not actor.sees_everything
        and set(changes) - {"password", "language", "notify_on_assignment"}
    ):
        raise Problem(403, "Forbidden", "Agents may change only their password, language and notifications.")
    if "password" in changes:
        changes["password_hash"] = directory.hash_password(changes.pop("password"))
    if changes.get("initials"):
        changes["initials"] = changes["initials"].upper()
    document = await repository.set("agents", agent_id, changes)
    if document is None:
        raise _not_found("agent", agent_id)
    await _audit(repository, actor, "agent.update", f"agent:{agent_id}", list(body.model_fields_set))
    return directory.public_agent(document)


# --- reply templates --------------------------------------------------------------------------------


def _template_visible(actor: Actor, template: dict[str, Any]) -> bool:
    hotels = template.get("location_ids") or []
    return actor.sees_everything or not hotels or any(actor.can_see(h) for h in hotels)


def _may_edit_template(actor: Actor, location_ids: list[str]) -> None:
    _require(actor, "manager", "admin")
    if actor.role == "manager" and (not location_ids or not all(actor.can_see(h) for h in location_ids)):
        raise Problem(403, "Forbidden", "Managers edit templates of their own hotels; name them in location_ids.")


@router.get("/templates")
async def list_templates(actor: ActorDep, repository: RepositoryDep) -> list[dict[str, Any]]:
    return [directory.public(t) for t in await repository.all("templates") if _template_visible(actor, t)]


@router.post("/templates", status_code=201)
async def create_template(body: schemas.TemplateIn, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    _may_edit_template(actor, body.location_ids)
    document = await repository.insert("templates", {"_id": uuid.uuid4().hex[:12], **body.model_dump()})
    await _audit(repository, actor, "template.create", f"template:{document['_id']}", list(body.model_fields_set))
    return directory.public(document)


async def _visible_template(template_id: str, actor: Actor, repository: DirectoryRepository) -> dict[str, Any]:
    document = await repository.get("templates", template_id)
    if document is None or not _template_visible(actor, document):
        raise _not_found("template", template_id)
    return document


@router.get("/templates/{template_id}")
async def get_template(template_id: ObjectId, actor: ActorDep, repository: RepositoryDep) -> dict[str, Any]:
    return directory.public(await _visible_template(template_id, actor, repository))


@router.patch("/templates/{template_id}")
async def update_template(
    template_id: ObjectId, body: schemas.TemplatePatch, actor: ActorDep, repository: RepositoryDep
) -> dict[str, Any]:
    current = await _visible_template(template_id, actor, repository)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    _may_edit_template(actor, changes.get("location_ids", current.get("location_ids") or []))
    document = await repository.set("templates", template_id, changes)
    await _audit(repository, actor, "template.update", f"template:{template_id}", list(changes))
    return directory.public(document or current)


@router.delete("/templates/{template_id}", status_code=204)
async def delete_template(template_id: ObjectId, actor: ActorDep, repository: RepositoryDep) -> None:
    current = await _visible_template(template_id, actor, repository)
    _may_edit_template(actor, current.get("location_ids") or [])
    await repository.delete("templates", template_id)
    await _audit(repository, actor, "template.delete", f"template:{template_id}")


@router.post("/templates/{template_id}/render")
async def render_template(
    template_id: ObjectId,
    body: schemas.RenderTemplate,
    actor: ActorDep,
    repository: RepositoryDep,
    runtime: RuntimeDep,
) -> dict[str, str]:
    """The template filled for a conversation (guest's name, hotel, agent), for the agent to edit and send."""
    template = await _visible_template(template_id, actor, repository)
    conversation = await conversation_repository(runtime.db, runtime.settings.mongo_flavour).get(body.conversation_id)
    if conversation is None or not actor.can_see(str(conversation["location_id"])):
        raise Problem(404, "Not found", f"No conversation has the id {body.conversation_id!r}.")
    guest_name = str((conversation.get("guest") or {}).get("name") or "")
    hotel = await repository.get("locations", str(conversation["location_id"])) or {}
    values = {
        "guest_name": guest_name,
        "guest_first_name": guest_name.split()[0] if guest_name else "",
        "hotel_name": str(hotel.get("name") or conversation["location_id"]),
        "agent_name": actor.name,
    }
    return {"body": directory.fill_template(str(template["body"]), values)}


# --- chain settings ---------------------------------------------------------------------------------


@router.get("/settings", response_model=schemas.ChainSettings)
async def get_settings(actor: ActorDep, repository: RepositoryDep) -> schemas.ChainSettings:
    """Contact reasons, the customer-service address and the alert rule, for every signed-in agent."""
    stored = {k: v for k, v in (await repository.chain_settings()).items() if k != "_id"}
    return directory.readable_settings(stored)


@router.put("/settings", response_model=schemas.ChainSettings)
async def put_settings(
    body: schemas.ChainSettings, actor: ActorDep, repository: RepositoryDep
) -> schemas.ChainSettings:
    # Chain-wide (contact reasons, customer service, alert rule): a manager's change would reach other groups.
    _require(actor, "admin")
    await repository.save_chain_settings({"_id": "chain", **body.model_dump(mode="json")})
    await _audit(repository, actor, "settings.update", "settings:chain", list(body.model_fields_set))
    return body
