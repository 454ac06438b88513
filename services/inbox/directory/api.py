"""HTTP surface of the directory: hotels, groups, agents, reply templates, chain settings (each change audited)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from shared.auth import ActorDep

from . import schemas
from .service import DirectoryDep

router = APIRouter(prefix="/api/v1", tags=["directory"])
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


# --- hotels and groups ------------------------------------------------------------------------------


@router.get("/locations")
async def list_locations(actor: ActorDep, directory: DirectoryDep) -> list[dict[str, Any]]:
    return await directory.locations(actor)


@router.post("/locations", status_code=201)
async def create_location(body: schemas.LocationIn, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.create_location(actor, body)


@router.get("/locations/{location_id}")
async def get_location(location_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.location(actor, location_id)


@router.patch("/locations/{location_id}")
async def update_location(
    location_id: ObjectId, body: schemas.LocationPatch, actor: ActorDep, directory: DirectoryDep
) -> dict[str, Any]:
    return await directory.update_location(actor, location_id, body)


@router.get("/location-groups")
async def list_groups(actor: ActorDep, directory: DirectoryDep) -> list[dict[str, Any]]:
    return await directory.groups(actor)


@router.post("/location-groups", status_code=201)
async def create_group(body: schemas.GroupIn, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.create_group(actor, body)


@router.get("/location-groups/{group_id}")
async def get_group(group_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.group(actor, group_id)


@router.patch("/location-groups/{group_id}")
async def update_group(
    group_id: ObjectId, body: schemas.GroupPatch, actor: ActorDep, directory: DirectoryDep
) -> dict[str, Any]:
    return await directory.update_group(actor, group_id, body)


# --- agents -----------------------------------------------------------------------------------------


@router.get("/agents")
async def list_agents(actor: ActorDep, directory: DirectoryDep) -> list[dict[str, Any]]:
    """Colleagues an agent can assign requests to: those sharing one of their hotels (everyone, for admins)."""
    return await directory.agents(actor)


@router.get("/agents/me")
async def me(actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.me(actor)


@router.put("/agents/me/away")
async def set_away(body: schemas.Away, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    """The agent's own away switch: while away, round-robin rules assign them nothing (other
    assignments still reach them). Admins also set it for anyone with `PATCH /agents/{agent_id}`."""
    return await directory.set_away(actor, body.away)


@router.post("/agents", status_code=201)
async def create_agent(body: schemas.AgentIn, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.create_agent(actor, body)


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.agent(actor, agent_id)


@router.patch("/agents/{agent_id}")
async def update_agent(
    agent_id: ObjectId, body: schemas.AgentPatch, actor: ActorDep, directory: DirectoryDep
) -> dict[str, Any]:
    """Admins change any agent; an agent only their own language and notifications. A change of password
    (admins, for another agent), role, hotels, groups or `disabled` ends that agent's sessions."""
    return await directory.update_agent(actor, agent_id, body)


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> None:
    """Admins remove an agent (not themselves); the agent's sessions end in every service within seconds."""
    await directory.delete_agent(actor, agent_id)


@router.post("/agents/{agent_id}/sessions/end", status_code=204)
async def end_agent_sessions(agent_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> None:
    """Sign an agent out everywhere (admins for anyone, an agent for themselves): every token issued so far
    stops working in every service, and open live streams close, within seconds."""
    await directory.end_agent_sessions(actor, agent_id)


# --- reply templates --------------------------------------------------------------------------------


@router.get("/templates")
async def list_templates(actor: ActorDep, directory: DirectoryDep) -> list[dict[str, Any]]:
    return await directory.templates(actor)


@router.post("/templates", status_code=201)
async def create_template(body: schemas.TemplateIn, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.create_template(actor, body)


@router.get("/templates/{template_id}")
async def get_template(template_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> dict[str, Any]:
    return await directory.template(actor, template_id)


@router.patch("/templates/{template_id}")
async def update_template(
    template_id: ObjectId, body: schemas.TemplatePatch, actor: ActorDep, directory: DirectoryDep
) -> dict[str, Any]:
    return await directory.update_template(actor, template_id, body)


@router.delete("/templates/{template_id}", status_code=204)
async def delete_template(template_id: ObjectId, actor: ActorDep, directory: DirectoryDep) -> None:
    await directory.delete_template(actor, template_id)


@router.post("/templates/{template_id}/render")
async def render_template(
    template_id: ObjectId, body: schemas.RenderTemplate, actor: ActorDep, directory: DirectoryDep
) -> dict[str, str]:
    """The template filled for a conversation (guest's name, hotel, agent), for the agent to edit and send."""
    return {"body": await directory.render_template(actor, template_id, body.conversation_id)}


# --- chain settings ---------------------------------------------------------------------------------


@router.get("/settings", response_model=schemas.ChainSettings)
async def get_settings(actor: ActorDep, directory: DirectoryDep) -> schemas.ChainSettings:
    """Contact reasons, the customer-service address and the alert rule, for every signed-in agent."""
    return await directory.chain_settings()


@router.put("/settings", response_model=schemas.ChainSettings)
async def put_settings(body: schemas.ChainSettings, actor: ActorDep, directory: DirectoryDep) -> schemas.ChainSettings:
    return await directory.save_chain_settings(actor, body)
