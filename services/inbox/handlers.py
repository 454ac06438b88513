"""Bus handlers of the inbox: the durable consumer of guests' inbound messages."""

from shared.bus import INBOX_INBOUND, InboundMessage
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from . import service
from .repository import ConversationRepository
from .settings import InboxSettings


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_INBOUND, runtime.policy)
    async def on_inbound(message: InboundMessage) -> None:
        await service.receive(
            ConversationRepository(runtime.db),
            runtime.broker,
            message,
            contacts_timeout=settings.contacts_timeout_seconds,
        )
