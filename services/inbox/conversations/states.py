"""The conversation's state machine (DESIGN.md section 5) and the views it appears in.

Pure functions: the service applies them inside an optimistic, versioned update, so two agents (or
an agent and a guest) acting at once never leave a conversation in a state neither chose.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    SPAM = "spam"
    # Merged into another request (merging/): it keeps its id, which leads to the survivor, and counts in no
    # view, no list and no score; nothing changes it any more.
    MERGED = "merged"


# Every status a request can be listed in: all but merged.
LISTED = frozenset(status for status in Status if status is not Status.MERGED)


class IllegalTransitionError(Exception):
    """An action that the conversation's current state does not allow (answered 409)."""


# What an agent may set with the status action. Spam is left only through "not spam", so a
# request marked as spam by mistake comes back open, with its history, rather than silently.
AGENT_MOVES: Mapping[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.ON_HOLD, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN, Status.ON_HOLD}),
    Status.SPAM: frozenset(),
    Status.MERGED: frozenset(),
}
INBOX = frozenset({Status.OPEN, Status.ON_HOLD})


def agent_sets_status(current: Status, target: Status) -> Status:
    if target == current:
        return current
    if target == Status.SPAM:
        raise IllegalTransitionError("Use the spam action to mark a request as spam.")
    if current == Status.SPAM:
        raise IllegalTransitionError("This request is marked as spam; mark it as not spam first.")
    if target not in AGENT_MOVES[current]:
        raise IllegalTransitionError(f"A request cannot go from {current.value} to {target.value}.")
    return target


def guest_writes(current: Status) -> Status:
    """A guest writing again reopens a closed or on-hold request; spam stays spam."""
    return current if current == Status.SPAM else Status.OPEN


def new_request(*, spam: bool, automatic: bool) -> Status:
    """The status a request opens with.

    Spam by ingest's rules: the spam view. Opened by an automatic reply (an out-of-office answering nothing
    the hub knows of): closed, so it is kept and found among closed requests, by its guest and in search,
    but never asks an agent for an answer. Anything else: open. (An automatic reply to a known request is
    stored on it and changes none of its state: see `Inbox.receive`.)
    """
    if spam:
        return Status.SPAM
    return Status.CLOSED if automatic else Status.OPEN


def agent_replies(current: Status) -> Status:
    if current == Status.SPAM:
        raise IllegalTransitionError("This request is marked as spam; mark it as not spam before replying.")
    return Status.OPEN if current == Status.ON_HOLD else current


def mark_spam(current: Status) -> Status:
    if current == Status.SPAM:
        raise IllegalTransitionError("This request is already marked as spam.")
    return Status.SPAM


def mark_not_spam(current: Status) -> Status:
    if current != Status.SPAM:
        raise IllegalTransitionError("This request is not marked as spam.")
    return Status.OPEN


def close_chat(current: Status, resulting: Status) -> Status:
    if resulting not in {Status.OPEN, Status.ON_HOLD, Status.CLOSED}:
        raise IllegalTransitionError("A closed chat becomes open, on hold or closed.")
    if current == Status.SPAM:
        raise IllegalTransitionError("This request is marked as spam.")
    return resulting


def bot_active_after(status: Status, bot_active: bool, has_bot: bool) -> bool:
    """Open or on hold hands a chatbot conversation to a person; closing gives it back to the bot.

    Only conversations that started with the chatbot (`has_bot`) ever go back to it.
    """
    if not has_bot:
        return False
    if status in INBOX:
        return False
    if status == Status.CLOSED:
        return True
    return bot_active


@dataclass(frozen=True)
class ViewCondition:
    """What a conversation must be to count in a view: a status among `statuses` (None: any) and, where
    given, these values of its flags. A missing flag counts as false. No status given means any listed one:
    a merged request is in no view."""

    statuses: frozenset[Status] | None = None
    bot_active: bool | None = None
    alert: bool | None = None
    unread: bool | None = None

    def holds_for(self, conversation: Mapping[str, Any]) -> bool:
        if Status(conversation["status"]) not in (LISTED if self.statuses is None else self.statuses):
            return False
        flags = {"bot_active": self.bot_active, "alert": self.alert, "unread": self.unread}
        return all(wanted is None or bool(conversation.get(flag)) == wanted for flag, wanted in flags.items())


def _only(*statuses: Status) -> frozenset[Status]:
    return frozenset(statuses)


# Which conversations each view, tab count and bucket holds: the one definition that the lists
# (the repository turns a condition into its query) and the counts (`view_keys`) both read.
# A request the chatbot is handling (open or on hold, never handed over) shows only under `all`;
# the reviews buckets split the inbox into on hold, alerts and new.
VIEWS: Mapping[str, ViewCondition] = {
    "all": ViewCondition(),
    "inbox": ViewCondition(INBOX, bot_active=False),
    "awaiting": ViewCondition(_only(Status.OPEN), bot_active=False),  # in progress, not set aside
    "unread": ViewCondition(INBOX, bot_active=False, unread=True),
    "status_open": ViewCondition(_only(Status.OPEN), bot_active=False),
    "status_on_hold": ViewCondition(_only(Status.ON_HOLD), bot_active=False),
    "status_closed": ViewCondition(_only(Status.CLOSED)),
    "status_spam": ViewCondition(_only(Status.SPAM)),
    "bucket_on_hold": ViewCondition(_only(Status.ON_HOLD), bot_active=False),
    "bucket_alerts": ViewCondition(_only(Status.OPEN), bot_active=False, alert=True),
    "bucket_new": ViewCondition(_only(Status.OPEN), bot_active=False, alert=False),
}


# The views that list the alerts bucket's requests first, then the rest by activity: the tabs an agent
# works from. The others (on hold, closed, spam, all, the buckets) are read by recent activity alone.
ALERTS_FIRST = frozenset({"inbox", "status_open"})


def view_keys(conversation: Mapping[str, Any]) -> set[str]:
    """The views, tab counts and buckets (keys of `VIEWS`) a conversation counts in."""
    return {key for key, condition in VIEWS.items() if condition.holds_for(conversation)}
