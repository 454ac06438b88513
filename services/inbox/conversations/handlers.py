"""Bus handlers of conversations: guests' inbound messages and notify's delivery reports."""

from shared.bus import INBOX_DELIVERIES, INBOX_INBOUND, DeliveryStatus, DeliveryStatusIn, InboundMessage
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from ..settings import InboxSettings
from .service import inbox_for


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_INBOUND, runtime.policy, concurrency=settings.inbound_concurrency)
    async def on_inbound(message: InboundMessage) -> None:
        await inbox_for(runtime, settings).receive(message)

    @durable_subscriber(runtime.broker, INBOX_DELIVERIES, runtime.policy)
    async def on_delivery(status: DeliveryStatusIn) -> None:
        if isinstance(status, DeliveryStatus):  # a state this release does not know is not shown
            await inbox_for(runtime, settings).record_delivery(status)
