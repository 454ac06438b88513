"""HTTP models of the inbox's agent API: what each action takes, and what lists and details return."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, TypeAdapter

from shared.bus import LOCATION_ID_PATTERN, Channel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class View(StrEnum):
    INBOX = "inbox"
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    SPAM = "spam"
    ALL = "all"


class Bucket(StrEnum):
    ON_HOLD = "on_hold"
    ALERTS = "alerts"
    NEW = "new"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ListFilters(BaseModel):
    """What narrows a list, its counts and its labels (query parameters)."""

    view: View = View.INBOX
    bucket: Bucket | None = None
    location: str | None = Field(default=None, pattern=LOCATION_ID_PATTERN)
    group: str | None = Field(default=None, max_length=64)
    channel: Channel | None = None
    assignee: str | None = Field(default=None, max_length=64, description="me, nobody, someone or an agent id")
    label: str | None = Field(default=None, max_length=50)
    priority: Priority | None = None
    q: str | None = Field(default=None, max_length=200, description="Text in subject, message, guest name or email")
    sort: Literal["activity", "due"] = Field(
        default="activity",
        description="`activity`: most recent activity first (the inbox and open tabs: their alerts first); "
        "`due`: the earliest due time of a running target first, the requests without one after them "
        "(most recent activity first).",
    )
    due: Literal["soon", "overdue"] | None = Field(
        default=None,
        description="`soon`: a running target due within 60 minutes or overdue; `overdue`: past its due time.",
    )
    care_group: str | None = Field(
        default=None, max_length=64, description="The requests handed to this central care group."
    )


class LabelInUse(BaseModel):
    label: str
    location_ids: list[str] = Field(description="The hotels (among those asked about) whose requests have used it.")


class LabelList(BaseModel):
    items: list[LabelInUse]


class Counts(BaseModel):
    """Views and buckets with their counts, as the console's left column shows them."""

    inbox: int = 0
    awaiting: int = 0
    open: int = 0
    on_hold: int = 0
    closed: int = 0
    spam: int = 0
    all: int = 0
    unread: int = 0
    buckets: dict[str, int] = {}


AttachmentId = Annotated[str, StringConstraints(pattern=r"^att_[A-Za-z0-9_-]{20,64}$")]


class Reply(Strict):
    text: Text
    subject: ShortText | None = None
    attachment_ids: list[AttachmentId] = Field(default=[], max_length=10)
    inline_image_ids: list[AttachmentId] = Field(
        default=[],
        max_length=10,
        description="Uploaded images (PNG, JPEG, GIF or WebP) shown in the email's body, after the text.",
    )
    via: Literal["public", "email"] | None = Field(
        default=None,
        description="A review's answer: public on the platform, or a private email to the guest's address. "
        "Default: public for a review, else email (or the open chat).",
    )


class Note(Strict):
    text: Text
    attachment_ids: list[AttachmentId] = Field(default=[], max_length=10)


class Assign(Strict):
    agent_id: Id | None = Field(description="The agent to assign, or null to unassign.")


class SetStatus(Strict):
    status: Literal["open", "on_hold", "closed"]
    snoozed_until: AwareDatetime | None = Field(default=None, description="With on_hold: when it comes back.")


class Snooze(Strict):
    until: AwareDatetime


class Update(Strict):
    """Qualification and subject: only the fields sent change."""

    subject: ShortText | None = None
    priority: Priority | None = None
    contact_reason: Annotated[str, StringConstraints(max_length=64)] | None = None
    labels: list[Label] | None = Field(default=None, max_length=30)


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"


class Call(Strict):
    outcome: CallOutcome
    duration_seconds: int = Field(default=0, ge=0, le=24 * 3600)
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""


class ReservationKind(StrEnum):
    ROOM = "room"
    RESTAURANT = "restaurant"
    SPA = "spa"
    TRANSFER = "transfer"


class Reservation(Strict):
    kind: ReservationKind
    date: date
    party_size: int = Field(default=1, ge=1, le=500)
    reference: Annotated[str, StringConstraints(max_length=100)] = ""
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""


class Forward(Strict):
    to: EmailStr
    note: Annotated[str, StringConstraints(max_length=5000)] = ""


class Delegate(Strict):
    note: Annotated[str, StringConstraints(max_length=5000)] = ""


class Share(Strict):
    to: list[EmailStr] = Field(min_length=1, max_length=20)
    note: Annotated[str, StringConstraints(max_length=5000)] = ""


class CloseChat(Strict):
    resulting_status: Literal["open", "on_hold", "closed"] = "closed"


class LinkContact(Strict):
    contact_id: Id


class Viewing(Strict):
    tab: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    answer: bool = Field(default=False, description="Answering another agent's notice (not answered again).")


class Snoozed(BaseModel):
    until: datetime


# --- what the API answers -------------------------------------------------------------------------
# Built from stored documents: the fields listed are the ones clients may rely on (an absent optional
# field stays absent in the JSON); a document written by an older or newer version may carry more,
# which pass through (`extra="allow"`).


SYSTEM_KEY = (
    "Set when the hub wrote the text beside it (`call.missed`, `message.no_text`…; shared/system_texts.py): "
    "with its `_values`, a client renders it in its reader's language; the text itself is the English."
)


class Stored(BaseModel):
    model_config = ConfigDict(extra="allow")


class GuestOut(Stored):
    """Who wrote in, as far as they said, completed by their linked contact's name and address where they said
    none (empty once the guest's data is erased)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class AgentRef(Stored):
    """An agent as a conversation or an entry shows them."""

    id: str
    name: str = ""
    initials: str = ""


class PendingAutoReply(Stored):
    """The automatic reply a rule chose for a new review: sent when due, or once an agent approves it."""

    state: Literal["scheduled", "waiting_approval", "sent", "discarded", "cancelled"]
    text: str
    due_at: datetime | None = None
    needs_approval: bool = False
    rule_id: str | None = None


class TargetOut(Stored):
    """One response-time target of a request (sla/): its length in business minutes and where it stands."""

    minutes: int
    state: Literal["running", "paused", "met", "missed"]
    due_at: datetime | None = Field(default=None, description="None while paused.")
    remaining_seconds: float | None = Field(default=None, description="Business seconds left, while paused.")
    met_at: datetime | None = None
    missed_at: datetime | None = None


class EscalationOut(Stored):
    """The latest escalation step run: why, and what it did."""

    step: int
    action: str = Field(description="notify_assignee, notify_managers or to_group.")
    target: Literal["first_response", "resolution"]
    reason: Literal["missed", "nearly_missed"]
    at: datetime
    group_id: str | None = Field(default=None, description="The care group the request went to (to_group).")


class SlaOut(Stored):
    """The response-time policy a request got at creation, its targets and its escalation."""

    policy_id: str
    policy_name: str = ""
    first_response: TargetOut | None = None
    resolution: TargetOut | None = None
    steps_done: list[int] = []
    escalation: EscalationOut | None = None


class SurveyOut(Stored):
    """The guest's answer to the satisfaction survey sent after closing."""

    rating: int
    at: datetime
    channel: str


class ConversationOut(Stored):
    """A guest's request as the lists and the detail show it."""

    id: str
    location_id: str
    channel: str = Field(description="email, chat, review, phone, form…: where the guest wrote from.")
    status: Literal["open", "on_hold", "closed", "spam", "merged"]
    merged_into: str | None = Field(
        default=None, description="With status merged: the request it was merged into, which its URL leads to."
    )
    subject: str | None = None
    subject_key: str | None = Field(default=None, description=SYSTEM_KEY)
    subject_values: dict[str, str | int] = {}
    snippet: str = Field(default="", description="The start of the latest guest message.")
    snippet_key: str | None = Field(default=None, description=SYSTEM_KEY)
    snippet_values: dict[str, str | int] = {}
    guest: GuestOut = GuestOut()
    contact_id: str | None = None
    contact_name: str | None = Field(
        default=None, description="The linked contact's name as last heard of (it fills `guest.name` when unknown)."
    )
    assignee: AgentRef | None = None
    assignee_id: str | None = None
    priority: Priority | None = None
    contact_reason: str | None = None
    labels: list[str] = []
    unread: bool = False
    alert: bool = Field(default=False, description="A request to answer first: a low rating, or strong words.")
    alert_reason: Literal["low_rating", "negative_wording"] | None = Field(
        default=None,
        description="Why it is an alert: `low_rating` (a review) or `negative_wording` (what the guest wrote).",
    )
    rating: int | None = None
    spam_reason: str | None = Field(default=None, description="Why ingest's rules thought a new request spam.")
    automatic: Literal["auto_reply"] | None = Field(
        default=None, description="`auto_reply`: opened (closed) by an automatic reply that answered no known request."
    )
    snoozed_until: datetime | None = Field(default=None, description="When a request on hold comes back by itself.")
    bot_active: bool = Field(default=False, description="The chatbot is handling it (shown only under `all`).")
    has_bot: bool = False
    chat_session_id: str | None = None
    chat_open: bool | None = Field(default=None, description="False once an agent closed the live chat.")
    last_message_id: str | None = None
    message_count: int = 0
    version: int = 0
    created_at: datetime | None = None
    last_activity_at: datetime
    last_agent_activity_at: datetime | None = None
    first_response_at: datetime | None = None
    erasure_id: str | None = None
    auto_reply: PendingAutoReply | None = Field(
        default=None, description="A review's automatic reply (autoreplies/): waiting, or what became of it."
    )
    sla: SlaOut | None = Field(default=None, description="Its response-time targets (none: no policy applied).")
    sla_due_at: datetime | None = Field(default=None, description="The earliest due time of a running target.")
    care_group_id: str | None = Field(default=None, description="The central care group it was handed to.")
    first_response_business_seconds: float | None = Field(
        default=None, description="Business time the first response took, in the hotel's hours."
    )
    survey: SurveyOut | None = None
    score_day: str | None = Field(default=None, description="Its creation day in the hotel's time zone (reports).")


class Author(Stored):
    """Who an entry is from: a guest (their name, email…), an agent (id, name, initials) or the system."""

    type: str = Field(description="guest, agent, system or automatic (a review's automatic reply).")
    id: str | None = None
    name: str | None = None
    initials: str | None = None


class AttachmentOut(Stored):
    id: str
    filename: str
    content_type: str
    size: int
    content_id: str | None = Field(default=None, description="An inline image's cid, as the message's HTML uses it.")


class ForwardedOut(Stored):
    """An email attached to a guest's email, as it says of itself (its sender is shown, never trusted)."""

    sender: str = ""
    date: datetime | None = None
    subject: str = ""
    attachment_id: str


class Delivery(Stored):
    """Where an outgoing message is: pending, queued, sent or failed (with notify's reason)."""

    state: str
    reason: str | None = None
    at: datetime | None = None
    # A bounce came back after it was sent: hard, soft (not delivered) or delayed, with the receiving
    # server's diagnostic ("550 5.1.1 mailbox unavailable").
    bounce: str | None = None
    diagnostic: str | None = None
    # A public reply edited on the review's platform itself: its text there now.
    comment: str | None = None
    # A public reply taken down (`deleted`): "hotel" when an agent removed it from the hub.
    by: Literal["hotel"] | None = None
    # An agent's removal the platform refused: the reply is still published, for this reason.
    removal_failed: str | None = None


class EntryBase(Stored):
    """What every timeline entry has: its id, its conversation, who made it and when."""

    id: str
    conversation_id: str
    author: Author | None = None
    at: datetime


class ChangeEntry(EntryBase):
    from_: Any = Field(default=None, alias="from")
    to: Any = None
    reason: str | None = None


class MessageEntry(EntryBase):
    """A message from the guest (inbound) or an agent's reply (outbound)."""

    kind: Literal["message"]
    direction: Literal["inbound", "outbound"]
    channel: str
    subject: str | None = None
    subject_key: str | None = Field(default=None, description=SYSTEM_KEY)
    subject_values: dict[str, str | int] = {}
    text: str = ""
    text_key: str | None = Field(default=None, description=SYSTEM_KEY)
    text_values: dict[str, str | int] = {}
    html: str | None = Field(default=None, description="A guest's HTML version; see .../entries/{id}/html.")
    rating: int | None = None
    review: dict[str, Any] | None = None
    message_id: str | None = None
    to: list[str] = []
    attachments: list[AttachmentOut] = []
    delivery: Delivery | None = None
    public: bool = Field(
        default=False,
        description="A public reply on the review's platform (its `delivery`: "
        "pending, queued, sent = published, failed = rejected, edited, deleting (an agent is removing it), "
        "deleted).",
    )
    warnings: list[Literal["ambiguous_sender"]] = Field(
        default=[],
        description="`ambiguous_sender`: the email's From can be read as another sender; linked to no contact.",
    )
    automatic: Literal["auto_reply"] | None = Field(
        default=None,
        description="`auto_reply`: an auto-responder wrote it (RFC 3834); it reopened nothing, marked nothing unread.",
    )
    forwarded: list[ForwardedOut] = Field(
        default=[], description="The emails attached to it, each kept whole as one `.eml` among its attachments."
    )


class StatusEntry(ChangeEntry):
    kind: Literal["status"]
    snoozed_until: datetime | None = None


class AssignmentEntry(ChangeEntry):
    kind: Literal["assignment"]


class SubjectEntry(ChangeEntry):
    kind: Literal["subject"]


class LabelsEntry(ChangeEntry):
    kind: Literal["labels"]


class ContactLinkEntry(ChangeEntry):
    kind: Literal["contact_link"]


class QualificationEntry(EntryBase):
    kind: Literal["qualification"]
    priority: Priority | None = None
    contact_reason: str | None = None


class NoteEntry(EntryBase):
    kind: Literal["note"]
    text: str
    attachments: list[AttachmentOut] = []


class CallEntry(EntryBase):
    kind: Literal["call"]
    outcome: CallOutcome
    duration_seconds: int = 0
    notes: str = ""


class ReservationEntry(EntryBase):
    kind: Literal["reservation"]
    category: ReservationKind
    date: str
    party_size: int = 1
    reference: str = ""
    notes: str = ""


class HandoverEntry(EntryBase):
    """The request sent by email to a colleague (forward), to customer service (delegate) or to departments (share)."""

    kind: Literal["forward", "delegate", "share"]
    to: list[str] = []
    note: str = ""
    delivery: Delivery | None = None


class SolicitationEntry(EntryBase):
    """A message to or from someone outside the hotel, asked on the guest's behalf."""

    kind: Literal["solicitation"]
    solicitation_id: str
    direction: Literal["inbound", "outbound"]
    recipient: str | None = None
    subject: str | None = None
    text: str = ""
    formatted: bool = False
    html: str | None = None
    attachments: list[AttachmentOut] = []
    delivery: Delivery | None = None


class AutoReplyEntry(EntryBase):
    """What became of the request's automatic reply: scheduled, waiting for approval, discarded, cancelled
    (an agent answered first)."""

    kind: Literal["auto_reply"]
    state: Literal["scheduled", "waiting_approval", "discarded", "cancelled"]
    text: str | None = None
    due_at: datetime | None = None
    reason: str | None = None


class ReviewReplyEntry(EntryBase):
    """The review's platform shows the hotel's public reply changed: edited there, or taken down."""

    kind: Literal["review_reply"]
    state: Literal["edited", "deleted"]
    platform: str
    comment: str | None = None
    reply_entry_id: str | None = None


class PublicReplyRemovalEntry(EntryBase):
    """An agent took the hotel's public reply (`reply_entry_id`) down from the review's platform; its
    `delivery` is notify's report: pending, queued, sent = taken down, failed = refused (with the reason)."""

    kind: Literal["public_reply_removal"]
    platform: str
    reply_entry_id: str
    delivery: Delivery | None = None


class ErasedEntry(EntryBase):
    """The guest's personal data was erased from the request (their texts show as [erased])."""

    kind: Literal["erased"]
    erasure_id: str


class SurveyEntry(EntryBase):
    """The satisfaction survey emailed to the guest after closing (surveys/), and its delivery."""

    kind: Literal["survey"]
    channel: str = "email"
    to: list[str] = []
    delivery: Delivery | None = None


class RatingEntry(EntryBase):
    """The guest rated the request (1 to 5) in the satisfaction survey."""

    kind: Literal["rating"]
    rating: int
    channel: str


class SlaEntry(EntryBase):
    """A response-time target of the request passed its due time unmet (sla/)."""

    kind: Literal["sla"]
    target: Literal["first_response", "resolution"]
    state: Literal["missed"]


class EscalationEntry(EntryBase):
    """A step of the request's escalation ran: who was emailed (`notified`, agent ids), or the care group the
    request went to (`group_id`)."""

    kind: Literal["escalation"]
    target: Literal["first_response", "resolution"]
    step: int
    action: str = Field(description="notify_assignee, notify_managers or to_group.")
    reason: Literal["missed", "nearly_missed"]
    group_id: str | None = None
    notified: list[str] = []
    delivery: Delivery | None = Field(default=None, description="The email to the agents, when one went.")


class MergeEntry(EntryBase):
    """Two requests were merged: on the survivor (`merged_id`, the request merged into it) and on the request
    merged away (`merged_into`)."""

    kind: Literal["merge"]
    merged_id: str | None = None
    merged_into: str | None = None
    moved: int = Field(default=0, description="How many entries of the request merged away joined this timeline.")


class SplitEntry(EntryBase):
    """A guest's message (and maybe what followed it) was split into a new request: on the original
    (`to_conversation_id`) and on the new request (`from_conversation_id`)."""

    kind: Literal["split"]
    entry_id: str = Field(description="The guest's message split out.")
    moved: int = Field(default=0, description="How many entries went to the new request.")
    to_conversation_id: str | None = None
    from_conversation_id: str | None = None


class RuleEntry(EntryBase):
    """An automation rule took an action on the request (rules/): the rule, and the action as it is written."""

    kind: Literal["rule"]
    rule_id: str
    rule_name: str
    action: dict[str, Any] = Field(description="The action: {type, ...} as the rule has it (e.g. add_labels).")
    delivery: Delivery | None = Field(default=None, description="A notify_email action's email.")


TimelineEntry = Annotated[
    MessageEntry
    | StatusEntry
    | AssignmentEntry
    | SubjectEntry
    | LabelsEntry
    | ContactLinkEntry
    | QualificationEntry
    | NoteEntry
    | CallEntry
    | ReservationEntry
    | HandoverEntry
    | SolicitationEntry
    | ReviewReplyEntry
    | PublicReplyRemovalEntry
    | AutoReplyEntry
    | ErasedEntry
    | SurveyEntry
    | RatingEntry
    | SlaEntry
    | EscalationEntry
    | MergeEntry
    | SplitEntry
    | RuleEntry,
    Field(discriminator="kind"),
]
TIMELINE_ENTRY: TypeAdapter[TimelineEntry] = TypeAdapter(TimelineEntry)


class AgentOption(BaseModel):
    """A colleague the request can be assigned to."""

    id: str
    name: str
    initials: str


class AgentOptions(BaseModel):
    items: list[AgentOption]


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    timeline: list[TimelineEntry] = Field(description="Oldest first.")
    next_timeline_cursor: str | None
    public_reply: bool = Field(
        default=False, description="A review on a platform the hub posts to: answered publicly unless `via` says email."
    )


class ActionResult(BaseModel):
    """The conversation after an action, and the entries the action added (none if it changed nothing)."""

    conversation: ConversationOut
    entries: list[TimelineEntry]
