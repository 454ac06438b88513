"""Access rules: sign-in with lock-out, API tokens for integrations, and the audit trail of admin actions.

Failed sign-ins are stored (not counted in memory) so every replica locks the same address: after
`login_max_failures` failures within `login_lockout_minutes`, the address is refused until the
oldest of them leaves the window, even with the right password. A success clears its failures.
"""

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.auth import Actor, issue_token
from shared.db import Document
from shared.problems import Problem

from ..directory import service as directory
from ..directory.repository import DirectoryRepository
from ..settings import InboxSettings
from .schemas import ApiTokenIn


def now() -> datetime:
    return datetime.now(UTC)


async def sign_in(repository: DirectoryRepository, settings: InboxSettings, email: str, password: str) -> Actor:
    """The agent behind this email and password, unless the address is locked out by recent failures."""
    email = email.lower()
    moment = now()
    window = timedelta(minutes=settings.login_lockout_minutes)
    failures = await repository.failures_since(email, moment - window)
    if len(failures) >= settings.login_max_failures:
        retry_after = int((min(failures).replace(tzinfo=UTC) + window - moment).total_seconds()) + 1
        raise Problem(
            429,
            "Too many failed sign-ins",
            f"This account is locked after {len(failures)} failed sign-ins; try again in "
            f"{max(1, retry_after // 60)} minute(s) or ask an admin to reset the password.",
            headers={"Retry-After": str(max(1, retry_after))},
        )
    try:
        actor = await directory.login(repository, email, password)
    except Problem:
        await repository.record_failure(email, moment, forget_before=moment - window)
        raise
    if failures:
        await repository.clear_failures(email)
    return actor.model_copy(update={"token_id": "ses_" + uuid.uuid4().hex})


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


def audit_entry(actor: Actor, action: str, target: str, fields: list[str] | None = None) -> Document:
    """What an admin (or manager) changed: who, when, which object, and the names of the fields set.

    Field values are not kept: a password or a secret must never land in the trail. The id starts with
    the time in nanoseconds, so the trail reads newest first by id alone.
    """
    return {
        "_id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}",
        "at": now(),
        "actor": {"id": actor.agent_id, "name": actor.name, "role": actor.role},
        "action": action,
        "target": target,
        "fields": sorted(fields or []),
    }
