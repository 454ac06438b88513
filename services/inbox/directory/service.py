"""Rules of the inbox's directory: hotels, groups, agents and their sign-in, templates, chain settings."""

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from pydantic import ValidationError

from shared.auth import Actor, SessionEpochs, epochs_of
from shared.bus import LocationChanged, LocationExists, LocationExistsRequest, utcnow
from shared.business_hours import BusinessHours, add_business_seconds, zone_of
from shared.db import Document
from shared.messaging import PublishFailedError, publish_event
from shared.problems import Problem
from shared.runtime import Runtime, RuntimeDep

from ..access.audit import audit_entry
from ..availability.service import presence_for
from ..conversations.repository import conversation_repository
from ..sla.targets import forget_hotels
from .repository import CHAIN_SETTINGS_ID, AlreadyExistsError, DirectoryRepository
from .schemas import (
    AgentIn,
    AgentPatch,
    ChainSettings,
    ContactReason,
    GroupIn,
    GroupPatch,
    LocationIn,
    LocationPatch,
    TemplateIn,
    TemplatePatch,
)

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# A hash to verify against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# A placeholder, with the spaces before it (they go when it is left empty) and an optional fallback:
# "{guest_first_name}", "{guest_first_name|Madame, Monsieur}".
_PLACEHOLDER = re.compile(r"(?P<lead>[ \t]*)\{(?P<name>[a-z_]+)(?:\|(?P<fallback>[^{}\n]*))?\}")
# French elision before a value: "de" + a vowel or a mute h -> "d'" ("l'équipe d'Hôtel Opéra").
_DE_BEFORE = re.compile(r"(?<!\w)([Dd])e[ \t]+$")
_ELIDES = re.compile(r"[aeiouhàâäéèêëîïôöùûüœæ]", re.IGNORECASE)
BAD_LOGIN = "The email or the password is wrong."
# What a hotel may leave unset (PATCH with null): the rest always has a value. No business hours: around the clock.
CLEARABLE_HOTEL_FIELDS = frozenset({"short_name", "sender_name", "sender_email", "business_hours"})
# What a manager changes of their own hotels (directly or through their groups): when the desk answers and
# which guests are asked for a rating. Names, senders, time zone and labels are the chain's, for admins.
MANAGER_HOTEL_FIELDS = frozenset({"business_hours", "survey_channels"})


def initials_of(name: str) -> str:
    """'Anna Martin' -> 'AM', 'Jean-Luc Picard' -> 'JLP' (at most 3 letters)."""
    parts = [p for p in re.split(r"[\s\-]+", name.strip()) if p]
    return "".join(p[0] for p in parts)[:3].upper() or "?"


def fill_template(body: str, values: dict[str, str], language: str = "") -> str:
    """Replace the `{placeholders}` named in `values`; leave unknown ones (and any other braces) as written.

    An empty value takes the placeholder's fallback (`{guest_first_name|Madame, Monsieur}`), else goes with
    the spaces before it: a chat's guest often gave no name, and "Bonjour {guest_first_name}," must not
    become "Bonjour ,". In French (`language="fr"`) a "de" before a value starting with a vowel or an h
    is elided: "L'équipe de {hotel_name}" -> "L'équipe d'Hôtel Opéra". Values are inserted, never re-read.
    """
    apostrophe = "’" if "’" in body else "'"  # the template's own typography
    filled, position = "", 0
    for match in _PLACEHOLDER.finditer(body):
        filled += body[position : match.start()]
        position = match.end()
        if match["name"] not in values:
            filled += match.group(0)
            continue
        value = values[match["name"]].strip() or (match["fallback"] or "").strip()
        if not value:
            continue
        filled += match["lead"]
        if language == "fr" and _ELIDES.match(value) and (de := _DE_BEFORE.search(filled)):
            filled = f"{filled[: de.start()]}{de[1]}{apostrophe}"
        filled += value
    return filled + body[position:]


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
    hidden = {"_id", "password_hash"}
    return {
        "id": document["_id"],
        **{k: v for k, v in document.items() if k not in hidden},
        "away": bool(document.get("away")),
    }


def public(document: Document) -> Document:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}


# Words every hotel's name shares, which tell rows apart no better than nothing.
_GENERIC_WORDS = frozenset({"hotel", "hôtel", "the", "le", "la", "les", "l", "de", "du", "des", "d", "&", "and", "et"})
SHORT_NAME_LENGTH = 14


def short_name_of(name: str) -> str:
    """A hotel's short name from its full one: its distinctive words, as many as fit in 14 characters.

    'Hôtel Lyon Part-Dieu' -> 'Lyon Part-Dieu', 'Le Grand Hôtel de Bordeaux' -> 'Grand Bordeaux',
    'Hotel Marseille Vieux-Port' -> 'Marseille'; a name of generic words alone is cut as it is."""
    words = [word for word in re.split(r"[\s']+", name.strip()) if word]
    distinctive = [word for word in words if word.casefold() not in _GENERIC_WORDS] or words
    short = ""
    for word in distinctive:
        longer = f"{short} {word}".strip()
        if len(longer) > SHORT_NAME_LENGTH:
            break
        short = longer
    return short or (distinctive[0][: SHORT_NAME_LENGTH - 1] + "…" if distinctive else name)


def public_hotel(document: Document) -> Document:
    """A hotel as the API shows it, with a short name (derived from the name when none was set), and its
    business hours and survey channels even when it has never had any (around the clock, no survey)."""
    hotel = public(document)
    hotel["short_name"] = document.get("short_name") or short_name_of(str(document.get("name") or document["_id"]))
    hotel["business_hours"] = document.get("business_hours")
    hotel["survey_channels"] = list(document.get("survey_channels") or [])
    return hotel


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
        session_epoch=int(agent.get("session_epoch") or 0),
    )


async def login(repository: DirectoryRepository, email: str, password: str) -> Actor:
    agent = await repository.agent_by_email(email.lower())
    try:
        _hasher.verify(agent["password_hash"] if agent else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Problem(401, "Unauthorized", BAD_LOGIN) from None
    if agent is None:  # pragma: no cover - the dummy hash never verifies
        raise Problem(401, "Unauthorized", BAD_LOGIN)
    if agent.get("disabled"):  # said only to whoever knows the password
        raise Problem(403, "Forbidden", "This account is disabled; ask an admin.")
    return await actor_of(repository, agent)


async def end_sessions(repository: DirectoryRepository, epochs: SessionEpochs, agent_id: str) -> int | None:
    """Advance the agent's session epoch: every token issued before stops working in every service within
    seconds, open live streams included. The new epoch (None for an unknown agent)."""
    epoch = await repository.advance_session_epoch(agent_id)
    if epoch is None:
        return None
    try:
        await epochs.publish(agent_id, epoch)
    except Exception as exc:
        log.warning("could not publish a session epoch", extra={"agent": agent_id, "error": repr(exc)})
        raise Problem(503, "Service unavailable", "The sessions could not be ended; try again.") from exc
    return epoch


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


# --- the directory as the HTTP surface serves it: each change checked, audited and, for hotels, announced ---


def not_found(kind: str, object_id: str) -> Problem:
    return Problem(404, "Not found", f"No {kind} has the id {object_id!r}.")


def check_time_zone(value: str | None) -> None:
    if value is not None and not is_time_zone(value):
        message = f"{value!r} is not an IANA time zone (e.g. Europe/Paris)."
        # Shaped like a request validation error, so clients read every invalid field the same way.
        raise Problem(
            422, "Invalid request", f"timezone: {message}", errors=[{"field": "timezone", "message": message}]
        )


def check_business_hours(hours: BusinessHours | None, timezone: str | None, now: datetime | None = None) -> None:
    """Refuse hours that never open (closures over every opening for two years): no target could fall due."""
    if hours is None:
        return
    try:
        add_business_seconds(hours, zone_of(timezone), now or datetime.now(UTC), 0)
    except ValueError:
        message = "these hours do not open within the next two years; shorten the closures."
        raise Problem(
            422,
            "Invalid request",
            f"business_hours: {message}",
            errors=[{"field": "business_hours", "message": message}],
        ) from None


def may_edit_hotel(actor: Actor, location_id: str, fields: Iterable[str]) -> None:
    """Admins change any hotel; managers their own hotels' business hours and survey channels, nothing else.
    A manager naming a hotel not theirs is refused alike whether it exists or not."""
    actor.require("manager")
    if actor.sees_everything:
        return
    if not actor.can_see(location_id):
        raise Problem(403, "Forbidden", "Managers change the settings of their own hotels only.")
    if others := sorted(set(fields) - MANAGER_HOTEL_FIELDS):
        named = ", ".join(others)
        raise Problem(
            403,
            "Forbidden",
            f"Managers may change only a hotel's business_hours and survey_channels; {named} are for admins.",
        )


def template_visible(actor: Actor, template: Document) -> bool:
    hotels = template.get("location_ids") or []
    return actor.sees_everything or not hotels or any(actor.can_see(h) for h in hotels)


def may_edit_template(actor: Actor, *hotel_lists: list[str]) -> None:
    """Managers edit templates every hotel of which is theirs; chain-wide templates (no hotels) and any
    other template are for admins. An edit passes both the template's current hotels and the new ones,
    so re-targeting never takes a template away from hotels the manager does not run."""
    actor.require("manager")
    if actor.sees_everything:
        return
    for location_ids in hotel_lists:
        if not location_ids:
            raise Problem(403, "Forbidden", "Chain-wide templates (no hotels) are for admins.")
        if not all(actor.can_see(h) for h in location_ids):
            raise Problem(403, "Forbidden", "Managers edit templates of their own hotels only.")


# What an agent changes of their own record. Not the password: that needs the current one, so only
# `POST /auth/password` changes one's own (a borrowed session must not lock its owner out).
SELF_SERVICE_FIELDS = frozenset({"language", "notify_on_assignment"})
# Changes that end the agent's sessions: a token must not keep rights (or a secret) taken away.
SESSION_ENDING_FIELDS = frozenset({"password", "role", "location_ids", "group_ids", "disabled"})


@dataclass
class Directory:
    """What an agent may read and change of the directory; built per request by `directory_of`."""

    repository: DirectoryRepository
    runtime: Runtime
    epochs: SessionEpochs

    async def _audit(self, actor: Actor, action: str, target: str, fields: Iterable[str] = ()) -> None:
        await self.repository.insert("audit", audit_entry(actor, action, target, list(fields)))

    # --- hotels and groups ------------------------------------------------------------------------

    async def _announce(self, document: Document) -> None:
        """Tell other services what they need of a hotel (contacts reads national phone numbers by its region)."""
        changed = LocationChanged(location_id=document["_id"], default_phone_region=document["default_phone_region"])
        try:
            await publish_event(self.runtime.broker, changed)
        except PublishFailedError:
            # The hotel is saved; until its next edit, contacts reads its numbers in the default region.
            log.warning("could not announce a hotel change", extra={"location": changed.location_id})

    async def _hotel(self, document: Document) -> Document:
        return {**public_hotel(document), "group_ids": await self.repository.groups_of(str(document["_id"]))}

    async def locations(self, actor: Actor) -> list[Document]:
        locations = await self.repository.all("locations")
        groups = await self.repository.groups_by_location()
        return [
            {**public_hotel(loc), "group_ids": groups.get(str(loc["_id"]), [])}
            for loc in locations
            if actor.can_see(str(loc["_id"]))
        ]

    async def create_location(self, actor: Actor, body: LocationIn) -> Document:
        actor.require("admin")
        check_time_zone(body.timezone)
        check_business_hours(body.business_hours, body.timezone)
        fields = body.model_dump(mode="json", exclude={"id"})  # closures' dates as ISO text, as BSON has no date
        try:
            document = await self.repository.insert("locations", {"_id": body.id, **fields})
        except AlreadyExistsError:
            raise Problem(409, "Already exists", f"A hotel with the id {body.id!r} exists already.") from None
        await self._audit(actor, "location.create", f"location:{body.id}", fields)
        await self._announce(document)
        return await self._hotel(document)

    async def location(self, actor: Actor, location_id: str) -> Document:
        document = await self.repository.get("locations", location_id)
        if document is None or not actor.can_see(location_id):
            raise not_found("hotel", location_id)
        return await self._hotel(document)

    async def update_location(self, actor: Actor, location_id: str, body: LocationPatch) -> Document:
        may_edit_hotel(actor, location_id, body.model_fields_set)
        check_time_zone(body.timezone)
        check_business_hours(body.business_hours, body.timezone)
        # A null leaves a field as it is, but clears the optional ones (the short name is then derived
        # again, emails go under the hotel's name and the default address, the desk answers around the
        # clock): the console's settings form sends a field an admin emptied as null.
        # Each sent field whole, with its nested defaults (a closure's end and label): exclude_unset would
        # drop those too. Closures' dates as ISO text (BSON has no date), as the calendar reads them back.
        values = body.model_dump(mode="json")
        changes = {
            key: values[key]
            for key in sorted(body.model_fields_set)
            if values[key] is not None or key in CLEARABLE_HOTEL_FIELDS
        }
        document = await self.repository.set("locations", location_id, changes)
        if document is None:
            raise not_found("hotel", location_id)
        forget_hotels()  # the hours and time zone new targets are computed in (other replicas: within 30 s)
        await self._audit(actor, "location.update", f"location:{location_id}", changes)
        await self._announce(document)
        return await self._hotel(document)

    async def groups(self, actor: Actor) -> list[Document]:
        groups = await self.repository.all("location_groups")
        return [public(g) for g in groups if actor.sees_everything or g["_id"] in actor.group_ids]

    async def create_group(self, actor: Actor, body: GroupIn) -> Document:
        actor.require("admin")
        try:
            document = await self.repository.insert(
                "location_groups", {"_id": body.id, **body.model_dump(exclude={"id"})}
            )
        except AlreadyExistsError:
            raise Problem(409, "Already exists", f"A group with the id {body.id!r} exists already.") from None
        forget_hotels()  # the group's hotels follow its response-time policies from now
        await self._audit(actor, "location_group.create", f"location_group:{body.id}", body.model_fields_set)
        return public(document)

    async def group(self, actor: Actor, group_id: str) -> Document:
        document = await self.repository.get("location_groups", group_id)
        if document is None or not (actor.sees_everything or group_id in actor.group_ids):
            raise not_found("group", group_id)
        return public(document)

    async def update_group(self, actor: Actor, group_id: str, body: GroupPatch) -> Document:
        actor.require("admin")
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        document = await self.repository.set("location_groups", group_id, changes)
        if document is None:
            raise not_found("group", group_id)
        forget_hotels()
        await self._audit(actor, "location_group.update", f"location_group:{group_id}", changes)
        if "location_ids" in changes:  # the group's agents see other hotels now: their tokens list the old ones
            for agent_id in await self.repository.agents_in_group(group_id):
                await end_sessions(self.repository, self.epochs, agent_id)
        return public(document)

    # --- agents -----------------------------------------------------------------------------------

    async def agents(self, actor: Actor) -> list[Document]:
        """Colleagues an agent can assign requests to: those sharing one of their hotels (everyone, for
        admins), each `online` when their console's live stream is open."""
        agents = [a for a in await self.repository.all("agents", limit=5000) if is_colleague(actor, a)]
        online = await presence_for(self.runtime).online([str(a["_id"]) for a in agents], utcnow())
        return [{**public_agent(a), "online": a["_id"] in online} for a in agents]

    async def me(self, actor: Actor) -> Document:
        document = await self.repository.get("agents", actor.agent_id)
        if document is None:
            raise not_found("agent", actor.agent_id)
        return {**public_agent(document), "visible_location_ids": actor.location_ids}

    async def create_agent(self, actor: Actor, body: AgentIn) -> Document:
        actor.require("admin")
        try:
            document = await self.repository.insert("agents", new_agent(body.model_dump()))
        except AlreadyExistsError:
            raise Problem(409, "Already exists", f"An agent with the email {body.email} exists already.") from None
        await self._audit(actor, "agent.create", f"agent:{document['_id']}", body.model_fields_set)
        return public_agent(document)

    async def agent(self, actor: Actor, agent_id: str) -> Document:
        document = await self.repository.get("agents", agent_id)
        if document is None or not is_colleague(actor, document):
            raise not_found("agent", agent_id)
        return public_agent(document)

    async def update_agent(self, actor: Actor, agent_id: str, body: AgentPatch) -> Document:
        """Admins change any agent; an agent changes only their own language and notifications.

        A password is set here only by an admin for another agent (a reset); nobody sets their own here,
        since that needs the current one (`POST /auth/password`)."""
        if agent_id != actor.agent_id:
            actor.require("admin")
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        if agent_id == actor.agent_id and "password" in changes:
            raise Problem(
                403, "Forbidden", "Change your own password with POST /api/v1/auth/password and the current one."
            )
        if agent_id == actor.agent_id and not actor.sees_everything and set(changes) - SELF_SERVICE_FIELDS:
            raise Problem(403, "Forbidden", "Agents may change only their language and notifications here.")
        if agent_id == actor.agent_id and changes.get("disabled"):
            raise Problem(403, "Forbidden", "An admin cannot disable their own account; ask another admin.")
        if "password" in changes:
            changes["password_hash"] = hash_password(changes.pop("password"))
        if changes.get("initials"):
            changes["initials"] = changes["initials"].upper()
        document = await self.repository.set("agents", agent_id, changes)
        if document is None:
            raise not_found("agent", agent_id)
        await self._audit(actor, "agent.update", f"agent:{agent_id}", body.model_fields_set)
        if SESSION_ENDING_FIELDS & set(changes) or "password_hash" in changes:
            await end_sessions(self.repository, self.epochs, agent_id)
            document = await self.repository.get("agents", agent_id) or document
        return public_agent(document)

    async def set_away(self, actor: Actor, away: bool) -> Document:
        """The agent's own away switch: while away, round-robin rules assign them nothing."""
        document = await self.repository.set("agents", actor.agent_id, {"away": away})
        if document is None:
            raise not_found("agent", actor.agent_id)
        await self._audit(actor, "agent.away", f"agent:{actor.agent_id}", ["away"])
        return public_agent(document)

    async def end_agent_sessions(self, actor: Actor, agent_id: str) -> None:
        """Sign an agent out everywhere: admins for anyone, an agent for themselves."""
        if agent_id != actor.agent_id:
            actor.require("admin")
        if await end_sessions(self.repository, self.epochs, agent_id) is None:
            raise not_found("agent", agent_id)
        await self._audit(actor, "agent.sessions_end", f"agent:{agent_id}")

    async def delete_agent(self, actor: Actor, agent_id: str) -> None:
        """Remove an agent (a test account, someone who left): their sessions end first. Admins only, and
        not themselves. Conversations keep the agent's name where they recorded it."""
        actor.require("admin")
        if agent_id == actor.agent_id:
            raise Problem(403, "Forbidden", "An admin cannot delete their own account; ask another admin.")
        if await end_sessions(self.repository, self.epochs, agent_id) is None:
            raise not_found("agent", agent_id)
        await self.repository.delete("agents", agent_id)
        await self._audit(actor, "agent.delete", f"agent:{agent_id}")

    # --- reply templates --------------------------------------------------------------------------

    async def templates(self, actor: Actor) -> list[Document]:
        return [public(t) for t in await self.repository.all("templates") if template_visible(actor, t)]

    async def create_template(self, actor: Actor, body: TemplateIn) -> Document:
        may_edit_template(actor, body.location_ids)
        document = await self.repository.insert("templates", {"_id": uuid.uuid4().hex[:12], **body.model_dump()})
        await self._audit(actor, "template.create", f"template:{document['_id']}", body.model_fields_set)
        return public(document)

    async def _visible_template(self, actor: Actor, template_id: str) -> Document:
        document = await self.repository.get("templates", template_id)
        if document is None or not template_visible(actor, document):
            raise not_found("template", template_id)
        return document

    async def template(self, actor: Actor, template_id: str) -> Document:
        return public(await self._visible_template(actor, template_id))

    async def update_template(self, actor: Actor, template_id: str, body: TemplatePatch) -> Document:
        current = await self._visible_template(actor, template_id)
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        hotels: list[str] = current.get("location_ids") or []
        may_edit_template(actor, hotels, hotels if body.location_ids is None else body.location_ids)
        document = await self.repository.set("templates", template_id, changes)
        await self._audit(actor, "template.update", f"template:{template_id}", changes)
        return public(document or current)

    async def delete_template(self, actor: Actor, template_id: str) -> None:
        current = await self._visible_template(actor, template_id)
        may_edit_template(actor, current.get("location_ids") or [])
        await self.repository.delete("templates", template_id)
        await self._audit(actor, "template.delete", f"template:{template_id}")

    async def render_template(self, actor: Actor, template_id: str, conversation_id: str) -> str:
        """The template filled for a conversation (guest's name, hotel, agent), for the agent to edit and send."""
        template = await self._visible_template(actor, template_id)
        conversations = conversation_repository(self.runtime.db, self.runtime.settings.mongo_flavour)
        conversation = await conversations.get(conversation_id)
        if conversation is None or not actor.can_see(str(conversation["location_id"])):
            raise Problem(404, "Not found", f"No conversation has the id {conversation_id!r}.")
        guest_name = str((conversation.get("guest") or {}).get("name") or "")
        hotel = await self.repository.get("locations", str(conversation["location_id"])) or {}
        values = {
            "guest_name": guest_name,
            "guest_first_name": guest_name.split()[0] if guest_name else "",
            "hotel_name": str(hotel.get("name") or conversation["location_id"]),
            "agent_name": actor.name,
        }
        return fill_template(str(template["body"]), values, str(template.get("language") or ""))

    # --- chain settings ---------------------------------------------------------------------------

    async def chain_settings(self) -> ChainSettings:
        stored = {k: v for k, v in (await self.repository.chain_settings()).items() if k != "_id"}
        return readable_settings(stored)

    async def save_chain_settings(self, actor: Actor, body: ChainSettings) -> ChainSettings:
        # Chain-wide (contact reasons, customer service, alert rule): a manager's change would reach other groups.
        actor.require("admin")
        await self.repository.save_chain_settings({"_id": CHAIN_SETTINGS_ID, **body.model_dump(mode="json")})
        await self._audit(actor, "settings.update", "settings:chain", body.model_fields_set)
        return body


async def location_exists(runtime: Runtime, request: LocationExistsRequest) -> LocationExists:
    """Ingest's question before it accepts a guest's message for a hotel: the directory is the inbox's."""
    document = await DirectoryRepository(runtime.db).get("locations", request.location_id)
    return LocationExists(found=document is not None)


def directory_of(request: Request, runtime: RuntimeDep) -> Directory:
    return Directory(DirectoryRepository(runtime.db), runtime, epochs_of(request))


DirectoryDep = Annotated[Directory, Depends(directory_of)]
