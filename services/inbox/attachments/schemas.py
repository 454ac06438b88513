"""HTTP models of attachments."""

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    """An uploaded file: its id goes in a reply's or a note's `attachment_ids`."""

    id: str
    filename: str
    content_type: str
    size: int
