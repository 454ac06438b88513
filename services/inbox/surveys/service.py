"""The satisfaction survey's steps: email it when a request is closed, give the widget its token when a chat
ends, show the page a link opens and record the rating once (rules in `decisions`, words in `emails` and
`pages`). Every change goes through `Inbox.act`, versioned, so replicas and redeliveries change a request
once."""

import logging
from dataclasses import dataclass

from shared.bus import ConversationStatusChanged, HotelLanguage, utcnow
from shared.db import Document
from shared.problems import Problem
from shared.runtime import Runtime

from ..conversations.service import Inbox, inbox_for
from ..conversations.states import Status
from ..settings import InboxSettings
from . import decisions, pages

log = logging.getLogger(__name__)


@dataclass
class Surveys:
    inbox: Inbox
    base_url: str  # the public address the links open (the console's, behind the gateway's `location /`)

    @property
    def secret(self) -> str:
        return self.inbox.secret

    async def _location(self, document: Document) -> Document | None:
        return await self.inbox.repository.location(str(document["location_id"]))

    async def closed(self, event: ConversationStatusChanged) -> bool:
        """A request was closed: email its guest the survey if the hotel asks on its channel. True if sent
        now (a redelivered close, or another replica's, finds the survey's entry there and sends nothing)."""
        if event.status != Status.CLOSED.value or utcnow() - event.occurred_at > decisions.OFFER_WINDOW:
            return False
        document = await self.inbox.repository.get(event.conversation_id)
        if document is None or decisions.emailed_to(document, location := await self._location(document)) is None:
            return False
        _, entries = await self.inbox.act(
            event.conversation_id, None, decisions.offer(location, self.base_url, self.secret)
        )
        return bool(entries)

    async def _rated_request(self, token: str) -> Document | None:
        conversation_id = decisions.conversation_of(token, self.secret)
        return await self.inbox.repository.get(conversation_id) if conversation_id else None

    async def page(self, token: str, rating: object, accept_language: str | None) -> pages.Page:
        """What a link opens: the choice to confirm (the link's rating chosen); never records anything."""
        document = await self._rated_request(token)
        if document is None:
            return pages.unknown(pages.accepted_language(accept_language))
        language, hotel = await self._words(document)
        if document.get("survey"):
            return pages.already_rated(language, hotel)
        return pages.choice(language, hotel, decisions.rating_of(rating))

    async def rate(self, token: str, rating: object, accept_language: str | None) -> pages.Page:
        """Record the guest's rating once: thanks; a second time, already rated (409); a forged link, 404."""
        document = await self._rated_request(token)
        if document is None:
            return pages.unknown(pages.accepted_language(accept_language))
        language, hotel = await self._words(document)
        chosen = decisions.rating_of(rating)
        if document.get("survey"):
            return pages.already_rated(language, hotel)
        if chosen is None:
            return pages.choice(language, hotel, None, error=True)
        try:
            _, entries = await self.inbox.act(str(document["_id"]), None, decisions.rate(chosen, utcnow()))
        except Problem as problem:  # busy: the request changed many times at once
            log.warning("survey rating not recorded", extra={"conversation": document["_id"], "status": problem.status})
            return pages.unavailable(language, hotel)
        return pages.thanks(language, hotel, chosen) if entries else pages.already_rated(language, hotel)

    async def _words(self, document: Document) -> tuple[HotelLanguage, str]:
        location = await self._location(document)
        return decisions.language_of(document, location), str((location or {}).get("name") or "")


async def chat_survey_token(inbox: Inbox, document: Document) -> str | None:
    """The token the widget's rating prompt posts with when an agent ends a chat; None when the hotel does
    not ask chat guests (or the chat is spam, automatic or rated already)."""
    if not decisions.asked_in_chat(document, await inbox.repository.location(str(document["location_id"]))):
        return None
    return decisions.token_of(str(document["_id"]), inbox.secret)


def surveys_for(runtime: Runtime, settings: InboxSettings) -> Surveys:
    return Surveys(inbox=inbox_for(runtime, settings), base_url=settings.console_url)
