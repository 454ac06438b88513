"""The inbox's background jobs: the snooze sweep, the request gauges, completing older documents, the first admin."""

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from shared.bus import (
    utcnow,
)
from shared.runtime import Runtime

from .conversations import views
from .conversations.repository import CLAIM_LEASE, conversation_repository
from .conversations.service import inbox_for
from .directory.repository import DirectoryRepository
from .directory.service import ensure_bootstrap_admin
from .metrics import GAUGED_VIEWS, OLDEST_UNANSWERED_ALERT, REQUESTS
from .settings import InboxSettings

log = logging.getLogger(__name__)


THOROUGH_SWEEP_SECONDS = 60.0


def snooze_sweep(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Every replica sweeps; the versioned update lets exactly one of them reopen each request. Each
    sweep reads the holds ending around now; the first and then one a minute read them all."""

    async def sweep(runtime: Runtime) -> None:
        thorough_every = max(1, round(THOROUGH_SWEEP_SECONDS / settings.snooze_sweep_seconds))
        for n in itertools.count():
            await asyncio.sleep(settings.snooze_sweep_seconds)
            try:
                woken = await inbox_for(runtime, settings).wake_snoozed(utcnow(), thorough=n % thorough_every == 0)
            except Exception:
                log.warning("snooze sweep failed", exc_info=True)
                continue
            if woken:
                log.info("reopened snoozed requests", extra={"count": woken})

    return sweep


def count_gauges(settings: InboxSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """Refresh the per-hotel request gauges: one grouped count per hotel of the directory, each an
    equality on the indexed hotel, every `HUB_INBOX_COUNT_METRICS_SECONDS`."""

    async def refresh(runtime: Runtime) -> None:
        repository = conversation_repository(runtime.db, runtime.settings.mongo_flavour)
        directory = DirectoryRepository(runtime.db)
        while True:
            try:
                for location in await directory.all("locations"):
                    hotel = str(location["_id"])
                    totals = views.totals_of(await repository.state_counts(hotel, None))
                    for view, key in GAUGED_VIEWS.items():
                        REQUESTS.labels(location=hotel, view=view).set(totals.get(key, 0))
                    waiting = [
                        utcnow() - alert["created_at"]
                        for alert in await repository.unanswered_alerts(hotel)
                        if alert.get("status") in ("open", "on_hold") and not alert.get("bot_active")
                    ]
                    oldest = max(waiting).total_seconds() if waiting else 0.0
                    OLDEST_UNANSWERED_ALERT.labels(location=hotel).set(max(oldest, 0.0))
            except Exception:
                log.warning("request gauges not refreshed", exc_info=True)
            await asyncio.sleep(settings.count_metrics_seconds)

    return refresh


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
    while True:
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
