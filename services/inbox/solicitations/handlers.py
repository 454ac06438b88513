"""Bus handlers of solicitations: each thread's messages, and the brief solicit asks of a request."""

from shared.bus import (
    INBOX_SOLICITATIONS,
    ConversationBrief,
    ConversationBriefRequest,
    SolicitationEventIn,
    Subjects,
)
from shared.messaging import durable_subscriber
from shared.runtime import Runtime

from ..conversations.service import inbox_for
from ..settings import InboxSettings
from . import service as solicitations


def register(runtime: Runtime, settings: InboxSettings) -> None:
    @durable_subscriber(runtime.broker, INBOX_SOLICITATIONS, runtime.policy)
    async def on_solicitation(event: SolicitationEventIn) -> None:
        await solicitations.show(inbox_for(runtime, settings), event)

    # A queue group: replicas of the inbox share the requests.
    @runtime.broker.subscriber(Subjects.CONVERSATION_BRIEF, queue="inbox")
    async def conversation_brief(request: ConversationBriefRequest) -> ConversationBrief:
        return await solicitations.brief(inbox_for(runtime, settings), request)
