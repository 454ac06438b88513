"""The inbox's background jobs: the snooze sweep, counters and gauges, the scores, older documents, the first admin."""

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

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


def auto_reply_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Publish the automatic review replies whose delay has passed, as often as the snooze sweep; every
    replica sweeps, the versioned update lets one of them send each."""

    async def sweep(runtime: Runtime) -> None:
        while not stopping():
            await asyncio.sleep(settings.snooze_sweep_seconds)
            if stopping():
                return
            try:
                sent = await auto_replies_for(runtime, settings).send_due(utcnow())
            except Exception:
                log.warning("automatic reply sweep failed", exc_info=True)
                continue
            if sent:
                log.info("automatic review replies sent", extra={"count": sent})

    return sweep


def sla_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Mark the response-time targets missed and run the escalation steps due (sla/), as often as the snooze
    sweep; every replica sweeps, the versioned update lets one of them run each step."""

    async def sweep(runtime: Runtime) -> None:
        sweeper = sla_sweeper_for(runtime, settings)
        while not stopping():
            await asyncio.sleep(settings.snooze_sweep_seconds)
            if stopping():
                return
            try:
                acted = await sweeper.sweep(SYSTEM_CLOCK.now())
            except Exception:
                log.warning("SLA sweep failed", exc_info=True)
                continue
            if acted:
                log.info("response-time targets missed or escalated", extra={"count": acted})

    return sweep


def counters_keeper(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Keep the per-hotel counters (counters/) in the replica that holds their lease: fold their changes
    every `counter_fold_seconds`, export the gauges every `count_metrics_seconds`, and reconcile them
    with recounts every `reconcile_seconds` (and when the lease is taken). The other replicas wait."""

    async def keep(runtime: Runtime) -> None:
        lease = Lease(runtime.broker, COUNTERS_LEASE, runtime.settings.stream_replicas)
        keeper = CounterKeeper(
            conversation_repository(runtime.db, runtime.settings.mongo_flavour),
            gauge_seconds=settings.count_metrics_seconds,
            reconcile_seconds=settings.reconcile_seconds,
        )
        directory = DirectoryRepository(runtime.db)

        async def hotels() -> list[str]:
            return [str(location["_id"]) for location in await directory.all("locations")]

        try:
            while not stopping():
                if await lease.hold():
                    try:
                        await keeper.turn(hotels)
                    except Exception:
                        log.warning("counters not kept this turn", exc_info=True)
                else:
                    keeper.step_down()
                await asyncio.sleep(min(settings.counter_fold_seconds, RENEW_SECONDS))
        finally:
            keeper.step_down()
            await lease.release()

    return keep


def score_keeper(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Keep the scores per hotel-day (reports/) in the replica that holds their lease: rebuild the hotel-days
    marked by a change every `score_rebuild_seconds`, export the per-hotel score gauges every
    `score_metrics_seconds`. The other replicas wait (two rebuilds at once would only repeat each other)."""

    async def keep(runtime: Runtime) -> None:
        lease = Lease(runtime.broker, SCORES_LEASE, runtime.settings.stream_replicas)
        keeper = score_keeper_for(runtime, settings.score_metrics_seconds)
        try:
            while not stopping():
                if await lease.hold():
                    try:
                        rebuilt = await keeper.turn()
                    except Exception:
                        log.warning("scores not rebuilt this turn", exc_info=True)
                    else:
                        if rebuilt:
                            log.debug("scores rebuilt", extra={"count": rebuilt})
                else:
                    keeper.step_down()
                await asyncio.sleep(min(settings.score_rebuild_seconds, RENEW_SECONDS))
        finally:
            keeper.step_down()
            await lease.release()

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
