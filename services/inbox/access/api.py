"""HTTP surface of access: sign-in and sign-out, password change, API tokens, and the audit trail."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from shared.auth import CSRF_COOKIE, SESSION_COOKIE, TOKEN_TTL_SECONDS, ActorDep
from shared.client_limits import ClientLimits

from . import schemas
from .service import AccessDep, SignedIn

router = APIRouter(prefix="/api/v1", tags=["access"])
TokenId = Annotated[str, Path(pattern=r"^tok_[0-9a-f]{24}$")]
_AGENT_FIELDS = {"agent_id", "name", "initials", "email", "role", "location_ids", "group_ids"}


@router.post("/auth/login")
async def login(body: schemas.Login, request: Request, access: AccessDep) -> JSONResponse:
    """Exchange an agent's email and password for a signed token: in the answer (for scripts, sent as
    `Authorization: Bearer`) and as the console's HttpOnly session cookie with its CSRF companion."""
    limits: ClientLimits = request.app.state.client_limits
    client = request.client.host if request.client else "unknown"
    session = await access.sign_in(limits, client, str(body.email), body.password)
    return _session_answer(session, secure=access.settings.console_url.startswith("https://"))


def _session_answer(session: SignedIn, *, secure: bool) -> JSONResponse:
    """A new session: the token in the answer (for scripts) and as the console's cookies."""
    answer = JSONResponse(
        {"token": session.token, "csrf_token": session.csrf, "agent": session.actor.model_dump(include=_AGENT_FIELDS)}
    )
    answer.set_cookie(
        SESSION_COOKIE, session.token, max_age=TOKEN_TTL_SECONDS, httponly=True, secure=secure, samesite="strict"
    )
    answer.set_cookie(
        CSRF_COOKIE, session.csrf, max_age=TOKEN_TTL_SECONDS, httponly=False, secure=secure, samesite="strict"
    )
    return answer


@router.post("/auth/logout", status_code=204)
async def logout(actor: ActorDep, access: AccessDep) -> Response:
    """End this session everywhere: its token is revoked (every service refuses it within seconds)."""
    await access.sign_out(actor)
    answer = Response(status_code=204)
    answer.delete_cookie(SESSION_COOKIE)
    answer.delete_cookie(CSRF_COOKIE)
    return answer


@router.post("/auth/password")
async def change_password(body: schemas.PasswordChange, actor: ActorDep, access: AccessDep) -> JSONResponse:
    """Change one's own password; the current one must be given (a borrowed session cannot change it).
    Wrong current passwords count towards the account's lock-out like failed sign-ins. Every session of
    the agent ends, this one included; the answer carries its successor (as `/auth/login` does)."""
    session = await access.change_password(actor, body.current_password, body.new_password)
    return _session_answer(session, secure=access.settings.console_url.startswith("https://"))


# --- API tokens -------------------------------------------------------------------------------------


@router.post("/api-tokens", status_code=201)
async def create_api_token(body: schemas.ApiTokenIn, actor: ActorDep, access: AccessDep) -> dict[str, Any]:
    """A token for an integration (review platform, telephony, headquarters imports); shown only here."""
    return await access.create_api_token(actor, body)


@router.get("/api-tokens")
async def list_api_tokens(actor: ActorDep, access: AccessDep) -> list[dict[str, Any]]:
    return await access.api_tokens(actor)


@router.delete("/api-tokens/{token_id}", status_code=204)
async def revoke_api_token(token_id: TokenId, actor: ActorDep, access: AccessDep) -> None:
    await access.revoke_api_token(actor, token_id)


# --- audit trail ------------------------------------------------------------------------------------


@router.get("/audit")
async def audit_trail(
    actor: ActorDep,
    access: AccessDep,
    before: Annotated[str | None, Query(pattern=r"^[0-9]{20}-[0-9a-f]{8}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Admin actions, newest first; `next` is the `before` of the following page."""
    return await access.audit_trail(actor, before, limit)
