"""Access rules: sign-in with throttling, API tokens for integrations, and the audit trail of admin actions.

Sign-in locks the *client* harder than the account, so that nobody can lock agents out by guessing:
- an account's failures are stored (every replica sees them); after `login_max_failures` of them within
  `login_lockout_minutes`, each further attempt must wait a delay that doubles per failure (capped at
  `login_delay_max_seconds`) since the last one. A success clears them.
- a client address may try `login_per_minute` times a minute and fail `login_failures_per_address`
  times per `login_address_window_minutes`, counted in NATS KV across replicas (shared/client_limits.py),
  whichever accounts it tries.
"""

import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.auth import Actor, Revocations, SessionEpochs, csrf_token, epochs_of, issue_token, revocations_of
from shared.client_limits import ClientLimits, Limit
from shared.db import Document
from shared.problems import Problem
from shared.runtime import RuntimeDep

from ..directory import service as directory
from ..directory.repository import DirectoryRepository
from ..settings import InboxSettings
from .audit import audit_entry
from .schemas import ApiTokenIn

__all__ = ["Access", "AccessDep", "SignedIn", "audit_entry", "sign_in"]


def now() -> datetime:
    return datetime.now(UTC)


def account_delay(failures: list[datetime], moment: datetime, settings: InboxSettings) -> float:
    """Seconds this account must still wait before the next attempt: none below `login_max_failures`
    recent failures, then 1, 2, 4 ... seconds after the last failure, at most `login_delay_max_seconds`."""
    beyond = len(failures) - settings.login_max_failures
    if beyond < 0:
        return 0.0
    delay = min(settings.login_delay_max_seconds, 2.0 ** min(beyond, 30))
    last = max(failures).replace(tzinfo=UTC)
    return max(0.0, (last + timedelta(seconds=delay) - moment).total_seconds())


async def sign_in(repository: DirectoryRepository, settings: InboxSettings, email: str, password: str) -> Actor:
    """The agent behind this email and password, unless the account must still wait after recent failures."""
    email = email.lower()
    moment = now()
    window = timedelta(minutes=settings.login_lockout_minutes)
    failures = await repository.failures_since(email, moment - window)
    wait = account_delay(failures, moment, settings)
    if wait:
        raise Problem(
            429,
            "Too many failed sign-ins",
            f"This account had {len(failures)} failed sign-ins recently; wait {math.ceil(wait)} s before "
            "trying again, or ask an admin to reset the password.",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    try:
        actor = await directory.login(repository, email, password)
    except Problem:
        await repository.record_failure(email, moment, forget_before=moment - window)
        raise
    if failures:
        await repository.clear_failures(email)
    return actor.model_copy(update={"token_id": "ses_" + uuid.uuid4().hex})


def _too_many(title: str, detail: str, wait: float) -> Problem:
    return Problem(429, title, detail, headers={"Retry-After": str(math.ceil(wait))})


def new_api_token(body: ApiTokenIn, admin: Actor, secret: str) -> tuple[Document, str]:
    """The stored record of a new API token (never the token itself) and the token, shown once."""
    token_id = "tok_" + secrets.token_hex(12)
    chain_wide = not body.location_ids
    actor = Actor(
        agent_id=token_id,
        name=body.name,
        initials="API",
        email=f"{token_id}@api.hub",
        role="admin" if chain_wide else "agent",
        location_ids=body.location_ids,
        kind="api",
        scopes=body.scopes,
        token_id=token_id,
    )
    ttl = body.expires_in_days * 86_400
    token = issue_token(actor, secret, ttl_seconds=ttl)
    record = {
        "_id": token_id,
        "name": body.name,
        "scopes": list(body.scopes),
        "location_ids": body.location_ids,
        "created_by": admin.agent_id,
        "created_at": now(),
        "expires_at": datetime.fromtimestamp(time.time() + ttl, UTC),
        "revoked_at": None,
    }
    return record, token


def public_token(record: Document) -> dict[str, Any]:
    return directory.public(record)


def admins_only(actor: Actor) -> None:
    actor.require("admin")


@dataclass
class SignedIn:
    """A session just opened: the token (sent back as a cookie too), its CSRF companion and who it is."""

    token: str
    csrf: str
    actor: Actor


@dataclass
class Access:
    """Sign-in, passwords, API tokens and the audit trail as the HTTP surface serves them."""

    repository: DirectoryRepository
    settings: InboxSettings
    secret: str
    revocations: Revocations
    epochs: SessionEpochs

    async def sign_in(self, limits: ClientLimits, client: str, email: str, password: str) -> SignedIn:
        """Exchange an agent's email and password for a signed token, unless the client address asks too
        often or failed too often (on any account), or the account must still wait."""
        attempts = Limit("sign-in", self.settings.login_per_minute, 60.0)
        failed = Limit(
            "sign-in-failures",
            self.settings.login_failures_per_address,
            self.settings.login_address_window_minutes * 60,
        )
        if wait := await limits.hit(attempts, client):
            raise _too_many(
                "Too many requests", f"Too many sign-in attempts from your address; try again in {wait:.0f} s.", wait
            )
        if wait := await limits.check(failed, client):
            raise _too_many(
                "Too many failed sign-ins",
                f"Too many failed sign-ins from your address; try again in {math.ceil(wait / 60)} minute(s).",
                wait,
            )
        try:
            actor = await sign_in(self.repository, self.settings, email, password)
        except Problem as problem:
            if problem.status == 401:
                await limits.hit(failed, client)
            raise
        token = issue_token(actor, self.secret)
        return SignedIn(token=token, csrf=csrf_token(token, self.secret), actor=actor)

    async def sign_out(self, actor: Actor) -> None:
        """End this session everywhere: its token is revoked (every service refuses it within seconds)."""
        if actor.token_id:
            await self.revocations.revoke(actor.token_id)

    async def change_password(self, actor: Actor, current: str, new: str) -> SignedIn:
        """The current password must be given (a borrowed session cannot change it); wrong ones count
        towards the account's lock-out like failed sign-ins. The change ends every session of the agent
        (whoever knew the old password is out); this one goes on with the new session returned."""
        try:
            fresh = await sign_in(self.repository, self.settings, actor.email, current)
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
        await self.repository.set("agents", actor.agent_id, {"password_hash": directory.hash_password(new)})
        await self.repository.insert("audit", audit_entry(actor, "agent.password_changed", f"agent:{actor.agent_id}"))
        epoch = await directory.end_sessions(self.repository, self.epochs, actor.agent_id)
        if actor.token_id:
            await self.revocations.revoke(actor.token_id)
        token = issue_token(fresh.model_copy(update={"session_epoch": epoch or 0}), self.secret)
        return SignedIn(token=token, csrf=csrf_token(token, self.secret), actor=fresh)

    async def create_api_token(self, actor: Actor, body: ApiTokenIn) -> dict[str, Any]:
        """A token for an integration; the token itself is shown only in this answer."""
        admins_only(actor)
        record, token = new_api_token(body, actor, self.secret)
        await self.repository.insert("api_tokens", record)
        await self.repository.insert("audit", audit_entry(actor, "api_token.create", f"api_token:{record['_id']}"))
        return {**public_token(record), "token": token}

    async def api_tokens(self, actor: Actor) -> list[dict[str, Any]]:
        admins_only(actor)
        return [public_token(record) for record in await self.repository.all("api_tokens")]

    async def revoke_api_token(self, actor: Actor, token_id: str) -> None:
        admins_only(actor)
        if await self.repository.get("api_tokens", token_id) is None:
            raise Problem(404, "Not found", f"No API token has the id {token_id!r}.")
        await self.revocations.revoke(token_id)
        await self.repository.set("api_tokens", token_id, {"revoked_at": now()})
        await self.repository.insert("audit", audit_entry(actor, "api_token.revoke", f"api_token:{token_id}"))

    async def audit_trail(self, actor: Actor, before: str | None, limit: int) -> dict[str, Any]:
        """Admin actions, newest first; `next` is the `before` of the following page."""
        admins_only(actor)
        entries = await self.repository.audit_page(before, limit)
        return {
            "items": [directory.public(entry) for entry in entries],
            "next": str(entries[-1]["_id"]) if len(entries) == limit else None,
        }


def access_of(request: Request, runtime: RuntimeDep) -> Access:
    settings: InboxSettings = request.app.state.inbox_settings
    return Access(
        DirectoryRepository(runtime.db),
        settings,
        runtime.settings.secret_key.get_secret_value(),
        revocations_of(request),
        epochs_of(request),
    )


AccessDep = Annotated[Access, Depends(access_of)]
