"""Who is asked for a rating, with which email, and how a rating changes the request. Pure rules.

A hotel opts in per channel (`survey_channels` on its location: email, form, chat). A closed email or
form request whose guest left an address gets one email with five one-click links; an ended chat gets
a 1 to 5 prompt in the widget. Never for spam or an automatic reply's request. The links carry a signed
token (`shared.tokens`, purpose "survey"); the rating is recorded once, whichever link or device comes
first: the request keeps `survey` {rating, at, channel}, its timeline a "rating" entry, and the bus
says `conversation.rated`.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from shared import tokens
from shared.bus import Channel, ConversationRated, HotelLanguage, OutboundKind, OutboundMessage
from shared.db import Document

from ..conversations.service import Change, about
from ..conversations.states import Status
from . import emails

TOKEN_PURPOSE = "survey"  # noqa: S105 - a signature domain, not a secret
RATINGS = range(1, 6)
Decide = Callable[[Document], Change]
EMAILED = frozenset({Channel.EMAIL.value, Channel.FORM.value})
# A close older than this sends nothing: a consumer created on a stream holding weeks of events (a first
# deployment, a hotel opting in) must not email every guest whose request was closed back then.
OFFER_WINDOW = timedelta(days=1)


def token_of(conversation_id: str, secret: str) -> str:
    return tokens.sign(TOKEN_PURPOSE, conversation_id, secret)


def conversation_of(token: str, secret: str) -> str | None:
    """The request a survey link rates, or None for a forged or malformed token."""
    return tokens.verify(TOKEN_PURPOSE, token, secret)


def asked_channels(location: Document | None) -> set[str]:
    return {str(channel) for channel in (location or {}).get("survey_channels") or []}


def language_of(document: Document, location: Document | None) -> HotelLanguage:
    """The guest's language where the request knows it, else the hotel's (French when unknown)."""
    for language in (document.get("language"), (location or {}).get("language")):
        if language == "fr":
            return "fr"
        if language == "en":
            return "en"
    return "fr"


def askable(document: Document) -> bool:
    """Neither spam nor opened by an automatic reply, and not rated yet."""
    return document.get("status") != Status.SPAM.value and not document.get("automatic") and not document.get("survey")


def emailed_to(document: Document, location: Document | None) -> str | None:
    """The address a closed request's survey goes to; None when it gets none (not closed, not an email or
    form request, the hotel does not ask on its channel, no address, spam, automatic, rated already)."""
    channel = str(document.get("channel"))
    if document.get("status") != Status.CLOSED.value or channel not in EMAILED or not askable(document):
        return None
    if channel not in asked_channels(location):
        return None
    email = (document.get("guest") or {}).get("email")
    return str(email) if email else None


def asked_in_chat(document: Document, location: Document | None) -> bool:
    """An ended chat's guest gets the widget's rating prompt (the hotel asks chat guests)."""
    return document.get("channel") == Channel.CHAT.value and askable(document) and "chat" in asked_channels(location)


def links(base_url: str, token: str) -> list[str]:
    """The five one-click links, 1 to 5: each opens the page with that rating chosen, to confirm."""
    return [f"{base_url.rstrip('/')}/survey/{token}?rating={rating}" for rating in RATINGS]


def entry_key(conversation_id: str) -> str:
    """The survey email's timeline key: one per request ever, so a redelivered close, a replica racing or a
    request closed again sends nothing more (the entries' unique key; notify sends each key once)."""
    return f"survey:{conversation_id}"


def offer(location: Document | None, base_url: str, secret: str) -> Decide:
    """Email the survey to the guest of a closed request, once; nothing when it is not to be asked."""

    def decide(document: Document) -> Change:
        to = emailed_to(document, location)
        if to is None:
            return Change()
        conversation_id = str(document["_id"])
        language = language_of(document, location)
        hotel = str((location or {}).get("name") or "")
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.SURVEY,
            channel=Channel.EMAIL,
            conversation_id=conversation_id,
            location_id=str(document["location_id"]),
            to=[to],
            subject=emails.subject(language, hotel),
            text=emails.text(
                language, hotel, str(document.get("subject") or ""), links(base_url, token_of(conversation_id, secret))
            ),
            language=language,
        )
        entry = {
            "key": entry_key(conversation_id),
            "kind": "survey",
            "channel": Channel.EMAIL.value,
            "to": [to],
            "delivery": {"state": "pending"},
        }
        return Change(entries=[entry], outbound=outbound)

    return decide


def rating_of(value: object) -> int | None:
    """A rating as a form or query gives it ("1" to "5"), or None."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    return int(text) if text in {str(rating) for rating in RATINGS} else None


def rate(rating: int, at: datetime) -> Decide:
    """Record the guest's rating, once: a request rated already changes no more."""

    def decide(document: Document) -> Change:
        if document.get("survey") or rating not in RATINGS:
            return Change()
        channel = str(document.get("channel"))
        guest = document.get("guest") or {}
        author = {"type": "guest", **{k: guest[k] for k in ("name", "email") if guest.get(k)}}
        return Change(
            event=ConversationRated(
                **about(document), rating=rating, channel=channel, contact_id=document.get("contact_id")
            ),
            set={"survey": {"rating": rating, "at": at, "channel": channel}},
            entries=[{"kind": "rating", "rating": rating, "channel": channel, "author": author}],
        )

    return decide
