"""The inbox's background jobs: the snooze sweep, counters and gauges, the scores, older documents, the first admin."""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from shared.bus import (
    utcnow,
)
from shared.clock import SYSTEM_CLOCK
from shared.leases import RENEW_SECONDS, Lease
from shared.runtime import Runtime, stopping

from .autoreplies.service import auto_replies_for
from .conversations.repository import CLAIM_LEASE, conversation_repository
from .conversations.service import inbox_for
from .counters.service import CounterKeeper
from .directory.repository import DirectoryRepository
from .directory.service import ensure_bootstrap_admin
from .reports.service import score_keeper_for
from .settings import InboxSettings
from .sla.service import sla_sweeper_for

log = logging.getLogger(__name__)


THOROUGH_SWEEP_SECONDS = 60.0
COUNTERS_LEASE = "inbox-counters"
SCORES_LEASE = "inbox-scores"


def snooze_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Every replica sweeps; the versioned update lets exactly one of them reopen each request. Each
    sweep reads the holds ending around now; the first and then one a minute read them all."""

    async def sweep(runtime: Runtime) -> None:
        thorough_every = max(1, round(THOROUGH_SWEEP_SECONDS / settings.snooze_sweep_seconds))
        for n in itertools.count():
            await asyncio.sleep(settings.snooze_sweep_seconds)
            if stopping():
                return
            try:
                woken = await inbox_for(runtime, settings).wake_snoozed(utcnow(), thorough=n % thorough_every == 0)
            except Exception:
                log.warning("snooze sweep failed", exc_info=True)
                continue
            if woken:
                log.info("reopened snoozed requests", extra={"count": woken})

    return sweep


async def _every(seconds: float, turn: Callable[[], Awaitable[int]], failed: str, done: str) -> None:
    """Run `turn` every `seconds` until the service stops, logging `done` with its count when it did something."""
    while not stopping():
        await asyncio.sleep(seconds)
        if stopping():
            return
        try:
            count = await turn()
        except Exception:
            log.warning(failed, exc_info=True)
            continue
        if count:
            log.info(done, extra={"count": count})


class Keeper(Protocol):
    """What holds a lease's work: a turn taken while holding it, and what to drop when losing it."""

    async def turn(self) -> Any: ...
    def step_down(self) -> None: ...


async def _while_leased(runtime: Runtime, name: str, keeper: Keeper, seconds: float) -> None:
    """Take turns of `keeper` in the replica that holds the lease `name`; the other replicas wait (two keepers at
    once would only repeat each other), and a replica that loses the lease steps down."""
    lease = Lease(runtime.broker, name, runtime.settings.stream_replicas)
    try:
        while not stopping():
            if await lease.hold():
                try:
                    await keeper.turn()
                except Exception:
                    log.warning("%s: no turn this time", name, exc_info=True)
            else:
                keeper.step_down()
            await asyncio.sleep(min(seconds, RENEW_SECONDS))
    finally:
        keeper.step_down()
        await lease.release()


def auto_reply_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Publish the automatic review replies whose delay has passed, as often as the snooze sweep; every
    replica sweeps, the versioned update lets one of them send each."""

    async def sweep(runtime: Runtime) -> None:
        replies = auto_replies_for(runtime, settings)
        await _every(
            settings.snooze_sweep_seconds,
            lambda: replies.send_due(utcnow()),
            "automatic reply sweep failed",
            "automatic review replies sent",
        )

    return sweep


def sla_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Mark the response-time targets missed and run the escalation steps due (sla/), as often as the snooze
    sweep; every replica sweeps, the versioned update lets one of them run each step."""

    async def sweep(runtime: Runtime) -> None:
        sweeper = sla_sweeper_for(runtime, settings)
        await _every(
            settings.snooze_sweep_seconds,
            lambda: sweeper.sweep(SYSTEM_CLOCK.now()),
            "SLA sweep failed",
            "response-time targets missed or escalated",
        )

    return sweep


@dataclass
class _Counters:
    """The per-hotel counters' keeper, over every hotel of the directory."""

    keeper: CounterKeeper
    directory: DirectoryRepository

    async def hotels(self) -> list[str]:
        return [str(location["_id"]) for location in await self.directory.all("locations")]

    async def turn(self) -> None:
        await self.keeper.turn(self.hotels)

    def step_down(self) -> None:
        self.keeper.step_down()


def counters_keeper(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Keep the per-hotel counters (counters/) in the replica that holds their lease: fold their changes
    every `counter_fold_seconds`, export the gauges every `count_metrics_seconds`, and reconcile them
    with recounts every `reconcile_seconds` (and when the lease is taken)."""

    async def keep(runtime: Runtime) -> None:
        keeper = CounterKeeper(
            conversation_repository(runtime.db, runtime.settings.mongo_flavour),
            gauge_seconds=settings.count_metrics_seconds,
            reconcile_seconds=settings.reconcile_seconds,
        )
        counters = _Counters(keeper, DirectoryRepository(runtime.db))
        await _while_leased(runtime, COUNTERS_LEASE, counters, settings.counter_fold_seconds)

    return keep


def score_keeper(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Keep the scores per hotel-day (reports/) in the replica that holds their lease: rebuild the hotel-days
    marked by a change every `score_rebuild_seconds`, export the per-hotel score gauges every
    `score_metrics_seconds`."""

    async def keep(runtime: Runtime) -> None:
        keeper = score_keeper_for(runtime, settings.score_metrics_seconds)
        await _while_leased(runtime, SCORES_LEASE, keeper, settings.score_rebuild_seconds)

    return keep


async def fill_derived(runtime: Runtime) -> None:
    """Complete conversations stored by an older version (see `fill_derived`), retrying until it is done."""
    while True:
        try:
            filled = await conversation_repository(runtime.db, runtime.settings.mongo_flavour).fill_derived()
        except Exception:
            log.warning("older conversations not completed yet; retrying", exc_info=True)
            await asyncio.sleep(5)
            continue
        if filled:
            log.info("conversations given their activity day", extra={"count": filled})
        return


async def prune_claims(runtime: Runtime) -> None:
    """Delete the version claims past their lease, every lease: their writers delete the older ones of
    their conversation, but each conversation's latest claim, and a dead writer's, stay until then."""
    repository = conversation_repository(runtime.db, runtime.settings.mongo_flavour)
    while not stopping():
        await asyncio.sleep(CLAIM_LEASE.total_seconds())
        try:
            pruned = await repository.prune_claims(utcnow())
        except Exception:
            log.warning("version claims not pruned", exc_info=True)
            continue
        if pruned:
            log.debug("version claims pruned", extra={"count": pruned})


def bootstrap_admin(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    async def create(runtime: Runtime) -> None:
        password = settings.bootstrap_admin_password.get_secret_value() if settings.bootstrap_admin_password else None
        await ensure_bootstrap_admin(DirectoryRepository(runtime.db), settings.bootstrap_admin_email, password)

    return create
