"""Bus handlers of conversations: guests' inbound messages, notify's delivery reports and the review
platforms' changes to public replies."""

from shared.bus import (
    INBOX_DELIVERIES,
    INBOX_INBOUND,
    INBOX_REVIEWS,
    DeliveryStatus,
    DeliveryStatusIn,
    InboundMessage,
    ReviewReplyChanged,
)
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from ..autoreplies.service import auto_replies_for
from ..settings import InboxSettings
from .review_replies import record_review_reply
from .service import inbox_for


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_INBOUND, runtime.policy, concurrency=settings.inbound_concurrency)
    async def on_inbound(message: InboundMessage) -> None:
        received = await inbox_for(runtime, settings).receive(message)
        await auto_replies_for(runtime, settings).review_received(message, received.conversation_id)

    @durable_subscriber(runtime.broker, INBOX_DELIVERIES, runtime.policy)
    async def on_delivery(status: DeliveryStatusIn) -> None:
        if isinstance(status, DeliveryStatus):  # a state this release does not know is not shown
            await inbox_for(runtime, settings).record_delivery(status)

    @durable_subscriber(runtime.broker, INBOX_REVIEWS, runtime.policy)
    async def on_review_reply(change: ReviewReplyChanged) -> None:
        await record_review_reply(inbox_for(runtime, settings), change)
