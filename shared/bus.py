"""The bus in one place: every subject, stream, durable consumer and message schema.

Who publishes what, and who consumes it (generated from the declarations below by `render_table()`;
`python -m scripts.asyncapi` rewrites it, and tests/unit/test_bus.py fails when it is stale):

BEGIN GENERATED TABLE
hub.inbound.guest.{channel}.{location}                INBOUND   InboundMessage
    ingest -> inbox-inbound
hub.inbound.solicitation.{location}                   INBOUND   InboundMessage
    ingest -> solicit-inbound
hub.inbound.bounce.{location}                         INBOUND   BounceReceived
    ingest -> notify-bounces
hub.inbound.guest.email.{location}                    INBOUND   InboundMessage
    notify -> inbox-inbound
hub.outbound.email                                    OUTBOUND  OutboundMessage
    inbox -> notify-outbound
hub.outbound.chat                                     OUTBOUND  OutboundMessage
    inbox -> notify-outbound
hub.outbound.bot                                      OUTBOUND  BotCall
    inbox -> notify-outbound
hub.outbound.review                                   OUTBOUND  OutboundMessage
    inbox -> notify-outbound
hub.outbound.email                                    OUTBOUND  OutboundMessage
    solicit -> notify-outbound
hub.events.conversation.created.{hotel}               EVENTS    ConversationCreated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.message_received.{hotel}      EVENTS    MessageReceived
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.reopened.{hotel}              EVENTS    ConversationReopened
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.status_changed.{hotel}        EVENTS    ConversationStatusChanged
    inbox -> inbox-surveys, inbox-rules, contacts-events, live UI
hub.events.conversation.snooze_expired.{hotel}        EVENTS    SnoozeExpired
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.marked_spam.{hotel}           EVENTS    MarkedSpam
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.marked_not_spam.{hotel}       EVENTS    MarkedNotSpam
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.replied.{hotel}               EVENTS    ConversationReplied
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.chat_closed.{hotel}           EVENTS    ChatClosed
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.handed_over.{hotel}           EVENTS    HandedOver
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.read.{hotel}                  EVENTS    ConversationRead
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.assigned.{hotel}              EVENTS    ConversationAssigned
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.unassigned.{hotel}            EVENTS    ConversationUnassigned
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.updated.{hotel}               EVENTS    ConversationUpdated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.note_added.{hotel}            EVENTS    NoteAdded
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.call_logged.{hotel}           EVENTS    CallLogged
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.reservation_recorded.{hotel}  EVENTS    ReservationRecorded
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.forwarded.{hotel}             EVENTS    ConversationForwarded
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.delegated.{hotel}             EVENTS    ConversationDelegated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.shared.{hotel}                EVENTS    ConversationShared
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.contact_linked.{hotel}        EVENTS    ContactLinked
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.delivery_updated.{hotel}      EVENTS    DeliveryUpdated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.solicitation_sent.{hotel}     EVENTS    SolicitationShown
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.solicitation_reply.{hotel}    EVENTS    SolicitationAnswered
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.erased.{hotel}                EVENTS    ConversationErased
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.sla_missed.{hotel}            EVENTS    SlaTargetMissed
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.escalated.{hotel}             EVENTS    ConversationEscalated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.rated.{hotel}                 EVENTS    ConversationRated
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.merged.{hotel}                EVENTS    ConversationMerged
    inbox -> inbox-rules, contacts-events, live UI
hub.events.conversation.split.{hotel}                 EVENTS    ConversationSplit
    inbox -> inbox-rules, contacts-events, live UI
hub.events.delivery.queued.{hotel}                    EVENTS    DeliveryQueued
    notify -> inbox-deliveries, contacts-events, live UI
hub.events.delivery.sent.{hotel}                      EVENTS    DeliverySent
    notify -> inbox-deliveries, contacts-events, live UI
hub.events.delivery.failed.{hotel}                    EVENTS    DeliveryFailed
    notify -> inbox-deliveries, solicit-delivery-failures, contacts-events, live UI
hub.events.solicitation.sent.{hotel}                  EVENTS    SolicitationSent
    solicit -> inbox-solicitations, contacts-events, live UI
hub.events.solicitation.reply_received.{hotel}        EVENTS    SolicitationReplyReceived
    solicit -> inbox-solicitations, contacts-events, live UI
hub.events.solicitation.failed.{hotel}                EVENTS    SolicitationFailed
    solicit -> inbox-solicitations, contacts-events, live UI
hub.events.contact.merged._chain                      EVENTS    ContactMerged
    contacts -> inbox-contacts, contacts-events
hub.events.contact.erased._chain                      EVENTS    ContactErased
    contacts -> inbox-contacts, contacts-events
hub.events.contact.renamed._chain                     EVENTS    ContactRenamed
    contacts -> inbox-contacts, contacts-events
hub.events.erasure.applied._chain                     EVENTS    ErasureApplied
    inbox -> contacts-events
hub.events.location.changed.{hotel}                   EVENTS    LocationChanged
    inbox -> contacts-events, live UI
hub.events.review.reply_changed.{hotel}               EVENTS    ReviewReplyChanged
    ingest -> inbox-reviews, contacts-events, live UI
hub.chat.to_guest.{session}                           core      ChatToGuest
    notify, inbox -> ingest (the guest's widget socket)
hub.presence.conversation.{location}                  core      ConversationViewing
    inbox -> live UI
hub.dlq.{stream}                                      DLQ       DeadLetter
    any consumer -> operators (scripts/dlq.py)
hub.rpc.contacts.resolve                              reply     ResolveContact -> ContactResolved
    inbox, ingest -> contacts
hub.rpc.contacts.hotels                               reply     ContactHotelsRequest -> ContactHotels
    inbox -> contacts
hub.rpc.inbox.contact_export                          reply     ContactExportRequest -> ContactExportPage
    contacts -> inbox
hub.rpc.inbox.conversation_brief                      reply     ConversationBriefRequest -> ConversationBrief
    solicit -> inbox
hub.rpc.inbox.location_exists                         reply     LocationExistsRequest -> LocationExists
    ingest -> inbox
END GENERATED TABLE

Events name their hotel last, `hub.events.<aggregate>.<event>.<hotel>`, so one hotel's consumer
subscribes with `hub.events.*.*.<hotel>`; chain-wide events (a contact merged or erased, an erasure
applied) carry `_chain`, a token no location id can be. Guest channels get their own `guest` token so
the inbox can filter them in one wildcard and the solicitation replies, which belong to the solicit
service, never reach it.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, Union, get_args

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    EmailStr,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    field_validator,
)

SCHEMA_VERSION = 1
DAY = 24 * 3600.0

# A location id travels in subjects, so it must be a single safe token.
LOCATION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
LocationId = Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)]
_location_re = re.compile(LOCATION_ID_PATTERN)

# The hotel token of chain-wide events: it starts with "_", which no location id can.
CHAIN = "_chain"


def is_location_id(value: str) -> bool:
    return bool(_location_re.match(value))


class Channel(StrEnum):
    EMAIL = "email"
    FORM = "form"
    CHAT = "chat"
    REVIEW = "review"
    PHONE = "phone"


# The subject ingest gives every chat message; the inbox titles a new chat by its first message instead.
CHAT_SUBJECT = "Chat"


# --- subjects -------------------------------------------------------------------------------------


class Subjects:
    INBOUND_GUEST_ALL = "hub.inbound.guest.>"
    INBOUND_SOLICITATION_ALL = "hub.inbound.solicitation.>"
    INBOUND_BOUNCE_ALL = "hub.inbound.bounce.>"
    OUTBOUND_ALL = "hub.outbound.>"
    EVENTS_ALL = "hub.events.>"
    DLQ_ALL = "hub.dlq.>"
    RESOLVE_CONTACT = "hub.rpc.contacts.resolve"
    CONTACT_HOTELS = "hub.rpc.contacts.hotels"
    CONTACT_EXPORT = "hub.rpc.inbox.contact_export"
    CONVERSATION_BRIEF = "hub.rpc.inbox.conversation_brief"
    LOCATION_EXISTS = "hub.rpc.inbox.location_exists"
    LOCATION_CHANGES = "hub.events.location.changed.*"
    SOLICITATION_EVENTS = "hub.events.solicitation.>"
    CONTACT_EVENTS = "hub.events.contact.>"
    DELIVERY_EVENTS = "hub.events.delivery.>"
    REVIEW_EVENTS = "hub.events.review.>"
    # Who is looking at what right now: core NATS only, outside every stream (nothing to keep or replay).
    PRESENCE_ALL = "hub.presence.>"

    @staticmethod
    def inbound_guest(channel: Channel, location_id: str) -> str:
        return f"hub.inbound.guest.{channel.value}.{location_id}"

    @staticmethod
    def inbound_solicitation(location_id: str) -> str:
        return f"hub.inbound.solicitation.{location_id}"

    @staticmethod
    def inbound_bounce(location_id: str) -> str:
        return f"hub.inbound.bounce.{location_id}"

    @staticmethod
    def event(aggregate: str, name: str, hotel: str) -> str:
        return f"hub.events.{aggregate}.{name}.{hotel}"

    @staticmethod
    def events_of_hotel(hotel: str) -> str:
        """Every event of one hotel, whatever its aggregate and name."""
        return f"hub.events.*.*.{hotel}"

    @staticmethod
    def chat_to_guest(session_id: str) -> str:
        return f"hub.chat.to_guest.{session_id}"

    @staticmethod
    def presence(location_id: str) -> str:
        return f"hub.presence.conversation.{location_id}"

    @staticmethod
    def dlq(stream: str) -> str:
        return f"hub.dlq.{stream.lower()}"


# --- streams --------------------------------------------------------------------------------------


class StreamSpec(BaseModel):
    """A JetStream stream as the hub declares it at start-up (every service declares what it uses)."""

    model_config = ConfigDict(frozen=True)

    name: str
    subjects: list[str]
    retention: RetentionPolicy
    max_age_seconds: float
    # Publishes carrying the same Nats-Msg-Id inside this window are dropped by the server;
    # consumers are idempotent as well, so a duplicate after the window is a no-op too.
    duplicate_window_seconds: float = 3600.0
    storage: StorageType = StorageType.FILE
    # At its byte limit (HUB_STREAM_MAX_BYTES) a stream refuses new messages: the publisher fails and says so
    # (ingest answers 451/503, the sender retries) rather than the server silently dropping guest messages
    # not yet stored or mail not yet sent. Only the events' history gives up its oldest.
    discard: DiscardPolicy = DiscardPolicy.NEW


INBOUND = StreamSpec(
    name="INBOUND",
    subjects=["hub.inbound.>"],
    retention=RetentionPolicy.LIMITS,
    max_age_seconds=14 * DAY,
)
OUTBOUND = StreamSpec(
    name="OUTBOUND",
    subjects=[Subjects.OUTBOUND_ALL],
    retention=RetentionPolicy.WORK_QUEUE,
    max_age_seconds=7 * DAY,
)
EVENTS = StreamSpec(
    name="EVENTS",
    subjects=[Subjects.EVENTS_ALL],
    retention=RetentionPolicy.LIMITS,
    max_age_seconds=30 * DAY,
    discard=DiscardPolicy.OLD,
)
DLQ = StreamSpec(
    name="DLQ",
    subjects=[Subjects.DLQ_ALL],
    retention=RetentionPolicy.LIMITS,
    max_age_seconds=90 * DAY,
)
STREAMS = (INBOUND, OUTBOUND, EVENTS, DLQ)


# --- durable consumers ----------------------------------------------------------------------------


class ConsumerSpec(BaseModel):
    """A durable pull consumer; replicas of a service share it and so share the work.

    Its durable name starts with the service's name (`inbox-…`), which says who consumes."""

    model_config = ConfigDict(frozen=True)

    durable: str
    stream: StreamSpec
    filter_subject: str

    @property
    def service(self) -> str:
        return self.durable.partition("-")[0]

    def config(self, *, max_deliver: int, ack_wait_seconds: float) -> ConsumerConfig:
        # The application dead-letters a message after `max_deliver` attempts, nacking each failure
        # with a growing delay (shared/messaging.py); the server's own limit is two deliveries
        # higher so a process killed during the last attempt still gets one more try. No server
        # BackOff: it also governs explicit nacks and was seen overriding their delays. A worker
        # that dies is covered by the ack wait; a slow one extends it with in-progress acks.
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            filter_subject=self.filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait_seconds,
            max_deliver=max_deliver + 2,
            max_ack_pending=1000,
        )


INBOX_INBOUND = ConsumerSpec(durable="inbox-inbound", stream=INBOUND, filter_subject=Subjects.INBOUND_GUEST_ALL)
INBOX_DELIVERIES = ConsumerSpec(durable="inbox-deliveries", stream=EVENTS, filter_subject=Subjects.DELIVERY_EVENTS)
INBOX_CONTACTS = ConsumerSpec(durable="inbox-contacts", stream=EVENTS, filter_subject=Subjects.CONTACT_EVENTS)
# What the review platforms say happened to a public reply (ingest's poller): the inbox records it.
INBOX_REVIEWS = ConsumerSpec(durable="inbox-reviews", stream=EVENTS, filter_subject=Subjects.REVIEW_EVENTS)
INBOX_SOLICITATIONS = ConsumerSpec(
    durable="inbox-solicitations", stream=EVENTS, filter_subject=Subjects.SOLICITATION_EVENTS
)
# Requests closed by an agent: the inbox sends the hotel's satisfaction survey, once (surveys/).
INBOX_SURVEYS = ConsumerSpec(
    durable="inbox-surveys", stream=EVENTS, filter_subject="hub.events.conversation.status_changed.*"
)
# Every conversation event: the automation rules run one pass on those that trigger them (rules/).
INBOX_RULES = ConsumerSpec(durable="inbox-rules", stream=EVENTS, filter_subject="hub.events.conversation.*.*")
SOLICIT_DELIVERY_FAILURES = ConsumerSpec(
    durable="solicit-delivery-failures", stream=EVENTS, filter_subject="hub.events.delivery.failed.*"
)
SOLICIT_INBOUND = ConsumerSpec(
    durable="solicit-inbound", stream=INBOUND, filter_subject=Subjects.INBOUND_SOLICITATION_ALL
)
# The contacts service's projections (history, hotels' phone regions, erasure reports) read every event.
CONTACTS_EVENTS = ConsumerSpec(durable="contacts-events", stream=EVENTS, filter_subject=Subjects.EVENTS_ALL)
# notify sends every outbound command once (email over SMTP, chat pushes) and reports on `hub.events.delivery.*`.
NOTIFY_OUTBOUND = ConsumerSpec(durable="notify-outbound", stream=OUTBOUND, filter_subject=Subjects.OUTBOUND_ALL)
# notify matches the bounces ingest received to the emails it sent (it keeps their Message-IDs).
NOTIFY_BOUNCES = ConsumerSpec(durable="notify-bounces", stream=INBOUND, filter_subject=Subjects.INBOUND_BOUNCE_ALL)
DURABLE_CONSUMERS = (
    INBOX_INBOUND,
    INBOX_DELIVERIES,
    INBOX_CONTACTS,
    INBOX_REVIEWS,
    INBOX_SOLICITATIONS,
    INBOX_SURVEYS,
    INBOX_RULES,
    SOLICIT_DELIVERY_FAILURES,
    SOLICIT_INBOUND,
    CONTACTS_EVENTS,
    NOTIFY_OUTBOUND,
    NOTIFY_BOUNCES,
)


@dataclass(frozen=True)
class CoreSubscriber:
    """A core NATS subscriber (no stream, nothing kept): who listens on a subject, live."""

    subject: str
    consumer: str


# Each agent's live stream subscribes to its hotels' events and presence (services/inbox/live).
LIVE_EVENTS = CoreSubscriber("hub.events.*.*.{hotel}", "live UI")
LIVE_PRESENCE = CoreSubscriber("hub.presence.conversation.{hotel}", "live UI")
CHAT_PUSHES = CoreSubscriber("hub.chat.to_guest.{session}", "ingest (the guest's widget socket)")
CORE_SUBSCRIBERS = (LIVE_EVENTS, LIVE_PRESENCE, CHAT_PUSHES)


# --- messages -------------------------------------------------------------------------------------


class BusMessage(BaseModel):
    """Base of every message on the bus: versioned, and tolerant of fields added by newer producers."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION


def utcnow() -> datetime:
    return datetime.now(UTC)


class Guest(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None

    @field_validator("email")
    @classmethod
    def _lower_case_email(cls, value: str | None) -> str | None:
        # Mailboxes are case-insensitive in practice: one guest, one address, however they typed it.
        return value.lower() if value else value


MessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=998)]


class ThreadHints(BaseModel):
    """What ingest found that tells which conversation a message belongs to (checked by the inbox)."""

    model_config = ConfigDict(extra="allow")

    message_id: MessageId | None = None  # email Message-ID, without angle brackets
    in_reply_to: list[MessageId] = Field(default=[], max_length=100)
    references: list[MessageId] = Field(default=[], max_length=500)
    reply_token: Annotated[str, StringConstraints(max_length=200)] | None = None  # from reply+<token>@…
    chat_session_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    review_id: Annotated[str, StringConstraints(max_length=300)] | None = None  # "<platform>:<id>"
    caller: Annotated[str, StringConstraints(max_length=100)] | None = None  # "<hotel>:<phone number>"
    solicitation_token: Annotated[str, StringConstraints(max_length=200)] | None = None  # from solicit+<token>@…


class AttachmentRef(BaseModel):
    """A file in the attachments bucket (shared/attachments.py) that a message carries."""

    id: str
    filename: str
    content_type: str
    size: int
    content_id: str | None = None  # an inline image's cid, referenced by the message's HTML


class ForwardedEmail(BaseModel):
    """An email attached to a guest's email (a forward, a booking confirmation, a digest): kept whole as
    one `.eml` attachment, with what it says of itself for the timeline. Shown, never routed on."""

    sender: Annotated[str, StringConstraints(max_length=500)] = ""  # its From header, as written
    date: datetime | None = None
    subject: Annotated[str, StringConstraints(max_length=500)] = ""
    attachment_id: str  # the .eml among the message's attachments


SystemTextKey = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}(\.[a-z_]{1,40}){1,3}$")]
SystemTextValues = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")],
        Annotated[str, StringConstraints(max_length=2000)] | int,
    ],
    Field(max_length=10),
]


class InboundMessage(BusMessage):
    """A guest's message from any channel, normalized by ingest (`hub.inbound.guest.*`)."""

    type: Literal["inbound.message"] = "inbound.message"
    # Stable key of the real-world event (e.g. `form:<location>:<submission id>`): the JetStream
    # Nats-Msg-Id and the inbox's unique key for this timeline entry.
    key: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    channel: Channel
    location_id: LocationId
    received_at: datetime = Field(default_factory=utcnow)
    guest: Guest
    subject: Annotated[str, StringConstraints(max_length=500)] = ""
    text: Annotated[str, StringConstraints(max_length=100_000)]
    thread: ThreadHints = Field(default_factory=ThreadHints)
    rating: int | None = Field(default=None, ge=1, le=5)  # reviews
    bot_handled: bool = False  # a chat the chatbot answers until it hands over to a person
    html: Annotated[str, StringConstraints(max_length=200_000)] | None = None  # sanitized at ingest
    attachments: list[AttachmentRef] = Field(default=[], max_length=20)
    review: dict[str, Any] | None = None  # platform, url, language, date, original rating and scale
    spam: str | None = None  # why ingest's rules think it is spam: a new request opens in the spam view
    # The email's From can be read as another sender than the address kept (CVE-2023-27043): the message is
    # stored, flagged, and never taken as proof of who the guest is (the inbox links no contact for it).
    ambiguous_sender: bool = False
    # An auto-responder wrote it (RFC 3834: an out-of-office, a "we received your message"): stored on the
    # conversation it answers, which it neither reopens nor marks unread (inbox `Inbox.receive`).
    automatic: Literal["auto_reply"] | None = None
    forwarded: list[ForwardedEmail] = Field(default=[], max_length=20)
    # A subject or text the hub wrote itself (a call's summary, "(no text)"): its key and values
    # (shared/system_texts.py), which the console renders in its reader's language; `subject` and
    # `text` hold the English.
    subject_key: SystemTextKey | None = None
    subject_values: SystemTextValues = {}
    text_key: SystemTextKey | None = None
    text_values: SystemTextValues = {}


class BounceKind(StrEnum):
    """What a delivery status notification (RFC 3464) says of one recipient."""

    HARD = "hard"  # failed for good (5.x.x): the address does not take mail
    SOFT = "soft"  # failed for a reason that may pass (4.x.x: mailbox full, gave up retrying)
    DELAYED = "delayed"  # not delivered yet; the reporting server keeps trying


class BouncedRecipient(BaseModel):
    """One recipient of a bounce report: the address (Original- or Final-Recipient), the Status and the
    receiving server's Diagnostic-Code ("550 5.1.1 mailbox unavailable")."""

    model_config = ConfigDict(extra="allow")

    address: Annotated[str, StringConstraints(max_length=320)] | None = None  # None: the report names nobody
    kind: BounceKind
    status: Annotated[str, StringConstraints(max_length=20)] | None = None
    diagnostic: Annotated[str, StringConstraints(max_length=500)] | None = None


class BounceReceived(BusMessage):
    """A bounce (delivery status notification) that came to a hotel's address (`hub.inbound.bounce.<hotel>`):
    the Message-IDs of the email it reports on, and what happened to each recipient. notify matches it to
    an email it sent from that hotel; one that matches none goes to the hotel's inbox as `report`."""

    type: Literal["inbound.bounce"] = "inbound.bounce"
    key: Annotated[str, StringConstraints(min_length=1, max_length=512)]  # the report's own email key
    location_id: LocationId
    received_at: datetime = Field(default_factory=utcnow)
    original_message_ids: list[MessageId] = Field(default=[], max_length=20)
    recipients: list[BouncedRecipient] = Field(default=[], max_length=50)
    report: InboundMessage  # the report itself, as the hotel's inbox would keep it


# --- events: `hub.events.<aggregate>.<event>.<hotel>` ---------------------------------------------


class Event(BusMessage):
    """Something that happened, told to whoever listens. Its `type` (`<aggregate>.<event>`) names its
    subject, its hotel ends it, and `dedup_key` is its Nats-Msg-Id: a stable key of the real-world
    event, so JetStream drops a republished one (shared/messaging.publish_event)."""

    type: str
    occurred_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def type_name(cls) -> str:
        """The `type` every instance of this model has (`conversation.assigned`)."""
        default = cls.model_fields["type"].default
        if not isinstance(default, str):  # pragma: no cover - a declaration mistake, caught by the unit tests
            raise TypeError(f"{cls.__name__} declares no literal type")
        return default

    @property
    def hotel(self) -> str:
        """The subject's last token: the event's hotel, or `_chain` for what concerns the whole chain."""
        return CHAIN

    @property
    def bus_subject(self) -> str:
        aggregate, _, name = self.type.partition(".")
        return Subjects.event(aggregate, name, self.hotel)

    def dedup_key(self) -> str:
        raise NotImplementedError(type(self).__name__)


class HotelEvent(Event):
    location_id: LocationId

    @property
    def hotel(self) -> str:
        return self.location_id


class UnknownEvent(Event):
    """An event of a type this code does not know yet (a newer producer's): kept with all its fields,
    never an error, so a consumer deployed before its producer does not dead-letter what it skips."""

    type: str

    @property
    def hotel(self) -> str:
        location = (self.model_extra or {}).get("location_id")
        return location if isinstance(location, str) and is_location_id(location) else CHAIN

    def dedup_key(self) -> str:
        return f"{self.type}:{self.occurred_at.isoformat()}"


class AgentRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str = ""
    initials: str = ""


class ConversationEventBase(HotelEvent):
    """Something changed on a conversation (`hub.events.conversation.<event>.<hotel>`)."""

    conversation_id: str
    actor_id: str | None = None  # None: the guest or the system (e.g. a snooze that expired)
    entry_id: str | None = None  # the timeline entry the change added, if any
    version: int | None = None  # the conversation's version the change was decided on
    # The automation rules whose actions caused the change (inbox rules/): the rules engine runs no pass
    # for such an event, which stops a rule re-triggering itself or two rules ping-ponging.
    rule_ids: list[str] = []

    def dedup_key(self) -> str:
        return f"{self.type}:{self.conversation_id}:{self.version or 0}:{self.entry_id}"


class StatusEvent(ConversationEventBase):
    """A conversation event that leaves the request in a new status."""

    status: str


class ConversationCreated(ConversationEventBase):
    """A new guest request was opened."""

    type: Literal["conversation.created"] = "conversation.created"
    channel: Channel
    contact_id: str | None
    subject: str = ""
    subject_key: SystemTextKey | None = None  # a subject the hub wrote ("Call from …"), as InboundMessage's
    subject_values: SystemTextValues = {}
    status: str = "open"

    def dedup_key(self) -> str:
        return f"{self.type}:{self.conversation_id}"


class MessageReceived(ConversationEventBase):
    """A guest's message was stored in its conversation."""

    type: Literal["conversation.message_received"] = "conversation.message_received"
    channel: Channel
    message_key: str

    def dedup_key(self) -> str:
        return f"{self.type}:{self.message_key}"


class ConversationReopened(StatusEvent):
    """The guest wrote again on a request on hold or closed: it is open again."""

    type: Literal["conversation.reopened"] = "conversation.reopened"


class ConversationStatusChanged(StatusEvent):
    """An agent set the request's status (on hold until a time, closed, open again)."""

    type: Literal["conversation.status_changed"] = "conversation.status_changed"
    snoozed_until: datetime | None = None


class SnoozeExpired(StatusEvent):
    """A request's hold time passed: it is open again."""

    type: Literal["conversation.snooze_expired"] = "conversation.snooze_expired"


class MarkedSpam(StatusEvent):
    """An agent put the request in the spam view."""

    type: Literal["conversation.marked_spam"] = "conversation.marked_spam"


class MarkedNotSpam(StatusEvent):
    """An agent took the request out of the spam view."""

    type: Literal["conversation.marked_not_spam"] = "conversation.marked_not_spam"


class ConversationReplied(StatusEvent):
    """An agent answered the guest (the message is on its way through notify)."""

    type: Literal["conversation.replied"] = "conversation.replied"


class ChatClosed(StatusEvent):
    """An agent ended a chat; the guest's widget is told."""

    type: Literal["conversation.chat_closed"] = "conversation.chat_closed"


class HandedOver(StatusEvent):
    """The chatbot handed the chat to a person: it enters the inbox, open."""

    type: Literal["conversation.handed_over"] = "conversation.handed_over"
    bot_active: bool = False


class ConversationRead(ConversationEventBase):
    """An agent opened an unread request."""

    type: Literal["conversation.read"] = "conversation.read"
    unread: bool = False


class ConversationAssigned(ConversationEventBase):
    """The request was given to an agent."""

    type: Literal["conversation.assigned"] = "conversation.assigned"
    assignee: AgentRef


class ConversationUnassigned(ConversationEventBase):
    """The request has no assignee any more."""

    type: Literal["conversation.unassigned"] = "conversation.unassigned"


class ConversationUpdated(ConversationEventBase):
    """The request's subject, qualification (priority, contact reason) or labels changed; None: unchanged."""

    type: Literal["conversation.updated"] = "conversation.updated"
    subject: str | None = None
    priority: str | None = None
    contact_reason: str | None = None
    labels: list[str] | None = None


class NoteAdded(ConversationEventBase):
    """An agent wrote an internal note."""

    type: Literal["conversation.note_added"] = "conversation.note_added"


class CallLogged(ConversationEventBase):
    """An agent logged a phone call with the guest."""

    type: Literal["conversation.call_logged"] = "conversation.call_logged"
    outcome: str


class ReservationRecorded(ConversationEventBase):
    """An agent recorded a reservation (room, table, spa…) made for the guest."""

    type: Literal["conversation.reservation_recorded"] = "conversation.reservation_recorded"
    category: str


class Handover(ConversationEventBase):
    """The request was sent by email to someone outside the inbox."""

    to: list[str]


class ConversationForwarded(Handover):
    """An agent forwarded the request to an address."""

    type: Literal["conversation.forwarded"] = "conversation.forwarded"


class ConversationDelegated(Handover):
    """An agent delegated the request to the chain's customer service."""

    type: Literal["conversation.delegated"] = "conversation.delegated"


class ConversationShared(Handover):
    """An agent shared the request with colleagues, for information."""

    type: Literal["conversation.shared"] = "conversation.shared"


class ContactLinked(ConversationEventBase):
    """The request was linked to a contact (by an agent, the guest identifying themselves, or a merge)."""

    type: Literal["conversation.contact_linked"] = "conversation.contact_linked"
    contact_id: str


class DeliveryUpdated(ConversationEventBase):
    """notify reported on a message of the request (queued, sent, failed): consoles show it."""

    type: Literal["conversation.delivery_updated"] = "conversation.delivery_updated"
    key: str
    state: str
    bounce: str | None = None  # a bounce report's kind (hard, soft, delayed) when one changed the state

    def dedup_key(self) -> str:
        # One per state of an entry: "sent" after "queued" on the same version is news, not a repeat; so is
        # a bounce's "queued" (delayed) after the first "queued".
        bounced = f":bounce:{self.bounce}" if self.bounce else ""
        return f"{self.type}:{self.conversation_id}:{self.entry_id}:{self.state}{bounced}"


class SolicitationShown(ConversationEventBase):
    """A solicitation's message to an external person joined the request's timeline."""

    type: Literal["conversation.solicitation_sent"] = "conversation.solicitation_sent"
    key: str


class SolicitationAnswered(ConversationEventBase):
    """An external person answered a solicitation: the request is unread again."""

    type: Literal["conversation.solicitation_reply"] = "conversation.solicitation_reply"
    unread: bool = True


class ConversationErased(ConversationEventBase):
    """The request's guest was erased (GDPR): its personal data is gone, the request forgets the contact."""

    type: Literal["conversation.erased"] = "conversation.erased"
    erasure_id: str


class ConversationRated(ConversationEventBase):
    """The guest answered the satisfaction survey sent after closing (1 to 5): the request, the scores and
    the contact keep the rating."""

    type: Literal["conversation.rated"] = "conversation.rated"
    rating: Annotated[int, Field(ge=1, le=5)]
    channel: str  # the request's channel (email, form, chat): the survey came with it
    contact_id: str | None = None

    def dedup_key(self) -> str:
        return f"{self.type}:{self.conversation_id}"  # a request is rated once


class ConversationMerged(ConversationEventBase):
    """Another request of the hotel (`merged_id`) was merged into this one (`conversation_id`, the survivor):
    its timeline, thread references and reply tokens lead here now; it is `merged`, listed nowhere."""

    type: Literal["conversation.merged"] = "conversation.merged"
    merged_id: str

    def dedup_key(self) -> str:
        return f"{self.type}:{self.conversation_id}:{self.merged_id}"  # a request is merged away once


class ConversationSplit(ConversationEventBase):
    """A guest's message (maybe with the entries after it) was split out of `from_conversation_id` into this
    new request (`conversation_id`), which replies to that message now reach."""

    type: Literal["conversation.split"] = "conversation.split"
    from_conversation_id: str

    def dedup_key(self) -> str:
        return f"{self.type}:{self.conversation_id}"  # a split opens its request once


class SlaTargetMissed(ConversationEventBase):
    """A response-time target of the request passed its due time unmet (`first_response` or `resolution`)."""

    type: Literal["conversation.sla_missed"] = "conversation.sla_missed"
    target: Literal["first_response", "resolution"]


class ConversationEscalated(ConversationEventBase):
    """A step of the request's escalation ran (its target missed or nearly missed): agents notified, or
    the request handed to a care group (`group_id`)."""

    type: Literal["conversation.escalated"] = "conversation.escalated"
    target: Literal["first_response", "resolution"]
    step: int
    action: Literal["notify_assignee", "notify_managers", "to_group"]
    reason: Literal["missed", "nearly_missed"]
    group_id: str | None = None
    notified: list[str] = []  # the ids of the agents an email went to


ConversationEvent = (
    ConversationCreated
    | MessageReceived
    | ConversationReopened
    | ConversationStatusChanged
    | SnoozeExpired
    | MarkedSpam
    | MarkedNotSpam
    | ConversationReplied
    | ChatClosed
    | HandedOver
    | ConversationRead
    | ConversationAssigned
    | ConversationUnassigned
    | ConversationUpdated
    | NoteAdded
    | CallLogged
    | ReservationRecorded
    | ConversationForwarded
    | ConversationDelegated
    | ConversationShared
    | ContactLinked
    | DeliveryUpdated
    | SolicitationShown
    | SolicitationAnswered
    | ConversationErased
    | SlaTargetMissed
    | ConversationEscalated
    | ConversationRated
    | ConversationMerged
    | ConversationSplit
)


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class DeliveryStatus(HotelEvent):
    """notify's report on an outbound message (`hub.events.delivery.<state>.<hotel>`)."""

    key: str
    conversation_id: str
    state: DeliveryState
    reason: str | None = None
    message_id: str | None = None  # the email's Message-ID, so replies to it thread back
    attempt: int | None = None  # a retried email's attempt: each "queued, will retry" is news
    # A bounce received after the email was sent: its recipients, the worst first, and the report's key.
    bounces: list[BouncedRecipient] = []
    bounce_key: str | None = None

    def dedup_key(self) -> str:
        key = f"delivery:{self.key}:{self.state.value}"
        if self.bounce_key is not None:
            return f"{key}:bounce:{hashlib.sha256(self.bounce_key.encode()).hexdigest()[:32]}"
        return key if self.attempt is None else f"{key}:{self.attempt}"


class DeliveryQueued(DeliveryStatus):
    """The message is handed to the mail server's queue (a transient refusal: it will be tried again)."""

    type: Literal["delivery.queued"] = "delivery.queued"
    state: DeliveryState = DeliveryState.QUEUED


class DeliverySent(DeliveryStatus):
    """The message was accepted by the mail server, or pushed to the guest's chat."""

    type: Literal["delivery.sent"] = "delivery.sent"
    state: DeliveryState = DeliveryState.SENT


class DeliveryFailed(DeliveryStatus):
    """The message could not be delivered; the reason says why."""

    type: Literal["delivery.failed"] = "delivery.failed"
    state: DeliveryState = DeliveryState.FAILED


DeliveryEvent = DeliveryQueued | DeliverySent | DeliveryFailed
_DELIVERY_OF_STATE: dict[DeliveryState, type[DeliveryEvent]] = {
    DeliveryState.QUEUED: DeliveryQueued,
    DeliveryState.SENT: DeliverySent,
    DeliveryState.FAILED: DeliveryFailed,
}


def delivery_status(
    state: DeliveryState,
    *,
    key: str,
    conversation_id: str,
    location_id: str,
    reason: str | None = None,
    message_id: str | None = None,
    attempt: int | None = None,
    bounces: list[BouncedRecipient] | None = None,
    bounce_key: str | None = None,
) -> DeliveryStatus:
    """notify's report in the model of its state."""
    return _DELIVERY_OF_STATE[state](
        key=key,
        conversation_id=conversation_id,
        location_id=location_id,
        reason=reason,
        message_id=message_id,
        attempt=attempt,
        bounces=bounces or [],
        bounce_key=bounce_key,
    )


class SolicitationEventBase(HotelEvent):
    """Something happened in a solicitation's thread (`hub.events.solicitation.<event>.<hotel>`)."""

    solicitation_id: str
    conversation_id: str
    key: str  # the thread message's key: the inbox's timeline entry key, and the outbound command's
    recipient: str
    subject: str = ""
    text: str = ""
    formatted: bool = False  # the text's light formatting (**bold**, *italic*, "- " lists) is to be shown
    html: str | None = None
    author: dict[str, Any] = {}
    attachments: list[AttachmentRef] = []
    reason: str | None = None

    def dedup_key(self) -> str:
        return f"{self.type}:{self.key}"


class SolicitationSent(SolicitationEventBase):
    """A solicitation's message went out to its external recipient."""

    type: Literal["solicitation.sent"] = "solicitation.sent"


class SolicitationReplyReceived(SolicitationEventBase):
    """The external person answered a solicitation."""

    type: Literal["solicitation.reply_received"] = "solicitation.reply_received"


class SolicitationFailed(SolicitationEventBase):
    """A solicitation's message could not be delivered."""

    type: Literal["solicitation.failed"] = "solicitation.failed"


SolicitationEvent = SolicitationSent | SolicitationReplyReceived | SolicitationFailed


class ContactMerged(Event):
    """Two contacts became one: the merged-away id now resolves to the survivor; the inbox re-points."""

    type: Literal["contact.merged"] = "contact.merged"
    survivor_id: str
    merged_id: str
    actor_id: str | None = None

    def dedup_key(self) -> str:
        return f"{self.type}:{self.merged_id}:{self.survivor_id}"


class ContactErased(Event):
    """A guest's personal data must go (GDPR): every service redacts what it holds and reports back."""

    type: Literal["contact.erased"] = "contact.erased"
    contact_id: str
    erasure_id: str

    def dedup_key(self) -> str:
        return f"{self.type}:{self.erasure_id}:{self.contact_id}"


class ContactRenamed(Event):
    """An agent changed a contact's name: the requests linked to it show the new one where they showed its old
    one or none (a name the guest gave themselves stays)."""

    type: Literal["contact.renamed"] = "contact.renamed"
    contact_id: str
    display_name: str | None
    actor_id: str | None = None

    def dedup_key(self) -> str:
        return f"{self.type}:{self.contact_id}:{self.occurred_at.isoformat()}"


ContactEvent = ContactMerged | ContactErased | ContactRenamed


class ErasureApplied(Event):
    """A service's report that it carried out an erasure; contacts records it."""

    type: Literal["erasure.applied"] = "erasure.applied"
    erasure_id: str
    contact_id: str
    service: str
    conversations: int = 0
    entries: int = 0
    attachments: int = 0

    def dedup_key(self) -> str:
        return f"erasure:{self.service}:{self.erasure_id}"


class LocationChanged(HotelEvent):
    """A hotel was created or edited; contacts keeps its phone region to read national numbers."""

    type: Literal["location.changed"] = "location.changed"
    default_phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"

    def dedup_key(self) -> str:
        return f"location:{self.location_id}:{self.occurred_at.isoformat()}"


class ReviewReplyChanged(HotelEvent):
    """A public reply changed on the review platform itself: edited there, or taken down (ingest's poller)."""

    type: Literal["review.reply_changed"] = "review.reply_changed"
    platform: str
    review_id: str  # the platform's id of the review (Google: `accounts/{a}/locations/{l}/reviews/{r}`)
    state: Literal["edited", "deleted"]
    comment: str | None = None  # the reply's text now (edited)
    at: datetime  # when the platform says it changed, or when the hub noticed

    def dedup_key(self) -> str:
        digest = hashlib.sha256(f"{self.platform}:{self.review_id}".encode()).hexdigest()[:32]
        return f"review-reply:{digest}:{self.state}:{self.at.isoformat()}"


BusEvent = (
    ConversationEvent
    | DeliveryEvent
    | SolicitationEvent
    | ContactEvent
    | ErasureApplied
    | LocationChanged
    | ReviewReplyChanged
)

_UNKNOWN_TAG = "unknown"


def _tolerant_union(union: Any) -> Any:
    """A discriminated union on `type` whose unknown types decode to UnknownEvent instead of failing.

    A known type with invalid fields still fails (the message is broken, the DLQ keeps it); only a type
    this code has never heard of is passed on as it came (schema_version rules: newer producers first).
    """
    members: tuple[type[Event], ...] = get_args(union)
    known = {member.type_name(): member for member in members}

    def tag(value: Any) -> str:
        kind = value.get("type") if isinstance(value, Mapping) else getattr(value, "type", None)
        return kind if isinstance(kind, str) and kind in known else _UNKNOWN_TAG

    choices = tuple(Annotated[member, Tag(name)] for name, member in known.items())
    return Annotated[Union[(*choices, Annotated[UnknownEvent, Tag(_UNKNOWN_TAG)])], Discriminator(tag)]


# Handlers annotate their message with these (FastStream validates it from the annotation); code that
# decodes by hand uses the adapters or `decode_event`.
if TYPE_CHECKING:
    ConversationEventIn = ConversationEvent | UnknownEvent
    DeliveryStatusIn = DeliveryEvent | UnknownEvent
    SolicitationEventIn = SolicitationEvent | UnknownEvent
    ContactEventIn = ContactEvent | UnknownEvent
    BusEventIn = BusEvent | UnknownEvent
else:
    ConversationEventIn = _tolerant_union(ConversationEvent)
    DeliveryStatusIn = _tolerant_union(DeliveryEvent)
    SolicitationEventIn = _tolerant_union(SolicitationEvent)
    ContactEventIn = _tolerant_union(ContactEvent)
    BusEventIn = _tolerant_union(BusEvent)

conversation_events: TypeAdapter[ConversationEvent | UnknownEvent] = TypeAdapter(ConversationEventIn)
delivery_statuses: TypeAdapter[DeliveryEvent | UnknownEvent] = TypeAdapter(DeliveryStatusIn)
solicitation_events: TypeAdapter[SolicitationEvent | UnknownEvent] = TypeAdapter(SolicitationEventIn)
contact_events: TypeAdapter[ContactEvent | UnknownEvent] = TypeAdapter(ContactEventIn)
bus_events: TypeAdapter[BusEvent | UnknownEvent] = TypeAdapter(BusEventIn)


def decode_event(data: bytes | str | Mapping[str, Any]) -> BusEvent | UnknownEvent:
    """Any event of the EVENTS stream as its model; an unknown type as UnknownEvent, never an error."""
    if isinstance(data, bytes | str):
        return bus_events.validate_json(data)
    return bus_events.validate_python(data)


# The languages a hotel writes to guests, suppliers and colleagues in (the directory's `language`).
HotelLanguage = Literal["fr", "en"]


class OutboundKind(StrEnum):
    REPLY = "reply"
    FORWARD = "forward"
    DELEGATE = "delegate"
    SHARE = "share"
    SOLICITATION = "solicitation"  # to an external person; their answer comes back to solicit+<token>@
    NOTIFICATION = "notification"  # to an agent: a request was assigned to them
    SURVEY = "survey"  # to a guest after closing: the satisfaction survey's one-click links (not a reply)


class ReviewTarget(BaseModel):
    """The review a public reply answers, on its platform (shared/review_platforms has its connector)."""

    platform: str  # "google", or a webhook connector's platform name
    review_id: str  # the platform's id (Google: the review's resource name `accounts/{a}/locations/{l}/reviews/{r}`)


class OutboundMessage(BusMessage):
    """A command to notify (`hub.outbound.{email,chat,review}`): send this, once, and report how it went."""

    type: Literal["outbound.message"] = "outbound.message"
    key: str  # the timeline entry's key: notify sends each key once
    kind: OutboundKind
    channel: Channel
    conversation_id: str
    location_id: LocationId
    to: list[EmailStr] = []
    chat_session_id: str | None = None
    subject: str = ""
    text: str
    formatted: bool = False  # light formatting in the text (**bold**, *italic*, "- " lists) for the HTML part
    reply_token: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    author_name: str | None = None
    author_kind: Literal["agent", "bot"] = "agent"  # a chat message the hotel's chatbot wrote, shown as the bot's
    attachments: list[AttachmentRef] = []
    created_at: datetime = Field(default_factory=utcnow)
    # The hotel's sender and language, from the directory when the command was made: the email comes
    # from the hotel and the hub's own words in it are in its language. Without them (older commands,
    # a hotel with no sender set) notify sends as its settings say, in French.
    sender_name: str | None = None
    sender_address: EmailStr | None = None
    language: HotelLanguage | None = None
    review: ReviewTarget | None = None  # a public reply (channel "review"): posted through the platform
    # What to do with the hotel's public reply on the platform: publish `text` ("put"), or take it down
    # ("delete": an agent removed it from the hub; `text` is then empty).
    review_action: Literal["put", "delete"] = "put"


class ResolveContact(BusMessage):
    """Request on `hub.rpc.contacts.resolve`: find the guest's contact, or create it."""

    type: Literal["contacts.resolve"] = "contacts.resolve"
    location_id: LocationId
    channel: Channel
    guest: Guest


class ContactResolved(BusMessage):
    type: Literal["contacts.resolved"] = "contacts.resolved"
    contact_id: str | None
    display_name: str | None = None
    created: bool = False


class ContactHotelsRequest(BusMessage):
    """Request on `hub.rpc.contacts.hotels`: the hotels a contact belongs to, which say who may see it,
    and the contact's name and email addresses for the hotels asking (`hotels`: those the agent works for,
    or the request's hotel; None: an admin, any contact)."""

    type: Literal["contacts.hotels"] = "contacts.hotels"
    contact_id: str
    hotels: list[LocationId] | None = None
    # The automation rules' conditions on headquarters attributes: answered with the card, when asked.
    with_attributes: bool = False


class ContactHotels(BusMessage):
    type: Literal["contacts.hotels_reply"] = "contacts.hotels_reply"
    found: bool  # false for an unknown or erased contact; a merged-away id answers for its survivor
    location_ids: list[str] = []
    # The card, only for a contact in contact with one of the hotels asking (see ContactHotelsRequest).
    contact_id: str | None = None  # the survivor's id for a merged-away one
    display_name: str | None = None
    emails: list[str] = []
    attributes: dict[str, Any] = {}  # headquarters attributes, with the card when `with_attributes` asked


class ConversationBriefRequest(BusMessage):
    """Request on `hub.rpc.inbox.conversation_brief`: what another service needs of a request."""

    type: Literal["inbox.conversation_brief"] = "inbox.conversation_brief"
    conversation_id: str


class ConversationBrief(BusMessage):
    type: Literal["inbox.conversation_brief_reply"] = "inbox.conversation_brief_reply"
    found: bool
    location_id: str | None = None
    subject: str = ""
    # The hotel's sender and language (directory), for the solicitations sent from the request.
    sender_name: str | None = None
    sender_address: str | None = None
    language: HotelLanguage | None = None


class LocationExistsRequest(BusMessage):
    """Request on `hub.rpc.inbox.location_exists`: is this hotel in the directory? (Ingest asks before it
    accepts a message for a hotel, so a made-up hotel gets no request and no metric label.)"""

    type: Literal["inbox.location_exists"] = "inbox.location_exists"
    location_id: str


class LocationExists(BusMessage):
    type: Literal["inbox.location_exists_reply"] = "inbox.location_exists_reply"
    found: bool


class ContactExportRequest(BusMessage):
    """Request on `hub.rpc.inbox.contact_export`: one page of what the inbox holds about a contact."""

    type: Literal["inbox.contact_export"] = "inbox.contact_export"
    contact_id: str
    cursor: str | None = None  # from the previous page's `next`


class ContactExportPage(BusMessage):
    """One conversation of the contact (on its first page) and a slice of its timeline, size-bounded."""

    type: Literal["inbox.contact_export_page"] = "inbox.contact_export_page"
    conversation: dict[str, Any] | None = None
    entries: list[dict[str, Any]] = []
    next: str | None = None


class ConversationViewing(BusMessage):
    """An agent has a request open in the console (`hub.presence.conversation.{location}`, core NATS),
    said again every few seconds while it stays open: other agents' consoles show a collision notice."""

    type: Literal["conversation.viewing"] = "conversation.viewing"
    conversation_id: str
    location_id: LocationId
    agent: dict[str, str]  # id, name, initials
    tab: Annotated[str, StringConstraints(max_length=64)] = ""  # one console tab, so an agent's own tabs differ
    answer: bool = False  # an answer to another agent's announcement (answers are not answered)
    at: datetime = Field(default_factory=utcnow)


class ChatToGuest(BusMessage):
    """Something for a guest's chat widget (`hub.chat.to_guest.{session}`, core NATS): an agent's
    message or the chat's closing. Whichever ingest replica holds the guest's socket pushes it."""

    type: Literal["chat.to_guest"] = "chat.to_guest"
    key: str  # the timeline entry's key: stored once in the transcript
    session_id: str
    # handed_over: a person takes over from the chatbot; the widget asks for the guest's email and name.
    kind: Literal["message", "closed", "handed_over"] = "message"
    text: str = ""
    author_name: str | None = None
    author_kind: Literal["agent", "bot"] = "agent"
    # handed_over: the guest already left an email address (the bot captured it): the widget asks for none.
    guest_identified: bool = False
    attachments: list[AttachmentRef] = []
    # closed: the signed token of the hotel's satisfaction survey (`/survey/<token>`), when the hotel asks
    # chat guests for a rating; the widget then shows a 1 to 5 prompt.
    survey_token: str | None = None
    at: datetime = Field(default_factory=utcnow)


BotEvent = Literal["message", "handed_over", "closed"]


class BotCall(BusMessage):
    """A command to notify (`hub.outbound.bot`): POST this webhook call to a hotel's chatbot until it answers 2xx.

    The inbox writes the body and signs it with the bot's secret, so the secret never travels on the bus
    and every retry sends the same bytes (`delivery_id` is the key notify delivers once)."""

    type: Literal["outbound.bot_call"] = "outbound.bot_call"
    key: str  # the delivery id
    event: BotEvent
    conversation_id: str
    location_id: LocationId
    url: str
    body: str  # the JSON body, sent byte for byte
    signature: str  # "sha256=<hex HMAC-SHA256 of body>"
    created_at: datetime = Field(default_factory=utcnow)


class Header(BaseModel):
    name: str
    value: str


class DeadLetter(BusMessage):
    """What a consumer gave up on (`hub.dlq.{stream}`), with enough to inspect and replay it."""

    type: Literal["dead_letter"] = "dead_letter"
    stream: str
    consumer: str
    subject: str
    stream_sequence: int
    deliveries: int
    error: str
    payload_base64: str  # the original body, byte for byte, so it can be replayed
    headers: list[Header] = []
    failed_at: datetime = Field(default_factory=utcnow)


# --- publications: what each service puts on the bus ----------------------------------------------


@dataclass(frozen=True)
class Publication:
    """A kind of message a service publishes: its subject (with `{placeholders}`), stream and schema.

    Services register theirs on their broker at start, which is what the AsyncAPI document is
    generated from (docs/asyncapi.yaml), and `publish_durably` refuses a message that does not fit.
    """

    subject: str
    stream: StreamSpec | None
    schema: type[BusMessage]
    producer: str
    description: str

    def matches(self, subject: str) -> bool:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", r"[^.>*]+", re.escape(self.subject))
        return re.fullmatch(pattern, subject) is not None


RequestT = TypeVar("RequestT", bound=BusMessage)
ReplyT = TypeVar("ReplyT", bound=BusMessage)


@dataclass(frozen=True)
class Rpc(Generic[RequestT, ReplyT]):
    """A request/reply on core NATS, typed once: `await rpc(broker, CONTACT_HOTELS, request)` answers
    a ContactHotels (shared/messaging.rpc). Its responder subscribes to `subject` in a queue group."""

    subject: str
    request: type[RequestT]
    reply: type[ReplyT]
    asker: str
    responder: str
    description: str

    @property
    def publication(self) -> Publication:
        return Publication(self.subject, None, self.request, self.asker, self.description)


def _event_publication(model: type[Event], producer: str) -> Publication:
    aggregate, _, name = model.type_name().partition(".")
    hotel = "{hotel}" if issubclass(model, HotelEvent) else CHAIN
    description = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return Publication(Subjects.event(aggregate, name, hotel), EVENTS, model, producer, description)


INBOUND_GUEST_MESSAGE = Publication(
    subject="hub.inbound.guest.{channel}.{location}",
    stream=INBOUND,
    schema=InboundMessage,
    producer="ingest",
    description="A guest's message from any channel, accepted by ingest; consumed by the inbox.",
)
INBOUND_SOLICITATION_REPLY = Publication(
    subject="hub.inbound.solicitation.{location}",
    stream=INBOUND,
    schema=InboundMessage,
    producer="ingest",
    description="An external person's answer to a solicitation (sent to solicit+<token>@…); consumed by solicit.",
)
INBOUND_BOUNCE = Publication(
    subject="hub.inbound.bounce.{location}",
    stream=INBOUND,
    schema=BounceReceived,
    producer="ingest",
    description="A bounce (delivery status notification) to a hotel's address; notify matches it to the email "
    "it reports on.",
)
UNMATCHED_BOUNCE = Publication(
    subject="hub.inbound.guest.email.{location}",
    stream=INBOUND,
    schema=InboundMessage,
    producer="notify",
    description="A bounce that matches no email the hotel sent through the hub, kept in its spam view "
    "(reason: undelivered mail report).",
)
OUTBOUND_EMAIL = Publication(
    subject="hub.outbound.email",
    stream=OUTBOUND,
    schema=OutboundMessage,
    producer="inbox",
    description="Send an email: a reply, a forward, a delegation or a share; consumed by notify.",
)
OUTBOUND_CHAT = Publication(
    subject="hub.outbound.chat",
    stream=OUTBOUND,
    schema=OutboundMessage,
    producer="inbox",
    description="Push an agent's reply to the guest's chat widget; consumed by notify.",
)
OUTBOUND_BOT = Publication(
    subject="hub.outbound.bot",
    stream=OUTBOUND,
    schema=BotCall,
    producer="inbox",
    description="Call a hotel's chatbot webhook (a guest's message, a hand-over, a close), signed; notify retries it.",
)
OUTBOUND_REVIEW = Publication(
    subject="hub.outbound.review",
    stream=OUTBOUND,
    schema=OutboundMessage,
    producer="inbox",
    description="Post an agent's public reply to a review on its platform (Google, a webhook connector), "
    "or take it down; to notify.",
)
OUTBOUND_SOLICITATION = Publication(
    subject="hub.outbound.email",
    stream=OUTBOUND,
    schema=OutboundMessage,
    producer="solicit",
    description="Send a solicitation's email to its external recipient (Reply-To solicit+<token>@…); to notify.",
)
CONVERSATION_EVENTS = tuple(_event_publication(model, "inbox") for model in get_args(ConversationEvent))
DELIVERY_STATUSES = tuple(_event_publication(model, "notify") for model in get_args(DeliveryEvent))
SOLICITATION_EVENTS = tuple(_event_publication(model, "solicit") for model in get_args(SolicitationEvent))
CONTACT_MERGED = _event_publication(ContactMerged, "contacts")
CONTACT_ERASED = _event_publication(ContactErased, "contacts")
CONTACT_RENAMED = _event_publication(ContactRenamed, "contacts")
ERASURE_APPLIED = _event_publication(ErasureApplied, "inbox")
LOCATION_CHANGED = _event_publication(LocationChanged, "inbox")
REVIEW_REPLY_CHANGED = _event_publication(ReviewReplyChanged, "ingest")
EVENT_PUBLICATIONS: dict[type[BusMessage], Publication] = {
    publication.schema: publication
    for publication in (
        *CONVERSATION_EVENTS,
        *DELIVERY_STATUSES,
        *SOLICITATION_EVENTS,
        CONTACT_MERGED,
        CONTACT_ERASED,
        CONTACT_RENAMED,
        ERASURE_APPLIED,
        LOCATION_CHANGED,
        REVIEW_REPLY_CHANGED,
    )
}
CHAT_TO_GUEST = Publication(
    subject="hub.chat.to_guest.{session}",
    stream=None,
    schema=ChatToGuest,
    producer="notify, inbox",
    description="An agent's chat message (or, from the inbox, the chat's end), pushed live to the guest's widget.",
)
CONVERSATION_VIEWING = Publication(
    subject="hub.presence.conversation.{location}",
    stream=None,
    schema=ConversationViewing,
    producer="inbox",
    description="An agent has a request open in the console; other agents' live streams show a collision notice.",
)
DEAD_LETTER = Publication(
    subject="hub.dlq.{stream}",
    stream=DLQ,
    schema=DeadLetter,
    producer="any consumer",
    description="A message a consumer gave up on, with its error, payload and headers, for inspection and replay.",
)
RESOLVE_CONTACT: Rpc[ResolveContact, ContactResolved] = Rpc(
    subject=Subjects.RESOLVE_CONTACT,
    request=ResolveContact,
    reply=ContactResolved,
    asker="inbox, ingest",
    responder="contacts",
    description="Request/reply: contacts answers with ContactResolved (the guest's contact, created if new).",
)
CONTACT_HOTELS: Rpc[ContactHotelsRequest, ContactHotels] = Rpc(
    subject=Subjects.CONTACT_HOTELS,
    request=ContactHotelsRequest,
    reply=ContactHotels,
    asker="inbox",
    responder="contacts",
    description="Request/reply: contacts answers with ContactHotels; an agent links a request only to a contact "
    "of their hotels, whose name and email addresses the request then takes.",
)
CONTACT_EXPORT: Rpc[ContactExportRequest, ContactExportPage] = Rpc(
    subject=Subjects.CONTACT_EXPORT,
    request=ContactExportRequest,
    reply=ContactExportPage,
    asker="contacts",
    responder="inbox",
    description="Request/reply: the inbox answers with a ContactExportPage of a contact's requests (GDPR export).",
)
CONVERSATION_BRIEF: Rpc[ConversationBriefRequest, ConversationBrief] = Rpc(
    subject=Subjects.CONVERSATION_BRIEF,
    request=ConversationBriefRequest,
    reply=ConversationBrief,
    asker="solicit",
    responder="inbox",
    description="Request/reply: the inbox answers with a ConversationBrief (hotel and subject of a request).",
)
LOCATION_EXISTS: Rpc[LocationExistsRequest, LocationExists] = Rpc(
    subject=Subjects.LOCATION_EXISTS,
    request=LocationExistsRequest,
    reply=LocationExists,
    asker="ingest",
    responder="inbox",
    description="Request/reply: the inbox answers with LocationExists (whether the directory has the hotel).",
)
# What a service declares it publishes (its `PUBLICATIONS`, registered for the AsyncAPI document).
Declared = Publication | Rpc[Any, Any]
RPCS: tuple[Rpc[Any, Any], ...] = (
    RESOLVE_CONTACT,
    CONTACT_HOTELS,
    CONTACT_EXPORT,
    CONVERSATION_BRIEF,
    LOCATION_EXISTS,
)
PUBLICATIONS: tuple[Publication, ...] = (
    INBOUND_GUEST_MESSAGE,
    INBOUND_SOLICITATION_REPLY,
    INBOUND_BOUNCE,
    UNMATCHED_BOUNCE,
    OUTBOUND_EMAIL,
    OUTBOUND_CHAT,
    OUTBOUND_BOT,
    OUTBOUND_REVIEW,
    OUTBOUND_SOLICITATION,
    *EVENT_PUBLICATIONS.values(),
    CHAT_TO_GUEST,
    CONVERSATION_VIEWING,
    DEAD_LETTER,
)


# --- the table: who publishes what, who consumes it -----------------------------------------------


def _wild(part: str) -> bool:
    return part == "*" or (part.startswith("{") and part.endswith("}"))


def subjects_overlap(first: str, second: str) -> bool:
    """Whether some subject fits both patterns (NATS `*` and `>`, or a publication's `{placeholder}`)."""
    left, right = first.split("."), second.split(".")
    for a, b in zip(left, right, strict=False):
        if ">" in (a, b):
            return True
        if CHAIN in (a, b) and "{hotel}" in (a, b):
            return False  # a hotel's placeholder never stands for the chain
        if a != b and not _wild(a) and not _wild(b):
            return False
    return len(left) == len(right)


def _consumers_of(subject: str) -> str:
    durable = [c.durable for c in DURABLE_CONSUMERS if subjects_overlap(subject, c.filter_subject)]
    live = [s.consumer for s in CORE_SUBSCRIBERS if subjects_overlap(subject, s.subject)]
    return ", ".join(dict.fromkeys([*durable, *live])) or "nobody"


def render_table() -> str:
    """Who publishes what and who consumes it, from the declarations: a subject, its stream and schema
    on one line; under it `producer -> consumers` (durable consumers are named `<service>-…`)."""
    rows: list[tuple[str, str, str, str]] = []
    for publication in PUBLICATIONS:
        stream = publication.stream.name if publication.stream else "core"
        consumers = "operators (scripts/dlq.py)" if publication is DEAD_LETTER else _consumers_of(publication.subject)
        rows.append(
            (publication.subject, stream, publication.schema.__name__, f"{publication.producer} -> {consumers}")
        )
    for call in RPCS:
        schema = f"{call.request.__name__} -> {call.reply.__name__}"
        rows.append((call.subject, "reply", schema, f"{call.asker} -> {call.responder}"))
    subject_width = max(len(row[0]) for row in rows)
    stream_width = max(len(row[1]) for row in rows)
    lines = []
    for subject, stream, schema, flow in rows:
        lines.append(f"{subject.ljust(subject_width)}  {stream.ljust(stream_width)}  {schema}")
        lines.append(f"    {flow}")
    return "\n".join(lines)


def with_table(source: str) -> str:
    """This module's source with its docstring's table brought up to date."""
    begin, end = "BEGIN GENERATED TABLE\n", "END GENERATED TABLE\n"
    head, _, rest = source.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}{render_table()}\n{end}{tail}"
