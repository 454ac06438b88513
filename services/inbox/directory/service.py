"""Rules of the inbox's directory: hotels, groups, agents and their sign-in, templates, chain settings."""

import logging
import re
import uuid
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError

from shared.auth import Actor
from shared.db import Document
from shared.problems import Problem

from .repository import AlreadyExistsError, DirectoryRepository
from .schemas import ChainSettings, ContactReason

log = logging.getLogger(__name__)
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


@cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the zoneinfo directories on every call; the set does not change while we run.
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA time zone name this machine knows (e.g. 'Europe/Paris')."""
    return name in _time_zones()


def is_colleague(actor: Actor, agent: Document) -> bool:
    """Whether the actor may see this agent: themselves, anyone sharing one of their hotels, or all (admins)."""
    shared = set(actor.location_ids) & set(agent.get("location_ids") or [])
    return actor.sees_everything or agent["_id"] == actor.agent_id or bool(shared)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def public_agent(document: Document) -> Document:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k not in {"_id", "password_hash"}}}


def public(document: Document) -> Document:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}


async def visible_locations_of(repository: DirectoryRepository, agent: Document) -> list[str]:
    """An agent's own hotels plus every hotel of their groups."""
    locations = set(agent.get("location_ids") or [])
    for group_id in agent.get("group_ids") or []:
        group = await repository.get("location_groups", group_id)
        locations.update((group or {}).get("location_ids") or [])
    return sorted(locations)


async def actor_of(repository: DirectoryRepository, agent: Document) -> Actor:
    return Actor(
        agent_id=str(agent["_id"]),
        name=str(agent["name"]),
        initials=str(agent.get("initials") or initials_of(str(agent["name"]))),
        email=str(agent["email"]),
        role=agent.get("role") or "agent",
        location_ids=await visible_locations_of(repository, agent),
        group_ids=list(agent.get("group_ids") or []),
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
    except AlreadyExistsError:  # another replica created it first
        return
    log.info("created the first admin", extra={"email": agent["email"]})


def readable_settings(stored: Document) -> ChainSettings:
    """The stored settings as the API shows them; a value that no longer validates (written by an
    older version, or by hand) falls back to its default instead of failing every read."""
    try:
        return ChainSettings.model_validate(stored)
    except ValidationError:
        log.warning("stored chain settings do not validate; showing what does")
    reasons = []
    for reason in stored.get("contact_reasons") or []:
        try:
            reasons.append(ContactReason.model_validate(reason))
        except ValidationError:
            continue
    salvaged = ChainSettings(contact_reasons=reasons)
    for field in ("customer_service_email", "alert_rule"):
        try:
            salvaged = ChainSettings.model_validate({**salvaged.model_dump(), field: stored.get(field)})
        except ValidationError:
            continue
    return salvaged
