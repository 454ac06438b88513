"""Rules of solicitations: ask an external person from inside a request, keep the thread, take answers.

A solicitation is a thread between the hotel and one external address, under one request. Its token
(in `solicit+<token>@<hotel>.<reply domain>`) is signed for that solicitation only, so an answer can be
matched without the external person ever reaching the console; an answer whose token is forged,
unknown or revoked is kept aside and touches no request.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from faststream.nats import NatsBroker

from shared import tokens
from shared.attachments import AttachmentStore
from shared.auth import Actor
from shared.bus import (
    CONVERSATION_BRIEF,
    OUTBOUND_SOLICITATION,
    AttachmentRef,
    Channel,
    ConversationBrief,
    ConversationBriefRequest,
    DeliveryStatus,
    InboundMessage,
    OutboundKind,
    OutboundMessage,
    SolicitationFailed,
    SolicitationReplyReceived,
    SolicitationSent,
    utcnow,
)
from shared.db import Document
from shared.mail_threads import SOLICIT_TOKEN_PURPOSE
from shared.messaging import publish_durably, publish_event, rpc
from shared.problems import Problem
from shared.runtime import Runtime

from .metrics import ANSWERED, SENT, TIME_TO_ANSWER, UNMATCHED
from .repository import SolicitRepository

TOKEN_PURPOSE = SOLICIT_TOKEN_PURPOSE  # ingest reads it in Message-IDs too (shared/mail_threads.py)
MIN_PREFIX = 1
# The subject of a solicitation written without one, on a request without one, in the hotel's language.
NO_SUBJECT = {"fr": "Demande", "en": "Request"}
MAX_PREFIX = 40


def prefixes_of(email: str) -> list[str]:
    """Every prefix of an address, so the recipient field finds it as you type (equality look-ups)."""
    email = email.lower()
    return [email[:n] for n in range(MIN_PREFIX, min(len(email), MAX_PREFIX) + 1)]


def ranked(recipients: list[Document], limit: int) -> list[Document]:
    """Most used first; among equally used, the most recently used first."""
    ordered = sorted(recipients, key=lambda r: (-int(r.get("count", 0)), -r["last_used_at"].timestamp(), r["email"]))
    return ordered[:limit]


def _not_found(what: str, object_id: str) -> Problem:
    return Problem(404, "Not found", f"No {what} has the id {object_id!r}.")


@dataclass
class Solicit:
    repository: SolicitRepository
    broker: NatsBroker
    attachments: AttachmentStore
    secret: str
    inbox_timeout: float = 5.0

    # --- from the console -------------------------------------------------------------------------

    async def brief(self, conversation_id: str, actor: Actor) -> ConversationBrief:
        """The request's hotel and subject, from the inbox; 404 if the agent may not see it."""
        request = ConversationBriefRequest(conversation_id=conversation_id)
        try:
            brief: ConversationBrief = await rpc(self.broker, CONVERSATION_BRIEF, request, timeout=self.inbox_timeout)
        except Exception as exc:
            raise Problem(503, "Try again", "The inbox did not answer; nothing was sent.") from exc
        if not brief.found or brief.location_id is None or not actor.can_see(brief.location_id):
            raise _not_found("request", conversation_id)
        return brief

    async def _files(self, attachment_ids: list[str], location_id: str) -> list[AttachmentRef]:
        files = []
        for attachment_id in attachment_ids:
            found = await self.attachments.describe(attachment_id)
            if found is None or found.location_id != location_id:
                raise Problem(
                    422, "Invalid request", f"attachment_ids: no file of this hotel has the id {attachment_id}."
                )
            files.append(AttachmentRef.model_validate(found.public()))
        return files

    async def start(
        self,
        actor: Actor,
        conversation_id: str,
        to: str,
        subject: str | None,
        text: str,
        attachment_ids: list[str],
        *,
        formatted: bool = False,
    ) -> Document:
        brief = await self.brief(conversation_id, actor)
        location_id = str(brief.location_id)
        files = await self._files(attachment_ids, location_id)
        now = utcnow()
        solicitation_id = uuid.uuid4().hex
        solicitation = {
            "_id": solicitation_id,
            "conversation_id": conversation_id,
            "location_id": location_id,
            "recipient": to.lower(),
            "created_by": actor.author(),
            "created_at": now,
            "revoked": False,
            "first_answer_at": None,
        }
        await self.repository.create(solicitation)
        default_subject = brief.subject or NO_SUBJECT[brief.language or "fr"]
        await self._send(solicitation, brief, actor, subject or default_subject, text, files, "new", formatted)
        return await self.view(solicitation)

    async def answer(
        self,
        actor: Actor,
        solicitation_id: str,
        subject: str | None,
        text: str,
        attachment_ids: list[str],
        *,
        formatted: bool = False,
    ) -> Document:
        solicitation = await self.visible(solicitation_id, actor)
        if solicitation.get("revoked"):
            raise Problem(409, "Revoked", "This solicitation was closed; start a new one.")
        # The hotel's sender and language as the directory says now (and the request still visible).
        brief = await self.brief(str(solicitation["conversation_id"]), actor)
        thread = await self.repository.thread(solicitation_id)
        last_subject = str(thread[-1]["subject"]) if thread else NO_SUBJECT[brief.language or "fr"]
        files = await self._files(attachment_ids, str(solicitation["location_id"]))
        await self._send(solicitation, brief, actor, subject or last_subject, text, files, "answer", formatted)
        return await self.view(solicitation)

    async def revoke(self, actor: Actor, solicitation_id: str) -> Document:
        solicitation = await self.visible(solicitation_id, actor)
        await self.repository.update(solicitation_id, {"revoked": True, "revoked_at": utcnow()})
        return await self.view({**solicitation, "revoked": True})

    async def _send(
        self,
        solicitation: Document,
        brief: ConversationBrief,
        actor: Actor,
        subject: str,
        text: str,
        files: list[AttachmentRef],
        kind: str,
        formatted: bool,
    ) -> None:
        solicitation_id = str(solicitation["_id"])
        thread = await self.repository.thread(solicitation_id)
        message_ids = [str(m["message_id"]) for m in thread if m.get("message_id")]
        key = f"solicitation:{solicitation_id}:{uuid.uuid4().hex}"
        now = utcnow()
        await self.repository.add_message(
            {
                "_id": uuid.uuid4().hex,
                "key": key,
                "solicitation_id": solicitation_id,
                "direction": "outbound",
                "author": actor.author(),
                "to": solicitation["recipient"],
                "subject": subject,
                "text": text,
                "formatted": formatted,
                "attachments": [f.model_dump() for f in files],
                "at": now,
            }
        )
        outbound = OutboundMessage(
            key=key,
            kind=OutboundKind.SOLICITATION,
            channel=Channel.EMAIL,
            conversation_id=str(solicitation["conversation_id"]),
            location_id=str(solicitation["location_id"]),
            to=[solicitation["recipient"]],
            subject=subject,
            text=text,
            formatted=formatted,
            reply_token=tokens.sign(TOKEN_PURPOSE, solicitation_id, self.secret),
            in_reply_to=message_ids[-1] if message_ids else None,
            references=message_ids,
            author_name=actor.name,
            attachments=files,
            created_at=now,
            sender_name=brief.sender_name,
            sender_address=brief.sender_address,
            language=brief.language,
        )
        await publish_durably(self.broker, OUTBOUND_SOLICITATION, outbound, msg_id=key)
        await self._announce(
            solicitation, SolicitationSent, key, subject, text, actor.author(), files, now, formatted=formatted
        )
        await self.repository.record_use(
            key,
            str(solicitation["location_id"]),
            solicitation["recipient"],
            prefixes_of(solicitation["recipient"]),
            now,
        )
        SENT.labels(kind=kind).inc()

    async def _announce(
        self,
        solicitation: Document,
        event: type[SolicitationSent | SolicitationReplyReceived],
        key: str,
        subject: str,
        text: str,
        author: dict[str, Any],
        files: list[AttachmentRef],
        at: datetime,
        html: str | None = None,
        formatted: bool = False,
    ) -> None:
        announcement = event(
            solicitation_id=str(solicitation["_id"]),
            conversation_id=str(solicitation["conversation_id"]),
            location_id=str(solicitation["location_id"]),
            key=key,
            recipient=str(solicitation["recipient"]),
            subject=subject,
            text=text,
            formatted=formatted,
            html=html,
            author=author,
            attachments=files,
            occurred_at=at,
        )
        await publish_event(self.broker, announcement)

    async def visible(self, solicitation_id: str, actor: Actor) -> Document:
        solicitation = await self.repository.get(solicitation_id)
        if solicitation is None or not actor.can_see(str(solicitation["location_id"])):
            raise _not_found("solicitation", solicitation_id)
        return solicitation

    async def view(self, solicitation: Document) -> Document:
        """A solicitation with its thread, as the API shows it."""
        thread = await self.repository.thread(str(solicitation["_id"]))
        public = {"id": solicitation["_id"], **{k: v for k, v in solicitation.items() if k != "_id"}}
        public["messages"] = [
            {"id": m["_id"], **{k: v for k, v in m.items() if k not in {"_id", "key"}}} for m in thread
        ]
        public["last_subject"] = thread[-1]["subject"] if thread else None
        return public

    async def of_request(self, conversation_id: str, actor: Actor) -> list[Document]:
        """The request's solicitations with their threads (404 if the agent may not see the request)."""
        await self.brief(conversation_id, actor)
        return [await self.view(s) for s in await self.repository.of_conversation(conversation_id)]

    async def unmatched(self, limit: int) -> list[Document]:
        return [{"key": doc.pop("_id"), **doc} for doc in await self.repository.unmatched_page(limit)]

    async def suggestions(self, actor: Actor, typed: str, hotels: list[str], limit: int) -> list[Document]:
        """Addresses already solicited at the agent's hotels that start with what was typed."""
        prefix = typed.strip().lower()[:MAX_PREFIX]
        by_email: dict[str, Document] = {}
        for hotel in hotels:
            for found in await self.repository.recipients_matching(hotel, prefix):
                current = by_email.get(found["email"])
                if current is None:
                    by_email[found["email"]] = dict(found)
                else:  # the same address at several of the agent's hotels: its uses add up
                    current["count"] += found["count"]
                    current["last_used_at"] = max(current["last_used_at"], found["last_used_at"])
        return [
            {"email": r["email"], "count": r["count"], "last_used_at": r["last_used_at"]}
            for r in ranked(list(by_email.values()), limit)
        ]

    async def delivery_failed(self, status: DeliveryStatus) -> None:
        """notify gave up on a solicitation's email: say so in the request's timeline."""
        _, _, rest = status.key.partition("solicitation:")
        solicitation = await self.repository.get(rest.partition(":")[0]) if rest else None
        if solicitation is None:
            return  # not a solicitation's message
        announcement = SolicitationFailed(
            solicitation_id=str(solicitation["_id"]),
            conversation_id=str(solicitation["conversation_id"]),
            location_id=str(solicitation["location_id"]),
            key=status.key,
            recipient=str(solicitation["recipient"]),
            reason=status.reason,
            occurred_at=status.occurred_at,
        )
        await publish_event(self.broker, announcement)

    # --- from the external person -----------------------------------------------------------------

    async def receive(self, message: InboundMessage) -> str | None:
        """Store an external person's answer in its thread; None when it was kept aside."""
        token = message.thread.solicitation_token or ""
        solicitation_id = tokens.verify(TOKEN_PURPOSE, token, self.secret)
        solicitation = await self.repository.get(solicitation_id) if solicitation_id else None
        reason = None
        if solicitation_id is None:
            reason = "forged_token"
        elif solicitation is None:
            reason = "unknown_solicitation"
        elif solicitation.get("revoked"):
            reason = "revoked"
        elif solicitation["location_id"] != message.location_id:
            reason = "other_hotel"  # the hotel in the address is not signed; the token only counts for its own
        if reason is not None or solicitation is None:
            await self._keep_aside(message, reason or "unknown_solicitation")
            return None
        stored = await self.repository.add_message(
            {
                "_id": uuid.uuid4().hex,
                "key": message.key,
                "solicitation_id": solicitation["_id"],
                "direction": "inbound",
                "author": {"type": "external", **message.guest.model_dump(exclude_none=True)},
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "message_id": message.thread.message_id,
                "automatic": message.automatic,
                "attachments": [a.model_dump() for a in message.attachments],
                "at": message.received_at,
            }
        )
        if stored and message.automatic is None:  # an out-of-office is kept, but is no answer
            ANSWERED.inc()
            if solicitation.get("first_answer_at") is None:
                TIME_TO_ANSWER.observe(max((message.received_at - solicitation["created_at"]).total_seconds(), 0.0))
                await self.repository.update(str(solicitation["_id"]), {"first_answer_at": message.received_at})
        author = {"type": "external", **message.guest.model_dump(exclude_none=True)}
        await self._announce(
            solicitation,
            SolicitationReplyReceived,
            message.key,
            message.subject,
            message.text,
            author,
            message.attachments,
            message.received_at,
            html=message.html,
        )
        return str(solicitation["_id"])

    async def _keep_aside(self, message: InboundMessage, reason: str) -> None:
        kept = await self.repository.keep_aside(
            {
                "_id": message.key,
                "reason": reason,
                "location_id": message.location_id,
                "from": message.guest.email,
                "subject": message.subject,
                "text": message.text[:10_000],
                "token": re.sub(r"[^A-Za-z0-9._-]", "", message.thread.solicitation_token or "")[:200],
                "received_at": message.received_at,
            }
        )
        if kept:
            UNMATCHED.labels(reason=reason).inc()


def solicit_for(runtime: Runtime, inbox_timeout: float = 5.0) -> Solicit:
    """The service with the process's connections, for a route (with its inbox timeout) or a handler."""
    return Solicit(
        repository=SolicitRepository(runtime.db),
        broker=runtime.broker,
        attachments=AttachmentStore(runtime.db),
        secret=runtime.settings.secret_key.get_secret_value(),
        inbox_timeout=inbox_timeout,
    )
