"""HTTP models of automation rules: a rule as managers write it and read it back, and the dry run."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, model_validator

from shared.bus import Channel, LocationId

Trigger = Literal["created", "guest_message", "status_changed", "label_added", "assigned", "priority_changed"]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
AttributeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AttributeValue = Annotated[str, StringConstraints(max_length=200)] | int | float | bool
Status = Literal["open", "on_hold", "closed", "spam"]
Priority = Literal["low", "medium", "high"]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- conditions ------------------------------------------------------------------------------------------


class ChannelIs(Strict):
    field: Literal["channel"]
    op: Literal["in"] = "in"
    value: list[Channel] = Field(min_length=1, max_length=5)


class HotelIs(Strict):
    field: Literal["location_id"]
    op: Literal["in"] = "in"
    value: list[LocationId] = Field(min_length=1, max_length=500)


class GroupIs(Strict):
    field: Literal["group_id"]
    op: Literal["in"] = "in"
    value: list[Id] = Field(min_length=1, max_length=100)


class RatingIs(Strict):
    field: Literal["rating"]
    op: Literal["lte", "gte", "eq"]
    value: int = Field(ge=1, le=5)


class FlagIs(Strict):
    field: Literal["alert", "assigned"]
    op: Literal["eq"] = "eq"
    value: bool


class StatusIs(Strict):
    field: Literal["status"]
    op: Literal["in"] = "in"
    value: list[Status] = Field(min_length=1, max_length=4)


class PriorityIs(Strict):
    field: Literal["priority"]
    op: Literal["in"] = "in"
    value: list[Priority] = Field(min_length=1, max_length=3)


class WordsIn(Strict):
    field: Literal["subject", "text"]
    op: Literal["contains_any"] = "contains_any"
    value: list[Word] = Field(min_length=1, max_length=50)


class LanguageIs(Strict):
    field: Literal["language"]
    op: Literal["in"] = "in"
    value: list[LanguageCode] = Field(min_length=1, max_length=20)


class LabelIs(Strict):
    field: Literal["labels"]
    op: Literal["contains"] = "contains"
    value: Label


class BusinessHoursAre(Strict):
    field: Literal["business_hours"]
    op: Literal["eq"] = "eq"
    value: Literal["open", "closed"]


class ContactAttribute(Strict):
    field: Literal["contact_attribute"]
    name: AttributeName
    op: Literal["eq", "in", "exists"]
    value: AttributeValue | list[AttributeValue] | None = None

    @model_validator(mode="after")
    def _value_for_op(self) -> Self:
        if self.op == "exists" and self.value is not None:
            raise ValueError("exists takes no value")
        if self.op == "eq" and (self.value is None or isinstance(self.value, list)):
            raise ValueError("eq takes one value")
        if self.op == "in" and (not isinstance(self.value, list) or not 1 <= len(self.value) <= 50):
            raise ValueError("in takes a list of 1 to 50 values")
        return self


Condition = Annotated[
    ChannelIs
    | HotelIs
    | GroupIs
    | RatingIs
    | FlagIs
    | StatusIs
    | PriorityIs
    | WordsIn
    | LanguageIs
    | LabelIs
    | BusinessHoursAre
    | ContactAttribute,
    Discriminator("field"),
]


# --- actions -----------------------------------------------------------------------------------------------


class AssignAgent(Strict):
    type: Literal["assign_agent"]
    agent_id: Id


class AssignRoundRobin(Strict):
    type: Literal["assign_round_robin"]
    group_id: Id | None = Field(default=None, description="Only agents of this group; none: the hotel's agents.")
    online_only: bool = False


class SetPriority(Strict):
    type: Literal["set_priority"]
    priority: Priority


class AddLabels(Strict):
    type: Literal["add_labels"]
    labels: list[Label] = Field(min_length=1, max_length=10)


class ReplyTemplate(Strict):
    type: Literal["reply_template"]
    template_id: Id


class MarkSpam(Strict):
    type: Literal["mark_spam"]


class Hold(Strict):
    type: Literal["hold"]
    hours: int = Field(ge=1, le=720)


class NotifyEmail(Strict):
    type: Literal["notify_email"]
    to: Literal["assignee", "managers"]


Action = Annotated[
    AssignAgent | AssignRoundRobin | SetPriority | AddLabels | ReplyTemplate | MarkSpam | Hold | NotifyEmail,
    Discriminator("type"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class RuleIn(Strict):
    """A rule: when (triggers), if (all conditions hold), then (actions, in order)."""

    name: Name
    enabled: bool = True
    group_id: Id | None = Field(default=None, description="The group whose hotels it covers; none: chain (admins).")
    position: int = Field(default=0, ge=0, le=100000, description="Lower first, among chain or group rules.")
    on: list[Trigger] = Field(min_length=1, max_length=6)
    conditions: list[Condition] = Field(default=[], max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=10)


class RulePatch(Strict):
    """The fields to change; absent ones stay (`group_id` cannot change: delete and create instead)."""

    name: Name | None = None
    enabled: bool | None = None
    position: int | None = Field(default=None, ge=0, le=100000)
    on: list[Trigger] | None = Field(default=None, min_length=1, max_length=6)
    conditions: list[Condition] | None = Field(default=None, max_length=20)
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=10)


class LoopGuard(BaseModel):
    stopped: int = 0
    last_at: datetime | None = None
    last_conversation_id: str | None = None


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    loop_guard: LoopGuard = LoopGuard()
    fired: int = 0
    created_at: datetime
    updated_at: datetime
    created_by: str = ""


class RuleList(BaseModel):
    items: list[RuleOut]


# --- the dry run ---------------------------------------------------------------------------------------------


class SampleRequest(Strict):
    """A request as it could arrive, to try the rules on."""

    location_id: LocationId
    channel: Channel
    subject: str = Field(default="", max_length=500)
    text: str = Field(default="", max_length=20000)
    language: LanguageCode | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    alert: bool = False
    labels: list[Label] = Field(default=[], max_length=50)
    status: Status = "open"
    priority: Priority = "low"
    assigned: bool = False
    contact_attributes: dict[AttributeName, AttributeValue | None] = Field(default={}, max_length=100)


class DryRunIn(Strict):
    """A stored request (`conversation_id`) or a sample one (`request`); `rules`: unsaved rules to try."""

    conversation_id: Id | None = None
    request: SampleRequest | None = None
    event: Trigger = "created"
    rules: list[RuleIn] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _one_request(self) -> Self:
        if (self.conversation_id is None) == (self.request is None):
            raise ValueError("give either conversation_id or request")
        return self


class DryRunAction(BaseModel):
    type: str
    summary_en: str
    summary_fr: str
    changes: dict[str, Any]


class DryRunRule(BaseModel):
    rule_id: str
    name: str
    group_id: str | None
    position: int
    actions: list[DryRunAction]


class DryRunOut(BaseModel):
    fired: list[DryRunRule]
    changes: dict[str, Any]
