"""HTTP surface of access: sign-in and sign-out, password change, API tokens, and the audit trail."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from shared.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN_TTL_SECONDS,
    Actor,
    ActorDep,
    csrf_token,
    issue_token,
    revocations_of,
)
from shared.problems import Problem
from shared.ratelimit import RateLimiter
from shared.runtime import RuntimeDep

from ..directory import service as directory
from ..directory.repository import DirectoryRepository
from ..settings import InboxSettings
from . import schemas
from . import service as access

router = APIRouter(prefix="/api/v1", tags=["access"])
TokenId = Annotated[str, Path(pattern=r"^tok_[0-9a-f]{24}$")]


def repository_of(runtime: RuntimeDep) -> DirectoryRepository:
    return DirectoryRepository(runtime.db)


RepositoryDep = Annotated[DirectoryRepository, Depends(repository_of)]


def _settings(request: Request) -> InboxSettings:
    settings: InboxSettings = request.app.state.inbox_settings
    return settings


def _admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Problem(403, "Forbidden", "Only admins may do this.")


@router.post("/auth/login")
async def login(body: schemas.Login, request: Request, repository: RepositoryDep, runtime: RuntimeDep) -> JSONResponse:
    """Exchange an agent's email and password for a signed token: in the answer (for scripts, sent as
    `Authorization: Bearer`) and as the console's HttpOnly session cookie with its CSRF companion."""
    limiter: RateLimiter = request.app.state.login_limiter
    wait = limiter.allow(request.client.host if request.client else "unknown")
    if wait:
        raise Problem(
            429,
            "Too many requests",
            f"Too many sign-in attempts from your address; try again in {wait:.0f} s.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    settings = _settings(request)
    actor = await access.sign_in(repository, settings, str(body.email), body.password)
    secret = runtime.settings.secret_key.get_secret_value()
    token = issue_token(actor, secret)
    csrf = csrf_token(token, secret)
    answer = JSONResponse({"token": token, "csrf_token": csrf, "agent": actor.model_dump(include=_AGENT_FIELDS)})
    secure = settings.console_url.startswith("https://")
    answer.set_cookie(SESSION_COOKIE, token, max_age=TOKEN_TTL_SECONDS, httponly=True, secure=secure, samesite="strict")
    answer.set_cookie(CSRF_COOKIE, csrf, max_age=TOKEN_TTL_SECONDS, httponly=False, secure=secure, samesite="strict")
    return answer


_AGENT_FIELDS = {"agent_id", "name", "initials", "email", "role", "location_ids", "group_ids"}


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, actor: ActorDep) -> Response:
    """End this session everywhere: its token is revoked (every service refuses it within seconds)."""
    if actor.token_id:
        await revocations_of(request).revoke(actor.token_id)
    answer = Response(status_code=204)
    answer.delete_cookie(SESSION_COOKIE)
    answer.delete_cookie(CSRF_COOKIE)
    return answer


@router.post("/auth/password", status_code=204)
async def change_password(
    body: schemas.PasswordChange, request: Request, actor: ActorDep, repository: RepositoryDep
) -> None:
    """Change one's own password; the current one must be given (a borrowed session cannot change it).
    Wrong current passwords count towards the account's lock-out like failed sign-ins."""
    try:
        await access.sign_in(repository, _settings(request), actor.email, body.current_password)
    except Problem as problem:
        if problem.status != 401:
            raise
        message = "the current password is wrong."
        raise Problem(
            422,
            "Invalid request",
            f"current_password: {message}",
            errors=[{"field": "current_password", "message": message}],
        ) from None
    await repository.set("agents", actor.agent_id, {"password_hash": directory.hash_password(body.new_password)})
    await repository.insert("audit", access.audit_entry(actor, "agent.password_changed", f"agent:{actor.agent_id}"))


# --- API tokens -------------------------------------------------------------------------------------


@router.post("/api-tokens", status_code=201)
async def create_api_token(
    body: schemas.ApiTokenIn, actor: ActorDep, repository: RepositoryDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A token for an integration (review platform, telephony, headquarters imports); shown only here."""
    _admin(actor)
    record, token = access.new_api_token(body, actor, runtime.settings.secret_key.get_secret_value())
    await repository.insert("api_tokens", record)
    await repository.insert("audit", access.audit_entry(actor, "api_token.create", f"api_token:{record['_id']}"))
    return {**access.public_token(record), "token": token}


@router.get("/api-tokens")
async def list_api_tokens(actor: ActorDep, repository: RepositoryDep) -> list[dict[str, Any]]:
    _admin(actor)
    return [access.public_token(record) for record in await repository.all("api_tokens")]


@router.delete("/api-tokens/{token_id}", status_code=204)
async def revoke_api_token(
    token_id: TokenId, request: Request, actor: ActorDep, repository: RepositoryDep, runtime: RuntimeDep
) -> None:
    _admin(actor)
    if await repository.get("api_tokens", token_id) is None:
        raise Problem(404, "Not found", f"No API token has the id {token_id!r}.")
    await revocations_of(request).revoke(token_id)
    await repository.set("api_tokens", token_id, {"revoked_at": access.now()})
    await repository.insert("audit", access.audit_entry(actor, "api_token.revoke", f"api_token:{token_id}"))


# --- audit trail ------------------------------------------------------------------------------------


@router.get("/audit")
async def audit_trail(
    actor: ActorDep,
    repository: RepositoryDep,
    before: Annotated[str | None, Query(pattern=r"^[0-9]{20}-[0-9a-f]{8}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Admin actions, newest first; `next` is the `before` of the following page."""
    _admin(actor)
    entries = await repository.audit_page(before, limit)
    return {
        "items": [directory.public(entry) for entry in entries],
        "next": str(entries[-1]["_id"]) if len(entries) == limit else None,
    }
