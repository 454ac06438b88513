"""Keeping the counters right: folding their deltas, reconciling them with recounts, and the gauges.

All of it runs in the one inbox replica that holds the counters' lease (shared/leases.py): the fold
must have a single writer, and recounts and gauges would only repeat each other on every replica.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.bus import utcnow

from ..conversations import views
from ..conversations.repository import ConversationRepository
from ..metrics import (
    COUNT_DRIFT,
    COUNT_REPAIRS,
    COUNTER_DELTAS_FOLDED,
    COUNTS_RECONCILED,
    GAUGED_VIEWS,
    OLDEST_UNANSWERED_ALERT,
    REQUESTS,
)
from .repository import INTENT_LEASE, CounterRepository, StateCounts, state_of, view_groups

log = logging.getLogger(__name__)

# A difference between the counters and a recount is looked at again after this long: a change in
# flight (its intent recorded, its conversation not written yet), or an intent whose writer died (until
# the fold drops it), is gone by then; a lasting one is drift.
SETTLE_SECONDS = INTENT_LEASE.total_seconds() + 5


async def difference(counters: CounterRepository, hotel: str) -> dict[str, int]:
    """What a recount of the hotel finds that its counters do not (per state; empty when they agree)."""
    counted = await counters.of_hotel(hotel)
    recounted = await counters.recount(hotel)
    return {
        key: recounted[key] - counted[key] for key in set(counted) | set(recounted) if recounted[key] != counted[key]
    }


async def reconcile(
    counters: CounterRepository, hotels: Iterable[str], *, settle_seconds: float = SETTLE_SECONDS
) -> dict[str, dict[str, int]]:
    """Recount the hotels; repair, with a correcting delta, each difference that is the same on a second
    look `settle_seconds` later. Returns the differences repaired, by hotel."""
    first = {hotel: found for hotel in hotels if (found := await difference(counters, hotel))}
    if not first:
        return {}
    await asyncio.sleep(settle_seconds)
    repaired: dict[str, dict[str, int]] = {}
    for hotel, found in first.items():
        if await difference(counters, hotel) == found:
            await counters.correct(hotel, f"reconcile:{hotel}:{uuid.uuid4().hex}", found)
            repaired[hotel] = found
    return repaired


async def reconcile_chain(counters: CounterRepository, *, settle_seconds: float = SETTLE_SECONDS) -> int:
    """Reconcile every hotel that has conversations; returns the drift found (conversations counted in a
    wrong state, summed), which the first reconciliation does not count: it fills in the conversations
    stored before the counters existed."""
    first_time = not await counters.first_reconciliation_done()
    repaired = await reconcile(counters, await counters.hotels_with_conversations(), settle_seconds=settle_seconds)
    drift = 0 if first_time else sum(abs(n) for found in repaired.values() for n in found.values())
    if repaired and not first_time:
        COUNT_REPAIRS.inc(len(repaired))
        log.warning("counters repaired", extra={"hotels": sorted(repaired), "drift": drift})
    if first_time:
        await counters.note_first_reconciliation()
    COUNT_DRIFT.set(drift)
    COUNTS_RECONCILED.set(time.time())
    return drift


def _with_unanswered_alerts(counts: StateCounts) -> bool:
    """Whether a hotel's counts show an alert in the inbox (open or on hold, not the chatbot's)."""
    for key, n in counts.items():
        state = state_of(key)
        if n > 0 and state["alert"] and state["status"] in ("open", "on_hold") and not state["bot_active"]:
            return True
    return False


async def export_gauges(conversations: ConversationRepository, hotels: Iterable[str], now: datetime) -> None:
    """Set the per-hotel request gauges from the counters (one read for the chain), and the age of each
    hotel's oldest unanswered alert (a look-up only for the hotels whose counters show an alert)."""
    chain = await conversations.counters.of_chain()
    for hotel in sorted(set(hotels) | set(chain)):
        counts = chain.get(hotel, StateCounts())
        totals = views.totals_of(view_groups(counts))
        for view, key in GAUGED_VIEWS.items():
            REQUESTS.labels(location=hotel, view=view).set(totals.get(key, 0))
        oldest = 0.0
        if _with_unanswered_alerts(counts):
            waiting = [
                now - alert["created_at"]
                for alert in await conversations.unanswered_alerts(hotel)
                if alert.get("status") in ("open", "on_hold") and not alert.get("bot_active")
            ]
            oldest = max(waiting).total_seconds() if waiting else 0.0
        OLDEST_UNANSWERED_ALERT.labels(location=hotel).set(max(oldest, 0.0))


def clear_gauges() -> None:
    """A replica that does not hold the lease exports no per-hotel series (they would go stale)."""
    REQUESTS.clear()
    OLDEST_UNANSWERED_ALERT.clear()


@dataclass
class CounterKeeper:
    """What the lease holder does each turn: fold, and in their time, gauges and a reconciliation."""

    conversations: ConversationRepository
    gauge_seconds: float
    reconcile_seconds: float
    _last_gauges: float = float("-inf")
    _last_reconciliation: float = float("-inf")
    _reconciling: asyncio.Task[int] | None = field(default=None, repr=False)

    async def turn(self, hotels: Callable[[], Awaitable[list[str]]]) -> None:
        """Fold; export the gauges when due (for every hotel `hotels` names, the directory's, read then only)."""
        folded = await self.conversations.counters.fold()
        COUNTER_DELTAS_FOLDED.inc(folded)
        now = time.monotonic()
        if now - self._last_gauges >= self.gauge_seconds:
            self._last_gauges = now
            await export_gauges(self.conversations, await hotels(), utcnow())
        if now - self._last_reconciliation >= self.reconcile_seconds and not self.reconciling:
            self._last_reconciliation = now
            # In the background: a chain's recount takes minutes, folding goes on meanwhile.
            self._reconciling = asyncio.create_task(reconcile_chain(self.conversations.counters))
            self._reconciling.add_done_callback(_log_failure)

    @property
    def reconciling(self) -> bool:
        return self._reconciling is not None and not self._reconciling.done()

    def step_down(self) -> None:
        """The lease is gone: stop reconciling, stop exporting (another replica does both now)."""
        if self._reconciling is not None:
            self._reconciling.cancel()
        self._reconciling = None
        self._last_gauges = self._last_reconciliation = float("-inf")
        clear_gauges()


def _log_failure(task: "asyncio.Task[int]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("counters not reconciled; next time", exc_info=task.exception())
