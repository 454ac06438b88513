"""HTTP surface of solicitations: ask an external person from a request, answer in its thread,
suggest recipients already solicited, and show the answers that matched nothing (admins)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from shared.auth import ActorDep
from shared.problems import Problem
from shared.runtime import RuntimeDep

from .schemas import NewSolicitation, ThreadAnswer
from .service import Solicit, solicit_for
from .settings import SolicitSettings

router = APIRouter(prefix="/api/v1/solicitations", tags=["solicitations"])
SolicitationId = Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")]


def solicit_of(request: Request, runtime: RuntimeDep) -> Solicit:
    settings: SolicitSettings = request.app.state.solicit_settings
    return solicit_for(runtime, settings.inbox_timeout_seconds)


SolicitDep = Annotated[Solicit, Depends(solicit_of)]


@router.post("", status_code=201)
async def create(body: NewSolicitation, solicit: SolicitDep, actor: ActorDep) -> dict[str, Any]:
    """Send a solicitation from a request; its answers come back into its own thread."""
    return await solicit.start(
        actor,
        body.conversation_id,
        str(body.to),
        body.subject,
        body.text,
        body.attachment_ids,
        formatted=body.formatted,
    )


@router.get("")
async def of_request(
    solicit: SolicitDep,
    actor: ActorDep,
    conversation_id: Annotated[str, Query(pattern=r"^[a-f0-9]{32}$")],
) -> dict[str, Any]:
    """The request's solicitations, each with its thread (oldest first)."""
    return {"items": await solicit.of_request(conversation_id, actor)}


@router.get("/recipients")
async def recipients(
    solicit: SolicitDep,
    actor: ActorDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="The start of an address, as typed")],
    location: Annotated[str | None, Query(max_length=64, description="Only this hotel's")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Addresses already solicited from the agent's hotels, most used first (then most recent)."""
    if location is not None and not actor.can_see(location):
        raise Problem(404, "Unknown hotel", f"No hotel you work for has the id {location!r}.")
    if location is None and actor.sees_everything:
        raise Problem(422, "Invalid request", "location: say which hotel's recipients to suggest.")
    hotels = [location] if location else actor.location_ids
    return {"items": await solicit.suggestions(actor, q, hotels, limit)}


@router.get("/unmatched")
async def unmatched(
    solicit: SolicitDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict[str, Any]:
    """Answers kept aside (forged, unknown or revoked token), newest first: for admins to look into."""
    if not actor.sees_everything:
        raise Problem(403, "Forbidden", "Only admins may read answers that matched no solicitation.")
    return {"items": await solicit.unmatched(limit)}


@router.get("/{solicitation_id}")
async def read(solicitation_id: SolicitationId, solicit: SolicitDep, actor: ActorDep) -> dict[str, Any]:
    return await solicit.view(await solicit.visible(solicitation_id, actor))


@router.post("/{solicitation_id}/messages", status_code=201)
async def answer(
    solicitation_id: SolicitationId, body: ThreadAnswer, solicit: SolicitDep, actor: ActorDep
) -> dict[str, Any]:
    """Write again in the thread: to its recipient (locked), under the last subject unless changed."""
    return await solicit.answer(
        actor, solicitation_id, body.subject, body.text, body.attachment_ids, formatted=body.formatted
    )


@router.delete("/{solicitation_id}")
async def revoke(solicitation_id: SolicitationId, solicit: SolicitDep, actor: ActorDep) -> dict[str, Any]:
    """Close the thread: later answers are kept aside instead of reaching the request."""
    return await solicit.revoke(actor, solicitation_id)
