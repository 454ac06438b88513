"""HTTP models of the inbox's agent API: what each action takes, and what lists and details return."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

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


class ConversationPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


class ConversationDetail(BaseModel):
    conversation: dict[str, Any]
    timeline: list[dict[str, Any]]
    next_timeline_cursor: str | None


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
