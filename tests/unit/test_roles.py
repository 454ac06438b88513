"""The one role rule (`shared.auth`): each role may do what the roles below it may."""

import pytest

from shared.auth import Actor, Role, at_least
from shared.problems import Problem


def actor(role: Role) -> Actor:
    return Actor(agent_id="a", name="A", initials="A", email="a@test.hotel", role=role, location_ids=["opera"])


class TestRoles:
    @pytest.mark.parametrize(
        ("role", "needed", "allowed"),
        [
            ("agent", "agent", True),
            ("agent", "manager", False),
            ("agent", "admin", False),
            ("manager", "manager", True),
            ("manager", "admin", False),
            ("admin", "manager", True),
            ("admin", "admin", True),
        ],
    )
    def test_a_role_may_what_the_roles_below_it_may(self, role: Role, needed: Role, allowed: bool) -> None:
        assert actor(role).has_role(needed) is allowed
        assert at_least(role, needed) is allowed

    def test_an_unknown_role_ranks_lowest(self) -> None:
        assert not at_least("guest", "agent")

    def test_require_refuses_with_the_roles_allowed(self) -> None:
        with pytest.raises(Problem) as refused:
            actor("agent").require("manager")
        assert refused.value.status == 403
        assert refused.value.detail == "Only managers or admins may do this."
        with pytest.raises(Problem) as refused:
            actor("manager").require("admin")
        assert refused.value.detail == "Only admins may do this."
        actor("admin").require("manager")

    def test_only_admins_see_every_hotel(self) -> None:
        assert actor("admin").sees_everything
        assert actor("admin").can_see("nice")
        assert not actor("manager").sees_everything
        assert not actor("manager").can_see("nice")
