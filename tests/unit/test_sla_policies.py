"""Who may see and set which response-time policy (services/inbox/sla/service.py), and the escalation email."""

from datetime import UTC, datetime

import pytest

from services.inbox.sla.decisions import Step
from services.inbox.sla.service import language_of, may_set, overdue_notice, policy_visible
from shared.auth import Actor, Role
from shared.problems import Problem


def actor(role: Role, groups: list[str] | None = None) -> Actor:
    return Actor(
        agent_id="a", name="A", initials="A", email="a@test.hotel", role=role, location_ids=[], group_ids=groups or []
    )


@pytest.mark.parametrize(
    ("role", "groups", "policy_group", "visible", "settable"),
    [
        ("admin", [], None, True, True),
        ("admin", [], "g2", True, True),
        ("manager", ["g1"], "g1", True, True),
        ("manager", ["g1"], "g2", False, False),
        ("manager", ["g1"], None, True, False),
        ("agent", ["g1"], "g1", True, False),
        ("agent", ["g1"], None, True, False),
        ("agent", ["g1"], "g2", False, False),
    ],
)
def test_scoping(role: Role, groups: list[str], policy_group: str | None, visible: bool, settable: bool) -> None:
    who = actor(role, groups)
    assert policy_visible(who, {"_id": "p", "group_id": policy_group}) is visible
    if settable:
        may_set(who, policy_group)
    else:
        with pytest.raises(Problem) as refused:
            may_set(who, policy_group)
        assert refused.value.status == 403


def test_the_email_says_why_in_the_agents_language() -> None:
    due = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    document = {
        "subject": "1 star",
        "guest": {"name": "Sam"},
        "sla": {"first_response": {"minutes": 240, "due_at": due}},
    }
    step = Step(0, "first_response", "notify_managers", None, "missed")
    subject, text = overdue_notice(document, step, "Hotel Opéra", due, "fr")
    assert subject == "Demande en retard : 1 star"
    assert "première réponse" in text
    assert "4 h" in text
    subject, text = overdue_notice(document, step, "Hotel Opera", due, "en")
    assert subject == "Overdue request: 1 star"
    assert "first response target" in text
    assert "was missed" in text
    assert language_of([{"language": "en"}, {"language": "en"}, {"language": "fr"}]) == "en"
    assert language_of([{"language": "en"}, {"language": "fr"}]) == "fr"
