"""What agents do to a conversation, one function per route: look up what the decision needs (the
files named, the assignee, the chain's settings), let `decisions` decide, apply it through
`Inbox.act`, and answer with the conversation and the entries added.
"""

from shared.attachments import Attachment
from shared.auth import Actor
from shared.bus import utcnow
from shared.db import Document
from shared.problems import Problem

from ..directory import service as directory
from ..surveys.service import chat_survey_token
from . import decisions, reply_removal, schemas
from .queries import can_take, conversation_out, entry_out
from .service import Inbox, reply_token


async def _apply(inbox: Inbox, conversation_id: str, actor: Actor, decide: decisions.Decide) -> schemas.ActionResult:
    document, entries = await inbox.act(conversation_id, actor, decide)
    return schemas.ActionResult(conversation=conversation_out(document), entries=[entry_out(e) for e in entries])


async def _uploaded(inbox: Inbox, ids: list[str], field: str) -> list[Attachment]:
    """The uploaded files a message names; an unknown id is the client's mistake (422), and so is another
    hotel's, with the same answer (`decisions._attached` checks the hotel once the conversation is read)."""
    found = []
    for attachment_id in dict.fromkeys(ids):
        attachment = await inbox.attachments.describe(attachment_id)
        if attachment is None:
            raise decisions.no_such_file(field, attachment_id)
        found.append(attachment)
    return found


async def reply(inbox: Inbox, conversation_id: str, body: schemas.Reply, actor: Actor) -> schemas.ActionResult:
    files = await _uploaded(inbox, body.attachment_ids, "attachment_ids")
    images = await _uploaded(inbox, body.inline_image_ids, "inline_image_ids")
    document = await inbox.visible(conversation_id, actor)
    # An ended chat (or any request) whose guest left no address goes on by email to its contact's.
    contact_email, review = None, None
    connected = inbox.answers_publicly(decisions.platform_of(document))
    if decisions.wants_public(body, document, connected):
        # The platform's review id is kept on the guest's review entries (the latest says it best).
        review = (await inbox.repository.latest_guest_message(conversation_id) or {}).get("review")
    elif not (document.get("guest") or {}).get("email") and not decisions.in_live_chat(document):
        contact_email = await inbox.contact_email(document)
    token = reply_token(conversation_id, inbox.secret)
    decide = decisions.reply(body, actor, token, files, images, contact_email, review, connected)
    return await _apply(inbox, conversation_id, actor, decide)


async def remove_public_reply(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.ActionResult:
    """Take the review's latest public reply down from its platform; notify reports how it went."""
    document = await inbox.visible(conversation_id, actor)
    reply = reply_removal.check_removable(await inbox.repository.latest_public_reply(conversation_id))
    review = (await inbox.repository.latest_guest_message(conversation_id) or {}).get("review")
    decide = decisions.remove_public_reply(reply, decisions.review_target(document, review))
    # Marked before the command leaves, so that notify's report always finds the mark.
    await inbox.repository.update_entry(str(reply["key"]), {"delivery": reply_removal.deleting(reply, utcnow())})
    try:
        return await _apply(inbox, conversation_id, actor, decide)
    except Exception:
        await inbox.repository.update_entry(str(reply["key"]), {"delivery": reply.get("delivery")})
        raise


async def add_note(inbox: Inbox, conversation_id: str, body: schemas.Note, actor: Actor) -> schemas.ActionResult:
    files = await _uploaded(inbox, body.attachment_ids, "attachment_ids")
    return await _apply(inbox, conversation_id, actor, decisions.note(body, files))


async def assign(inbox: Inbox, conversation_id: str, body: schemas.Assign, actor: Actor) -> schemas.ActionResult:
    """Assign to one of the colleagues `queries.assignees` lists (or to nobody)."""
    assignee: Document | None = None
    if body.agent_id is not None:
        document = await inbox.visible(conversation_id, actor)
        location_id = str(document["location_id"])
        assignee = await inbox.repository.agent(body.agent_id)
        # An agent the actor may not see (another hotel's) is as unknown here as in GET /agents/{id}.
        if (
            assignee is None
            or not directory.is_colleague(actor, assignee)
            or not can_take(assignee, location_id, set(await inbox.repository.groups_with(location_id)))
        ):
            raise Problem(422, "Invalid request", f"agent_id: no agent has the id {body.agent_id!r}.")
    return await _apply(inbox, conversation_id, actor, decisions.assign(assignee, actor))


async def update(inbox: Inbox, conversation_id: str, body: schemas.Update, actor: Actor) -> schemas.ActionResult:
    """Edit the subject, qualify (a contact reason must be one the chain's settings list), set labels."""
    reasons = None
    if body.contact_reason is not None:
        configured = (await inbox.repository.chain_settings()).get("contact_reasons") or []
        reasons = {str(reason.get("id")) for reason in configured if isinstance(reason, dict)}
    return await _apply(inbox, conversation_id, actor, decisions.update(body, reasons))


async def delegate(
    inbox: Inbox, conversation_id: str, body: schemas.Delegate, actor: Actor, console_url: str
) -> schemas.ActionResult:
    """Hand the request to the customer-service address of the chain's settings."""
    address = (await inbox.repository.chain_settings()).get("customer_service_email")
    context = await inbox.handover_context(await inbox.visible(conversation_id, actor), console_url)
    decide = decisions.delegate(body, actor, str(address) if address else None, context)
    return await _apply(inbox, conversation_id, actor, decide)


async def close_chat(inbox: Inbox, conversation_id: str, body: schemas.CloseChat, actor: Actor) -> schemas.ActionResult:
    """End a live chat; the guest's widget is told so."""
    document, entries = await inbox.act(conversation_id, actor, decisions.close_chat(body))
    result = schemas.ActionResult(conversation=conversation_out(document), entries=[entry_out(e) for e in entries])
    session = result.conversation.chat_session_id
    if session and result.entries:
        # The widget's rating prompt, when the hotel asks chat guests (surveys/).
        survey_token = await chat_survey_token(inbox, document)
        # Core NATS, like notify's chat pushes: whichever ingest replica holds the guest's socket tells it.
        await inbox.tell_chat_closed(session, f"entry:{result.entries[0].id}", survey_token)
    return result


async def link_contact(
    inbox: Inbox, conversation_id: str, body: schemas.LinkContact, actor: Actor
) -> schemas.ActionResult:
    """Link the request to a contact of its hotels (contacts knows which)."""
    await inbox.visible(conversation_id, actor)
    card = await inbox.check_contact(body.contact_id, actor)
    return await _apply(inbox, conversation_id, actor, decisions.link_contact(body, card))


async def set_status(inbox: Inbox, conversation_id: str, body: schemas.SetStatus, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.set_status(body))


async def snooze(inbox: Inbox, conversation_id: str, body: schemas.Snooze, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.snooze(body))


async def mark_read(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.read)


async def mark_spam(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.mark_spam)


async def mark_not_spam(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.mark_not_spam)


async def hand_over(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.hand_over)


async def log_call(inbox: Inbox, conversation_id: str, body: schemas.Call, actor: Actor) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.call(body))


async def record_reservation(
    inbox: Inbox, conversation_id: str, body: schemas.Reservation, actor: Actor
) -> schemas.ActionResult:
    return await _apply(inbox, conversation_id, actor, decisions.reservation(body))


async def forward(
    inbox: Inbox, conversation_id: str, body: schemas.Forward, actor: Actor, console_url: str
) -> schemas.ActionResult:
    context = await inbox.handover_context(await inbox.visible(conversation_id, actor), console_url)
    return await _apply(inbox, conversation_id, actor, decisions.forward(body, actor, context))


async def share(
    inbox: Inbox, conversation_id: str, body: schemas.Share, actor: Actor, console_url: str
) -> schemas.ActionResult:
    context = await inbox.handover_context(await inbox.visible(conversation_id, actor), console_url)
    return await _apply(inbox, conversation_id, actor, decisions.share(body, actor, context))
