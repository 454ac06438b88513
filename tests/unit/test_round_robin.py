"""Round-robin assignment's pure rules (who is in a pool, which agent a turn goes to, presence's window) and
the rotation's turn claiming over a repository stand-in: a turn another replica took is never handed out
again, and no turn number is skipped."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from services.inbox.availability.repository import RoundRobinRepository
from services.inbox.availability.service import ONLINE_SECONDS, is_online
from services.inbox.rules import round_robin
from services.inbox.rules.round_robin import (
    RoundRobin,
    agent_for_turn,
    may_take_turns,
    pool_key,
    pool_of,
    sees,
)

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
HOTEL = "paris"


def agent(agent_id: str, **fields: Any) -> dict[str, Any]:
    return {"_id": agent_id, "name": agent_id, "location_ids": [HOTEL], "group_ids": [], **fields}


class TestPool:
    def test_away_and_disabled_agents_take_no_turns(self) -> None:
        assert may_take_turns(agent("a"))
        assert may_take_turns(agent("a", away=False, disabled=False))
        assert not may_take_turns(agent("a", away=True))
        assert not may_take_turns(agent("a", disabled=True))

    def test_an_agent_sees_a_hotel_directly_or_through_one_of_its_groups(self) -> None:
        assert sees(agent("a"), HOTEL, [])
        assert sees(agent("a", location_ids=[], group_ids=["care"]), HOTEL, ["care", "south"])
        assert not sees(agent("a", location_ids=["lyon"], group_ids=["north"]), HOTEL, ["care"])

    def test_the_pool_is_sorted_by_id_without_the_away_and_those_outside_the_group(self) -> None:
        candidates = [
            agent("d", group_ids=["care"]),
            agent("b", group_ids=["care"]),
            agent("c", group_ids=["care"], away=True),
            agent("a"),  # sees the hotel, not in the group
            agent("e", location_ids=[], group_ids=["care"]),  # through the group
        ]
        assert [a["_id"] for a in pool_of(candidates, HOTEL, ["care"], None)] == ["a", "b", "d", "e"]
        assert [a["_id"] for a in pool_of(candidates, HOTEL, ["care"], "care")] == ["b", "d", "e"]

    def test_online_only_keeps_the_online_agents(self) -> None:
        candidates = [agent("a"), agent("b"), agent("c")]
        assert [a["_id"] for a in pool_of(candidates, HOTEL, [], None, online={"c", "a"})] == ["a", "c"]
        assert pool_of(candidates, HOTEL, [], None, online=set()) == []

    def test_a_group_rotation_is_shared_by_its_hotels_and_a_hotel_has_its_own(self) -> None:
        assert pool_key("paris", "care") == pool_key("lyon", "care") == "group:care"
        assert pool_key("paris", None) != pool_key("lyon", None)


class TestRotation:
    def test_turns_walk_the_pool_in_order(self) -> None:
        pool = [agent(x) for x in "abcd"]
        assert [agent_for_turn(pool, n)["_id"] for n in range(9)] == list("abcdabcda")

    def test_consecutive_turns_share_out_evenly(self) -> None:
        pool = [agent(x) for x in "abcd"]
        counts: dict[str, int] = {}
        for n in range(100):
            name = agent_for_turn(pool, n)["_id"]
            counts[name] = counts.get(name, 0) + 1
        assert counts == {"a": 25, "b": 25, "c": 25, "d": 25}


class TestPresence:
    def test_an_agent_seen_within_the_window_is_online(self) -> None:
        assert is_online(NOW - timedelta(seconds=ONLINE_SECONDS), NOW)
        assert not is_online(NOW - timedelta(seconds=ONLINE_SECONDS + 1), NOW)
        assert not is_online(None, NOW)


class Turns:
    """Stands in for the repository: agents, and the turns claimed (by this process or by 'another replica')."""

    def __init__(self, agents: list[dict[str, Any]]) -> None:
        self.agents = agents
        self.claimed: dict[str, dict[str, Any]] = {}
        self.attempts = 0
        self.pruned: list[tuple[str, int]] = []

    async def groups_of(self, location_id: str) -> list[str]:
        return []

    async def candidates(self, location_id: str, hotel_groups: list[str], group_id: str | None) -> list[Any]:
        return list(self.agents)

    async def last_turn(self, pool: str) -> int | None:
        numbers = [turn["n"] for turn in self.claimed.values() if turn["pool"] == pool]
        return max(numbers) if numbers else None

    async def claim(self, pool: str, n: int, agent_id: str, at: datetime) -> bool:
        self.attempts += 1
        if f"{pool}:{n}" in self.claimed:
            return False
        self.claimed[f"{pool}:{n}"] = {"pool": pool, "n": n, "agent_id": agent_id}
        return True

    async def prune(self, pool: str, below: int, before: datetime) -> int:
        self.pruned.append((pool, below))
        return 0


@pytest.fixture(autouse=True)
def forget_turns() -> None:
    round_robin._LAST.turns.clear()


def rotation(turns: Turns) -> RoundRobin:
    return RoundRobin(cast(RoundRobinRepository, turns))


class TestClaims:
    async def test_the_first_turns_go_round_the_pool(self) -> None:
        turns = Turns([agent(x) for x in "cab"])
        names = [(await rotation(turns).next_agent(HOTEL, None, False, NOW) or {})["_id"] for _ in range(4)]
        assert names == ["a", "b", "c", "a"]
        assert sorted(t["n"] for t in turns.claimed.values()) == [0, 1, 2, 3]

    async def test_a_turn_another_replica_took_is_skipped_and_none_left_unclaimed(self) -> None:
        turns = Turns([agent(x) for x in "abcd"])
        assert (await rotation(turns).next_agent(HOTEL, None, False, NOW) or {})["_id"] == "a"  # turn 0, remembered
        key = pool_key(HOTEL, None)
        for n in (1, 2, 3):  # the other replica's turns
            turns.claimed[f"{key}:{n}"] = {"pool": key, "n": n, "agent_id": "x"}
        assert (await rotation(turns).next_agent(HOTEL, None, False, NOW) or {})["_id"] == "a"  # turn 4
        assert sorted(t["n"] for t in turns.claimed.values()) == [0, 1, 2, 3, 4]

    async def test_without_a_remembered_turn_the_last_one_is_read(self) -> None:
        turns = Turns([agent(x) for x in "abcd"])
        key = pool_key(HOTEL, None)
        for n in range(10):
            turns.claimed[f"{key}:{n}"] = {"pool": key, "n": n, "agent_id": "x"}
        assert (await rotation(turns).next_agent(HOTEL, None, False, NOW) or {})["_id"] == "c"  # turn 10
        assert turns.attempts == 1

    async def test_an_empty_pool_takes_no_turn(self) -> None:
        turns = Turns([agent("a", away=True)])
        assert await rotation(turns).next_agent(HOTEL, None, False, NOW) is None
        assert turns.claimed == {}

    async def test_peeking_claims_nothing(self) -> None:
        turns = Turns([agent(x) for x in "ab"])
        assert (await rotation(turns).peek_agent(HOTEL, None, False, NOW) or {})["_id"] == "a"
        assert (await rotation(turns).peek_agent(HOTEL, None, False, NOW) or {})["_id"] == "a"
        assert turns.claimed == {}
        await rotation(turns).next_agent(HOTEL, None, False, NOW)
        assert (await rotation(turns).peek_agent(HOTEL, None, False, NOW) or {})["_id"] == "b"

    async def test_old_turns_are_pruned_as_the_rotation_goes_on(self) -> None:
        turns = Turns([agent("a")])
        key = pool_key(HOTEL, None)
        turns.claimed[f"{key}:{1999}"] = {"pool": key, "n": 1999, "agent_id": "a"}
        await rotation(turns).next_agent(HOTEL, None, False, NOW)  # turn 2000
        assert turns.pruned == [(key, 2000 - round_robin.KEEP_TURNS)]
