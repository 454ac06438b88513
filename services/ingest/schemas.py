"""HTTP models of the ingest service."""

from typing import Annotated

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


class Accepted(BaseModel):
    status: str = "accepted"
    key: str
