"""HTTP models of the solicitations API."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
FORMATTED = 'Light formatting in the text: **bold**, *italic*, lines starting with "- " as a list (in the email).'
AttachmentId = Annotated[str, StringConstraints(pattern=r"^att_[A-Za-z0-9_-]{20,64}$")]


class NewSolicitation(BaseModel):
    """Ask an external person (a supplier, another department) something about a guest's request."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{32}$")]
    to: EmailStr = Field(description="The external person's address")
    subject: Subject | None = Field(default=None, description="Defaults to the request's subject")
    text: Body
    formatted: bool = Field(
        default=False,
        description=FORMATTED,
    )
    attachment_ids: list[AttachmentId] = Field(default=[], max_length=10)


class ThreadAnswer(BaseModel):
    """Write again in a solicitation's thread: to its recipient, who cannot be changed."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = Field(default=None, description="Defaults to the subject of the thread's last message")
    text: Body
    formatted: bool = Field(
        default=False,
        description=FORMATTED,
    )
    attachment_ids: list[AttachmentId] = Field(default=[], max_length=10)
