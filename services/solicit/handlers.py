"""Bus handlers of solicit: external people's answers, and failed deliveries of solicitations."""

from shared.bus import SOLICIT_DELIVERY_FAILURES, SOLICIT_INBOUND, DeliveryStatus, DeliveryStatusIn, InboundMessage
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from .service import solicit_for


def register(runtime: Runtime) -> None:
    @durable_subscriber(runtime.broker, SOLICIT_INBOUND, runtime.policy)
    async def on_answer(message: InboundMessage) -> None:
        await solicit_for(runtime).receive(message)

    @durable_subscriber(runtime.broker, SOLICIT_DELIVERY_FAILURES, runtime.policy)
    async def on_failure(status: DeliveryStatusIn) -> None:
        if isinstance(status, DeliveryStatus):
            await solicit_for(runtime).delivery_failed(status)
