"""Bus handler of automation rules: each conversation event that triggers rules runs one pass of them."""

from shared.bus import INBOX_RULES, ConversationEventIn
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from ..settings import InboxSettings
from .service import rules_for


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_RULES, runtime.policy)
    async def on_conversation_event(event: ConversationEventIn) -> None:
        await rules_for(runtime, settings).on_event(event)
