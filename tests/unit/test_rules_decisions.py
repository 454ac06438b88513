"""The automation rules' pure part: every condition and action, the documented order, one pass in which a
rule sees the earlier rules' changes, and which events trigger (or, from rules, are stopped)."""

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from services.inbox.rules import decisions
from services.inbox.rules.decisions import Facts
from services.inbox.rules.schemas import DryRunIn, RuleIn
from shared.bus import (
    AgentRef,
    Channel,
    ConversationAssigned,
    ConversationCreated,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageReceived,
    NoteAdded,
)

REQUEST = Facts(
    location_id="paris-opera",
    channel="email",
    groups=("paris",),
    subject="Problème de chauffage",
    text="Bonjour, la chambre 12 est froide. Late check-out possible ?",
    language="fr-FR",
    rating=2,
    alert=True,
    status="open",
    priority="medium",
    labels=("vip",),
    assigned=False,
    business_hours="closed",
    contact_attributes={"tier": "gold", "nights": 12, "empty": ""},
)

CONDITIONS: list[tuple[dict[str, Any], bool]] = [
    ({"field": "channel", "op": "in", "value": ["email", "form"]}, True),
    ({"field": "channel", "op": "in", "value": ["chat"]}, False),
    ({"field": "location_id", "op": "in", "value": ["paris-opera"]}, True),
    ({"field": "location_id", "op": "in", "value": ["lyon"]}, False),
    ({"field": "group_id", "op": "in", "value": ["paris", "north"]}, True),
    ({"field": "group_id", "op": "in", "value": ["south"]}, False),
    ({"field": "rating", "op": "lte", "value": 2}, True),
    ({"field": "rating", "op": "lte", "value": 1}, False),
    ({"field": "rating", "op": "gte", "value": 2}, True),
    ({"field": "rating", "op": "gte", "value": 3}, False),
    ({"field": "rating", "op": "eq", "value": 2}, True),
    ({"field": "rating", "op": "eq", "value": 5}, False),
    ({"field": "alert", "op": "eq", "value": True}, True),
    ({"field": "alert", "op": "eq", "value": False}, False),
    ({"field": "status", "op": "in", "value": ["open", "on_hold"]}, True),
    ({"field": "status", "op": "in", "value": ["closed"]}, False),
    ({"field": "priority", "op": "in", "value": ["medium"]}, True),
    ({"field": "priority", "op": "in", "value": ["high"]}, False),
    ({"field": "subject", "op": "contains_any", "value": ["probleme"]}, True),  # accents ignored
    ({"field": "subject", "op": "contains_any", "value": ["CHAUFFAGE"]}, True),  # case ignored
    ({"field": "subject", "op": "contains_any", "value": ["chauffe"]}, False),  # whole words only
    ({"field": "subject", "op": "contains_any", "value": ["froide"]}, False),  # the text is not the subject
    ({"field": "text", "op": "contains_any", "value": ["froide"]}, True),
    ({"field": "text", "op": "contains_any", "value": ["late check out"]}, True),  # a phrase, punctuation aside
    ({"field": "text", "op": "contains_any", "value": ["chauffage"]}, True),  # text covers the subject
    ({"field": "text", "op": "contains_any", "value": ["chambre 13", "wifi"]}, False),
    ({"field": "language", "op": "in", "value": ["fr"]}, True),
    ({"field": "language", "op": "in", "value": ["en"]}, False),
    ({"field": "labels", "op": "contains", "value": "vip"}, True),
    ({"field": "labels", "op": "contains", "value": "group"}, False),
    ({"field": "assigned", "op": "eq", "value": False}, True),
    ({"field": "assigned", "op": "eq", "value": True}, False),
    ({"field": "business_hours", "op": "eq", "value": "closed"}, True),
    ({"field": "business_hours", "op": "eq", "value": "open"}, False),
    ({"field": "contact_attribute", "name": "tier", "op": "eq", "value": "gold"}, True),
    ({"field": "contact_attribute", "name": "tier", "op": "eq", "value": "silver"}, False),
    ({"field": "contact_attribute", "name": "nights", "op": "in", "value": [12, 13]}, True),
    ({"field": "contact_attribute", "name": "tier", "op": "in", "value": ["bronze"]}, False),
    ({"field": "contact_attribute", "name": "tier", "op": "exists"}, True),
    ({"field": "contact_attribute", "name": "empty", "op": "exists"}, False),
    ({"field": "contact_attribute", "name": "missing", "op": "exists"}, False),
    ({"field": "unknown", "op": "eq", "value": 1}, False),
]


class TestConditions:
    @pytest.mark.parametrize(("condition", "expected"), CONDITIONS, ids=[str(c) for c, _ in CONDITIONS])
    def test_condition(self, condition: dict[str, Any], expected: bool) -> None:
        assert decisions.holds(condition, REQUEST) is expected
        body = {"name": "r", "on": ["created"], "conditions": [condition], "actions": [{"type": "mark_spam"}]}
        if condition["field"] == "unknown":
            with pytest.raises(ValidationError):
                RuleIn.model_validate(body)
        else:
            RuleIn.model_validate(body)  # every condition tested is one the API takes

    def test_every_condition_field_is_tested(self) -> None:
        tested = {c["field"] for c, _ in CONDITIONS} - {"unknown"}
        assert tested == {
            "channel", "location_id", "group_id", "rating", "alert", "status", "priority", "subject", "text",
            "language", "labels", "assigned", "business_hours", "contact_attribute",
        }  # fmt: skip

    def test_unknown_facts_make_conditions_false(self) -> None:
        unknown = replace(REQUEST, rating=None, language=None, business_hours=None, contact_attributes=None)
        for condition in (
            {"field": "rating", "op": "lte", "value": 5},
            {"field": "language", "op": "in", "value": ["fr"]},
            {"field": "business_hours", "op": "eq", "value": "closed"},
            {"field": "contact_attribute", "name": "tier", "op": "exists"},  # a contacts outage
        ):
            assert decisions.holds(condition, unknown) is False

    def test_all_conditions_must_hold(self) -> None:
        rule = {"conditions": [CONDITIONS[0][0], CONDITIONS[1][0]]}
        assert decisions.matches(rule, REQUEST) is False
        assert decisions.matches({"conditions": []}, REQUEST) is True


ACTIONS: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
    ({"type": "assign_agent", "agent_id": "a1"}, {"assigned": True, "assignee_id": "a1"}),
    (
        {"type": "assign_round_robin", "group_id": "care", "online_only": True},
        {"assigned": True, "assignee_id": None, "round_robin_group": "care"},
    ),
    ({"type": "set_priority", "priority": "high"}, {"priority": "high"}),
    ({"type": "set_priority", "priority": "medium"}, None),  # already so: no action
    ({"type": "add_labels", "labels": ["heating", "vip"]}, {"labels": ["heating", "vip"]}),
    ({"type": "add_labels", "labels": ["vip"]}, None),  # already there: no entry
    ({"type": "reply_template", "template_id": "t1"}, {"reply_template": "t1"}),
    ({"type": "mark_spam"}, {"status": "spam"}),
    ({"type": "hold", "hours": 4}, {"status": "on_hold", "hold_hours": 4}),
    ({"type": "notify_email", "to": "managers"}, {"notify": "managers"}),
]


class TestActions:
    @pytest.mark.parametrize(("action", "expected"), ACTIONS, ids=[str(a) for a, _ in ACTIONS])
    def test_action(self, action: dict[str, Any], expected: dict[str, Any] | None) -> None:
        assert decisions.effect(action, REQUEST) == expected
        english, french = decisions.summary(action)
        assert english
        assert french
        assert english != french
        RuleIn.model_validate({"name": "r", "on": ["created"], "actions": [action]})

    def test_spam_and_hold_do_nothing_twice(self) -> None:
        assert decisions.effect({"type": "mark_spam"}, replace(REQUEST, status="spam")) is None
        assert decisions.effect({"type": "hold", "hours": 1}, replace(REQUEST, status="closed")) is None

    def test_round_robin_summary_names_the_group(self) -> None:
        english, french = decisions.summary({"type": "assign_round_robin", "group_id": "care"})
        assert english == "Next agent in rotation of group care"
        assert "groupe care" in french


def rule(rule_id: str, actions: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"_id": rule_id, "name": rule_id, "on": ["created"], "conditions": [], "actions": actions, **fields}


class TestOrder:
    def test_chain_before_group_then_position_name_id(self) -> None:
        rules = [
            rule("g-0", [], group_id="paris", position=0),
            rule("c-5", [], position=5),
            rule("c-1b", [], position=1, name="b"),
            rule("c-1a-2", [], position=1, name="a"),
            rule("c-1a-1", [], position=1, name="a"),
        ]
        assert [r["_id"] for r in decisions.ordered(rules)] == ["c-1a-1", "c-1a-2", "c-1b", "c-5", "g-0"]

    def test_conflicting_rules_the_later_wins_and_each_sees_the_earlier(self) -> None:
        rules = [
            rule("group-high", [{"type": "set_priority", "priority": "high"}], group_id="paris", position=0),
            rule("chain-low", [{"type": "set_priority", "priority": "low"}], position=9),
            rule(
                "needs-label",
                [{"type": "assign_agent", "agent_id": "a1"}],
                conditions=[{"field": "labels", "op": "contains", "value": "heating"}],
                group_id="paris",
                position=1,
            ),
            rule("labels", [{"type": "add_labels", "labels": ["heating"]}], position=0),
        ]
        plan = decisions.plan(rules, {"created"}, REQUEST)
        assert [f.rule_id for f in plan.fired] == ["labels", "chain-low", "group-high", "needs-label"]
        assert plan.facts.fields() == {
            "status": "open",
            "priority": "high",
            "labels": ["heating", "vip"],
            "assigned": True,
        }

    def test_a_rule_that_changes_nothing_does_not_fire(self) -> None:
        plan = decisions.plan([rule("same", [{"type": "set_priority", "priority": "medium"}])], {"created"}, REQUEST)
        assert plan.fired == []

    def test_group_rules_only_for_their_groups_hotels_and_only_enabled_rules(self) -> None:
        rules = [
            rule("other-group", [{"type": "mark_spam"}], group_id="lyon"),
            rule("disabled", [{"type": "mark_spam"}], enabled=False),
            rule("other-trigger", [{"type": "mark_spam"}], on=["assigned"]),
        ]
        assert decisions.plan(rules, {"created"}, REQUEST).fired == []

    def test_a_later_condition_sees_an_earlier_status(self) -> None:
        rules = [
            rule("spam", [{"type": "mark_spam"}]),
            rule(
                "hold-open",
                [{"type": "hold", "hours": 2}],
                conditions=[{"field": "status", "op": "in", "value": ["open"]}],
                position=1,
            ),
        ]
        assert [f.rule_id for f in decisions.plan(rules, {"created"}, REQUEST).fired] == ["spam"]


ABOUT = {"conversation_id": "c1", "location_id": "paris-opera", "version": 1}


class TestTriggersAndLoopGuard:
    def test_events_trigger(self) -> None:
        assert decisions.triggers_of(ConversationCreated(**ABOUT, channel=Channel.EMAIL, contact_id=None)) == {
            "created"
        }
        assert decisions.triggers_of(MessageReceived(**ABOUT, channel=Channel.EMAIL, message_key="k")) == {
            "guest_message"
        }
        assert decisions.triggers_of(ConversationStatusChanged(**ABOUT, status="closed")) == {"status_changed"}
        assert decisions.triggers_of(ConversationAssigned(**ABOUT, assignee=AgentRef(id="a"))) == {"assigned"}
        assert decisions.triggers_of(ConversationUpdated(**ABOUT, labels=["x"], priority="high")) == {
            "label_added",
            "priority_changed",
        }
        assert decisions.triggers_of(ConversationUpdated(**ABOUT, subject="s")) == set()
        assert decisions.triggers_of(NoteAdded(**ABOUT)) == set()

    def test_the_opening_message_is_no_further_guest_message(self) -> None:
        assert decisions.opened_with({"message_count": 1, "applied_keys": ["k1"]}, "k1")
        assert decisions.opened_with({"message_count": 2, "applied_keys": ["k1", "k2"]}, "k1")
        assert not decisions.opened_with({"message_count": 2, "applied_keys": ["k1", "k2"]}, "k2")

    def test_events_carry_the_rules_that_caused_them(self) -> None:
        event = ConversationUpdated(**ABOUT, labels=["x"], rule_ids=["r1"])
        assert ConversationUpdated.model_validate(event.model_dump(mode="json")).rule_ids == ["r1"]
        assert ConversationUpdated(**ABOUT).rule_ids == []

    def test_would_fire_names_the_rules_the_guard_stops(self) -> None:
        ping = rule("ping", [{"type": "add_labels", "labels": ["a"]}], on=["label_added"])
        pong = rule("pong", [{"type": "add_labels", "labels": ["b"]}], on=["label_added"])
        quiet = rule("quiet", [{"type": "mark_spam"}], on=["created"])
        fired = decisions.would_fire([pong, ping, quiet], {"label_added"}, REQUEST)
        assert [r["_id"] for r in fired] == ["ping", "pong"]

    def test_only_an_agent_of_the_hotel_is_assigned(self) -> None:
        assert decisions.agent_sees({"role": "agent", "location_ids": ["paris-opera"]}, "paris-opera", ())
        assert decisions.agent_sees({"role": "manager", "group_ids": ["paris"]}, "paris-opera", ("paris",))
        assert decisions.agent_sees({"role": "admin"}, "paris-opera", ())
        assert not decisions.agent_sees({"role": "agent", "location_ids": ["lyon"]}, "paris-opera", ("paris",))

    def test_rule_entry_names_the_rule(self) -> None:
        entry = decisions.rule_entry(rule("r1", []), {"type": "mark_spam"}, "rule:k")
        assert entry["kind"] == "rule"
        assert entry["rule_id"] == "r1"
        assert entry["rule_name"] == "r1"
        assert entry["author"] == {"type": "rule", "rule_id": "r1", "name": "r1"}


class TestSchemas:
    @pytest.mark.parametrize(
        "body",
        [
            {"name": "r", "on": [], "actions": [{"type": "mark_spam"}]},
            {"name": "r", "on": ["created"], "actions": []},
            {"name": "r", "on": ["created"], "actions": [{"type": "hold", "hours": 721}]},
            {"name": "r", "on": ["created"], "actions": [{"type": "mark_spam", "extra": 1}]},
            {"name": "r", "on": ["sometimes"], "actions": [{"type": "mark_spam"}]},
            {"name": "", "on": ["created"], "actions": [{"type": "mark_spam"}]},
            {"name": "r", "on": ["created"], "actions": [{"type": "add_labels", "labels": ["x"] * 11}]},
            {"name": "r", "on": ["created"], "actions": [{"type": "mark_spam"}], "loop_guard": {"stopped": 0}},
            {
                "name": "r",
                "on": ["created"],
                "conditions": [{"field": "contact_attribute", "name": "tier", "op": "exists", "value": "x"}],
                "actions": [{"type": "mark_spam"}],
            },
        ],
    )
    def test_refused(self, body: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            RuleIn.model_validate(body)

    def test_dry_run_needs_one_request(self) -> None:
        with pytest.raises(ValidationError):
            DryRunIn.model_validate({"event": "created"})
        with pytest.raises(ValidationError):
            DryRunIn.model_validate({"conversation_id": "c", "request": {"location_id": "x", "channel": "email"}})
        assert DryRunIn.model_validate({"conversation_id": "c"}).event == "created"
