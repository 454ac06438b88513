"""Bus handler of surveys: a request closed by an agent gets the hotel's satisfaction survey by email."""

from shared.bus import INBOX_SURVEYS, ConversationEventIn, ConversationStatusChanged
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from ..settings import InboxSettings
from .service import surveys_for


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_SURVEYS, runtime.policy)
    async def on_status_changed(event: ConversationEventIn) -> None:
        if isinstance(event, ConversationStatusChanged):
            await surveys_for(runtime, settings).closed(event)
