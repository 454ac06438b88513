"""The automation rules' pure part: which rules a request's change triggers, whether their conditions
hold, the order they run in, what each action would change, and the loop guard. No I/O here.

Order (the documented way conflicts are resolved):

1. chain rules (no `group_id`) before group rules;
2. then by `position`, lower first;
3. then by `name`, then by `id` (so two rules never tie).

One pass per event: the rules that listen to the event's trigger run in that order, each seeing the
request as the earlier rules of the pass left it (a rule can rely on a label an earlier rule added; a
later `set_priority` overrides an earlier one; an `assign_agent` after a first assignment wins). An
action that would change nothing (the label is there, the priority is already that) is no action: no
timeline entry, no event.

Loop guard: every event a rule's action publishes names the rule (`rule_ids`). The engine runs no pass
for such an event: the rules it would have triggered are "stopped" (counted on the rule and logged), so a
rule re-triggered by its own action, or two rules ping-ponging, stop after one pass.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.bus import (
    ConversationAssigned,
    ConversationCreated,
    ConversationEvent,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageReceived,
    UnknownEvent,
)

TRIGGERS = ("created", "guest_message", "status_changed", "label_added", "assigned", "priority_changed")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Facts:
    """What conditions look at in a request (a stored one, or a sample the dry run was given)."""

    location_id: str
    channel: str
    groups: tuple[str, ...] = ()  # the groups of the request's hotel
    subject: str = ""
    text: str = ""  # the guest's latest message
    language: str | None = None
    rating: int | None = None
    alert: bool = False
    status: str = "open"
    priority: str = "low"  # a new request's, unless it raised an alert
    labels: tuple[str, ...] = ()
    assigned: bool = False
    business_hours: str | None = None  # "open" | "closed" when known
    contact_attributes: Mapping[str, Any] | None = None  # None: no contact, or contacts did not answer

    def fields(self) -> dict[str, Any]:
        """The fields actions change, as the dry run shows them."""
        return {
            "status": self.status,
            "priority": self.priority,
            "labels": list(self.labels),
            "assigned": self.assigned,
        }


# --- conditions ------------------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    """The words of a text, lower case, without accents: "Problème" and "probleme" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain.casefold())


def contains_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether one of the phrases appears in the text as whole words (case- and accent-insensitive)."""
    joined = f" {' '.join(words_of(text))} "
    for phrase in phrases:
        words = words_of(phrase)
        if words and f" {' '.join(words)} " in joined:
            return True
    return False


def _compare(op: str, actual: Any, value: Any) -> bool:
    if op == "eq":
        return bool(actual == value)
    if op == "in":
        return isinstance(value, list) and actual in value
    if actual is None:
        return False
    if op == "lte":
        return bool(actual <= value)
    if op == "gte":
        return bool(actual >= value)
    return False


def _language_matches(language: str | None, wanted: Any) -> bool:
    if not language or not isinstance(wanted, list):
        return False
    primary = language.lower().replace("_", "-").split("-")[0]
    return primary in {str(w).lower() for w in wanted}


def _attribute_holds(condition: Mapping[str, Any], attributes: Mapping[str, Any] | None) -> bool:
    if attributes is None:
        return False
    name = str(condition.get("name") or "")
    op = condition.get("op")
    if op == "exists":
        return name in attributes and attributes[name] not in (None, "")
    if name not in attributes:
        return False
    actual, value = attributes[name], condition.get("value")
    if op == "in":
        return isinstance(value, list) and any(str(actual) == str(v) for v in value)
    return str(actual) == str(value) if op == "eq" else False


def holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    """Whether one condition holds for the request (an unknown field or operator never holds)."""
    name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    match name:
        case "channel":
            return _compare("in", facts.channel, value)
        case "location_id":
            return _compare("in", facts.location_id, value)
        case "group_id":
            return isinstance(value, list) and bool(set(facts.groups) & set(value))
        case "rating":
            return facts.rating is not None and _compare(str(op), facts.rating, value)
        case "alert":
            return facts.alert == bool(value)
        case "status":
            return _compare("in", facts.status, value)
        case "priority":
            return _compare("in", facts.priority, value)
        case "subject":
            return isinstance(value, list) and contains_any(facts.subject, value)
        case "text":
            return isinstance(value, list) and contains_any(f"{facts.subject}\n{facts.text}", value)
        case "language":
            return _language_matches(facts.language, value)
        case "labels":
            return value in facts.labels
        case "assigned":
            return facts.assigned == bool(value)
        case "business_hours":
            return facts.business_hours is not None and facts.business_hours == value
        case "contact_attribute":
            return _attribute_holds(condition, facts.contact_attributes)
    return False


def matches(rule: Mapping[str, Any], facts: Facts) -> bool:
    """All the rule's conditions hold (a rule without conditions matches every request)."""
    return all(holds(condition, facts) for condition in rule.get("conditions") or [])


def needs_contact(rules: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a rule looks at the contact's attributes (only then are contacts asked)."""
    return any(c.get("field") == "contact_attribute" for rule in rules for c in rule.get("conditions") or [])


# --- which rules, in which order --------------------------------------------------------------------------


def order_key(rule: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """Chain rules first, then by position, name and id (see the module's docstring)."""
    return (
        0 if rule.get("group_id") is None else 1,
        int(rule.get("position") or 0),
        str(rule.get("name") or ""),
        str(rule.get("_id") or rule.get("id") or ""),
    )


def ordered(rules: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(rules, key=order_key)


def listens(rule: Mapping[str, Any], triggers: Iterable[str], hotel_groups: Iterable[str]) -> bool:
    """An enabled rule listening to one of the triggers, for this hotel: a chain rule, or a rule of one of
    the hotel's groups."""
    if not rule.get("enabled", True) or not set(rule.get("on") or []) & set(triggers):
        return False
    group_id = rule.get("group_id")
    return group_id is None or group_id in set(hotel_groups)


def triggers_of(event: ConversationEvent | UnknownEvent) -> set[str]:
    """The rule triggers an event is: a new request, a guest's further message, a status an agent set, labels
    or priority changed, an assignment. Other events trigger nothing."""
    if isinstance(event, ConversationCreated):
        return {"created"}
    if isinstance(event, MessageReceived):
        return {"guest_message"}
    if isinstance(event, ConversationStatusChanged):
        return {"status_changed"}
    if isinstance(event, ConversationAssigned):
        return {"assigned"}
    if isinstance(event, ConversationUpdated):
        found = set()
        if event.labels is not None:
            found.add("label_added")
        if event.priority is not None:
            found.add("priority_changed")
        return found
    return set()


def opened_with(document: Mapping[str, Any], message_key: str) -> bool:
    """Whether the guest's message is the one that opened the request (its `created` event triggers rules;
    its `message_received` is no further message)."""
    keys = document.get("applied_keys") or []
    return int(document.get("message_count") or 0) <= 1 or (bool(keys) and keys[0] == message_key)


def would_fire(rules: Iterable[Mapping[str, Any]], triggers: Iterable[str], facts: Facts) -> list[Mapping[str, Any]]:
    """The rules an event would run (the loop guard stops them when the event came from rules)."""
    triggers = set(triggers)
    return [rule for rule in ordered(rules) if listens(rule, triggers, facts.groups) and matches(rule, facts)]


# --- actions and the plan ---------------------------------------------------------------------------------


def effect(action: Mapping[str, Any], facts: Facts) -> dict[str, Any] | None:
    """What an action would change in the request's fields; None: nothing (no entry, no event)."""
    kind = action.get("type")
    if kind == "assign_agent":
        return {"assigned": True, "assignee_id": action.get("agent_id")}
    if kind == "assign_round_robin":
        return {"assigned": True, "assignee_id": None, "round_robin_group": action.get("group_id")}
    if kind == "set_priority":
        return None if action.get("priority") == facts.priority else {"priority": action.get("priority")}
    if kind == "add_labels":
        added = [label for label in action.get("labels") or [] if label not in facts.labels]
        return {"labels": sorted({*facts.labels, *added})} if added else None
    if kind == "mark_spam":
        return None if facts.status == "spam" else {"status": "spam"}
    if kind == "hold":
        if facts.status not in {"open", "on_hold"}:
            return None
        return {"status": "on_hold", "hold_hours": action.get("hours")}
    if kind == "reply_template":
        return {"reply_template": action.get("template_id")}
    if kind == "notify_email":
        return {"notify": action.get("to")}
    return None


def after(facts: Facts, changes: Mapping[str, Any]) -> Facts:
    """The request as a later rule of the pass sees it."""
    updates: dict[str, Any] = {}
    if "priority" in changes:
        updates["priority"] = changes["priority"]
    if "labels" in changes:
        updates["labels"] = tuple(changes["labels"])
    if "status" in changes:
        updates["status"] = changes["status"]
    if changes.get("assigned"):
        updates["assigned"] = True
    return replace(facts, **updates)


def summary(action: Mapping[str, Any]) -> tuple[str, str]:
    """What an action does, in English and French (the dry run and the console say it)."""
    kind = action.get("type")
    match kind:
        case "assign_agent":
            agent = action.get("agent_id")
            return f"Assign to agent {agent}", f"Attribuer à l'agent {agent}"
        case "assign_round_robin":
            group = action.get("group_id")
            online = action.get("online_only")
            where_en = f" of group {group}" if group else " of the hotel"
            where_fr = f" du groupe {group}" if group else " de l'hôtel"
            only_en, only_fr = (" (online only)", " (en ligne seulement)") if online else ("", "")
            return (
                f"Next agent in rotation{where_en}{only_en}",
                f"Prochain agent de la rotation{where_fr}{only_fr}",
            )
        case "set_priority":
            return f"Set priority to {action.get('priority')}", f"Priorité : {action.get('priority')}"
        case "add_labels":
            labels = ", ".join(action.get("labels") or [])
            return f"Add labels: {labels}", f"Ajouter les étiquettes : {labels}"
        case "reply_template":
            template = action.get("template_id")
            return f"Reply with template {template}", f"Répondre avec le modèle {template}"
        case "mark_spam":
            return "Mark as spam", "Marquer comme indésirable"
        case "hold":
            return f"Put on hold for {action.get('hours')} h", f"Mettre en attente {action.get('hours')} h"
        case "notify_email":
            to_en = "the assignee" if action.get("to") == "assignee" else "the managers"
            to_fr = "l'agent attribué" if action.get("to") == "assignee" else "les responsables"
            return f"Email {to_en}", f"Envoyer un email à {to_fr}"
    return str(kind), str(kind)


@dataclass
class PlannedAction:
    action: dict[str, Any]
    changes: dict[str, Any]


@dataclass
class Fired:
    rule: Mapping[str, Any]
    actions: list[PlannedAction] = field(default_factory=list)

    @property
    def rule_id(self) -> str:
        return str(self.rule.get("_id") or self.rule.get("id") or "")


@dataclass
class Plan:
    fired: list[Fired]
    facts: Facts  # the request as the pass leaves it


def plan(rules: Sequence[Mapping[str, Any]], triggers: Iterable[str], facts: Facts) -> Plan:
    """One pass: the rules in order, each matched against the request as the earlier ones left it."""
    triggers = set(triggers)
    fired: list[Fired] = []
    for rule in ordered(rules):
        if not listens(rule, triggers, facts.groups) or not matches(rule, facts):
            continue
        taken = Fired(rule)
        for action in rule.get("actions") or []:
            changes = effect(action, facts)
            if changes is None:
                continue
            taken.actions.append(PlannedAction(dict(action), changes))
            facts = after(facts, changes)
        if taken.actions:
            fired.append(taken)
    return Plan(fired, facts)


def agent_sees(agent: Mapping[str, Any], location_id: str, hotel_groups: Iterable[str]) -> bool:
    """Whether an agent may be given a request of the hotel (an admin, its hotels, or one of its groups)."""
    if agent.get("role") == "admin":
        return True
    return location_id in (agent.get("location_ids") or []) or bool(
        set(agent.get("group_ids") or []) & set(hotel_groups)
    )


def rule_entry(rule: Mapping[str, Any], action: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The timeline entry of an action a rule took (its author is the rule)."""
    rule_id, name = str(rule.get("_id") or rule.get("id")), str(rule.get("name") or "")
    return {
        "kind": "rule",
        "key": key,
        "rule_id": rule_id,
        "rule_name": name,
        "action": dict(action),
        "author": {"type": "rule", "rule_id": rule_id, "name": name},
    }
