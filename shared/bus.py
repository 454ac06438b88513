"""The bus in one place: every subject, stream, durable consumer and message schema.

Who publishes what, and who consumes it:

| subject                                      | stream   | producer        | consumer (durable)          |
|----------------------------------------------|----------|-----------------|-----------------------------|
| hub.inbound.guest.{channel}.{location}       | INBOUND  | ingest          | inbox (`inbox-inbound`)     |
| hub.inbound.solicitation.{location}          | INBOUND  | ingest          | solicit (`solicit-inbound`) |
| hub.outbound.{email,chat}                    | OUTBOUND | inbox, solicit  | notify (`notify-outbound`)  |
| hub.events.{aggregate}.{event}               | EVENTS   | every service   | projections, live UI        |
| hub.events.contact.{merged,erased}           | EVENTS   | contacts        | inbox (`inbox-contacts`)    |
| hub.events.> (conversation, location, ...)   | EVENTS   | every service   | contacts (`contacts-events`)|
| hub.dlq.{stream}                             | DLQ      | any consumer    | operators (scripts/dlq.py)  |
| hub.rpc.contacts.resolve (request/reply)     | -        | inbox           | contacts                    |
| hub.rpc.inbox.contact_export (request/reply) | -        | contacts        | inbox                       |
| hub.rpc.inbox.conversation_brief (req/reply) | -        | solicit         | inbox                       |
| hub.events.solicitation.{event}              | EVENTS   | solicit         | inbox (`inbox-solicitations`)|
| hub.chat.to_guest.{session} (core NATS)      | -        | notify          | ingest (widget sockets)     |

Guest channels get their own `guest` token so the inbox can filter them in one wildcard and the
solicitation replies, which belong to the solicit service, never reach it.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, TypeAdapter, field_validator

SCHEMA_VERSION = 1
DAY = 24 * 3600.0

# A location id travels in subjects, so it must be a single safe token.
LOCATION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
LocationId = Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)]
_location_re = re.compile(LOCATION_ID_PATTERN)


def is_location_id(value: str) -> bool:
    return bool(_location_re.match(value))


class Channel(StrEnum):
    EMAIL = "email"
    FORM = "form"
    CHAT = "chat"
    REVIEW = "review"
    PHONE = "phone"


# --- subjects -------------------------------------------------------------------------------------


class Subjects:
    INBOUND_GUEST_ALL = "hub.inbound.guest.>"
    INBOUND_SOLICITATION_ALL = "hub.inbound.solicitation.>"
    OUTBOUND_ALL = "hub.outbound.>"
    EVENTS_ALL = "hub.events.>"
    DLQ_ALL = "hub.dlq.>"
    RESOLVE_CONTACT = "hub.rpc.contacts.resolve"
    CONTACT_HOTELS = "hub.rpc.contacts.hotels"
    CONTACT_EXPORT = "hub.rpc.inbox.contact_export"
    CONVERSATION_BRIEF = "hub.rpc.inbox.conversation_brief"
    SOLICITATION_EVENTS = "hub.events.solicitation.>"
    CONTACT_EVENTS = "hub.events.contact.>"
    # Who is looking at what right now: core NATS only, outside every stream (nothing to keep or replay).
    PRESENCE_ALL = "hub.presence.>"

    @staticmethod
    def inbound_guest(channel: Channel, location_id: str) -> str:
        return f"hub.inbound.guest.{channel.value}.{location_id}"

    @staticmethod
    def inbound_solicitation(location_id: str) -> str:
        return f"hub.inbound.solicitation.{location_id}"

    @staticmethod
    def event(aggregate: str, name: str) -> str:
        return f"hub.events.{aggregate}.{name}"

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
    """A durable pull consumer; replicas of a service share it and so share the work."""

    model_config = ConfigDict(frozen=True)

    durable: str
    stream: StreamSpec
    filter_subject: str

    def config(self, *, max_deliver: int, ack_wait_seconds: float) -> ConsumerConfig:
        # The application dead-letters a message after `max_deliver` attempts, nacking each failure
        # with a growing delay (shared/messaging.py); the server's own limit is two deliveries
        # higher so a process killed during the last attempt still gets one more try. No server
        # BackOff: it also governs explicit nacks and was seen overriding their delays. A worker
        # that dies is covered by the ack wait; a slow one extends it with in-progress acks.
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=self.filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait_seconds,
            max_deliver=max_deliver + 2,
            max_ack_pending=1000,
        )


INBOX_INBOUND = ConsumerSpec(durable="inbox-inbound", stream=INBOUND, filter_subject=Subjects.INBOUND_GUEST_ALL)
INBOX_DELIVERIES = ConsumerSpec(durable="inbox-deliveries", stream=EVENTS, filter_subject="hub.events.delivery.>")
INBOX_CONTACTS = ConsumerSpec(durable="inbox-contacts", stream=EVENTS, filter_subject=Subjects.CONTACT_EVENTS)
INBOX_SOLICITATIONS = ConsumerSpec(
    durable="inbox-solicitations", stream=EVENTS, filter_subject=Subjects.SOLICITATION_EVENTS
)
SOLICIT_DELIVERY_FAILURES = ConsumerSpec(
    durable="solicit-delivery-failures", stream=EVENTS, filter_subject="hub.events.delivery.failed"
)
SOLICIT_INBOUND = ConsumerSpec(
    durable="solicit-inbound", stream=INBOUND, filter_subject=Subjects.INBOUND_SOLICITATION_ALL
)
# The contacts service's projections (history, hotels' phone regions, erasure reports) read every event.
CONTACTS_EVENTS = ConsumerSpec(durable="contacts-events", stream=EVENTS, filter_subject=Subjects.EVENTS_ALL)


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


class ConversationCreated(BusMessage):
    type: Literal["conversation.created"] = "conversation.created"
    conversation_id: str
    location_id: LocationId
    channel: Channel
    contact_id: str | None
    subject: str = ""
    status: str = "open"
    occurred_at: datetime = Field(default_factory=utcnow)


class MessageReceived(BusMessage):
    type: Literal["conversation.message_received"] = "conversation.message_received"
    conversation_id: str
    location_id: LocationId
    channel: Channel
    message_key: str
    occurred_at: datetime = Field(default_factory=utcnow)


class ConversationUpdated(BusMessage):
    """Something changed on a conversation (`hub.events.conversation.{event}`): status, assignee, a note…"""

    type: Literal["conversation.updated"] = "conversation.updated"
    event: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
    conversation_id: str
    location_id: LocationId
    actor_id: str | None = None  # None: the guest or the system (e.g. a snooze that expired)
    changes: dict[str, Any] = {}
    entry_id: str | None = None
    occurred_at: datetime = Field(default_factory=utcnow)


ConversationEvent = Annotated[ConversationCreated | MessageReceived | ConversationUpdated, Field(discriminator="type")]
conversation_event_adapter: TypeAdapter[ConversationCreated | MessageReceived | ConversationUpdated] = TypeAdapter(
    ConversationEvent
)


class OutboundKind(StrEnum):
    REPLY = "reply"
    FORWARD = "forward"
    DELEGATE = "delegate"
    SHARE = "share"
    SOLICITATION = "solicitation"  # to an external person; their answer comes back to solicit+<token>@
    NOTIFICATION = "notification"  # to an agent: a request was assigned to them


class OutboundMessage(BusMessage):
    """A command to notify (`hub.outbound.{email,chat}`): send this, once, and report how it went."""

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
    attachments: list[AttachmentRef] = []
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class DeliveryStatus(BusMessage):
    """notify's report on an outbound message (`hub.events.delivery.{state}`)."""

    type: Literal["delivery.status"] = "delivery.status"
    key: str
    conversation_id: str
    location_id: LocationId
    state: DeliveryState
    reason: str | None = None
    message_id: str | None = None  # the email's Message-ID, so replies to it thread back
    occurred_at: datetime = Field(default_factory=utcnow)


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
    """Request on `hub.rpc.contacts.hotels`: the hotels a contact belongs to, which say who may see it."""

    type: Literal["contacts.hotels"] = "contacts.hotels"
    contact_id: str


class ContactHotels(BusMessage):
    type: Literal["contacts.hotels_reply"] = "contacts.hotels_reply"
    found: bool  # false for an unknown or erased contact; a merged-away id answers for its survivor
    location_ids: list[str] = []


class ConversationBriefRequest(BusMessage):
    """Request on `hub.rpc.inbox.conversation_brief`: what another service needs of a request."""

    type: Literal["inbox.conversation_brief"] = "inbox.conversation_brief"
    conversation_id: str


class ConversationBrief(BusMessage):
    type: Literal["inbox.conversation_brief_reply"] = "inbox.conversation_brief_reply"
    found: bool
    location_id: str | None = None
    subject: str = ""


class SolicitationEvent(BusMessage):
    """Something happened in a solicitation's thread (`hub.events.solicitation.{event}`): a message went
    out (`sent`), the external person answered (`reply_received`), or it could not be delivered (`failed`)."""

    type: Literal["solicitation.event"] = "solicitation.event"
    event: Literal["sent", "reply_received", "failed"]
    solicitation_id: str
    conversation_id: str
    location_id: LocationId
    key: str  # the thread message's key: the inbox's timeline entry key, and the outbound command's
    recipient: str
    subject: str = ""
    text: str = ""
    formatted: bool = False  # the text's light formatting (**bold**, *italic*, "- " lists) is to be shown
    html: str | None = None
    author: dict[str, Any] = {}
    attachments: list[AttachmentRef] = []
    reason: str | None = None
    occurred_at: datetime = Field(default_factory=utcnow)


class ContactMerged(BusMessage):
    """Two contacts became one (`hub.events.contact.merged`): the inbox re-points the merged one's requests."""

    type: Literal["contact.merged"] = "contact.merged"
    survivor_id: str
    merged_id: str
    actor_id: str | None = None
    occurred_at: datetime = Field(default_factory=utcnow)


class ContactErased(BusMessage):
    """A guest's personal data must go (`hub.events.contact.erased`): every service redacts what it holds."""

    type: Literal["contact.erased"] = "contact.erased"
    contact_id: str
    erasure_id: str
    occurred_at: datetime = Field(default_factory=utcnow)


class ErasureApplied(BusMessage):
    """A service's report that it carried out an erasure (`hub.events.erasure.applied`)."""

    type: Literal["erasure.applied"] = "erasure.applied"
    erasure_id: str
    contact_id: str
    service: str
    conversations: int = 0
    entries: int = 0
    attachments: int = 0
    occurred_at: datetime = Field(default_factory=utcnow)


ContactEvent = Annotated[ContactMerged | ContactErased, Field(discriminator="type")]
contact_event_adapter: TypeAdapter[ContactMerged | ContactErased] = TypeAdapter(ContactEvent)


class LocationChanged(BusMessage):
    """A hotel was created or edited (`hub.events.location.changed`): what other services need of it."""

    type: Literal["location.changed"] = "location.changed"
    location_id: LocationId
    default_phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"
    occurred_at: datetime = Field(default_factory=utcnow)


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
    attachments: list[AttachmentRef] = []
    at: datetime = Field(default_factory=utcnow)


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
CONVERSATION_CREATED = Publication(
    subject="hub.events.conversation.created",
    stream=EVENTS,
    schema=ConversationCreated,
    producer="inbox",
    description="A new guest request was opened.",
)
MESSAGE_RECEIVED = Publication(
    subject="hub.events.conversation.message_received",
    stream=EVENTS,
    schema=MessageReceived,
    producer="inbox",
    description="A guest's message was stored in its conversation.",
)
CONVERSATION_UPDATED = Publication(
    subject="hub.events.conversation.{event}",
    stream=EVENTS,
    schema=ConversationUpdated,
    producer="inbox",
    description="A conversation changed: status, snooze, assignee, qualification, note, reply, read…",
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
DELIVERY_STATUS = Publication(
    subject="hub.events.delivery.{state}",
    stream=EVENTS,
    schema=DeliveryStatus,
    producer="notify",
    description="How an outbound message went (queued, sent, failed with the reason); the inbox shows it.",
)
CHAT_TO_GUEST = Publication(
    subject="hub.chat.to_guest.{session}",
    stream=None,
    schema=ChatToGuest,
    producer="notify",
    description="An agent's chat message (or, from the inbox, the chat's end), pushed live to the guest's widget.",
)
CONVERSATION_VIEWING = Publication(
    subject="hub.presence.conversation.{location}",
    stream=None,
    schema=ConversationViewing,
    producer="inbox",
    description="An agent has a request open in the console; other agents' live streams show a collision notice.",
)
RESOLVE_CONTACT = Publication(
    subject=Subjects.RESOLVE_CONTACT,
    stream=None,
    schema=ResolveContact,
    producer="inbox",
    description="Request/reply: contacts answers with ContactResolved (the guest's contact, created if new).",
)
CONTACT_HOTELS = Publication(
    subject=Subjects.CONTACT_HOTELS,
    stream=None,
    schema=ContactHotelsRequest,
    producer="inbox",
    description="Request/reply: contacts answers with ContactHotels; an agent links a request only to a contact "
    "of their hotels.",
)
DEAD_LETTER = Publication(
    subject="hub.dlq.{stream}",
    stream=DLQ,
    schema=DeadLetter,
    producer="any consumer",
    description="A message a consumer gave up on, with its error, payload and headers, for inspection and replay.",
)
CONTACT_MERGED = Publication(
    subject="hub.events.contact.merged",
    stream=EVENTS,
    schema=ContactMerged,
    producer="contacts",
    description="Two contacts were merged; the merged-away id now resolves to the survivor. The inbox re-points.",
)
CONTACT_ERASED = Publication(
    subject="hub.events.contact.erased",
    stream=EVENTS,
    schema=ContactErased,
    producer="contacts",
    description="A contact was erased (GDPR); services holding their data redact it and report back.",
)
ERASURE_APPLIED = Publication(
    subject="hub.events.erasure.applied",
    stream=EVENTS,
    schema=ErasureApplied,
    producer="inbox",
    description="The inbox redacted an erased contact's requests, timeline and attachments; contacts records it.",
)
LOCATION_CHANGED = Publication(
    subject="hub.events.location.changed",
    stream=EVENTS,
    schema=LocationChanged,
    producer="inbox",
    description="A hotel was created or edited; contacts keeps its phone region to read national numbers.",
)
CONTACT_EXPORT = Publication(
    subject=Subjects.CONTACT_EXPORT,
    stream=None,
    schema=ContactExportRequest,
    producer="contacts",
    description="Request/reply: the inbox answers with a ContactExportPage of a contact's requests (GDPR export).",
)
# notify sends every outbound command once (email over SMTP, chat pushes) and reports on `hub.events.delivery.*`.
NOTIFY_OUTBOUND = ConsumerSpec(durable="notify-outbound", stream=OUTBOUND, filter_subject=Subjects.OUTBOUND_ALL)
CONVERSATION_BRIEF = Publication(
    subject=Subjects.CONVERSATION_BRIEF,
    stream=None,
    schema=ConversationBriefRequest,
    producer="solicit",
    description="Request/reply: the inbox answers with a ConversationBrief (hotel and subject of a request).",
)
SOLICITATION_EVENT = Publication(
    subject="hub.events.solicitation.{event}",
    stream=EVENTS,
    schema=SolicitationEvent,
    producer="solicit",
    description="A solicitation's message went out, or its external recipient answered; the inbox shows it.",
)
OUTBOUND_SOLICITATION = Publication(
    subject="hub.outbound.email",
    stream=OUTBOUND,
    schema=OutboundMessage,
    producer="solicit",
    description="Send a solicitation's email to its external recipient (Reply-To solicit+<token>@…); to notify.",
)
