"""HTTP models of merge and split."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..conversations.schemas import ConversationOut, Strict, TimelineEntry


class MergeIn(Strict):
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = (
        Field(description="The request merged away into this one (of the same hotel).")
    )


class SplitIn(Strict):
    entry_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="The guest's message to split out into a new request."
    )
    with_following: bool = Field(default=False, description="Move the entries after it too.")


class SplitResult(BaseModel):
    """The new request, the entries the split added (on both), and the request it came from."""

    model_config = ConfigDict(populate_by_name=True)

    conversation: ConversationOut
    entries: list[TimelineEntry]
    from_: ConversationOut = Field(alias="from")
