"""HTTP models of the directory: hotels, groups, agents, reply templates, chain settings."""

from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from shared.bus import LocationId
from shared.business_hours import BusinessHours

from ..conversations.schemas import Id, Label, Strict

LocationIdField = LocationId
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# What a list spanning several hotels shows on each row (absent: derived from the name, `short_name_of`).
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Language = Literal["fr", "en"]
# The labels a hotel's reports count by name (metrics.LABELS_APPLIED): a label an agent puts on a request and
# the hotel did not configure counts as "other", so a hotel has at most MAX_REPORT_LABELS + 1 series.
MAX_REPORT_LABELS = 20
AgentRole = Literal["agent", "manager", "admin"]
# A "care" group is a central customer-care team spanning hotels: its agents see its hotels like any
# group's, and a response-time policy's escalation may hand a request over to it.
GroupKind = Literal["region", "brand", "care", "other"]
SurveyChannel = Literal["email", "form", "chat"]
_SURVEY_ORDER: tuple[SurveyChannel, ...] = ("email", "form", "chat")


def _each_once(channels: list[SurveyChannel]) -> list[SurveyChannel]:
    return [channel for channel in _SURVEY_ORDER if channel in channels]


# The channels whose closed requests get a satisfaction survey (opt-in: empty, none), each once, in a fixed order.
SurveyChannels = Annotated[list[SurveyChannel], Field(max_length=3), AfterValidator(_each_once)]


def _opens_some_day(hours: BusinessHours) -> BusinessHours:
    # Weekdays all left empty would be a desk that never opens (no target could ever fall due), not the
    # around-the-clock desk that no weekly ranges at all mean.
    if hours.weekly and not any(hours.weekly.values()):
        raise ValueError("give at least one opening range, or no weekly ranges at all for around the clock")
    return hours


OpeningHours = Annotated[BusinessHours, AfterValidator(_opens_some_day)]
BUSINESS_HOURS_DESCRIPTION = (
    "When the hotel's desk answers, in its time zone: ranges per weekday (an end at or before the start runs "
    "overnight) and closures; null, or no weekly ranges, means around the clock. Response-time targets count "
    "business time only."
)


class LocationIn(Strict):
    id: LocationIdField
    name: Name
    short_name: ShortName | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Europe/Paris"
    default_phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"
    sender_name: Name | None = None
    sender_email: EmailStr | None = None
    language: Language = "fr"
    labels: list[Label] = Field(default=[], max_length=MAX_REPORT_LABELS)
    business_hours: OpeningHours | None = Field(default=None, description=BUSINESS_HOURS_DESCRIPTION)
    survey_channels: SurveyChannels = Field(default=[])


class LocationPatch(Strict):
    name: Name | None = None
    short_name: ShortName | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    default_phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    sender_name: Name | None = None
    sender_email: EmailStr | None = None
    language: Language | None = None
    labels: list[Label] | None = Field(default=None, max_length=MAX_REPORT_LABELS)
    # Managers may change these two of their own hotels; the rest is for admins.
    business_hours: OpeningHours | None = Field(
        default=None, description=BUSINESS_HOURS_DESCRIPTION + " A null sets around the clock."
    )
    survey_channels: SurveyChannels | None = None


class GroupIn(Strict):
    id: LocationIdField
    name: Name
    kind: GroupKind = "region"
    location_ids: list[LocationIdField] = Field(default=[], max_length=5000)


class GroupPatch(Strict):
    name: Name | None = None
    kind: GroupKind | None = None
    location_ids: list[LocationIdField] | None = Field(default=None, max_length=5000)


Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class AgentIn(Strict):
    name: Name
    email: EmailStr
    role: AgentRole = "agent"
    initials: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3)] | None = None
    location_ids: list[LocationIdField] = Field(default=[], max_length=5000)
    group_ids: list[LocationIdField] = Field(default=[], max_length=500)
    notify_on_assignment: bool = True
    language: Language = "fr"
    password: Password


class AgentPatch(Strict):
    name: Name | None = None
    role: AgentRole | None = None
    initials: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3)] | None = None
    location_ids: list[LocationIdField] | None = Field(default=None, max_length=5000)
    group_ids: list[LocationIdField] | None = Field(default=None, max_length=500)
    notify_on_assignment: bool | None = None
    language: Language | None = None
    # Admins only, for another agent: a reset, which ends that agent's sessions. One's own password
    # changes through `POST /auth/password`, with the current one.
    password: Password | None = None
    # Admins only: a disabled agent cannot sign in and their sessions end at once.
    disabled: bool | None = None
    # Admins only here (an agent sets their own with `PUT /agents/me/away`): an away agent takes no
    # round-robin turn.
    away: bool | None = None


class Away(Strict):
    away: bool = Field(description="True: away, the round-robin rules assign this agent nothing until false again.")


class TemplateIn(Strict):
    name: Name
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    language: Language = "fr"
    location_ids: list[LocationIdField] = Field(default=[], max_length=5000, description="Empty: every hotel.")


class TemplatePatch(Strict):
    name: Name | None = None
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    language: Language | None = None
    location_ids: list[LocationIdField] | None = Field(default=None, max_length=5000)


class ContactReason(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
    label_fr: Name
    label_en: Name


class AlertRule(Strict):
    max_rating: int = Field(default=2, ge=1, le=5)
    text_threshold: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="The dissatisfaction score from which an email, form or chat message raises an alert "
        "(shared/dissatisfaction.py); unset: the inbox's HUB_INBOX_ALERT_THRESHOLD.",
    )


class ChainSettings(Strict):
    contact_reasons: list[ContactReason] = Field(default=[], max_length=200)
    customer_service_email: EmailStr | None = None
    alert_rule: AlertRule = AlertRule()


class RenderTemplate(Strict):
    conversation_id: Id
