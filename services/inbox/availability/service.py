"""Agents' presence: a console with its live stream open says so every `BEAT_SECONDS`; an agent seen within
`ONLINE_SECONDS` is online (the agents list shows it, a round-robin rule may pick among the online only)."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends

from shared.runtime import Runtime, RuntimeDep

from .repository import PresenceRepository

log = logging.getLogger(__name__)

BEAT_SECONDS = 30.0
# Three beats: a console that misses one (a slow write, a reconnect) stays online.
ONLINE_SECONDS = 90.0
ONLINE_WINDOW = timedelta(seconds=ONLINE_SECONDS)
# A beat is written from the live stream's loop: a slow database must not hold the stream's events long.
BEAT_TIMEOUT_SECONDS = 2.0


def online_since(now: datetime) -> datetime:
    """The oldest `seen_at` that still counts as online at `now`."""
    return now - ONLINE_WINDOW


def is_online(seen_at: datetime | None, now: datetime) -> bool:
    return seen_at is not None and seen_at >= online_since(now)


@dataclass
class Presence:
    repository: PresenceRepository

    async def beat(self, agent_id: str, now: datetime) -> None:
        """The agent's console is open now; a failed write is logged, never raised (the stream goes on)."""
        try:
            async with asyncio.timeout(BEAT_TIMEOUT_SECONDS):
                await self.repository.seen(agent_id, now)
        except Exception:
            log.warning("could not record an agent's presence", extra={"agent": agent_id}, exc_info=True)

    async def online(self, agent_ids: list[str], now: datetime) -> set[str]:
        """Which of these agents are online at `now`."""
        return await self.repository.seen_since(agent_ids, online_since(now))


def presence_for(runtime: Runtime) -> Presence:
    return Presence(PresenceRepository(runtime.db))


def presence_of(runtime: RuntimeDep) -> Presence:
    return presence_for(runtime)


PresenceDep = Annotated[Presence, Depends(presence_of)]
