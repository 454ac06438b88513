"""HTTP surface of automation rules under /api/v1/rules: managers read the chain rules and set their groups'
rules, admins any; the dry run tries them on a request without changing it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from shared.auth import ActorDep
from shared.runtime import RuntimeDep

from . import schemas
from .service import Rules, rules_for

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
GroupFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def rules_of(request: Request, runtime: RuntimeDep) -> Rules:
    return rules_for(runtime, request.app.state.inbox_settings)


RulesDep = Annotated[Rules, Depends(rules_of)]


@router.get("")
async def list_rules(actor: ActorDep, rules: RulesDep, group_id: GroupFilter = None) -> schemas.RuleList:
    """The rules in the order they run: chain rules (read-only for managers), then one's groups' rules."""
    return await rules.listed(actor, group_id)


@router.post("", status_code=201)
async def create_rule(body: schemas.RuleIn, actor: ActorDep, rules: RulesDep) -> schemas.RuleOut:
    """A rule for a group's hotels (its managers, admins) or for the whole chain (admins)."""
    return await rules.create(actor, body)


@router.post("/dry-run")
async def dry_run(body: schemas.DryRunIn, actor: ActorDep, rules: RulesDep) -> schemas.DryRunOut:
    """Which rules would fire on a request (stored or sample), in order, and what they would change; changes
    nothing."""
    return await rules.dry_run(actor, body)


@router.get("/{rule_id}")
async def get_rule(rule_id: RuleId, actor: ActorDep, rules: RulesDep) -> schemas.RuleOut:
    return await rules.get(actor, rule_id)


@router.patch("/{rule_id}")
async def update_rule(rule_id: RuleId, body: schemas.RulePatch, actor: ActorDep, rules: RulesDep) -> schemas.RuleOut:
    return await rules.update(actor, rule_id, body)


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: RuleId, actor: ActorDep, rules: RulesDep) -> None:
    await rules.delete(actor, rule_id)
