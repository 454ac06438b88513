"""Rules of the inbox: where an inbound message belongs, and how a conversation changes.

Every change is a versioned update (read, decide, write only if nobody wrote in between, else
retry), followed by its timeline entry and its event. So replicas and agents acting at once never
lose a change, and a decision is always made on the state it changes.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from faststream.nats import NatsBroker

from shared import dissatisfaction, tokens, tracing
from shared.attachments import AttachmentStore
from shared.auth import Actor
from shared.bus import (
    CHAT_SUBJECT,
    CHAT_TO_GUEST,
    CONTACT_HOTELS,
    OUTBOUND_BOT,
    OUTBOUND_CHAT,
    OUTBOUND_EMAIL,
    OUTBOUND_REVIEW,
    RESOLVE_CONTACT,
    BotEvent,
    Channel,
    ChatToGuest,
    ContactHotels,
    ContactHotelsRequest,
    ContactLinked,
    ContactResolved,
    ConversationCreated,
    ConversationEvent,
    ConversationReopened,
    DeliveryStatus,
    DeliveryUpdated,
    InboundMessage,
    MessageReceived,
    OutboundKind,
    OutboundMessage,
    ReservationRecorded,
    ResolveContact,
    SnoozeExpired,
    SolicitationShown,
    Subjects,
    utcnow,
)
from shared.db import Document
from shared.messaging import PublishFailedError, publish_core, publish_durably, publish_event, rpc
from shared.problems import Problem
from shared.review_platforms import ReviewPlatformSettings, has_connector
from shared.runtime import Runtime
from shared.turns import Turns

from ..bots import webhooks
from ..bots.repository import BotRepository
from ..metrics import (
    CONVERSATIONS_CREATED,
    FIRST_RESPONSE,
    HOTEL_FIRST_RESPONSE,
    INBOUND_STORED,
    LABELS_APPLIED,
    PIPELINE_LATENCY,
    RESERVATIONS_RECORDED,
    RESOLUTION,
    report_label,
)
from ..reports.repository import ScoreMarks
from ..reports.service import score_day_of, zone_named
from ..settings import InboxSettings
from ..sla.repository import SlaRepository
from ..sla.targets import Targets
from . import handovers, reply_removal, states
from .alerts import AlertReason, alert_of, raised_by_words
from .repository import DERIVED_FIELDS, ConversationRepository, conversation_repository
from .states import Status
from .threading import (
    MAX_MERGE_HOPS,
    ThreadLookup,
    email_ref,
    lookup_for,
    opened_references,
    reply_references,
    tagged,
)

log = logging.getLogger(__name__)

SNIPPET_LENGTH = 160
CHAT_TITLE_LENGTH = 60  # a chat request's subject: the start of its first message
MAX_ATTEMPTS = 25
REPLY_TOKEN_PURPOSE = "reply"  # noqa: S105 - a signature domain, not a secret
# The messages of one thread take turns in this process (the inbound consumer handles many at once).
THREADS = Turns()  # the messages of one thread are stored in turn
# A change setting one of these may move its request's scores (reports/): its hotel-day is marked.
SCORED_FIELDS = frozenset({"first_response_at", "sla", "survey", "status"})


@dataclass
class Remembered:
    """A value read from the database for every review, kept a few seconds (a change to the chain's
    alert rule applies within `seconds`)."""

    seconds: float
    _value: Document | None = None
    _until: float = 0.0

    async def get(self, load: Callable[[], Awaitable[Document]]) -> Document:
        if self._value is None or time.monotonic() >= self._until:
            self._value, self._until = await load(), time.monotonic() + self.seconds
        return self._value


ALERT_RULE = Remembered(seconds=5.0)


def never_queued(entry: Document) -> bool:
    """A message stored but never handed to notify: every delivery state from its queueing on has a time."""
    delivery = entry.get("delivery")
    return isinstance(delivery, dict) and "at" not in delivery


def priority_of_new(alert: bool) -> str:
    """A new request's priority: high for an alert, which needs an answer first, else low (agents change it)."""
    return "high" if alert else "low"


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_LENGTH else flat[: SNIPPET_LENGTH - 1] + "…"


def chat_title(text: str) -> str:
    """The first words of a guest's chat message, on one line: at most `CHAT_TITLE_LENGTH` characters, cut
    after a whole word (a single long word, such as a link, is cut inside), "…" when something was left."""
    flat = " ".join(text.split())
    if len(flat) <= CHAT_TITLE_LENGTH:
        return flat
    head = flat[: CHAT_TITLE_LENGTH + 1]  # one more: a word ending exactly at the limit stays whole
    words = head.rsplit(" ", 1)[0] if " " in head else ""
    cut = words if len(words) >= CHAT_TITLE_LENGTH // 2 else flat[:CHAT_TITLE_LENGTH]
    return cut.rstrip(" ,;:.!?-–—") + "…"


def opening_subject(message: InboundMessage) -> str:
    """A new request's subject: its first message's, but a chat is titled by what the guest first wrote.
    Every chat message says "Chat": a list of chats all called so, and the email that goes on from one
    ("Re: Chat"), would tell the agent and the guest nothing. A chat given a subject of its own (a bot, an
    integration) keeps it."""
    if message.channel is Channel.CHAT and message.subject in {"", CHAT_SUBJECT}:
        return chat_title(message.text) or message.subject
    return message.subject


def system_subject(message: InboundMessage) -> Document:
    """The key and values of a new request's subject when the hub wrote it ("Call from …"): the console
    shows it in its reader's language. Nothing for a chat titled by what the guest wrote."""
    if message.subject_key is None or opening_subject(message) != message.subject:
        return {}
    return {"subject_key": message.subject_key, "subject_values": message.subject_values}


def system_snippet(message: InboundMessage) -> Document:
    """The snippet's key and values beside it: those of a text the hub wrote, else none (a guest's own words
    replace the summary of an earlier call)."""
    return {"snippet_key": message.text_key, "snippet_values": message.text_values}


def system_text(message: InboundMessage) -> Document:
    """A stored message's keys and values where the hub wrote its subject or text (only then: older entries
    and guests' own words have the English, or the guest's, text alone)."""
    fields: Document = {}
    if message.subject_key is not None:
        fields |= {"subject_key": message.subject_key, "subject_values": message.subject_values}
    if message.text_key is not None:
        fields |= {"text_key": message.text_key, "text_values": message.text_values}
    return fields


def with_contact(guest: Document, name: str | None, email: str | None, previous: str | None = None) -> Document:
    """The request's guest as its linked contact names them: the contact's name and address fill what the
    guest did not say (a chat's guest often gives neither), and never replace what they said; a name that
    was the contact's (`previous`, the conversation's `contact_name`) follows the contact."""
    filled = dict(guest)
    if name and (not filled.get("name") or filled.get("name") == previous):
        filled["name"] = name
    if email and not filled.get("email"):
        filled["email"] = email
    return filled


def reply_token(conversation_id: str, secret: str) -> str:
    return tokens.sign(REPLY_TOKEN_PURPOSE, conversation_id, secret)


@dataclass
class Change:
    """What an action decided: fields to set, timeline entries to add, its event (the service adds
    who acted and the first entry's id), maybe a message to send. No event: nothing changed."""

    event: ConversationEvent | None = None
    set: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    outbound: OutboundMessage | None = None


class About(TypedDict):
    """What every conversation event says of its conversation: which one, whose hotel, which version."""

    conversation_id: str
    location_id: str
    version: int


def about(document: Document) -> About:
    """The conversation part of an event decided on `document`: `NoteAdded(**about(document))`."""
    return About(
        conversation_id=str(document["_id"]),
        location_id=str(document["location_id"]),
        version=int(document.get("version", 0)),
    )


@dataclass
class Received:
    conversation_id: str
    created: bool
    stored: bool


def _not_found(conversation_id: str) -> Problem:
    return Problem(404, "Not found", f"No conversation has the id {conversation_id!r}.")


def merged_away(document: Document) -> Problem:
    """The answer to an action on a request merged into another: act on the survivor."""
    survivor = str(document.get("merged_into"))
    return Problem(
        409,
        "Merged",
        f"This request was merged into {survivor!r}; open that one.",
        merged_into=survivor,
        status_now=Status.MERGED.value,
    )


@dataclass
class Inbox:
    repository: ConversationRepository
    broker: NatsBroker
    secret: str
    attachments: AttachmentStore  # the files agents attach, and the images of guests' HTML messages
    bots: BotRepository  # each hotel's chatbot, which a new chat starts with and which is told what happens
    contacts_timeout: float = 2.0
    alert_threshold: float = dissatisfaction.DEFAULT_THRESHOLD  # the chain's settings may set their own
    review_platforms: ReviewPlatformSettings | None = None  # None: every platform is taken to take replies
    sla: Targets | None = None  # keeps each request's response-time targets right (sla/); None: no targets
    score_marks: ScoreMarks | None = None  # marks the hotel-days whose scores a change moves (reports/)

    def answers_publicly(self, platform: str) -> bool:
        """Whether a review of this platform is answered on it by default (the hub has its connector)."""
        return self.review_platforms is None or has_connector(platform, self.review_platforms)

    # --- inbound ----------------------------------------------------------------------------------

    async def receive(self, message: InboundMessage) -> Received:
        """Store a guest's message in its conversation exactly once, then announce it.

        Idempotent: a redelivery finds the thread by its references and the message by its key
        among the conversation's applied keys, and changes nothing; events carry deterministic
        message ids, so JetStream drops the repeats. Messages are handled many at once; two of one
        thread (sharing a reference) take turns in this process, and replicas race safely (the
        thread key is unique, every change a compare-and-set).
        """
        lookup = lookup_for(message)
        held = [*lookup.references, lookup.new_thread_key, *lookup.own_references, *lookup.tag_references.values()]
        async with THREADS.holding(held):
            received, created_event = await self._store(message, lookup)
        events: list[ConversationEvent] = [] if created_event is None else [created_event]
        events.append(
            MessageReceived(
                conversation_id=received.conversation_id,
                location_id=message.location_id,
                channel=message.channel,
                message_key=message.key,
            )
        )
        await asyncio.gather(*(publish_event(self.broker, event) for event in events))
        if message.channel is Channel.CHAT and not message.automatic:
            await self._tell_bot_of_message(received.conversation_id, message)
        return received

    async def _tell_bot_of_message(self, conversation_id: str, message: InboundMessage) -> None:
        """A guest's message on a conversation the bot handles goes to the bot (again on a redelivery: the
        call's id is the message's, so JetStream keeps one)."""
        document = await self.repository.get(conversation_id)
        if document is not None and document.get("bot_active") and document["status"] != Status.SPAM.value:
            said = {"text": message.text, "at": message.received_at}
            await self._call_bot("message", document, message.key, said)

    async def _call_bot(
        self, event: BotEvent, document: Document, reference: str, message: Document | None = None
    ) -> None:
        """Have notify call the hotel's chatbot (signed, retried until it answers); nothing without a bot."""
        location_id = str(document["location_id"])
        bot = await self.bots.get(location_id)
        if bot is None:
            return
        language = document.get("language") or (await self.repository.location(location_id) or {}).get("language")
        call = webhooks.call(bot, event, document, reference, language, message)
        try:
            await publish_durably(self.broker, OUTBOUND_BOT, call, msg_id=call.key)
        except PublishFailedError:
            # The change is made; the bot learns it from its next call or by reading the conversation.
            log.warning("could not queue a chatbot call", extra={"conversation": document["_id"], "event": event})

    async def _store(self, message: InboundMessage, lookup: ThreadLookup) -> tuple[Received, ConversationEvent | None]:
        conversation_id = await self.repository.find_thread(lookup.references, lookup.location_id)
        if conversation_id is None and message.thread.reply_token:
            conversation_id = await self._conversation_of_token(message.thread.reply_token, message.location_id)
        resolving: asyncio.Task[ContactResolved | None] | None = None
        if conversation_id is None and lookup.tag_references:
            conversation_id = await self.repository.find_thread(lookup.tag_references.values(), lookup.location_id)
            if conversation_id is None:  # maybe a request older than tag references, or the contact's other address
                resolving = asyncio.create_task(self._resolve_contact(message))
                conversation_id = await self._conversation_of_contact_tag(lookup, await resolving)
        created = False
        alert = await self._alert_of(message)
        created_event: ConversationCreated | None = None
        # The message's entry is written before the conversation shows it, so an agent never opens
        # a request whose message is not there yet.
        if conversation_id is None:
            # Who the guest is, asked while the entry is written (contacts answers in a few ms).
            contact = resolving or asyncio.create_task(self._resolve_contact(message))
            new_id = uuid.uuid4().hex
            stored = await self.repository.add_entry(self._inbound_entry(new_id, message))
            if not stored:  # a redelivery after a crash: the entry names the conversation it was for
                earlier = await self.repository.entry_by_key(message.key)
                new_id = str(earlier["conversation_id"]) if earlier else new_id
            document, created = await self._open_conversation(
                message, lookup.new_thread_key, alert, new_id, contact, surely_new=stored
            )
            conversation_id = str(document["_id"])
            if document.get("merged_into"):  # the thread's request was merged into another since
                conversation_id = await self.surviving(conversation_id)
            if conversation_id != new_id:
                # Another replica opened this thread first: the entry joins its conversation.
                await self.repository.update_entry(message.key, {"conversation_id": conversation_id})
        else:
            stored = await self.repository.add_entry(self._inbound_entry(conversation_id, message))
        if not created:
            conversation_id = await self._apply_guest_message(conversation_id, message, alert)
            if not message.automatic:  # an auto-responder tells nothing of who the guest is
                await self._link_contact_if_missing(conversation_id, message)
        opened = opened_references(message, conversation_id) if created else []
        await self.repository.remember_references([*lookup.own_references, *opened], conversation_id)
        if stored:
            INBOUND_STORED.labels(channel=message.channel.value).inc()
            age = (utcnow() - message.received_at).total_seconds()
            PIPELINE_LATENCY.labels(channel=message.channel.value).observe(max(age, 0.0))
        if created:
            await self._mark_scores(document)
            CONVERSATIONS_CREATED.labels(channel=message.channel.value).inc()
            created_event = ConversationCreated(
                conversation_id=conversation_id,
                location_id=message.location_id,
                channel=message.channel,
                contact_id=document.get("contact_id"),
                subject=str(document.get("subject") or ""),
                subject_key=document.get("subject_key"),
                subject_values=document.get("subject_values") or {},
                status=str(document["status"]),
                occurred_at=message.received_at,
            )
        return Received(conversation_id=conversation_id, created=created, stored=stored), created_event

    async def surviving(self, conversation_id: str) -> str:
        """The request a thread's messages go to: this one, or the one it was merged into (followed through
        at most `MAX_MERGE_HOPS` merges)."""
        current = conversation_id
        for _ in range(MAX_MERGE_HOPS):
            merged_into = await self.repository.merged_into(current)
            if merged_into is None:
                return current
            current = merged_into
        log.warning("a merge chain longer than expected", extra={"conversation": conversation_id, "at": current})
        return current

    async def _conversation_of_token(self, token: str, location_id: str) -> str | None:
        conversation_id = tokens.verify(REPLY_TOKEN_PURPOSE, token, self.secret)
        if conversation_id is None:
            log.warning("reply token with a bad signature ignored", extra={"location": location_id})
            return None
        document = await self.repository.get(conversation_id)
        if document is None or document["location_id"] != location_id:
            # The hotel in the reply address is not signed; a token only counts for its own hotel.
            return None
        return conversation_id

    async def _conversation_of_contact_tag(self, lookup: ThreadLookup, contact: ContactResolved | None) -> str | None:
        """The request of the subject's tag among the sender's contact's requests at the hotel: requests
        opened before tags were recorded, or by another address of the same contact. Found once, its tag
        is recorded for this address, so the next email finds it directly."""
        if contact is None or contact.contact_id is None:
            return None
        conversation_ids = await self.repository.of_contact_at(contact.contact_id, lookup.location_id)
        found = tagged(conversation_ids, lookup.tag_references)
        if found is None:
            return None
        conversation_id, tag = found
        await self.repository.remember_references([lookup.tag_references[tag]], conversation_id)
        return conversation_id

    async def _alert_of(self, message: InboundMessage) -> AlertReason | None:
        """Why the guest's message raises an alert, if it does (alerts.py: a low rating, strong words)."""
        return alert_of(message, await ALERT_RULE.get(self.repository.alert_rule), self.alert_threshold)

    async def _open_conversation(
        self,
        message: InboundMessage,
        thread_key: str,
        alert: AlertReason | None,
        conversation_id: str,
        contact_lookup: "asyncio.Task[ContactResolved | None]",
        *,
        surely_new: bool,
    ) -> tuple[Document, bool]:
        contact = await contact_lookup
        guest = message.guest.model_dump(exclude_none=True)
        # A new chat at a hotel with a chatbot starts with the bot, until it (or an agent) hands it over.
        bot = message.bot_handled or (
            message.channel is Channel.CHAT and await self.bots.get(message.location_id) is not None
        )
        if contact and contact.display_name and "name" not in guest:
            guest["name"] = contact.display_name
        return await self.repository.open_thread(
            thread_key,
            {
                "_id": conversation_id,
                "thread_key": thread_key,
                "version": 0,
                "applied_keys": [message.key],
                "location_id": message.location_id,
                "channel": message.channel.value,
                # Ingest's spam rules send a new request straight to the spam view (never an old one); an
                # automatic reply answering nothing known opens it closed, read (states.new_request).
                "status": states.new_request(spam=bool(message.spam), automatic=bool(message.automatic)).value,
                "spam_reason": message.spam,
                "automatic": message.automatic,
                "snoozed_until": None,
                "bot_active": bot,
                "has_bot": bot,
                "subject": opening_subject(message),
                **system_subject(message),
                "guest": guest,
                "contact_id": contact.contact_id if contact else None,
                "contact_name": contact.display_name if contact else None,
                "priority": priority_of_new(alert is not None),
                "contact_reason": None,
                "assignee": None,
                "labels": [],
                "unread": not message.automatic,
                "alert": alert is not None,
                "alert_reason": None if alert is None else alert.value,
                "rating": message.rating,
                "chat_session_id": message.thread.chat_session_id,
                "last_message_id": message.thread.message_id,
                "reply_references": reply_references(message),
                "snippet": snippet(message.text),
                **system_snippet(message),
                "message_count": 1,
                "created_at": message.received_at,
                "last_activity_at": message.received_at,
                **(await self._targets_at_creation(message, alert)),
            },
            surely_new=surely_new,
        )

    async def _targets_at_creation(self, message: InboundMessage, alert: AlertReason | None) -> Document:
        """A new request's response-time targets, by the policy it follows (sla/decisions.py)."""
        if self.sla is None:
            return {}
        status = states.new_request(spam=bool(message.spam), automatic=bool(message.automatic)).value
        channel = message.channel.value
        return await self.sla.at_creation(message.location_id, channel, alert is not None, message.received_at, status)

    async def _link_contact_if_missing(self, conversation_id: str, message: InboundMessage) -> None:
        """A guest who gave no address at first (a chat) and does now is linked to their contact."""
        if not message.guest.email:
            return
        document = await self.repository.get(conversation_id)
        if document is None or document.get("contact_id"):
            return
        contact = await self._resolve_contact(message)
        if contact is None or contact.contact_id is None:
            return
        guest = {**(document.get("guest") or {}), **message.guest.model_dump(exclude_none=True)}
        guest = with_contact(guest, contact.display_name, None, document.get("contact_name"))

        def decide(current: Document) -> Change:
            if current.get("contact_id") or contact.contact_id is None:
                return Change()
            return Change(
                event=ContactLinked(**about(current), contact_id=contact.contact_id),
                set={"contact_id": contact.contact_id, "guest": guest, "contact_name": contact.display_name},
                entries=[
                    {"kind": "contact_link", "from": None, "to": contact.contact_id, "reason": "guest_identified"}
                ],
            )

        await self.act(conversation_id, None, decide)

    async def _resolve_contact(self, message: InboundMessage) -> ContactResolved | None:
        """Ask contacts who the guest is; None when it does not answer in time (the message is stored anyway),
        and for a sender that may not be who the From header shows (never linked to someone's history), or an
        auto-responder (which creates no contact; an agent links one by hand if it matters)."""
        if message.ambiguous_sender or message.automatic:
            return None
        request = ResolveContact(location_id=message.location_id, channel=message.channel, guest=message.guest)
        try:
            return await rpc(self.broker, RESOLVE_CONTACT, request, timeout=self.contacts_timeout)
        except Exception as exc:  # noqa: BLE001 - a missing contact link must not hold the guest's message back
            log.warning("contact resolution failed; storing without a contact", extra={"error": repr(exc)})
            return None

    async def _apply_guest_message(
        self, conversation_id: str, message: InboundMessage, alert: AlertReason | None
    ) -> str:
        """The conversation after the guest's message (returns its id). An automatic reply joins it as a
        message and changes nothing else: no reopening, no unread mark, no new last activity, snippet or last
        Message-ID (an agent's answer goes to the guest's own last message, not to their out-of-office).
        A request merged into another meanwhile hands the message (its entry too) to the survivor."""
        for _ in range(MAX_ATTEMPTS):
            document = await self.repository.get(conversation_id)
            if document is None:  # pragma: no cover - conversations are never deleted
                raise LookupError(conversation_id)
            if document.get("merged_into"):
                conversation_id = await self.surviving(conversation_id)
                await self.repository.update_entry(message.key, {"conversation_id": conversation_id})
                continue
            if message.key in document.get("applied_keys", []):
                return conversation_id
            changes: dict[str, Any] = {"message_count": int(document.get("message_count", 0)) + 1}
            if message.automatic:
                if await self.repository.update_if_version(
                    conversation_id, int(document["version"]), changes, applied_key=message.key, before=document
                ):
                    return conversation_id
                continue
            status = states.guest_writes(Status(document["status"]))
            changes |= {"status": status.value, "unread": status != Status.SPAM or bool(document.get("unread"))}
            if status != Status(document["status"]):
                changes["snoozed_until"] = None
            if message.rating is not None:
                # An edited review brings its new rating, which raises or clears the alert.
                changes["alert"] = alert is not None
                changes["alert_reason"] = None if alert is None else alert.value
                changes["rating"] = message.rating
                if alert and not document.get("alert") and document.get("priority") in {None, "low"}:
                    changes["priority"] = priority_of_new(True)  # raised by the edit, as a new alert would be
            else:
                changes |= raised_by_words(document, alert, spam=status == Status.SPAM)
            if message.thread.message_id:
                changes["last_message_id"] = message.thread.message_id
                changes["reply_references"] = reply_references(message)
            if message.received_at >= document["last_activity_at"]:
                changes["last_activity_at"] = message.received_at
                changes |= {"snippet": snippet(message.text), **system_snippet(message)}
            if self.sla is not None:  # reopened: the resolution target starts again; resumed from hold
                changes |= await self.sla.following(document, changes, message.received_at)
            if await self.repository.update_if_version(
                conversation_id, int(document["version"]), changes, applied_key=message.key, before=document
            ):
                if status != Status(document["status"]):
                    await self._mark_scores({**document, **changes})
                    entry = {
                        "_id": uuid.uuid4().hex,
                        "key": f"reopened:{message.key}",
                        "conversation_id": conversation_id,
                        "kind": "status",
                        "from": document["status"],
                        "to": status.value,
                        "reason": "guest_wrote",
                        "author": {"type": "guest", **message.guest.model_dump(exclude_none=True)},
                        "at": message.received_at,
                    }
                    await self.repository.add_entry(entry)
                    reopened = ConversationReopened(**about(document), status=status.value, entry_id=str(entry["_id"]))
                    await publish_event(self.broker, reopened)
                return conversation_id
        raise RuntimeError(f"conversation {conversation_id} kept changing; the message will be retried")

    def _inbound_entry(self, conversation_id: str, message: InboundMessage) -> Document:
        guest = message.guest.model_dump(exclude_none=True)
        return {
            "_id": uuid.uuid4().hex,
            "key": message.key,
            "conversation_id": conversation_id,
            "kind": "message",
            "direction": "inbound",
            "channel": message.channel.value,
            "author": {"type": "guest", **guest},
            "subject": message.subject,
            "text": message.text,
            "rating": message.rating,
            "message_id": message.thread.message_id,
            "html": message.html,
            "review": message.review,
            "attachments": [a.model_dump() for a in message.attachments],
            "warnings": ["ambiguous_sender"] if message.ambiguous_sender else [],
            "automatic": message.automatic,
            "forwarded": [f.model_dump() for f in message.forwarded],
            **system_text(message),
            "at": message.received_at,
            # The message's trace, which the agents' answers to it join (`_send`); only when tracing is on.
            **({"traceparent": parent} if (parent := tracing.current_traceparent()) else {}),
        }

    # --- agent actions ----------------------------------------------------------------------------

    async def visible(self, conversation_id: str, actor: Actor) -> Document:
        document = await self.repository.get(conversation_id)
        if document is None or not actor.can_see(str(document["location_id"])):
            raise _not_found(conversation_id)
        return document

    async def check_contact(self, contact_id: str, actor: Actor) -> ContactHotels | None:
        """An agent links a request only to a contact of their hotels (contacts knows which); admins to any id.

        Answers the contact's card as the actor may see it (its name and addresses, which the request
        takes when the guest gave none), or None when an admin links while contacts does not answer."""
        hotels_asking = None if actor.sees_everything else actor.location_ids
        request = ContactHotelsRequest(contact_id=contact_id, hotels=hotels_asking)
        try:
            hotels = await rpc(self.broker, CONTACT_HOTELS, request, timeout=self.contacts_timeout)
        except Exception as exc:
            if actor.sees_everything:
                return None
            raise Problem(503, "Try again", "Contacts did not answer; the contact was not linked.") from exc
        if actor.sees_everything:
            return hotels
        if not hotels.found or not any(actor.can_see(hotel) for hotel in hotels.location_ids):
            raise Problem(422, "Invalid request", f"contact_id: no contact has the id {contact_id!r}.")
        return hotels

    async def contact_email(self, document: Document) -> str | None:
        """The email address of the request's contact, as its hotel may see it; None without one, or when
        contacts does not answer (the reply is then refused like any reply without an address)."""
        if not document.get("contact_id"):
            return None
        request = ContactHotelsRequest(contact_id=str(document["contact_id"]), hotels=[str(document["location_id"])])
        try:
            card = await rpc(self.broker, CONTACT_HOTELS, request, timeout=self.contacts_timeout)
        except Exception as exc:  # noqa: BLE001 - answered as "no address" (409), which the agent can retry
            log.warning("contacts did not answer for a reply's address", extra={"error": repr(exc)})
            return None
        return card.emails[0] if card.emails else None

    async def act(
        self, conversation_id: str, actor: Actor | None, decide: Callable[[Document], Change]
    ) -> tuple[Document, list[Document]]:
        """Apply an action decided from the conversation's current state; retried on concurrent changes."""
        for _ in range(MAX_ATTEMPTS):
            if actor is not None:
                document = await self.visible(conversation_id, actor)
            else:
                found = await self.repository.get(conversation_id)
                if found is None:
                    raise _not_found(conversation_id)
                document = found
            if document.get("merged_into"):  # nothing changes a request merged into another
                if actor is None:
                    return document, []
                raise merged_away(document)
            try:
                change = decide(document)
            except states.IllegalTransitionError as exc:
                raise Problem(409, "Not allowed now", str(exc), status_now=document["status"]) from exc
            if not change.set and not change.entries:
                return document, []
            if self.sla is not None:  # the targets the change meets, pauses, resumes, restarts or stops
                change.set |= await self.sla.following(document, change.set, utcnow())
            after = {**document, **change.set}
            if change.set and not await self.repository.update_if_version(
                conversation_id, int(document["version"]), change.set, before=document
            ):
                continue
            if any(key.split(".")[0] in SCORED_FIELDS for key in change.set):
                await self._mark_scores(after)
            report_labels: list[str] = []
            if added := set(change.set.get("labels") or []) - set(document.get("labels") or []):
                await self.repository.remember_labels(str(document["location_id"]), sorted(added))
                report_labels = (await self.repository.location(str(document["location_id"])) or {}).get("labels") or []
            stored = [await self._add_entry(conversation_id, actor, entry) for entry in change.entries]
            entries = [entry for entry, _ in stored]
            if entries and not any(added for _, added in stored):
                return document, await self._repeated(change, entries)
            _observe(document, change, report_labels)
            if change.event is not None:
                first_entry = str(entries[0]["_id"]) if entries else None
                await self._announce(change.event, actor, first_entry)
            if change.outbound is not None and entries:
                await self._send(change.outbound, entries[0])
            if bot_event := webhooks.event_of_change(document, after):
                await self._after_bot_change(bot_event, after, entries)
            return after, entries
        raise Problem(409, "Busy", "The request was changed many times at once; try again.")

    async def _mark_scores(self, document: Document) -> None:
        """Mark the request's hotel-day, after its change is written, for the scores to be rebuilt. A mark
        that fails leaves the day's scores behind until the request's next change; the change stands."""
        if self.score_marks is None:
            return
        location_id = str(document.get("location_id"))
        try:
            zone = None if document.get("score_day") else await self.repository.location(location_id)
            day = score_day_of(document, zone_named((zone or {}).get("timezone")))
            if day is not None:
                await self.score_marks.touch(location_id, day)
        except Exception as exc:  # noqa: BLE001 - the scores wait; the request's change must not fail for them
            log.warning("scores not marked for a change", extra={"location_id": location_id, "error": repr(exc)})

    async def _add_entry(
        self, conversation_id: str, actor: Actor | None, fields: dict[str, Any]
    ) -> tuple[Document, bool]:
        """The entry stored, and whether it is new: an entry given a key of its own (a bot's message sent with
        an idempotency key) is stored once, by the unique key index, whichever replica or retry comes first."""
        entry_id = uuid.uuid4().hex
        entry = {
            "_id": entry_id,
            "key": f"entry:{entry_id}",
            "conversation_id": conversation_id,
            "author": actor.author() if actor else {"type": "system"},
            "at": utcnow(),
            **fields,
        }
        if await self.repository.add_entry(entry):
            return entry, True
        return await self.repository.entry_by_key(str(entry["key"])) or entry, False

    async def _repeated(self, change: Change, entries: list[Document]) -> list[Document]:
        """An action done already (its entries' keys are stored): nothing is announced or sent again, except
        a message that never reached the bus (the replica stopped before, or the bus refused it); two replicas
        sending it at once send it once, the bus dropping the copy by its id (the entry's key)."""
        if change.outbound is not None and never_queued(entries[0]):
            await self._send(change.outbound, entries[0])
            return [await self.repository.entry_by_key(str(entries[0]["key"])) or entries[0]]
        return entries

    async def hotel(self, location_id: str) -> handovers.Hotel:
        return handovers.Hotel.of(await self.repository.location(location_id))

    async def handover_context(self, document: Document, console_url: str) -> handovers.Context:
        """What a forward, delegation or share carries besides the request: the hotel, the guest's whole
        latest message, and a read-only link that needs no account."""
        conversation_id = str(document["_id"])
        message = await self.repository.latest_guest_message(conversation_id)
        return handovers.Context(
            hotel=await self.hotel(str(document["location_id"])),
            guest_message=str((message or {}).get("text") or document.get("snippet") or ""),
            link=handovers.view_link(console_url, conversation_id, self.secret),
        )

    async def read_only_page(self, token: str) -> str | None:
        """The page a hand-over's link opens, without sign-in; None for a forged or expired link, or a
        request since erased."""
        conversation_id = handovers.viewed_conversation(token, self.secret)
        document = await self.repository.get(conversation_id) if conversation_id else None
        if conversation_id is None or document is None:
            return None
        entries = await self.repository.entries(conversation_id, after=None, limit=500)
        return handovers.page(document, entries, await self.hotel(str(document["location_id"])))

    async def _send(self, outbound: OutboundMessage, entry: Document) -> None:
        outbound.key = str(entry["key"])
        if outbound.channel == Channel.EMAIL and outbound.sender_address is None:
            # Every email of a request comes from its hotel, as the directory says now.
            hotel = await self.hotel(outbound.location_id)
            outbound.sender_name = hotel.sender_name
            outbound.sender_address = hotel.sender_address
            outbound.language = hotel.language
        publication = {Channel.CHAT: OUTBOUND_CHAT, Channel.REVIEW: OUTBOUND_REVIEW}.get(
            outbound.channel, OUTBOUND_EMAIL
        )
        answered = None
        if outbound.kind == OutboundKind.REPLY and tracing.enabled():
            answered = await self.repository.latest_guest_message(outbound.conversation_id)
        try:
            # A reply's sending joins the trace of the guest message it answers (linked to the agent's request).
            with tracing.continuing((answered or {}).get("traceparent"), "reply to the guest"):
                await publish_durably(self.broker, publication, outbound, msg_id=outbound.key)
        except PublishFailedError:
            await self.repository.update_entry(
                outbound.key, {"delivery": {"state": "failed", "reason": "could not be queued; send it again"}}
            )
            raise Problem(503, "Not sent", "The message is saved but could not be queued; send it again.") from None
        await self.repository.update_entry(outbound.key, {"delivery": {"state": "queued", "at": utcnow()}})

    async def _after_bot_change(self, event: BotEvent, after: Document, entries: list[Document]) -> None:
        """A person took the conversation from the bot, or it was closed: the bot is told, and on a hand-over
        the guest's widget says a member of the team answers now."""
        reference = str(entries[0]["key"]) if entries else f"{after['_id']}:{after.get('version')}"
        await self._call_bot(event, after, reference)
        session = after.get("chat_session_id")
        if event == "handed_over" and session and after.get("chat_open", True):
            identified = bool((after.get("guest") or {}).get("email"))
            joined = ChatToGuest(
                key=reference, session_id=str(session), kind="handed_over", guest_identified=identified
            )
            await publish_core(self.broker, CHAT_TO_GUEST, joined, subject=Subjects.chat_to_guest(str(session)))

    async def _announce(self, event: ConversationEvent, actor: Actor | None, entry_id: str | None) -> None:
        """Publish a decided change's event, saying who made it and which timeline entry it added."""
        done = event.model_copy(update={"actor_id": actor.agent_id if actor else None, "entry_id": entry_id})
        await publish_event(self.broker, done)

    async def tell_chat_closed(self, session_id: str, entry_key: str, survey_token: str | None = None) -> None:
        """Tell the guest's widget, live, that the agent ended the chat (core NATS: nothing is kept), with the
        satisfaction survey's token when the hotel asks chat guests for a rating."""
        ending = ChatToGuest(key=entry_key, session_id=session_id, kind="closed", survey_token=survey_token)
        await publish_core(self.broker, CHAT_TO_GUEST, ending, subject=Subjects.chat_to_guest(session_id))

    # --- reports from notify, and the snooze sweep ------------------------------------------------

    async def record_delivery(self, status: DeliveryStatus) -> None:
        """Show notify's report on the message it concerns; a late 'queued' never hides 'sent', except a
        bounce saying the email is delayed, and a delay never hides a failure a bounce reported."""
        entry = await self.repository.entry_by_key(status.key)
        if entry is None:
            log.warning("delivery report for an unknown message", extra={"key": status.key})
            return
        if entry.get("kind") == reply_removal.ENTRY_KIND:
            await self._record_removal(entry, status)
            return
        previous = entry.get("delivery") or {}
        current = previous.get("state")
        if current == "sent" and status.state.value != "failed" and not status.bounces:
            return
        if current in ("edited", "deleted"):  # a public reply changed on its platform since: a late report is old news
            return
        if current == "failed" and status.bounces and status.state.value != "failed":
            return
        delivery: dict[str, Any] = {"state": status.state.value, "reason": status.reason, "at": status.occurred_at}
        if status.bounces:  # the worst recipient's, as the console shows it
            worst = status.bounces[0]
            delivery |= {"bounce": worst.kind.value, "diagnostic": worst.diagnostic or worst.status}
        elif previous.get("bounce") and current == status.state.value:
            # notify reporting a bounced email's state again (its command redelivered) says nothing new.
            delivery |= {"bounce": previous["bounce"], "diagnostic": previous.get("diagnostic")}
        changes: dict[str, Any] = {"delivery": delivery}
        if status.message_id:
            changes["message_id"] = status.message_id
            reference = email_ref(status.location_id, status.message_id)
            await self.repository.remember_references([reference], status.conversation_id)
        await self.repository.update_entry(status.key, changes)
        document = await self.repository.get(status.conversation_id)
        if document is not None:
            bounce = status.bounces[0].kind if status.bounces else None
            shown = DeliveryUpdated(
                **about(document), key=status.key, state=status.state.value, entry_id=str(entry["_id"]), bounce=bounce
            )
            await publish_event(self.broker, shown)

    async def _record_removal(self, removal: Document, status: DeliveryStatus) -> None:
        """notify's report on taking a public reply down: on the removal's entry, and on the reply's."""
        at = status.occurred_at
        await self.repository.update_entry(
            status.key, {"delivery": {"state": status.state.value, "reason": status.reason, "at": at}}
        )
        reply = await self.repository.entry(status.conversation_id, str(removal["reply_entry_id"]))
        changed = reply_removal.outcome((reply or {}).get("delivery") or {}, status.state.value, status.reason, at)
        if reply is not None and changed is not None:
            await self.repository.update_entry(str(reply["key"]), {"delivery": changed})
        document = await self.repository.get(status.conversation_id)
        if document is not None:
            shown = DeliveryUpdated(
                **about(document), key=status.key, state=status.state.value, entry_id=str(removal["_id"])
            )
            await publish_event(self.broker, shown)

    async def announce_solicitation(self, conversation_id: str, key: str) -> None:
        """Tell the consoles that a solicitation's message (found by its key) joined the conversation's timeline."""
        entry = await self.repository.entry_by_key(key)
        document = await self.repository.get(conversation_id)
        if entry is not None and document is not None:
            await publish_event(self.broker, SolicitationShown(**about(document), key=key, entry_id=str(entry["_id"])))

    async def wake_snoozed(self, now: datetime, *, thorough: bool = False) -> int:
        """Reopen requests whose hold time has passed; safe with several replicas sweeping at once.

        A sweep reads the holds ending this minute or the last; a `thorough` one reads every request
        on hold (the sweep does so once a minute, for what a stopped service missed)."""
        woken = 0
        for due in await self.repository.due_snoozes(now, thorough=thorough):

            def decide(document: Document) -> Change:
                until = document.get("snoozed_until")
                if document["status"] != Status.ON_HOLD.value or until is None or until > now:
                    return Change()
                return Change(
                    event=SnoozeExpired(**about(document), status=Status.OPEN.value),
                    set={"status": Status.OPEN.value, "snoozed_until": None},
                    entries=[{"kind": "status", "from": "on_hold", "to": "open", "reason": "snooze_expired"}],
                )

            _, entries = await self.act(str(due["_id"]), None, decide)
            woken += bool(entries)
        return woken


def _observe(before: Document, change: Change, report_labels: Iterable[str]) -> None:
    """First-response and resolution times, labels put on (`report_labels`: the hotel's configured ones) and
    reservations recorded, by the one writer that made the change."""
    changes, hotel = change.set, str(before.get("location_id"))
    for label in set(changes.get("labels") or []) - set(before.get("labels") or []):
        LABELS_APPLIED.labels(location=hotel, label=report_label(label, report_labels)).inc()
    if isinstance(change.event, ReservationRecorded):
        RESERVATIONS_RECORDED.labels(location=hotel, kind=change.event.category).inc()
    opened = before.get("created_at")
    if not isinstance(opened, datetime):
        return
    channel = str(before.get("channel"))
    now = utcnow()
    if changes.get("first_response_at") and not before.get("first_response_at"):
        FIRST_RESPONSE.labels(channel=channel).observe(max((now - opened).total_seconds(), 0.0))
        HOTEL_FIRST_RESPONSE.labels(location=hotel).observe(max((now - opened).total_seconds(), 0.0))
    if changes.get("status") == Status.CLOSED.value and before.get("status") != Status.CLOSED.value:
        RESOLUTION.labels(channel=channel).observe(max((now - opened).total_seconds(), 0.0))


def public_conversation(document: Document) -> Document:
    """The conversation as the API shows it (`id` instead of Mongo's `_id`, no internal keys)."""
    hidden = {"_id", "thread_key", "applied_keys", "reply_references", *DERIVED_FIELDS}
    return {"id": str(document["_id"]), **{k: v for k, v in document.items() if k not in hidden}}


def public_entry(document: Document) -> Document:
    return {"id": str(document["_id"]), **{k: v for k, v in document.items() if k not in {"_id", "key", "traceparent"}}}


def inbox_for(runtime: Runtime, settings: InboxSettings) -> Inbox:
    """The inbox's rules over this process's database and bus."""
    return Inbox(
        repository=conversation_repository(runtime.db, runtime.settings.mongo_flavour),
        broker=runtime.broker,
        secret=runtime.settings.secret_key.get_secret_value(),
        attachments=AttachmentStore(runtime.db),
        bots=BotRepository(runtime.db),
        contacts_timeout=settings.contacts_timeout_seconds,
        alert_threshold=settings.alert_threshold,
        review_platforms=settings.review_platforms,
        sla=Targets(SlaRepository(runtime.db, runtime.settings.mongo_flavour)),
        score_marks=ScoreMarks(runtime.db),
    )
