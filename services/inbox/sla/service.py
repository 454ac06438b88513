"""Rules of response-time policies and escalation: who may set which policy, and the sweep that marks
missed targets and runs the escalation steps due (each a versioned change of the request, so with every
replica sweeping, each step runs once)."""

import asyncio
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.auth import Actor
from shared.bus import Channel, ConversationEscalated, OutboundKind, OutboundMessage, SlaTargetMissed, utcnow
from shared.db import Document
from shared.problems import Problem
from shared.runtime import Runtime

from ..conversations.service import Change, Inbox, about, inbox_for
from ..settings import InboxSettings
from . import decisions
from .decisions import Miss, Step, Work
from .repository import SlaRepository
from .schemas import Policy, PolicyIn, PolicyPatch
from .targets import Targets, forget_policies

log = logging.getLogger(__name__)

CARE_KIND = "care"
SETTLED_AT_ONCE = 16  # requests a sweep settles at once (each is a few round trips to the database and the bus)
MAX_WORK_PER_REQUEST = 24  # a miss and ten steps per target, with room for a concurrent writer


# --- who may see and set which policy --------------------------------------------------------------------


def policy_visible(actor: Actor, policy: Document) -> bool:
    """Everyone reads the chain-wide policies and those of their groups; admins every policy."""
    group_id = policy.get("group_id")
    return group_id is None or actor.sees_everything or group_id in actor.group_ids


def may_set(actor: Actor, group_id: str | None) -> None:
    """Managers set the policies of their groups; chain-wide policies, and any group's, are for admins."""
    actor.require("manager")
    if actor.sees_everything:
        return
    if group_id is None:
        raise Problem(403, "Forbidden", "Chain-wide response-time policies (no group) are for admins.")
    if group_id not in actor.group_ids:
        raise Problem(403, "Forbidden", "Managers set the response-time policies of their own groups only.")


def public_policy(document: Document) -> Policy:
    return Policy.model_validate({"id": str(document["_id"]), **document})


@dataclass
class SlaPolicies:
    repository: SlaRepository

    async def list(self, actor: Actor) -> list[Policy]:
        return [public_policy(p) for p in await self.repository.all_policies() if policy_visible(actor, p)]

    async def get(self, actor: Actor, policy_id: str) -> Policy:
        return public_policy(await self._visible(actor, policy_id))

    async def create(self, actor: Actor, body: PolicyIn) -> Policy:
        may_set(actor, body.group_id)
        await self._check_groups(body)
        document = {"_id": uuid.uuid4().hex[:12], **body.model_dump(mode="json"), "created_at": utcnow()}
        await self.repository.insert_policy(document)
        forget_policies()
        return public_policy(document)

    async def update(self, actor: Actor, policy_id: str, patch: PolicyPatch) -> Policy:
        current = await self._visible(actor, policy_id)
        may_set(actor, current.get("group_id"))
        merged = {**public_policy(current).model_dump(exclude={"id"}), **patch.model_dump(exclude_unset=True)}
        try:
            body = PolicyIn.model_validate(merged)
        except ValueError as exc:
            raise Problem(422, "Invalid request", "The policy's fields do not fit together.") from exc
        may_set(actor, body.group_id)
        await self._check_groups(body)
        document = {**current, **body.model_dump(mode="json")}
        await self.repository.replace_policy(document)
        forget_policies()
        return public_policy(document)

    async def delete(self, actor: Actor, policy_id: str) -> None:
        current = await self._visible(actor, policy_id)
        may_set(actor, current.get("group_id"))
        await self.repository.delete_policy(policy_id)
        forget_policies()

    async def _visible(self, actor: Actor, policy_id: str) -> Document:
        policy = await self.repository.policy(policy_id)
        if policy is None or not policy_visible(actor, policy):
            raise Problem(404, "Not found", f"No response-time policy has the id {policy_id!r}.")
        return policy

    async def _check_groups(self, body: PolicyIn) -> None:
        if body.group_id is not None and await self.repository.group(body.group_id) is None:
            raise Problem(422, "Invalid request", f"group_id: no group has the id {body.group_id!r}.")
        for step in body.escalation:
            if step.group_id is None:
                continue
            group = await self.repository.group(step.group_id)
            if group is None or group.get("kind") != CARE_KIND:
                raise Problem(422, "Invalid request", f"escalation: {step.group_id!r} is no customer-care group.")


# --- the escalation emails ------------------------------------------------------------------------------------


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def overdue_notice(document: Document, step: Step, hotel_name: str, due: datetime, language: str) -> tuple[str, str]:
    """The subject and text of an escalation email, in the agents' language: what is late, and why."""
    subject = str(document.get("subject") or "")
    guest = document.get("guest") or {}
    who = str(guest.get("name") or guest.get("email") or "")
    target = (document.get("sla") or {}).get(step.target) or {}
    minutes = duration(int(target.get("minutes") or 0))
    at = due.strftime("%Y-%m-%d %H:%M UTC")
    if language == "fr":
        what = "première réponse" if step.target == "first_response" else "résolution"
        late = "est dépassé" if step.reason == "missed" else "arrive à échéance"
        text = (
            f"{hotel_name} : le délai de {what} de la demande « {subject or '(sans objet)'} »"
            f"{f' de {who}' if who else ''} ({minutes} ouvrées) {late} ({at})."
        )
        return f"Demande en retard : {subject or '(sans objet)'}", text
    what = "first response" if step.target == "first_response" else "resolution"
    late = "was missed" if step.reason == "missed" else "is nearly due"
    text = (
        f'{hotel_name}: the {what} target of the request "{subject or "(no subject)"}"'
        f"{f' from {who}' if who else ''} ({minutes} business time) {late} ({at})."
    )
    return f"Overdue request: {subject or '(no subject)'}", text


def language_of(agents: list[Document]) -> str:
    """The language most of the agents read (French on a tie, the hub's first language)."""
    spoken = Counter(str(agent.get("language") or "fr") for agent in agents)
    return "en" if spoken["en"] > spoken["fr"] else "fr"


@dataclass(frozen=True)
class Notice:
    outbound: OutboundMessage | None
    notified: list[str]


# --- the sweep --------------------------------------------------------------------------------------------------


@dataclass
class SlaSweeper:
    """Marks the targets missed and runs the escalation steps due at `now` (the job's clock, or a test's)."""

    inbox: Inbox
    targets: Targets
    batch: int = 200
    swept_to: datetime | None = None  # the `now` of this sweeper's last sweep that read every request due

    async def sweep(self, now: datetime) -> int:
        """Act on the requests whose check time has come, several at once; how many changes were made."""
        due = await self.targets.repository.due_checks(now, self.batch, since=self.swept_to)
        if len(due) < self.batch:  # a full batch leaves some for the next sweep, which reads from here again
            self.swept_to = max(now, self.swept_to or now)
        at_once = asyncio.Semaphore(SETTLED_AT_ONCE)

        async def settle(conversation_id: str) -> int:
            async with at_once:
                try:
                    return await self._settle(conversation_id, now)
                except Problem as problem:  # erased meanwhile, or changed by too many at once: next sweep
                    log.warning("SLA check skipped", extra={"conversation": conversation_id, "detail": problem.detail})
                    return 0

        return sum(await asyncio.gather(*(settle(conversation_id) for conversation_id in due)))

    async def _settle(self, conversation_id: str, now: datetime) -> int:
        acted = 0
        for _ in range(MAX_WORK_PER_REQUEST):
            document = await self.inbox.repository.get(conversation_id)
            if document is None:
                return acted
            work = decisions.due_work(document, now)
            if work is None:
                if decisions.rescheduled(document):
                    await self.inbox.act(conversation_id, None, lambda d: Change(set=decisions.rescheduled(d)))
                return acted
            notice = await self._notice(document, work)
            _, entries = await self.inbox.act(conversation_id, None, self._decide(work, notice, now))
            acted += bool(entries)
        return acted

    def _decide(self, work: Work, notice: Notice, now: datetime) -> Any:
        def decide(document: Document) -> Change:
            if decisions.due_work(document, now) != work:
                return Change()  # done or changed meanwhile: the loop reads the request again
            if isinstance(work, Miss):
                return Change(
                    event=SlaTargetMissed(**about(document), target=work.target),
                    set=decisions.missed(document, work),
                    entries=[{"kind": "sla", "target": work.target, "state": "missed"}],
                )
            shown = {
                "target": work.target,
                "step": work.index,
                "action": work.action,
                "reason": work.reason,
                "group_id": work.group_id,
                "notified": notice.notified,
            }
            return Change(
                event=ConversationEscalated(**about(document), **shown),
                set=decisions.escalated(document, work, now),
                entries=[{"kind": "escalation", **shown}],
                outbound=notice.outbound,
            )

        return decide

    async def _notice(self, document: Document, work: Work) -> Notice:
        """Who a notifying step emails, and the email; none for other work, or nobody to tell."""
        if not isinstance(work, Step) or work.action not in {"notify_assignee", "notify_managers"}:
            return Notice(None, [])
        location_id = str(document["location_id"])
        hotel = await self.targets.hotel(location_id)
        if work.action == "notify_assignee":
            assignee_id = (document.get("assignee") or {}).get("id") or document.get("assignee_id")
            agent = await self.targets.repository.agent(str(assignee_id)) if assignee_id else None
            agents = [agent] if agent is not None and not agent.get("disabled") else []
        else:
            agents = await self.targets.repository.managers_of(location_id, list(hotel.groups))
        agents = [agent for agent in agents if agent.get("email")]
        if not agents:
            return Notice(None, [])
        target = (document.get("sla") or {}).get(work.target) or {}
        due = target.get("due_at") or utcnow()
        subject, text = overdue_notice(document, work, hotel.name, due, language_of(agents))
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.NOTIFICATION,
            channel=Channel.EMAIL,
            conversation_id=str(document["_id"]),
            location_id=location_id,
            to=[str(agent["email"]) for agent in agents],
            subject=subject,
            text=text,
        )
        return Notice(outbound, [str(agent["_id"]) for agent in agents])


def sla_policies_for(runtime: Runtime) -> SlaPolicies:
    return SlaPolicies(repository=SlaRepository(runtime.db))


def sla_sweeper_for(runtime: Runtime, settings: InboxSettings) -> SlaSweeper:
    repository = SlaRepository(runtime.db, runtime.settings.mongo_flavour)
    return SlaSweeper(inbox=inbox_for(runtime, settings), targets=Targets(repository))
