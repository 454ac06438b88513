"""Agent identity: short-lived tokens signed with the shared key, verifiable by every service.

A token carries who the agent is and the hotels they may see (their own locations plus those of
their groups, expanded at login), so no service needs another's data to scope a request.
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from shared.problems import Problem
from shared.settings import HubSettings

Role = Literal["agent", "manager", "admin"]
TOKEN_TTL_SECONDS = 8 * 3600  # one working shift


class Actor(BaseModel):
    """The agent behind a request."""

    agent_id: str
    name: str
    initials: str
    email: str
    role: Role
    location_ids: list[str]
    group_ids: list[str] = []
    expires_at: int = 0

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin"

    def can_see(self, location_id: str) -> bool:
        return self.sees_everything or location_id in self.location_ids

    def author(self) -> dict[str, str]:
        """How the agent is recorded on timeline entries."""
        return {"type": "agent", "id": self.agent_id, "name": self.name, "initials": self.initials}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(actor: Actor, secret: str, ttl_seconds: int = TOKEN_TTL_SECONDS, now: float | None = None) -> str:
    claims = actor.model_copy(update={"expires_at": int((now or time.time()) + ttl_seconds)})
    payload = _b64(claims.model_dump_json().encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify_token(token: str, secret: str, now: float | None = None) -> Actor:
    """The token's actor; raises Problem(401) when it is malformed, forged or expired."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise Problem(401, "Unauthorized", "The token is not valid; sign in again.")
    try:
        actor = Actor.model_validate(json.loads(_unb64(payload)))
    except (ValueError, ValidationError) as exc:
        raise Problem(401, "Unauthorized", "The token is not valid; sign in again.") from exc
    if actor.expires_at < (now or time.time()):
        raise Problem(401, "Unauthorized", "The session has expired; sign in again.")
    return actor


def current_actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized", "Sign in first: send 'Authorization: Bearer <token>'.")
    settings: HubSettings = request.app.state.runtime.settings
    return verify_token(token.strip(), settings.secret_key.get_secret_value())


ActorDep = Annotated[Actor, Depends(current_actor)]
