"""Rules of automatic review replies: which rule answers a new review and with which words (pure), who
may set rules, and the reply's life on its request: scheduled, sent when due through the public reply
decision, or waiting for an agent who approves (maybe after editing it) or discards it. An agent's own
answer cancels it (`conversations.decisions`)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import system_texts
from shared.auth import Actor
from shared.bus import Channel, ConversationUpdated, InboundMessage, utcnow
from shared.db import Document
from shared.problems import Problem
from shared.runtime import Runtime

from ..conversations import decisions
from ..conversations.queries import conversation_out, entry_out
from ..conversations.schemas import ActionResult
from ..conversations.service import Change, Inbox, about, inbox_for
from ..directory.service import fill_template
from ..settings import InboxSettings
from .repository import AutoReplyRepository
from .schemas import Approval, Rule, RuleIn

log = logging.getLogger(__name__)

AUTHOR_NAME = "Automatic reply"  # the public reply's author on the timeline and to notify
AUTHOR: dict[str, Any] = {"type": "automatic", "name": AUTHOR_NAME}
LANGUAGES = ("fr", "en")


# --- which rule, which words (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class NewReview:
    """What a rule looks at in a new review, and what its reply says of it."""

    location_id: str
    platform: str
    rating: int | None
    has_text: bool
    language: str | None  # the review's, when the platform says it ("fr", "en-GB"…)
    guest_name: str = ""

    @classmethod
    def of(cls, message: InboundMessage) -> "NewReview":
        review = message.review or {}
        return cls(
            location_id=message.location_id,
            platform=str(review.get("platform") or ""),
            rating=message.rating,
            has_text=message.text_key != system_texts.RATING_ONLY.key,
            language=str(review["language"]) if review.get("language") else None,
            guest_name=message.guest.name or "",
        )


def matches(rule: Document, review: NewReview) -> bool:
    if rule.get("platform") and rule["platform"] != review.platform:
        return False
    if review.rating is None or not int(rule.get("min_rating", 1)) <= review.rating <= int(rule.get("max_rating", 5)):
        return False
    with_text = rule.get("with_text")
    return with_text is None or bool(with_text) == review.has_text


def choose(rules: list[Document], review: NewReview) -> Document | None:
    """The first matching rule of the review's hotel; a hotel with no rule of its own follows the chain-wide
    ones (a hotel's rules replace them, even when none matches)."""
    own = [rule for rule in rules if rule.get("location_id") == review.location_id]
    candidates = own or [rule for rule in rules if not rule.get("location_id")]
    return next((rule for rule in candidates if matches(rule, review)), None)


def language_of(rule: Document, review: NewReview, hotel_language: str) -> str:
    """The review's language when the rule has words in it, else the hotel's, else the rule's other one."""
    templates: dict[str, str] = rule.get("templates") or {}
    spoken = (review.language or "").lower()[:2]
    for language in (spoken, hotel_language, *LANGUAGES):
        if language in templates:
            return language
    raise ValueError("a rule without a template")  # RuleIn requires one


def render(rule: Document, review: NewReview, hotel_name: str, hotel_language: str) -> str:
    language = language_of(rule, review, hotel_language)
    name = review.guest_name.strip()
    values = {
        "guest_name": name,
        "guest_first_name": name.split()[0] if name else "",
        "hotel_name": hotel_name,
    }
    return fill_template(str(rule["templates"][language]), values, language).strip()


# --- who may set rules ------------------------------------------------------------------------------


def rule_visible(actor: Actor, rule: Document) -> bool:
    location_id = rule.get("location_id")
    return not location_id or actor.can_see(str(location_id))


def may_set(actor: Actor, location_id: str | None) -> None:
    """Managers set the rules of their hotels; chain-wide rules are for admins."""
    actor.require("manager")
    if actor.sees_everything:
        return
    if location_id is None:
        raise Problem(403, "Forbidden", "Chain-wide automatic replies (no hotel) are for admins.")
    if not actor.can_see(location_id):
        raise Problem(403, "Forbidden", "Managers set automatic replies for their own hotels only.")


def public_rule(document: Document) -> Rule:
    return Rule.model_validate({"id": str(document["_id"]), **document})


# --- the reply's life on its request (decisions on the conversation) -----------------------------------


def due_at(rule: Document, now: datetime) -> datetime:
    return now + timedelta(minutes=int(rule.get("delay_minutes", 0)))


def schedule(rule: Document, text: str, now: datetime) -> decisions.Decide:
    """The rule's reply joins a new review's request: due after its delay, or waiting for approval."""
    waiting = bool(rule.get("needs_approval"))
    due = due_at(rule, now)
    state = "waiting_approval" if waiting else "scheduled"

    def decide(document: Document) -> Change:
        # Once per request: a redelivered review, or one an agent already answered, schedules nothing.
        if document.get("auto_reply") or document.get("first_response_at"):
            return Change()
        pending = {
            "state": state,
            "text": text,
            "due_at": due,
            "needs_approval": waiting,
            "rule_id": str(rule["_id"]),
        }
        entry = {"kind": "auto_reply", "state": state, "text": text, "due_at": due}
        return Change(event=ConversationUpdated(**about(document)), set={"auto_reply": pending}, entries=[entry])

    return decide


def send(
    review: Document | None, now: datetime, approval: Approval | None = None, actor: Actor | None = None
) -> decisions.Decide:
    """Publish the pending reply: by the sweep once due (`approval` None), or at once by an approving agent
    (with the text they edited). Either way the public reply decision, signed "Automatic reply"."""

    def decide(document: Document) -> Change:
        pending = dict(document.get("auto_reply") or {})
        if pending.get("state") not in decisions.AUTO_REPLY_PENDING:
            if approval is None:
                return Change()  # discarded, cancelled or sent meanwhile
            raise Problem(409, "Nothing to approve", "This request has no automatic reply waiting.")
        if approval is None and (pending.get("needs_approval") or pending.get("due_at", now) > now):
            return Change()
        text = approval.text if approval and approval.text else str(pending["text"])
        author = {**AUTHOR, **({"approved_by": actor.name} if actor else {})}
        target = decisions.review_target(document, review)
        change = decisions.public_reply(text, target, AUTHOR_NAME, automatic=author)(document)
        change.set["auto_reply"] = {**change.set["auto_reply"], "text": text}
        return change

    return decide


def drop(document: Document) -> Change:
    """The agent discards the pending reply: it is never sent."""
    pending = dict(document.get("auto_reply") or {})
    if pending.get("state") not in decisions.AUTO_REPLY_PENDING:
        raise Problem(409, "Nothing to approve", "This request has no automatic reply waiting.")
    return Change(
        event=ConversationUpdated(**about(document)),
        set={"auto_reply": {**pending, "state": "discarded"}},
        entries=[{"kind": "auto_reply", "state": "discarded", "text": pending.get("text")}],
    )


@dataclass
class AutoReplies:
    """The rules over the inbox's database, and the replies they schedule on its requests."""

    repository: AutoReplyRepository
    inbox: Inbox

    # --- rules -------------------------------------------------------------------------------------

    async def rules(self, actor: Actor) -> list[Rule]:
        return [public_rule(rule) for rule in await self.repository.all_rules() if rule_visible(actor, rule)]

    async def create_rule(self, actor: Actor, body: RuleIn) -> Rule:
        may_set(actor, body.location_id)
        if body.location_id is not None and await self.inbox.repository.location(body.location_id) is None:
            raise Problem(422, "Invalid request", f"location_id: no hotel has the id {body.location_id!r}.")
        document = {"_id": uuid.uuid4().hex[:12], **body.model_dump(), "created_at": utcnow()}
        await self.repository.insert_rule(document)
        return public_rule(document)

    async def delete_rule(self, actor: Actor, rule_id: str) -> None:
        rule = await self.repository.rule(rule_id)
        if rule is None or not rule_visible(actor, rule):
            raise Problem(404, "Not found", f"No automatic reply has the id {rule_id!r}.")
        may_set(actor, rule.get("location_id"))
        await self.repository.delete_rule(rule_id)

    # --- replies -----------------------------------------------------------------------------------

    async def review_received(self, message: InboundMessage, conversation_id: str) -> None:
        """A new review's request gets the first matching rule's reply (an edited review gets none, nor a
        review of a platform the hub has no connector for)."""
        if message.channel is not Channel.REVIEW or message.automatic:
            return
        review = NewReview.of(message)
        if not self.inbox.answers_publicly(review.platform):
            return  # the hub cannot post on this platform: an automatic reply would only fail there
        rule = choose(await self.repository.rules_for(message.location_id), review)
        if rule is None:
            return
        document = await self.inbox.repository.get(conversation_id)
        if document is None or int(document.get("message_count", 0)) != 1:
            return
        hotel = await self.inbox.hotel(message.location_id)
        text = render(rule, review, hotel.name or message.location_id, hotel.language)
        now = utcnow()
        if not rule.get("needs_approval"):
            # Remembered first: a crash between the two leaves the sweep a reminder that finds nothing to send,
            # never a reply that nothing sends (the message, redelivered, schedules it then).
            await self.repository.remember_due(conversation_id, due_at(rule, now))
        await self.inbox.act(conversation_id, None, schedule(rule, text, now))

    async def send_due(self, now: datetime) -> int:
        """Publish the replies due without approval; safe with several replicas sweeping at once (the
        versioned update lets one of them send each)."""
        sent = 0
        for conversation_id in await self.repository.due_by(now):
            try:
                review = await self._review(conversation_id)
                document, entries = await self.inbox.act(conversation_id, None, send(review, now))
            except Problem as problem:  # the request was erased, or is no review: nothing to send
                log.warning(
                    "automatic reply not sent", extra={"conversation": conversation_id, "detail": problem.detail}
                )
                document, entries = {}, []
            pending = document.get("auto_reply") or {}
            if not entries and pending.get("state") == "scheduled" and not pending.get("needs_approval"):
                # Not due yet after all (another replica's clock): reminded again at the request's own time.
                await self.repository.remember_due(conversation_id, pending["due_at"])
                continue
            await self.repository.forget_due(conversation_id)
            sent += bool(entries)
        return sent

    async def approve(self, conversation_id: str, approval: Approval, actor: Actor) -> ActionResult:
        await self.inbox.visible(conversation_id, actor)
        review = await self._review(conversation_id)
        document, entries = await self.inbox.act(conversation_id, actor, send(review, utcnow(), approval, actor))
        await self.repository.forget_due(conversation_id)
        return ActionResult(conversation=conversation_out(document), entries=[entry_out(e) for e in entries])

    async def discard(self, conversation_id: str, actor: Actor) -> ActionResult:
        document, entries = await self.inbox.act(conversation_id, actor, drop)
        await self.repository.forget_due(conversation_id)
        return ActionResult(conversation=conversation_out(document), entries=[entry_out(e) for e in entries])

    async def _review(self, conversation_id: str) -> Document | None:
        return (await self.inbox.repository.latest_guest_message(conversation_id) or {}).get("review")


def auto_replies_for(runtime: Runtime, settings: InboxSettings) -> AutoReplies:
    return AutoReplies(repository=AutoReplyRepository(runtime.db), inbox=inbox_for(runtime, settings))
