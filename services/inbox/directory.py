"""Rules of the inbox's directory: hotels, groups, agents and their sign-in, templates, chain settings."""

import re
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth import Actor
from shared.db import Document
from shared.problems import Problem

from .directory_repository import DirectoryRepository

_hasher = PasswordHasher()
# A hash to verify against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
BAD_LOGIN = "The email or the password is wrong."


def initials_of(name: str) -> str:
    """'Anna Martin' -> 'AM', 'Jean-Luc Picard' -> 'JLP' (at most 3 letters)."""
    parts = [p for p in re.split(r"[\s\-]+", name.strip()) if p]
    return "".join(p[0] for p in parts)[:3].upper() or "?"


def fill_template(body: str, values: dict[str, str]) -> str:
    """Replace `{placeholders}` that have a value; leave unknown ones (and any other braces) as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def public_agent(document: Document) -> Document:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k not in {"_id", "password_hash"}}}


def public(document: Document) -> Document:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}


async def visible_locations_of(repository: DirectoryRepository, agent: Document) -> list[str]:
    """An agent's own hotels plus every hotel of their groups."""
    locations = set(agent.get("location_ids", []))
    for group_id in agent.get("group_ids", []):
        group = await repository.get("location_groups", group_id)
        locations.update((group or {}).get("location_ids", []))
    return sorted(locations)


async def actor_of(repository: DirectoryRepository, agent: Document) -> Actor:
    return Actor(
        agent_id=str(agent["_id"]),
        name=str(agent["name"]),
        initials=str(agent.get("initials") or initials_of(str(agent["name"]))),
        email=str(agent["email"]),
        role=agent.get("role", "agent"),
        location_ids=await visible_locations_of(repository, agent),
        group_ids=list(agent.get("group_ids", [])),
    )


async def login(repository: DirectoryRepository, email: str, password: str) -> Actor:
    agent = await repository.agent_by_email(email.lower())
    try:
        _hasher.verify(agent["password_hash"] if agent else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Problem(401, "Unauthorized", BAD_LOGIN) from None
    if agent is None:  # pragma: no cover - the dummy hash never verifies
        raise Problem(401, "Unauthorized", BAD_LOGIN)
    return await actor_of(repository, agent)


def new_agent(fields: dict[str, Any]) -> Document:
    password = fields.pop("password")
    fields["email"] = str(fields["email"]).lower()
    fields["initials"] = (fields.get("initials") or initials_of(fields["name"])).upper()
    return {"_id": uuid.uuid4().hex[:12], **fields, "password_hash": hash_password(password)}


async def ensure_bootstrap_admin(repository: DirectoryRepository, email: str | None, password: str | None) -> None:
    """Create the first admin from settings when the chain has no agent at all (a fresh install)."""
    if not email or not password or await repository.any_agent():
        return
    agent = new_agent(
        {
            "name": "Administrator",
            "email": email,
            "role": "admin",
            "location_ids": [],
            "group_ids": [],
            "notify_on_assignment": False,
            "language": "en",
            "password": password,
        }
    )
    try:
        await repository.insert("agents", agent)
    except Exception:  # noqa: BLE001 - another replica created it first
        return
