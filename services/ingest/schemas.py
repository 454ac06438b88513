"""HTTP models of the ingest service."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class FormSubmission(BaseModel):
    """What a hotel website's contact form sends (as JSON or as an urlencoded HTML form post)."""

    model_config = ConfigDict(extra="ignore")

    submission_id: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
        ]
        | None
    ) = Field(default=None, description="Stable id of this submission; a repeated id is accepted once.")
    name: ShortText | None = None
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    # Honeypot: hidden from people by the form's CSS; bots fill it in.
    website: str | None = None
    # HTML forms: where to send the guest back (same site as the form only).
    redirect_to: Annotated[str, StringConstraints(max_length=2000)] | None = None


class Accepted(BaseModel):
    status: str = "accepted"
    key: str


LocationField = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class Review(BaseModel):
    """A review from a review platform's webhook (signed) or its history import."""

    model_config = ConfigDict(extra="ignore")

    platform: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
    review_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    location: LocationField
    author: ShortText | None = None
    author_email: EmailStr | None = None
    rating: float = Field(ge=0, le=100)  # on the platform's scale, at most the largest scale
    scale: int = Field(default=5, ge=1, le=100)
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)] = ""
    language: Annotated[str, StringConstraints(max_length=10)] | None = None
    date: str | None = Field(default=None, max_length=40)
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def stars(self) -> int:
        """The rating on the hub's 1-5 scale, whatever the platform's."""
        return max(1, min(5, round(self.rating / self.scale * 5))) if self.rating else 1


class Call(BaseModel):
    """A call reported by a telephony platform's webhook (signed)."""

    model_config = ConfigDict(extra="ignore")

    call_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    location: LocationField
    caller: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{4,30}$")]
    direction: Literal["inbound", "outbound", "missed"] = "inbound"
    duration_seconds: int = Field(default=0, ge=0, le=24 * 3600)
    recording_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    caller_name: ShortText | None = None
