"""Automation rules: who may read and set which rule, the dry run, and the engine that runs one pass of the
rules on a request's event, each action a versioned change through `Inbox.act` (decisions.py holds the
rules of matching, order and the loop guard)."""

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from shared.auth import Actor
from shared.bus import (
    CONTACT_HOTELS,
    Channel,
    ContactHotelsRequest,
    ConversationEvent,
    MessageReceived,
    OutboundKind,
    OutboundMessage,
    UnknownEvent,
    utcnow,
)
from shared.business_hours import is_open
from shared.db import Document
from shared.messaging import rpc
from shared.problems import Problem
from shared.runtime import Runtime

from ..conversations import decisions as conversation_decisions
from ..conversations import schemas as conversation_schemas
from ..conversations import states
from ..conversations.service import Change, Inbox, inbox_for, reply_token
from ..directory.service import fill_template
from ..settings import InboxSettings
from ..sla.repository import SlaRepository
from ..sla.targets import Targets
from . import decisions
from .decisions import Facts, Fired, PlannedAction
from .repository import RuleRepository
from .round_robin import NoTurnError, RoundRobin, round_robin_for
from .schemas import DryRunAction, DryRunIn, DryRunOut, DryRunRule, RuleIn, RuleList, RuleOut, RulePatch

log = logging.getLogger(__name__)

CACHE_SECONDS = 10.0
CONTACTS_TIMEOUT = 1.0  # a rule waits this long for a contact's attributes, then takes them as unknown


# --- the rules, read per event with a short cache (as sla/targets.py) -----------------------------------------


@dataclass
class _Remembered:
    rules: list[Document] | None = None
    until: float = 0.0
    generation: int = 0  # a read begun before a write must not be remembered after it


_CACHE = _Remembered()


def forget_rules() -> None:
    _CACHE.rules, _CACHE.until = None, 0.0
    _CACHE.generation += 1


async def cached_rules(repository: RuleRepository) -> list[Document]:
    if _CACHE.rules is not None and time.monotonic() < _CACHE.until:
        return _CACHE.rules
    generation = _CACHE.generation
    rules = await repository.all_rules()
    if generation == _CACHE.generation:
        _CACHE.rules, _CACHE.until = rules, time.monotonic() + CACHE_SECONDS
    return rules


# --- who may see and set which rule ------------------------------------------------------------------------------


def rule_visible(actor: Actor, rule: Mapping[str, Any]) -> bool:
    """Managers read the chain rules and their groups' rules; admins every rule; agents none."""
    group_id = rule.get("group_id")
    return group_id is None or actor.sees_everything or group_id in actor.group_ids


def may_read(actor: Actor) -> None:
    actor.require("manager")


def may_set(actor: Actor, group_id: str | None) -> None:
    """Managers set their groups' rules; chain rules, and any group's, are for admins."""
    actor.require("manager")
    if actor.sees_everything:
        return
    if group_id is None:
        raise Problem(403, "Forbidden", "Chain rules (no group) are for admins; managers read them only.")
    if group_id not in actor.group_ids:
        raise Problem(403, "Forbidden", "Managers set the rules of their own groups only.")


def public_rule(document: Mapping[str, Any]) -> RuleOut:
    return RuleOut.model_validate({**document, "id": str(document["_id"])})


def _not_found(rule_id: str) -> Problem:
    return Problem(404, "Not found", f"No rule has the id {rule_id!r}.")


# --- the facts a request gives its rules -------------------------------------------------------------------------


def _action_changes(planned: PlannedAction) -> dict[str, Any]:
    """What the dry run shows of an action's changes (fields, not engine markers)."""
    return {k: v for k, v in planned.changes.items() if k != "round_robin_group"}


@dataclass
class Rules:
    repository: RuleRepository
    inbox: Inbox
    targets: Targets
    round_robin: RoundRobin
    contacts_timeout: float = CONTACTS_TIMEOUT
    now: Any = field(default=utcnow)

    # --- CRUD -----------------------------------------------------------------------------------------------

    async def listed(self, actor: Actor, group_id: str | None = None) -> RuleList:
        may_read(actor)
        rules = [r for r in await self.repository.all_rules() if rule_visible(actor, r)]
        if group_id is not None:
            rules = [r for r in rules if r.get("group_id") == group_id]
        return RuleList(items=[public_rule(r) for r in decisions.ordered(rules)])

    async def get(self, actor: Actor, rule_id: str) -> RuleOut:
        may_read(actor)
        return public_rule(await self._visible(actor, rule_id))

    async def create(self, actor: Actor, body: RuleIn) -> RuleOut:
        may_set(actor, body.group_id)
        await self._check(body)
        now = utcnow()
        document = {
            "_id": uuid.uuid4().hex,
            **body.model_dump(mode="json"),
            "loop_guard": {"stopped": 0, "last_at": None, "last_conversation_id": None},
            "fired": 0,
            "created_at": now,
            "updated_at": now,
            "created_by": actor.agent_id,
        }
        await self.repository.insert_rule(document)
        forget_rules()
        return public_rule(document)

    async def update(self, actor: Actor, rule_id: str, patch: RulePatch) -> RuleOut:
        may_read(actor)
        current = await self._visible(actor, rule_id)
        may_set(actor, current.get("group_id"))
        merged = {
            **public_rule(current).model_dump(include=set(RuleIn.model_fields), mode="json"),
            **patch.model_dump(exclude_unset=True, exclude_none=True, mode="json"),
        }
        try:
            body = RuleIn.model_validate(merged)
        except ValidationError as exc:
            raise Problem(422, "Invalid request", "The rule's fields do not fit together.") from exc
        await self._check(body)
        document = {**current, **body.model_dump(mode="json"), "updated_at": utcnow()}
        await self.repository.replace_rule(document)
        forget_rules()
        return public_rule(document)

    async def delete(self, actor: Actor, rule_id: str) -> None:
        may_read(actor)
        current = await self._visible(actor, rule_id)
        may_set(actor, current.get("group_id"))
        await self.repository.delete_rule(rule_id)
        forget_rules()

    async def _visible(self, actor: Actor, rule_id: str) -> Document:
        rule = await self.repository.rule(rule_id)
        if rule is None or not rule_visible(actor, rule):
            raise _not_found(rule_id)
        return rule

    async def _check(self, body: RuleIn) -> None:
        if body.group_id is not None and await self.repository.group(body.group_id) is None:
            raise Problem(422, "Invalid request", f"group_id: no group has the id {body.group_id!r}.")

    # --- facts --------------------------------------------------------------------------------------------------

    async def _attributes(self, contact_id: str | None, location_id: str) -> Mapping[str, Any] | None:
        """The contact's headquarters attributes; None without a contact or when contacts does not answer
        (a condition on them is then false: logged, never an error)."""
        if not contact_id:
            return None
        request = ContactHotelsRequest(contact_id=contact_id, hotels=[location_id], with_attributes=True)
        try:
            card = await rpc(self.inbox.broker, CONTACT_HOTELS, request, timeout=self.contacts_timeout)
        except Exception as exc:  # noqa: BLE001 - an outage makes the condition false, never the pass fail
            log.warning("contacts did not answer for a rule's condition", extra={"error": repr(exc)})
            return None
        return card.attributes if card.found else None

    async def facts_of(self, document: Document, rules: list[Document]) -> Facts:
        location_id = str(document["location_id"])
        hotel = await self.targets.hotel(location_id)
        latest = await self.inbox.repository.latest_guest_message(str(document["_id"])) or {}
        attributes = None
        if decisions.needs_contact(rules):
            attributes = await self._attributes(document.get("contact_id"), location_id)
        return Facts(
            location_id=location_id,
            channel=str(document.get("channel")),
            groups=hotel.groups,
            subject=str(document.get("subject") or ""),
            text=str(latest.get("text") or ""),
            language=latest.get("language") or document.get("language"),
            rating=document.get("rating"),
            alert=bool(document.get("alert")),
            status=str(document.get("status")),
            priority=str(document.get("priority") or "low"),
            labels=tuple(document.get("labels") or []),
            assigned=bool(document.get("assignee")),
            business_hours="open" if is_open(hotel.calendar.hours, hotel.calendar.zone, self.now()) else "closed",
            contact_attributes=attributes,
        )

    # --- the dry run ------------------------------------------------------------------------------------------

    async def dry_run(self, actor: Actor, body: DryRunIn) -> DryRunOut:
        """Which rules would fire, in order, and what they would change: reads only (no entry, no event, no
        counter, no rotation turn)."""
        may_read(actor)
        if body.rules is not None:
            rules: list[Document] = [
                {**rule.model_dump(mode="json"), "_id": f"unsaved-{n}"} for n, rule in enumerate(body.rules)
            ]
        else:
            rules = [r for r in await self.repository.all_rules() if rule_visible(actor, r)]
        if body.conversation_id is not None:
            document = await self.inbox.visible(body.conversation_id, actor)
            facts = await self.facts_of(document, rules)
        else:
            sample = body.request
            if sample is None:  # the schema asks for one of the two
                raise Problem(422, "Invalid request", "Give either conversation_id or request.")
            location_id = sample.location_id
            if not actor.can_see(location_id):
                raise Problem(404, "Not found", f"No hotel has the id {location_id!r}.")
            hotel = await self.targets.hotel(sample.location_id)
            facts = Facts(
                location_id=sample.location_id,
                channel=sample.channel.value,
                groups=hotel.groups,
                subject=sample.subject,
                text=sample.text,
                language=sample.language,
                rating=sample.rating,
                alert=sample.alert,
                status=sample.status,
                priority=sample.priority,
                labels=tuple(sample.labels),
                assigned=sample.assigned,
                business_hours="open" if is_open(hotel.calendar.hours, hotel.calendar.zone, self.now()) else "closed",
                contact_attributes=sample.contact_attributes,
            )
        plan = decisions.plan(rules, {body.event}, facts)
        return DryRunOut(fired=[_dry_rule(fired) for fired in plan.fired], changes=plan.facts.fields())

    # --- the engine ---------------------------------------------------------------------------------------------

    async def on_event(self, event: ConversationEvent | UnknownEvent) -> None:
        """One pass of the rules an event triggers (none for an event rules caused: the loop guard)."""
        triggers = decisions.triggers_of(event)
        if not triggers or isinstance(event, UnknownEvent):
            return
        rules = await cached_rules(self.repository)
        if not rules:  # a chain without rules pays nothing more per event
            return
        groups = (await self.targets.hotel(event.location_id)).groups  # cached per process
        listening = [r for r in rules if decisions.listens(r, triggers, groups)]
        if not listening:  # no request read for an event no rule of its hotel listens to
            return
        document = await self.inbox.repository.get(event.conversation_id)
        if document is None or document.get("status") == states.Status.MERGED.value:
            return
        if document.get("location_id") != event.location_id:  # an event speaks for its own hotel only
            log.warning(
                "event's hotel is not its request's: no rule runs",
                extra={"conversation": event.conversation_id, "hotel": event.location_id},
            )
            return
        if isinstance(event, MessageReceived) and decisions.opened_with(document, event.message_key):
            return
        facts = await self.facts_of(document, listening)
        if event.rule_ids:
            await self._stop(decisions.would_fire(listening, triggers, facts), event.rule_ids, event.conversation_id)
            return
        plan = decisions.plan(listening, triggers, facts)
        for fired in plan.fired:
            acted = False
            for n, planned in enumerate(fired.actions):
                key = f"rule:{event.dedup_key()}:{fired.rule_id}:{n}"
                acted = await self._apply(event.conversation_id, fired, planned, key) or acted
            if acted:
                try:
                    await self.repository.count_fired(fired.rule_id)
                except Exception as exc:  # noqa: BLE001 - a counter, best effort
                    log.warning("rule's count not kept", extra={"rule": fired.rule_id, "error": repr(exc)})

    async def _stop(self, rules: list[Any], caused_by: list[str], conversation_id: str) -> None:
        for rule in rules:
            rule_id = str(rule["_id"])
            log.warning(
                "rule stopped by the loop guard: the event came from rules",
                extra={
                    "rule": rule_id,
                    "rule_name": rule.get("name"),
                    "caused_by": caused_by,
                    "conversation": conversation_id,
                },
            )
            try:
                await self.repository.count_stopped(rule_id, utcnow(), conversation_id)
            except Exception as exc:  # noqa: BLE001 - best effort: the rule is stopped anyway
                log.warning("loop guard's count not kept", extra={"rule": rule_id, "error": repr(exc)})

    async def _apply(self, conversation_id: str, fired: Fired, planned: PlannedAction, key: str) -> bool:
        """Apply one planned action as its own versioned change; True if it changed the request. A redelivered
        event finds the action's entry (by its key) and does nothing again (no second rotation turn)."""
        if await self.inbox.repository.entry_by_key(key) is not None:
            return False
        try:
            decide = await self._decide(conversation_id, fired, planned)
            if decide is None:
                return False
            _, entries = await self.inbox.act(conversation_id, None, _by_rule(decide, fired, planned.action, key))
        except Problem as problem:
            log.warning(
                "a rule's action was not applied",
                extra={"rule": fired.rule_id, "action": planned.action.get("type"), "detail": problem.detail},
            )
            return False
        return bool(entries)

    async def _decide(
        self, conversation_id: str, fired: Fired, planned: PlannedAction
    ) -> conversation_decisions.Decide | None:
        action = planned.action
        kind = action.get("type")
        if kind in {"assign_agent", "assign_round_robin"}:
            agent = await self._assignee(conversation_id, action)
            return conversation_decisions.assign(agent) if agent else None
        if kind == "set_priority":
            request = conversation_schemas.Update(priority=conversation_schemas.Priority(action["priority"]))
            return conversation_decisions.update(request, None)
        if kind == "add_labels":
            return _add_labels(list(action.get("labels") or []))
        if kind == "mark_spam":
            return conversation_decisions.mark_spam
        if kind == "hold":
            until = utcnow() + timedelta(hours=int(action.get("hours") or 1))
            return conversation_decisions.set_status(
                conversation_schemas.SetStatus(status="on_hold", snoozed_until=until)
            )
        if kind == "reply_template":
            return await self._reply(conversation_id, fired, str(action.get("template_id")))
        if kind == "notify_email":
            return await self._notify(conversation_id, fired, str(action.get("to")))
        return None

    async def _assignee(self, conversation_id: str, action: Mapping[str, Any]) -> Document | None:
        document = await self.inbox.repository.get(conversation_id)
        if document is None:
            return None
        location_id = str(document["location_id"])
        if action.get("type") == "assign_agent":
            agent = await self.repository.agent(str(action.get("agent_id")))
            groups = (await self.targets.hotel(location_id)).groups
            if agent is None or agent.get("disabled") or not decisions.agent_sees(agent, location_id, groups):
                log.warning("a rule's agent cannot take the request", extra={"conversation": conversation_id})
                return None
            return agent
        try:
            agent = await self.round_robin.next_agent(
                location_id, action.get("group_id"), bool(action.get("online_only")), utcnow()
            )
        except NoTurnError as exc:
            log.warning("round-robin claimed no turn", extra={"conversation": conversation_id, "error": repr(exc)})
            return None
        if agent is None:
            log.warning("round-robin found nobody to assign", extra={"conversation": conversation_id})
        return agent

    async def _reply(
        self, conversation_id: str, fired: Fired, template_id: str
    ) -> conversation_decisions.Decide | None:
        template = await self.repository.template(template_id)
        document = await self.inbox.repository.get(conversation_id)
        if template is None or document is None:
            return None
        hotels = template.get("location_ids") or []
        if hotels and document["location_id"] not in hotels:
            return None
        guest = document.get("guest") or {}
        hotel = await self.inbox.hotel(str(document["location_id"]))
        values = {"guest_name": str(guest.get("name") or ""), "hotel_name": hotel.name}
        values["guest_first_name"] = values["guest_name"].split(" ")[0] if values["guest_name"] else ""
        text = fill_template(str(template.get("body") or ""), values, str(template.get("language") or ""))
        author = _rule_actor(fired, str(document["location_id"]))
        token = reply_token(conversation_id, self.inbox.secret)
        return conversation_decisions.reply(conversation_schemas.Reply(text=text), author, token, [], [])

    async def _notify(self, conversation_id: str, fired: Fired, to: str) -> conversation_decisions.Decide | None:
        document = await self.inbox.repository.get(conversation_id)
        if document is None:
            return None
        location_id = str(document["location_id"])
        if to == "assignee":
            assignee_id = (document.get("assignee") or {}).get("id")
            agent = await self.repository.agent(str(assignee_id)) if assignee_id else None
            recipients = [agent] if agent else []
        else:
            recipients = await self.repository.managers_of(
                location_id, list((await self.targets.hotel(location_id)).groups)
            )
        emails = [str(a["email"]) for a in recipients if a.get("email")]
        if not emails:
            return None
        subject = str(document.get("subject") or "(no subject)")
        name = str(fired.rule.get("name") or "")
        notice = OutboundMessage(
            key="",
            kind=OutboundKind.NOTIFICATION,
            channel=Channel.EMAIL,
            conversation_id=conversation_id,
            location_id=location_id,
            to=emails[:50],
            subject=f"Rule {name}: {subject}",
            text=f"The rule {name} asks you to look at a guest request.\n\nSubject: {subject}\n\n"
            f"{document.get('snippet', '')}",
            author_name=name,
        )

        def decide(current: Document) -> Change:
            return Change(outbound=notice, entries=[{}])

        return decide


def _rule_actor(fired: Fired, location_id: str) -> Actor:
    """Who the reply's email says wrote it (the rule); never an agent who could be asked for rights."""
    name = str(fired.rule.get("name") or "Rule")
    return Actor(
        agent_id=f"rule:{fired.rule_id}", name=name, initials="", email="", role="agent", location_ids=[location_id]
    )


def _add_labels(labels: list[str]) -> conversation_decisions.Decide:
    def decide(document: Document) -> Change:
        current = list(document.get("labels") or [])
        wanted = sorted({*current, *labels})
        if wanted == sorted(current):
            return Change()
        return conversation_decisions.update(conversation_schemas.Update(labels=wanted), None)(document)

    return decide


def _by_rule(
    decide: conversation_decisions.Decide, fired: Fired, action: Mapping[str, Any], key: str
) -> conversation_decisions.Decide:
    """The change an action makes, as a rule's: one `rule` timeline entry (a reply keeps its message entry
    first, which notify reports on), and its event naming the rule (`rule_ids`, the loop guard's mark)."""

    def by_rule(document: Document) -> Change:
        try:
            change = decide(document)
        except states.IllegalTransitionError:
            return Change()  # e.g. on hold from spam: nothing to do
        if not change.set and not change.entries:
            return change
        entry = decisions.rule_entry(fired.rule, action, key)
        messages = [e for e in change.entries if e.get("kind") == "message"]
        event = change.event.model_copy(update={"rule_ids": [fired.rule_id]}) if change.event else None
        if messages:
            messages[0] = {**messages[0], "author": entry["author"]}
            return Change(event=event, set=change.set, entries=[messages[0], entry], outbound=change.outbound)
        return Change(event=event, set=change.set, entries=[entry], outbound=change.outbound)

    return by_rule


def _dry_rule(fired: Fired) -> DryRunRule:
    return DryRunRule(
        rule_id=fired.rule_id,
        name=str(fired.rule.get("name") or ""),
        group_id=fired.rule.get("group_id"),
        position=int(fired.rule.get("position") or 0),
        actions=[
            DryRunAction(
                type=str(planned.action.get("type")),
                summary_en=decisions.summary(planned.action)[0],
                summary_fr=decisions.summary(planned.action)[1],
                changes=_action_changes(planned),
            )
            for planned in fired.actions
        ],
    )


def rules_for(runtime: Runtime, settings: InboxSettings) -> Rules:
    inbox = inbox_for(runtime, settings)
    return Rules(
        repository=RuleRepository(runtime.db),
        inbox=inbox,
        targets=inbox.sla or Targets(SlaRepository(runtime.db, runtime.settings.mongo_flavour)),
        round_robin=round_robin_for(runtime),
    )
