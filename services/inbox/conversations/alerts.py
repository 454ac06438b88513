"""What raises a request's alert: a low rating, or strong dissatisfaction in the guest's own words.

An alert puts the request first in the inbox with a high priority until someone answers. Its reason is
stored beside it (`alert_reason`), so the console can say why ("alert: negative wording").
"""

from enum import StrEnum

from shared import dissatisfaction
from shared.bus import Channel, InboundMessage
from shared.db import Document

DEFAULT_MAX_RATING = 2
# The channels where a guest writes in their own words to the hotel (a review is judged by its rating, a
# call by nobody's words).
WORDED_CHANNELS = frozenset({Channel.EMAIL, Channel.FORM, Channel.CHAT})


class AlertReason(StrEnum):
    LOW_RATING = "low_rating"
    NEGATIVE_WORDING = dissatisfaction.REASON


def alert_of(message: InboundMessage, rule: Document, text_threshold: float) -> AlertReason | None:
    """Why this guest message raises an alert, if it does. A rating decides alone for a review; spam and
    automatic replies never alert; the words of an email, a form or a chat message alert when they score
    `text_threshold` or more (the chain's `alert_rule.text_threshold` if it set one)."""
    if message.rating is not None:
        low = message.rating <= int(rule.get("max_rating", DEFAULT_MAX_RATING))
        return AlertReason.LOW_RATING if low else None
    if message.spam or message.automatic or message.channel not in WORDED_CHANNELS or message.text_key:
        return None
    threshold = float(rule.get("text_threshold") or text_threshold)
    words = f"{message.subject}\n{message.text}" if message.channel is Channel.EMAIL else message.text
    return AlertReason.NEGATIVE_WORDING if dissatisfaction.score(words) >= threshold else None


def raised_by_words(document: Document, reason: AlertReason | None, spam: bool) -> dict[str, object]:
    """The change a guest's words make to a request they are added to: they raise an alert it does not have
    (and its priority, as a new alert would have it), never clear one (calmer words later do not mean
    someone answered), and change nothing on a request in spam."""
    if reason is not AlertReason.NEGATIVE_WORDING or document.get("alert") or spam:
        return {}
    changes: dict[str, object] = {"alert": True, "alert_reason": reason.value}
    if document.get("priority") in {None, "low"}:
        changes["priority"] = "high"
    return changes
