"""Bus handlers of notify: the OUTBOUND work queue, one command at a time per delivery, and the bounces
ingest received for the emails it sent."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from faststream.nats.annotations import NatsMessage

from shared.bus import NOTIFY_BOUNCES, NOTIFY_OUTBOUND, BounceReceived
from shared.messaging import RetryPolicy, durable_subscriber
from shared.ratelimit import RateLimiter
from shared.review_platforms import Connectors, ReviewPlatformSettings
from shared.runtime import Runtime

from .bounces import bounces_for
from .commits import CommitMarks
from .service import notifier_for
from .settings import NotifySettings

log = logging.getLogger(__name__)


def register(runtime: Runtime, settings: NotifySettings) -> CommitMarks:
    """Subscribe to OUTBOUND; returns the commit marks, whose bucket `prepare_commit_marks` creates."""
    limiter = RateLimiter(settings.domain_rate_per_minute, settings.domain_rate_burst)
    commits = CommitMarks(runtime.broker, replicas=runtime.settings.stream_replicas)
    connectors = Connectors(ReviewPlatformSettings())  # kept for the process: Google's token is cached in it
    # Notify's own attempts and back-off for SMTP failures; the server's limit follows them.
    policy = RetryPolicy(
        max_deliver=settings.max_attempts,
        retry_delays_seconds=runtime.policy.retry_delays_seconds,
        ack_wait_seconds=runtime.policy.ack_wait_seconds,
    )

    # A dict, not an OutboundMessage: an invalid command must still be reported failed on its timeline.
    @durable_subscriber(runtime.broker, NOTIFY_OUTBOUND, policy)
    async def on_outbound(body: dict[str, Any], msg: NatsMessage) -> None:
        retry = await notifier_for(runtime, settings, limiter, commits, connectors).deliver(
            body, msg.raw_message.metadata.num_delivered
        )
        if retry is not None:
            # Acknowledged as "try again later"; the retry middleware's ack after this is a no-op.
            await msg.nack(delay=retry.delay)

    @durable_subscriber(runtime.broker, NOTIFY_BOUNCES, runtime.policy)
    async def on_bounce(bounce: BounceReceived) -> None:
        await bounces_for(runtime).receive(bounce)

    return commits


def prepare_commit_marks(commits: CommitMarks) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """At start-up, make sure the marks' bucket exists (retried while NATS is not there yet)."""

    async def prepare(_: Runtime) -> None:
        while True:
            try:
                await commits.ready()
            except Exception:
                log.warning("commit marks bucket not ready yet", exc_info=True)
                await asyncio.sleep(1)
            else:
                return

    return prepare
