"""What each agent action does to a conversation, decided from its current state.

Each function returns a `decide(conversation) -> Change` that the service applies atomically; a
decision may raise IllegalTransitionError (409) or Problem. No I/O here: look-ups an action needs
(the assignee, the customer-service address) are made before and passed in.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.attachments import Attachment
from shared.auth import Actor
from shared.bus import (
    AgentRef,
    AttachmentRef,
    CallLogged,
    Channel,
    ChatClosed,
    ContactHotels,
    ContactLinked,
    ConversationAssigned,
    ConversationDelegated,
    ConversationForwarded,
    ConversationRead,
    ConversationReplied,
    ConversationShared,
    ConversationStatusChanged,
    ConversationUnassigned,
    ConversationUpdated,
    DeliveryUpdated,
    HandedOver,
    MarkedNotSpam,
    MarkedSpam,
    NoteAdded,
    OutboundKind,
    OutboundMessage,
    ReservationRecorded,
    ReviewTarget,
    utcnow,
)
from shared.db import Document
from shared.problems import Problem

from . import handovers, reply_removal, schemas, states
from .service import Change, about, with_contact
from .states import Status

Decide = Callable[[Document], Change]
MAX_SNOOZE = timedelta(days=366)
AUTO_REPLY_PENDING = frozenset({"scheduled", "waiting_approval"})  # an automatic reply not sent yet


def _status(document: Document) -> Status:
    return Status(document["status"])


def _status_entry(before: Status, after: Status, **extra: Any) -> dict[str, Any]:
    return {"kind": "status", "from": before.value, "to": after.value, **extra}


def _check_snooze(until: datetime) -> datetime:
    now = utcnow()
    if until <= now:
        raise Problem(422, "Invalid request", "snoozed_until: the time must be in the future.")
    if until > now + MAX_SNOOZE:
        raise Problem(422, "Invalid request", "snoozed_until: a request can be put on hold for a year at most.")
    return until


def set_status(request: schemas.SetStatus) -> Decide:
    target = Status(request.status)
    if request.snoozed_until is not None and target != Status.ON_HOLD:
        raise Problem(422, "Invalid request", "snoozed_until: only a request put on hold has a time to come back.")
    until = _check_snooze(request.snoozed_until) if request.snoozed_until else None

    def decide(document: Document) -> Change:
        before = _status(document)
        after = states.agent_sets_status(before, target)
        if after == before and document.get("snoozed_until") == until:
            return Change()
        changes: dict[str, Any] = {
            "status": after.value,
            "snoozed_until": until,
            "bot_active": states.bot_active_after(
                after, bool(document.get("bot_active")), bool(document.get("has_bot"))
            ),
        }
        return Change(
            event=ConversationStatusChanged(**about(document), status=after.value, snoozed_until=until),
            set=changes,
            entries=[_status_entry(before, after, snoozed_until=until)],
        )

    return decide


def snooze(request: schemas.Snooze) -> Decide:
    return set_status(schemas.SetStatus(status="on_hold", snoozed_until=request.until))


def mark_spam(document: Document) -> Change:
    before = _status(document)
    after = states.mark_spam(before)
    return Change(
        event=MarkedSpam(**about(document), status=after.value),
        set={"status": after.value, "snoozed_until": None},
        entries=[_status_entry(before, after)],
    )


def mark_not_spam(document: Document) -> Change:
    before = _status(document)
    after = states.mark_not_spam(before)
    return Change(
        event=MarkedNotSpam(**about(document), status=after.value),
        set={"status": after.value},
        entries=[_status_entry(before, after)],
    )


def read(document: Document) -> Change:
    if not document.get("unread"):
        return Change()
    return Change(event=ConversationRead(**about(document)), set={"unread": False})


def assign(assignee: Document | None, actor: Actor | None = None) -> Decide:
    """Assign the request (or unassign it); the assignee gets an email unless they assigned themselves
    or turned it off (`notify_on_assignment`)."""
    shown = (
        {"id": str(assignee["_id"]), "name": assignee.get("name", ""), "initials": assignee.get("initials", "")}
        if assignee
        else None
    )

    def decide(document: Document) -> Change:
        current = document.get("assignee")
        if (current or {}).get("id") == (shown or {}).get("id"):
            return Change()
        notice = None
        if (
            assignee
            and actor
            and shown
            and shown["id"] != actor.agent_id
            and assignee.get("notify_on_assignment", True)
        ):
            notice = _assignment_notice(document, assignee, actor)
        event = (
            ConversationAssigned(**about(document), assignee=AgentRef.model_validate(shown))
            if shown
            else ConversationUnassigned(**about(document))
        )
        return Change(
            event=event,
            set={"assignee": shown, "assignee_id": shown["id"] if shown else None},
            entries=[{"kind": "assignment", "from": current, "to": shown}],
            outbound=notice,
        )

    return decide


def _assignment_notice(document: Document, assignee: Document, actor: Actor) -> OutboundMessage:
    guest = document.get("guest") or {}
    who = guest.get("name") or guest.get("email") or "a guest"
    subject = document.get("subject") or "(no subject)"
    text = (
        f"{actor.name} assigned you a guest request.\n\nFrom: {who}\nChannel: {document['channel']}\n"
        f"Subject: {subject}\n\n{document.get('snippet', '')}"
    )
    return OutboundMessage(
        key="",
        kind=OutboundKind.NOTIFICATION,
        channel=Channel.EMAIL,
        conversation_id=str(document["_id"]),
        location_id=document["location_id"],
        to=[assignee["email"]],
        subject=f"Assigned to you: {subject}",
        text=text,
        author_name=actor.name,
    )


def update(request: schemas.Update, contact_reasons: set[str] | None) -> Decide:
    if (
        request.contact_reason is not None
        and contact_reasons is not None
        and request.contact_reason not in contact_reasons
    ):
        known = ", ".join(sorted(contact_reasons)) or "none configured"
        raise Problem(422, "Invalid request", f"contact_reason: unknown reason {request.contact_reason!r} ({known}).")

    def decide(document: Document) -> Change:
        changes: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        if request.subject is not None and request.subject != document.get("subject"):
            changes |= {"subject": request.subject, "subject_key": None, "subject_values": {}}  # the agent's words now
            entries.append({"kind": "subject", "from": document.get("subject"), "to": request.subject})
        qualification: dict[str, Any] = {}
        if request.priority is not None and request.priority.value != document.get("priority"):
            qualification["priority"] = request.priority.value
        if request.contact_reason is not None and request.contact_reason != document.get("contact_reason"):
            qualification["contact_reason"] = request.contact_reason
        if qualification:
            changes.update(qualification)
            entries.append({"kind": "qualification", **qualification})
        if request.labels is not None:
            labels = sorted(set(request.labels))
            if labels != sorted(document.get("labels", [])):
                changes["labels"] = labels
                entries.append({"kind": "labels", "from": document.get("labels", []), "to": labels})
        if not changes:
            return Change()
        event = ConversationUpdated(
            **about(document),
            subject=changes.get("subject"),
            priority=changes.get("priority"),
            contact_reason=changes.get("contact_reason"),
            labels=changes.get("labels"),
        )
        return Change(event=event, set=changes, entries=entries)

    return decide


def no_such_file(field: str, attachment_id: str) -> Problem:
    """The one answer for a file id that is unknown *or another hotel's*: which of the two is not said."""
    return Problem(422, "Invalid request", f"{field}: no uploaded file has the id {attachment_id!r}.")


def _attached(attachments: list[Attachment], document: Document, field: str = "attachment_ids") -> list[dict[str, Any]]:
    """The files an agent attaches, which must belong to the conversation's hotel."""
    for attachment in attachments:
        if attachment.location_id != document["location_id"]:
            raise no_such_file(field, attachment.id)
    return [attachment.public() for attachment in attachments]


def _inline_images(images: list[Attachment], document: Document) -> list[dict[str, Any]]:
    """Images shown in the email's body: each gets the content id its HTML refers to (notify's composer)."""
    for image in images:
        if not image.inline:
            raise Problem(
                422, "Invalid request", f"inline_image_ids: {image.id} is not a PNG, JPEG, GIF or WebP image."
            )
    return [
        {**public, "content_id": f"{public['id']}@inline"} for public in _attached(images, document, "inline_image_ids")
    ]


def note(request: schemas.Note, attachments: list[Attachment]) -> Decide:
    def decide(document: Document) -> Change:
        entry = {"kind": "note", "text": request.text, "attachments": _attached(attachments, document)}
        return Change(event=NoteAdded(**about(document)), entries=[entry])

    return decide


def call(request: schemas.Call) -> Decide:
    def decide(document: Document) -> Change:
        entry = {
            "kind": "call",
            "outcome": request.outcome.value,
            "duration_seconds": request.duration_seconds,
            "notes": request.notes,
        }
        return Change(event=CallLogged(**about(document), outcome=request.outcome.value), entries=[entry])

    return decide


def reservation(request: schemas.Reservation) -> Decide:
    def decide(document: Document) -> Change:
        entry = {
            "kind": "reservation",
            "category": request.kind.value,
            "date": request.date.isoformat(),
            "party_size": request.party_size,
            "reference": request.reference,
            "notes": request.notes,
        }
        recorded = ReservationRecorded(**about(document), category=request.kind.value)
        return Change(event=recorded, entries=[entry])

    return decide


def in_live_chat(document: Document) -> bool:
    """The guest's chat widget is still there: a reply goes to it, not by email."""
    return (
        document["channel"] == Channel.CHAT.value
        and bool(document.get("chat_session_id"))
        and bool(document.get("chat_open", True))
    )


def review_target(document: Document, review: Document | None) -> ReviewTarget | None:
    """The platform's review a public reply answers: from the review's stored details (`review`, the
    guest's latest review entry's), else from the request's thread key (`<hotel>|review:<platform>:<id>`,
    reviews stored before their id was kept). None: the request is not a review."""
    if document["channel"] != Channel.REVIEW.value:
        return None
    review = review or {}
    if review.get("platform") and review.get("review_id"):
        return ReviewTarget(platform=str(review["platform"]), review_id=str(review["review_id"]))
    _, _, thread = str(document.get("thread_key") or "").partition("|review:")
    platform, _, review_id = thread.partition(":")
    return ReviewTarget(platform=platform, review_id=review_id) if platform and review_id else None


def platform_of(document: Document) -> str:
    """A review's platform, as its thread key names it ("" for another request)."""
    target = review_target(document, None)
    return target.platform if target else ""


def wants_public(request: schemas.Reply, document: Document, connected: bool) -> bool:
    """A review of a platform the hub posts to (`connected`) is answered publicly unless the agent chose a
    private email; a review of another platform is answered by email (a public reply is refused: `reply`)."""
    if request.via is not None:
        return request.via == "public"
    return document["channel"] == Channel.REVIEW.value and connected


def _without_automatic_reply(document: Document, changes: dict[str, Any], reason: str) -> list[dict[str, Any]]:
    """An answer of the hotel's own makes a pending automatic reply pointless: it is dropped, on the timeline."""
    pending = document.get("auto_reply") or {}
    if pending.get("state") not in AUTO_REPLY_PENDING:
        return []
    changes["auto_reply"] = {**pending, "state": "cancelled"}
    return [{"kind": "auto_reply", "state": "cancelled", "reason": reason}]


def public_reply(
    text: str, target: ReviewTarget | None, author_name: str, automatic: dict[str, Any] | None = None
) -> Decide:
    """A public answer on the review's platform: stored pending, handed to notify (`hub.outbound.review`),
    which reports it published or rejected. `automatic`: the entry's author when the request's pending
    automatic reply is the one sent (else an agent's answer, which cancels it)."""

    def decide(document: Document) -> Change:
        if target is None:
            raise Problem(409, "Not a review", "Only a review can be answered publicly; send an email instead.")
        before = _status(document)
        after = states.agent_replies(before)
        now = utcnow()
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.REPLY,
            channel=Channel.REVIEW,
            conversation_id=str(document["_id"]),
            location_id=document["location_id"],
            review=target,
            text=text,
            author_name=author_name,
        )
        changes: dict[str, Any] = {"status": after.value, "last_agent_activity_at": now}
        if not document.get("first_response_at"):
            changes["first_response_at"] = now
        if after != before:
            changes["snoozed_until"] = None
        if automatic is None:
            entries = _without_automatic_reply(document, changes, "agent_replied")
        else:
            entries, changes["auto_reply"] = [], {**(document.get("auto_reply") or {}), "state": "sent"}
        entry: dict[str, Any] = {
            "kind": "message",
            "direction": "outbound",
            "channel": Channel.REVIEW.value,
            "public": True,
            "platform": target.platform,
            "text": text,
            "delivery": {"state": "pending"},
        }
        if automatic is not None:
            entry["author"] = automatic
        return Change(
            event=ConversationReplied(**about(document), status=after.value),
            set=changes,
            entries=[entry, *entries],
            outbound=outbound,
        )

    return decide


def remove_public_reply(reply: Document | None, target: ReviewTarget | None) -> Decide:
    """Take the review's latest public reply (`reply`) down from its platform: an entry of its own, whose
    key notify's reports carry, and a command to notify (`hub.outbound.review`, action "delete"). The reply
    itself is marked `deleting` by the caller before, so that no report can come before the mark."""

    def decide(document: Document) -> Change:
        if target is None:
            raise Problem(409, "Not a review", "Only a review's public reply can be removed from its platform.")
        removed = reply_removal.check_removable(reply)
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.REPLY,
            channel=Channel.REVIEW,
            conversation_id=str(document["_id"]),
            location_id=document["location_id"],
            review=target,
            review_action="delete",
            text="",
        )
        entry = {
            "kind": reply_removal.ENTRY_KIND,
            "platform": target.platform,
            "reply_entry_id": str(removed["_id"]),
            "delivery": {"state": "pending"},
        }
        shown = DeliveryUpdated(**about(document), key=str(removed["key"]), state="deleting")
        return Change(event=shown, entries=[entry], outbound=outbound)

    return decide


def reply(
    request: schemas.Reply,
    actor: Actor,
    reply_token: str,
    attachments: list[Attachment],
    inline_images: list[Attachment],
    contact_email: str | None = None,
    review: Document | None = None,
    connected: bool = False,
) -> Decide:
    """An agent's answer to the guest: stored, then handed to notify; from on hold it reopens.

    A review is answered publicly on its platform (`review`: its stored details; `connected`: the hub
    posts to it) unless the agent asks for an email. Without a live chat it goes by email, to the guest's
    address or else to the linked contact's (`contact_email`, which the request then keeps)."""

    def decide(document: Document) -> Change:
        if wants_public(request, document, connected):
            if not connected and document["channel"] == Channel.REVIEW.value:
                raise Problem(
                    409,
                    "No connector",
                    "The hub cannot post on this review's platform; answer by private email or on the platform.",
                )
            if request.attachment_ids or request.inline_image_ids:
                raise Problem(422, "Invalid request", "attachment_ids: a public reply to a review carries text only.")
            return public_reply(request.text, review_target(document, review), actor.name)(document)
        files = _attached(attachments, document) + _inline_images(inline_images, document)
        before = _status(document)
        after = states.agent_replies(before)
        guest = document.get("guest") or {}
        guest_email = guest.get("email") or contact_email
        # A closed chat goes on by email when the guest left an address or their contact has one.
        live_chat = in_live_chat(document)
        if not live_chat and not guest_email:
            raise Problem(409, "No address", "This guest left no email address to reply to; call them instead.")
        subject = request.subject or document.get("subject") or ""
        outbound = OutboundMessage(
            key="",
            kind=OutboundKind.REPLY,
            channel=Channel.CHAT if live_chat else Channel.EMAIL,
            conversation_id=str(document["_id"]),
            location_id=document["location_id"],
            to=[] if live_chat else [guest_email],
            chat_session_id=document.get("chat_session_id") if live_chat else None,
            subject=subject,
            text=request.text,
            reply_token=reply_token,
            in_reply_to=document.get("last_message_id"),
            # The whole chain of the guest's latest email (requests stored before it was kept have none).
            references=list(document.get("reply_references") or []),
            author_name=actor.name,
            attachments=[AttachmentRef.model_validate(f) for f in files],
        )
        changes: dict[str, Any] = {"status": after.value, "last_agent_activity_at": utcnow()}
        if not live_chat and not guest.get("email"):
            changes["guest"] = with_contact(guest, None, guest_email)
        if not document.get("first_response_at"):
            changes["first_response_at"] = changes["last_agent_activity_at"]
        if after != before:
            changes["snoozed_until"] = None
            changes["bot_active"] = states.bot_active_after(
                after, bool(document.get("bot_active")), bool(document.get("has_bot"))
            )
        cancelled = _without_automatic_reply(document, changes, "agent_replied")
        entry = {
            "kind": "message",
            "direction": "outbound",
            "channel": outbound.channel.value,
            "subject": subject,
            "text": request.text,
            "to": outbound.to,
            "attachments": files,
            "delivery": {"state": "pending"},
        }
        return Change(
            event=ConversationReplied(**about(document), status=after.value),
            set=changes,
            entries=[entry, *cancelled],
            outbound=outbound,
        )

    return decide


# Each way of handing a request to someone outside the inbox, and the event that says it happened.
HANDOVER_EVENTS: dict[OutboundKind, type[ConversationForwarded | ConversationDelegated | ConversationShared]] = {
    OutboundKind.FORWARD: ConversationForwarded,
    OutboundKind.DELEGATE: ConversationDelegated,
    OutboundKind.SHARE: ConversationShared,
}


def _handover(kind: OutboundKind, to: list[str], note_text: str, actor: Actor, context: handovers.Context) -> Decide:
    happened = HANDOVER_EVENTS[kind]

    def decide(document: Document) -> Change:
        guest = document.get("guest") or {}
        hotel = context.hotel
        text = handovers.text(
            kind, hotel, actor.name, note_text, document.get("subject"), guest, context.guest_message, context.link
        )
        outbound = OutboundMessage(
            key="",
            kind=kind,
            channel=Channel.EMAIL,
            conversation_id=str(document["_id"]),
            location_id=document["location_id"],
            to=to,
            subject=handovers.subject(kind, hotel.language, document.get("subject"), guest),
            text=text,
            author_name=actor.name,
        )
        entry = {"kind": kind.value, "to": to, "note": note_text, "delivery": {"state": "pending"}}
        return Change(event=happened(**about(document), to=to), entries=[entry], outbound=outbound)

    return decide


def forward(request: schemas.Forward, actor: Actor, context: handovers.Context) -> Decide:
    return _handover(OutboundKind.FORWARD, [request.to], request.note, actor, context)


def delegate(
    request: schemas.Delegate, actor: Actor, customer_service: str | None, context: handovers.Context
) -> Decide:
    if customer_service:
        return _handover(OutboundKind.DELEGATE, [customer_service], request.note, actor, context)

    def not_configured(document: Document) -> Change:
        # Refused once the request is found visible: another hotel's id answers 404 whatever the settings.
        raise Problem(409, "Not configured", "No customer-service address is set; an admin sets it in settings.")

    return not_configured


def share(request: schemas.Share, actor: Actor, context: handovers.Context) -> Decide:
    return _handover(OutboundKind.SHARE, [str(to) for to in request.to], request.note, actor, context)


def close_chat(request: schemas.CloseChat) -> Decide:
    def decide(document: Document) -> Change:
        if document["channel"] != Channel.CHAT.value:
            raise states.IllegalTransitionError("Only a chat can be closed as a chat; use the status instead.")
        before = _status(document)
        after = states.close_chat(before, Status(request.resulting_status))
        return Change(
            event=ChatClosed(**about(document), status=after.value),
            set={
                "status": after.value,
                "chat_open": False,
                "bot_active": states.bot_active_after(
                    after, bool(document.get("bot_active")), bool(document.get("has_bot"))
                ),
            },
            entries=[_status_entry(before, after, reason="chat_closed")],
        )

    return decide


def hand_over(document: Document, note: str | None = None) -> Change:
    """The chatbot hands the conversation to a person (saying why in `note`), or an agent takes it over:
    it enters the inbox, open."""
    if not document.get("bot_active"):
        raise states.IllegalTransitionError("This conversation is not handled by the chatbot.")
    before = _status(document)
    extra = {"note": note} if note else {}
    return Change(
        event=HandedOver(**about(document), status=Status.OPEN.value),
        set={"bot_active": False, "status": Status.OPEN.value},
        entries=[_status_entry(before, Status.OPEN, reason="handed_over", **extra)],
    )


def link_contact(request: schemas.LinkContact, card: ContactHotels | None = None) -> Decide:
    """Link the request to the contact; the contact's name and email fill what the guest did not say, so
    the request shows who it is and an ended chat goes on by email (linking again refreshes them)."""
    name, email = (card.display_name, card.emails[0] if card.emails else None) if card else (None, None)

    def decide(document: Document) -> Change:
        guest = document.get("guest") or {}
        filled = with_contact(guest, name, email, document.get("contact_name"))
        changes: dict[str, Any] = {"guest": filled} if filled != guest else {}
        if card is not None and card.contact_id is not None and document.get("contact_name") != name:
            changes["contact_name"] = name
        if document.get("contact_id") == request.contact_id:
            return Change(set=changes)
        return Change(
            event=ContactLinked(**about(document), contact_id=request.contact_id),
            set={"contact_id": request.contact_id, **changes},
            entries=[{"kind": "contact_link", "from": document.get("contact_id"), "to": request.contact_id}],
        )

    return decide
