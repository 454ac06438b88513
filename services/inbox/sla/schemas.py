"""HTTP models of response-time policies: a policy as managers write it and read it back."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.bus import Channel, LocationId

Minutes = Annotated[int, Field(ge=1, le=525600, description="Business minutes (at most a year).")]


class Step(BaseModel):
    """One escalation step: when, relative to its target's due time, and what it does."""

    model_config = ConfigDict(extra="forbid")

    target: Literal["first_response", "resolution"]
    at_minutes: int = Field(
        default=0, ge=-525600, le=525600, description="-30: 30 min before due (nearly missed); 0: when missed."
    )
    action: Literal["notify_assignee", "notify_managers", "to_group"]
    group_id: LocationId | None = Field(default=None, description="to_group: the care group taking the request.")

    @model_validator(mode="after")
    def _group_for_to_group(self) -> Self:
        if (self.action == "to_group") != (self.group_id is not None):
            raise ValueError("group_id is required for to_group, and only for it")
        return self


class PolicyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    group_id: LocationId | None = Field(default=None, description="The group of hotels; none: chain-wide (admins).")
    channels: list[Channel] = Field(default=[], max_length=5, description="Empty: every channel.")
    alerts_only: bool = Field(default=False, description="Only for requests raising an alert.")
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    pause_on_hold: bool = True
    position: int = Field(default=0, ge=-1000000, le=1000000, description="Lower first, among equals.")
    escalation: list[Step] = Field(default=[], max_length=10)


class PolicyIn(PolicyFields):
    """A policy: which new requests it covers, the targets it sets them, and its escalation steps."""


class PolicyPatch(BaseModel):
    """The fields to change; absent ones stay (`group_id` null: chain-wide)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    group_id: LocationId | None = None
    channels: list[Channel] | None = Field(default=None, max_length=5)
    alerts_only: bool | None = None
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    pause_on_hold: bool | None = None
    position: int | None = Field(default=None, ge=-1000000, le=1000000)
    escalation: list[Step] | None = Field(default=None, max_length=10)


class Policy(PolicyFields):
    model_config = ConfigDict(extra="ignore")

    id: str
