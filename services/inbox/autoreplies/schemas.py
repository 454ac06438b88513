"""HTTP models of automatic review replies: a rule as managers write it and read it back."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.bus import LocationId

Language = Literal["fr", "en"]
TemplateText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Platform = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$")]


class RuleIn(BaseModel):
    """A rule: which new reviews it answers, with which words, after how long, approved or not."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    location_id: LocationId | None = Field(
        default=None, description="The hotel; none: chain-wide, for the hotels without a rule of their own (admins)."
    )
    platform: Platform | None = Field(default=None, description="google, tripadvisor…; none: any platform.")
    min_rating: int = Field(default=1, ge=1, le=5, description="Stars out of 5, as the inbox stores them.")
    max_rating: int = Field(default=5, ge=1, le=5)
    with_text: bool | None = Field(
        default=None, description="true: reviews with a text only; false: ratings without text only; none: both."
    )
    templates: dict[Language, TemplateText] = Field(
        min_length=1,
        description="The reply per language (the review's, else the hotel's, else the other); placeholders "
        "{guest_name}, {guest_first_name|fallback} and {hotel_name}.",
    )
    delay_minutes: int = Field(default=0, ge=0, le=60 * 24 * 14, description="How long after the review it goes.")
    needs_approval: bool = Field(default=False, description="It waits for an agent's approval in the console.")

    @model_validator(mode="after")
    def _ratings_in_order(self) -> Self:
        if self.min_rating > self.max_rating:
            raise ValueError("min_rating must not be above max_rating")
        return self


class Rule(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: str


class Approval(BaseModel):
    """The agent's go-ahead, maybe with the text they edited."""

    model_config = ConfigDict(extra="forbid")

    text: TemplateText | None = None
