"""An agent taking the hotel's public reply down from the review's platform: which replies can be taken
down, and what notify's report on the removal makes of the reply's `delivery`.

The removal is a timeline entry of its own (`public_reply_removal`, whose key is the command's key, so
notify's reports find it); the reply it removes shows `deleting` meanwhile, then `deleted` (by the
hotel), or, when the platform refuses, its state before with the platform's reason (`removal_failed`).
"""

from datetime import datetime
from typing import Any

from shared.db import Document
from shared.problems import Problem

ENTRY_KIND = "public_reply_removal"
# Published, possibly edited on the platform since: there is a reply there to take down.
REMOVABLE = ("sent", "edited")


def check_removable(reply: Document | None) -> Document:
    """The reply to take down: the review's latest public reply, published on the platform (else 409)."""
    if reply is None:
        raise Problem(409, "No public reply", "This review has no public reply from the hub to remove.")
    state = (reply.get("delivery") or {}).get("state")
    if state == "deleting":
        raise Problem(409, "Already being removed", "The public reply is already being removed from the platform.")
    if state not in REMOVABLE:
        raise Problem(409, "Not published", "Only a public reply published on the platform can be removed from it.")
    return reply


def deleting(reply: Document, at: datetime) -> dict[str, Any]:
    """The reply's delivery while the platform is asked to take it down (its state before is kept, to be
    shown again if the platform refuses)."""
    before = {k: v for k, v in (reply.get("delivery") or {}).items() if k not in ("before", "removal_failed")}
    return {"state": "deleting", "at": at, "before": before}


def outcome(current: Document, state: str, reason: str | None, at: datetime) -> dict[str, Any] | None:
    """The reply's delivery after notify's report (`state`: queued, sent, failed) on its removal; None: no
    change. A success always wins: two removals at once (the second refused, nothing left to take down)
    end `deleted` whichever report comes first."""
    if state == "sent":
        return {"state": "deleted", "by": "hotel", "at": at}
    if current.get("state") != "deleting":  # already deleted, or a late report on an earlier removal
        return None
    if state == "failed":
        return {**(current.get("before") or {"state": "sent"}), "removal_failed": reason or "refused"}
    return {**current, "reason": reason}  # queued: the platform is busy, the removal is tried again
