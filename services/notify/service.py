"""The rules of sending: each outbound command once, retried while the failure is temporary, reported.

A delivery (collection `deliveries`, keyed by the command's key) goes through these states:

    sending ──(4xx, server unreachable)──> retrying ──> sending ...
       ├──(5xx, bad input, out of attempts)──> failed
       └──(commit mark left, then the final `.`, then 250)──> sent

Exactly once: a redelivered command whose delivery is `sent` or `failed` is only reported again.
One found `sending`/`retrying` belongs to an attempt that died. If that attempt had left its commit
mark (commits.py), the server may have the message: it is taken as sent, with a reason saying so,
and never sent twice. If not, the server never got the end of its data, and it is sent again with
the same Message-ID. The trade-off, written down: SMTP cannot be asked whether it took a message,
so some window always remains. Ours is the microseconds between the mark's socket write and the
`.`'s (one event-loop step): a kill exactly there loses that one email, shown "sent" with the
"taken as sent" reason, where the other order would send a guest a second copy. Less likely still:
a NATS connection whose socket is backed up holds the mark in memory, and a kill then means a resend;
a server refusing the message after the `.` while the process dies before reading the answer means
"taken as sent" for a message that was refused.
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from pydantic import ValidationError

from shared.attachments import AttachmentStore
from shared.bus import (
    CHAT_TO_GUEST,
    BotCall,
    Channel,
    ChatToGuest,
    DeliveryFailed,
    DeliveryState,
    OutboundMessage,
    Subjects,
    delivery_status,
    is_location_id,
    utcnow,
)
from shared.db import Document
from shared.messaging import PermanentError, publish_core, publish_event
from shared.ratelimit import RateLimiter
from shared.review_platforms import Connectors, Rejected
from shared.review_platforms import RetryLater as PlatformBusy
from shared.runtime import Runtime

from . import composer, smtp, webhooks
from .commits import CommitMarks, Mark
from .metrics import EMAILS, OUTBOUND, RETRIES
from .repository import DeliveryRepository
from .settings import NotifySettings

log = logging.getLogger(__name__)

BOT_CALL_TYPE = BotCall.model_fields["type"].default  # "outbound.bot_call": every other command is an OutboundMessage

ASSUMED_SENT = "an earlier attempt stopped after handing the message to the SMTP server; taken as sent, not sent twice"


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential back-off after the `attempt`-th failure: base, 2×base, 4×base… at most `cap`."""
    return float(min(base * 2 ** max(attempt - 1, 0), cap))


def review_retry_delay(retry_after: float | None, attempt: int, settings: NotifySettings) -> float:
    """A busy platform is asked again when it said (Retry-After, at most an hour), else after our back-off."""
    if retry_after is not None:
        return min(retry_after, 3600.0)
    return backoff(attempt, settings.retry_base_seconds, settings.retry_max_seconds)


@dataclass(frozen=True)
class RetryLater:
    """A temporary failure: the command comes back after `delay` seconds."""

    delay: float
    reason: str


class Notifier:
    def __init__(
        self,
        repository: DeliveryRepository,
        attachments: AttachmentStore,
        broker: NatsBroker,
        settings: NotifySettings,
        limiter: RateLimiter,
        commits: CommitMarks,
        connectors: Connectors | None = None,
    ) -> None:
        self.connectors = connectors
        self.commits = commits
        self.repository = repository
        self.attachments = attachments
        self.broker = broker
        self.settings = settings
        self.limiter = limiter

    async def deliver(self, body: Mapping[str, Any], attempt: int) -> RetryLater | None:
        """Carry out one outbound command (its `attempt`-th delivery); None when it is done for good.

        Raises PermanentError for a command that cannot be read or ran out of attempts, after
        reporting it failed, so that it is also dead-lettered for an operator.
        """
        if body.get("type") == BOT_CALL_TYPE:
            return await self._call_bot(body, attempt)
        try:
            message = OutboundMessage.model_validate(body)
        except ValidationError as exc:
            await self._report_unreadable(body, exc)
            raise PermanentError(f"invalid outbound command: {exc}") from exc
        delivery = await self.repository.get(message.key)
        if delivery is not None and delivery["state"] in {DeliveryState.SENT, DeliveryState.FAILED}:
            await self._report(message, delivery)  # the report may be what the crash lost
            return None
        if message.channel == Channel.CHAT:
            await self._push_chat(message)
            return None
        if message.channel == Channel.REVIEW:
            return await self._post_review_reply(message, delivery, attempt)
        return await self._send_email(message, delivery, attempt)

    # --- public replies to reviews ----------------------------------------------------------------

    async def _post_review_reply(
        self, message: OutboundMessage, delivery: Document | None, attempt: int
    ) -> RetryLater | None:
        """PUT the reply on the review's platform, or DELETE it (`review_action`). A PUT replaces the reply,
        so one sent twice (a crash between the platform's answer and our record) only publishes the same
        text again; a DELETE sent twice is refused by the platform the second time (nothing left to take
        down), which the inbox does not let hide the first one's success."""
        if delivery is None:
            await self.repository.start({**self._new_delivery(message, state="sending"), "attempt": attempt})
        else:
            await self.repository.update(
                message.key, {"state": "sending", "attempt": attempt, "attempted_at": utcnow()}
            )
        target = message.review
        connector = self.connectors.get(target.platform) if self.connectors and target else None
        if target is None:
            await self._finish(message, DeliveryState.FAILED, "a public reply without the review it answers")
            return None
        if connector is None:
            await self._finish(message, DeliveryState.FAILED, f"No connector for platform {target.platform}")
            return None
        try:
            if message.review_action == "delete":
                await connector.delete_reply(target.review_id, key=message.key)
            else:
                await connector.put_reply(target.review_id, message.text, key=message.key, hotel=message.location_id)
        except Rejected as refusal:
            await self._finish(message, DeliveryState.FAILED, refusal.reason)
            return None
        except PlatformBusy as busy:
            if attempt >= self.settings.max_attempts:
                reason = f"gave up after {attempt} attempts: {busy.reason}"
                await self._finish(message, DeliveryState.FAILED, reason)
                raise PermanentError(reason) from busy
            delay = review_retry_delay(busy.after, attempt, self.settings)
            await self.repository.update(message.key, {"state": "retrying", "reason": busy.reason, "attempt": attempt})
            RETRIES.inc()
            await self._publish_status(
                message, DeliveryState.QUEUED, f"will retry in {delay:g} s: {busy.reason}", attempt=attempt
            )
            return RetryLater(delay=delay, reason=busy.reason)
        await self._finish(message, DeliveryState.SENT, None)
        return None

    # --- chatbots ---------------------------------------------------------------------------------

    async def _call_bot(self, body: Mapping[str, Any], attempt: int) -> RetryLater | None:
        try:
            call = BotCall.model_validate(body)
        except ValidationError as exc:  # no timeline entry to report it on: dead-lettered for an operator
            raise PermanentError(f"invalid chatbot call: {exc}") from exc
        delivery = await self.repository.get(call.key)
        if delivery is not None and delivery["state"] == DeliveryState.SENT:
            return None  # the bot answered an earlier delivery: never called twice
        if delivery is None:
            now = utcnow()
            await self.repository.start(
                {
                    "_id": call.key,
                    "key": call.key,
                    "state": "sending",
                    "kind": "bot_call",
                    "channel": "bot",
                    "event": call.event,
                    "conversation_id": call.conversation_id,
                    "location_id": call.location_id,
                    "attempt": attempt,
                    "attempted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        failure = await webhooks.post(call)
        if failure is None:
            OUTBOUND.labels(channel="bot", kind=call.event, result=DeliveryState.SENT.value).inc()
            await self.repository.update(call.key, {"state": DeliveryState.SENT.value, "attempt": attempt})
            return None
        log.warning("chatbot call failed", extra={"key": call.key, "reason": failure, "attempt": attempt})
        if attempt >= self.settings.max_attempts:
            OUTBOUND.labels(channel="bot", kind=call.event, result=DeliveryState.FAILED.value).inc()
            await self.repository.update(call.key, {"state": DeliveryState.FAILED.value, "reason": failure})
            raise PermanentError(f"gave up calling the chatbot after {attempt} attempts: {failure}")
        await self.repository.update(call.key, {"state": "retrying", "reason": failure, "attempt": attempt})
        RETRIES.inc()
        delay = backoff(attempt, self.settings.retry_base_seconds, self.settings.retry_max_seconds)
        return RetryLater(delay=delay, reason=failure)

    # --- chat -------------------------------------------------------------------------------------

    async def _push_chat(self, message: OutboundMessage) -> None:
        """Push to whichever ingest replica holds the guest's widget; ingest keeps the transcript by key,
        so the guest finds it on their next visit if they are away now."""
        if not message.chat_session_id:
            await self._fail(message, "a chat reply without a chat session")
            return
        push = ChatToGuest(
            key=message.key,
            session_id=message.chat_session_id,
            text=message.text,
            author_name=message.author_name,
            author_kind=message.author_kind,
            attachments=message.attachments,
        )
        await publish_core(self.broker, CHAT_TO_GUEST, push, subject=Subjects.chat_to_guest(message.chat_session_id))
        delivery, _ = await self.repository.start(self._new_delivery(message, state=DeliveryState.SENT))
        if delivery["state"] != DeliveryState.SENT:
            delivery = await self.repository.update(message.key, {"state": DeliveryState.SENT.value}) or delivery
        await self._report(message, delivery)

    # --- email ------------------------------------------------------------------------------------

    async def _send_email(self, message: OutboundMessage, delivery: Document | None, attempt: int) -> RetryLater | None:
        if delivery is None:
            delivery, _ = await self.repository.start(
                {**self._new_delivery(message, state="sending"), "attempt": attempt}
            )
            if delivery["state"] in {DeliveryState.SENT, DeliveryState.FAILED}:
                await self._report(message, delivery)
                return None
        else:
            await self.repository.update(
                message.key, {"state": "sending", "attempt": attempt, "attempted_at": utcnow()}
            )
        commit = int(delivery.get("commits", 0))
        if await self.commits.marked(message.key, commit):
            await self._finish(message, DeliveryState.SENT, ASSUMED_SENT)
            return None
        if not message.to:
            await self._fail(message, "no recipient address")
            return None
        envelope = self._envelope(message)
        files = await self._files(message)
        if isinstance(files, str):
            await self._fail(message, files)
            return None
        content = composer.as_bytes(composer.compose(message, envelope, files))
        await self._respect_rate_limits(message.to)
        try:
            accepted = await smtp.send(
                self.settings,
                envelope.sender_address,
                [str(to) for to in message.to],
                content,
                Mark(self.commits, message.key, commit),
            )
        except smtp.UnconfirmedError as exc:
            reason = f"the SMTP server did not confirm ({exc}); it had the whole message, so it is not sent again"
            await self._finish(message, DeliveryState.SENT, reason)
            return None
        except smtp.SmtpFailure as failure:
            return await self._failed_attempt(message, failure, attempt, commit)
        refusals = "; ".join(f"not accepted for {to}: {why}" for to, why in accepted.refused.items())
        EMAILS.labels(outcome="sent").inc()
        await self._finish(message, DeliveryState.SENT, refusals or None, smtp_response=accepted.response)
        return None

    async def _failed_attempt(
        self, message: OutboundMessage, failure: smtp.SmtpFailure, attempt: int, commit: int
    ) -> RetryLater | None:
        if not failure.temporary:
            await self._fail(message, failure.reason)
            return None
        if attempt >= self.settings.max_attempts:
            reason = f"gave up after {attempt} attempts: {failure.reason}"
            await self._fail(message, reason)
            raise PermanentError(reason)
        # A refusal after the end of data used this attempt's commit claim: the next one needs its own.
        commits = commit + 1 if failure.committed else commit
        await self.repository.update(
            message.key, {"state": "retrying", "reason": failure.reason, "commits": commits, "attempt": attempt}
        )
        RETRIES.inc()
        delay = backoff(attempt, self.settings.retry_base_seconds, self.settings.retry_max_seconds)
        await self._publish_status(
            message,
            DeliveryState.QUEUED,
            f"will retry in {delay:g} s: {failure.reason}",
            attempt=attempt,
        )
        return RetryLater(delay=delay, reason=failure.reason)

    async def _respect_rate_limits(self, recipients: list[str]) -> None:
        # Waiting here keeps the command in progress (its ack deadline is extended meanwhile) rather
        # than spending one of its attempts on a limit of ours.
        for domain in sorted({str(to).rpartition("@")[2].lower() for to in recipients}):
            wait = self.limiter.allow(domain)
            while wait > 0:
                await asyncio.sleep(wait)
                wait = self.limiter.allow(domain)

    def _envelope(self, message: OutboundMessage) -> composer.Envelope:
        """The hotel's sender as the directory gave it on the command; else as the settings say (HUB_NOTIFY_SENDERS,
        then `<hotel id>@<default_sender_domain>`). A name without an address is kept with the fallback address."""
        location_id = message.location_id
        sender = self.settings.senders.get(location_id)
        fallback_name = sender.name if sender else self.settings.default_sender_name
        fallback_address = str(sender.address) if sender else f"{location_id}@{self.settings.default_sender_domain}"
        return composer.Envelope(
            sender_name=message.sender_name or fallback_name,
            sender_address=str(message.sender_address) if message.sender_address else fallback_address,
            reply_domain=self.settings.reply_domain,
            console_url=self.settings.console_url,
        )

    async def _files(self, message: OutboundMessage) -> list[composer.File] | str:
        """The files' bytes, or why they cannot be sent: a file missing, or another hotel's, which is reported
        as missing too (the reason is shown to agents, who must not learn that the id exists elsewhere)."""
        files = []
        for ref in message.attachments:
            found = await self.attachments.read(ref.id)
            if found is None or found[0].location_id != message.location_id:
                return f"attachment {ref.filename!r} ({ref.id}) is missing"
            files.append(composer.File(ref=ref, data=found[1]))
        return files

    # --- records and reports ----------------------------------------------------------------------

    def _new_delivery(self, message: OutboundMessage, *, state: str) -> Document:
        now = utcnow()
        return {
            "_id": message.key,
            "key": message.key,
            "state": state,
            "kind": message.kind.value,
            "channel": message.channel.value,
            "conversation_id": message.conversation_id,
            "location_id": message.location_id,
            "to": [str(to) for to in message.to],
            "message_id": composer.message_id_of(message, self.settings.reply_domain)
            if message.channel == Channel.EMAIL
            else None,
            "commits": 0,
            "attempted_at": now,
            "created_at": now,
            "updated_at": now,
        }

    async def _fail(self, message: OutboundMessage, reason: str) -> None:
        EMAILS.labels(outcome="failed").inc()
        log.warning("delivery failed", extra={"key": message.key, "reason": reason})
        await self._finish(message, DeliveryState.FAILED, reason)

    async def _finish(self, message: OutboundMessage, state: DeliveryState, reason: str | None, **extra: Any) -> None:
        OUTBOUND.labels(channel=message.channel.value, kind=message.kind.value, result=state.value).inc()
        delivery = await self.repository.update(
            message.key, {"state": state.value, "reason": reason, "finished_at": utcnow(), **extra}
        )
        if delivery is None:
            delivery, _ = await self.repository.start({**self._new_delivery(message, state=state), "reason": reason})
        await self._report(message, delivery)

    async def _report(self, message: OutboundMessage, delivery: Document) -> None:
        await self._publish_status(message, DeliveryState(delivery["state"]), delivery.get("reason"))

    async def _publish_status(
        self, message: OutboundMessage, state: DeliveryState, reason: str | None, *, attempt: int | None = None
    ) -> None:
        sent_email = state == DeliveryState.SENT and message.channel == Channel.EMAIL
        status = delivery_status(
            state,
            key=message.key,
            conversation_id=message.conversation_id,
            location_id=message.location_id,
            reason=reason,
            message_id=composer.message_id_of(message, self.settings.reply_domain) if sent_email else None,
            attempt=attempt,
        )
        await publish_event(self.broker, status)

    async def _report_unreadable(self, body: Mapping[str, Any], error: ValidationError) -> None:
        """Tell the request's timeline why its message was not sent, when the command says which one it is."""
        key, conversation_id, location_id = body.get("key"), body.get("conversation_id"), body.get("location_id")
        if not (isinstance(key, str) and isinstance(conversation_id, str) and isinstance(location_id, str)):
            return
        if not is_location_id(location_id):
            return
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
        )
        status = DeliveryFailed(
            key=key,
            conversation_id=conversation_id,
            location_id=location_id,
            reason=f"not sent, the message is invalid: {problems}"[:1000],
        )
        await publish_event(self.broker, status)


def notifier_for(
    runtime: Runtime,
    settings: NotifySettings,
    limiter: RateLimiter,
    commits: CommitMarks,
    connectors: Connectors | None = None,
) -> Notifier:
    """The notifier with the process's connections, for the OUTBOUND handler."""
    return Notifier(
        DeliveryRepository(runtime.db),
        AttachmentStore(runtime.db),
        runtime.broker,
        settings,
        limiter,
        commits,
        connectors,
    )
