"""Round-robin assignment that holds across inbox replicas: each assignment claims the next turn of its
pool's rotation, and turn `n` goes to the pool's agent at `n % len(pool)` (the pool sorted by id).

A pool is the agents who may take a request of a hotel: not disabled, not away, seeing the hotel (its own
hotels or one of its groups) and, for a group's rotation, in that group; `online_only` keeps those whose
console was seen within availability.service.ONLINE_SECONDS. The rotation is the group's when a group is
named (so a central care team takes turns across its hotels), else the hotel's.

Turns are claimed by a unique insert in `rr_turns` (`_id = "<pool key>:<n>"`): FerretDB v1 has no atomic
counter, and two replicas claiming the same number see one insert fail, the loser moving on to the next.
So a hundred assignments made at once by two replicas take turns 0..99 exactly once each, and four agents
get 25 each. Turn numbers never leave a hole: a replica starts at the last turn it knows of (its own
last claim, remembered `CACHE_SECONDS`, or the rotation's last turn read from the database) plus one and
probes forward on a duplicate, reading the last turn again every `PROBES` duplicates. Old turns are
pruned as the rotation goes on.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.db import Document
from shared.runtime import Runtime

from ..availability.repository import RoundRobinRepository
from ..availability.service import online_since

CACHE_SECONDS = 10.0
PROBES = 4
MAX_ATTEMPTS = 200
# Every PRUNE_EVERY turns, forget those KEEP_TURNS behind and older than KEEP_FOR: a replica's remembered
# last turn (at most CACHE_SECONDS old) is never behind a pruned one, so no pruned number is claimed again.
PRUNE_EVERY = 100
KEEP_TURNS = 1000
KEEP_FOR = timedelta(hours=1)


class NoTurnError(Exception):
    """No turn could be claimed after MAX_ATTEMPTS (the rotation is contended beyond reason): retry later."""


# --- the pure rules -------------------------------------------------------------------------------------


def pool_key(location_id: str, group_id: str | None) -> str:
    """Which rotation an assignment takes its turn in: the group's, else the hotel's."""
    return f"group:{group_id}" if group_id is not None else f"hotel:{location_id}"


def may_take_turns(agent: Document) -> bool:
    """An agent who is neither disabled nor away."""
    return not agent.get("disabled") and not agent.get("away")


def sees(agent: Document, location_id: str, hotel_groups: Iterable[str]) -> bool:
    """Whether the agent sees the hotel: one of their hotels, or through one of the hotel's groups."""
    return location_id in (agent.get("location_ids") or []) or bool(
        set(agent.get("group_ids") or []) & set(hotel_groups)
    )


def pool_of(
    candidates: Iterable[Document],
    location_id: str,
    hotel_groups: Iterable[str],
    group_id: str | None,
    online: set[str] | None = None,
) -> list[Document]:
    """The pool, sorted by agent id: who sees the hotel, is in the group (when one is named), may take
    turns, and is online (when `online` is given: the ids of the online agents)."""
    groups = list(hotel_groups)
    return sorted(
        (
            agent
            for agent in candidates
            if may_take_turns(agent)
            and sees(agent, location_id, groups)
            and (group_id is None or group_id in (agent.get("group_ids") or []))
            and (online is None or str(agent["_id"]) in online)
        ),
        key=lambda agent: str(agent["_id"]),
    )


def agent_for_turn(pool: list[Document], n: int) -> Document:
    """Turn `n`'s agent: the rotation walks the pool in id order."""
    return pool[n % len(pool)]


# --- the rotation -------------------------------------------------------------------------------------


@dataclass
class LastTurns:
    """Each rotation's last turn this process claimed, and until when it is trusted."""

    turns: dict[str, tuple[int, float]] = field(default_factory=dict)

    def get(self, key: str) -> int | None:
        remembered = self.turns.get(key)
        return remembered[0] if remembered is not None and remembered[1] > time.monotonic() else None

    def remember(self, key: str, n: int) -> None:
        if len(self.turns) > 10000:
            self.turns.clear()
        self.turns[key] = (n, time.monotonic() + CACHE_SECONDS)


_LAST = LastTurns()  # shared by the RoundRobins of this process


@dataclass
class RoundRobin:
    repository: RoundRobinRepository
    # The process's remembered turns; a test gives each of two RoundRobins its own, as two replicas have.
    last_turns: LastTurns = field(default_factory=lambda: _LAST)

    async def pool(self, location_id: str, group_id: str | None, online_only: bool, now: datetime) -> list[Document]:
        """Who takes turns for a request of the hotel, sorted by id (see the module's docstring)."""
        hotel_groups = await self.repository.groups_of(location_id)
        candidates = await self.repository.candidates(location_id, hotel_groups, group_id)
        online = None
        if online_only:
            ids = [str(agent["_id"]) for agent in candidates]
            online = await self.repository.presence.seen_since(ids, online_since(now))
        return pool_of(candidates, location_id, hotel_groups, group_id, online)

    async def next_agent(
        self, location_id: str, group_id: str | None, online_only: bool, now: datetime
    ) -> Document | None:
        """Claim the rotation's next turn and answer its agent (the agent document), or None when the pool
        is empty (no turn is taken then). Each call takes a turn: call it once per assignment, not inside a
        `decide` that a version conflict runs again (the turn would go to waste, and the share be uneven)."""
        pool = await self.pool(location_id, group_id, online_only, now)
        if not pool:
            return None
        key = pool_key(location_id, group_id)
        last = self.last_turns.get(key)
        n = (last if last is not None else await self._last_turn(key)) + 1
        for attempt in range(1, MAX_ATTEMPTS + 1):
            agent = agent_for_turn(pool, n)
            if await self.repository.claim(key, n, str(agent["_id"]), now):
                self.last_turns.remember(key, n)
                if n % PRUNE_EVERY == 0 and n >= KEEP_TURNS:
                    await self.repository.prune(key, n - KEEP_TURNS, now - KEEP_FOR)
                return agent
            n += 1  # another replica took it: the next one, never skipping a turn
            if attempt % PROBES == 0:
                n = max(n, await self._last_turn(key) + 1)
        raise NoTurnError(f"no turn of {key} claimed after {MAX_ATTEMPTS} attempts")

    async def peek_agent(
        self, location_id: str, group_id: str | None, online_only: bool, now: datetime
    ) -> Document | None:
        """Who the next turn would go to, claiming nothing (the dry run's answer)."""
        pool = await self.pool(location_id, group_id, online_only, now)
        if not pool:
            return None
        key = pool_key(location_id, group_id)
        last = max(await self._last_turn(key), self.last_turns.get(key) or -1)
        return agent_for_turn(pool, last + 1)

    async def _last_turn(self, key: str) -> int:
        last = await self.repository.last_turn(key)
        return -1 if last is None else last


def round_robin_for(runtime: Runtime) -> RoundRobin:
    """The rotations on the process's database (the rules engine and its dry run build them so)."""
    return RoundRobin(RoundRobinRepository(runtime.db))
