"""HTTP surface of response-time policies under /api/v1/sla/policies: everyone reads those that apply to
them, managers set their groups' policies, admins any (and the chain-wide ones)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from shared.auth import ActorDep
from shared.runtime import RuntimeDep

from . import schemas
from .service import SlaPolicies, sla_policies_for

router = APIRouter(prefix="/api/v1/sla", tags=["sla"])
PolicyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def policies_of(runtime: RuntimeDep) -> SlaPolicies:
    return sla_policies_for(runtime)


PoliciesDep = Annotated[SlaPolicies, Depends(policies_of)]


@router.get("/policies")
async def list_policies(actor: ActorDep, policies: PoliciesDep) -> list[schemas.Policy]:
    """The chain-wide policies and those of one's groups (admins: all)."""
    return await policies.list(actor)


@router.post("/policies", status_code=201)
async def create_policy(body: schemas.PolicyIn, actor: ActorDep, policies: PoliciesDep) -> schemas.Policy:
    """A policy for a group's hotels (its managers, admins) or chain-wide (admins). A new request follows the
    first matching policy: its hotel's groups' before chain-wide ones, alerts-only before general, then by
    position."""
    return await policies.create(actor, body)


@router.get("/policies/{policy_id}")
async def get_policy(policy_id: PolicyId, actor: ActorDep, policies: PoliciesDep) -> schemas.Policy:
    return await policies.get(actor, policy_id)


@router.patch("/policies/{policy_id}")
async def update_policy(
    policy_id: PolicyId, body: schemas.PolicyPatch, actor: ActorDep, policies: PoliciesDep
) -> schemas.Policy:
    """Change a policy; requests opened before keep the targets and steps they were given."""
    return await policies.update(actor, policy_id, body)


@router.delete("/policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: PolicyId, actor: ActorDep, policies: PoliciesDep) -> None:
    await policies.delete(actor, policy_id)
