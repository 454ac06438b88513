"""HTTP models of the contacts API."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{4,30}$")]


class NewContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{4,30}$")] | None = None
    language: Literal["fr", "en"] | None = None


class ContactChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Name | None = None
    last_name: Name | None = None
    display_name: Name | None = None
    language: Literal["fr", "en"] | None = None
    phone: Phone | None = Field(
        default=None, description="The main phone number (the first of `phones`, which it replaces), as typed."
    )


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{32}$")]
