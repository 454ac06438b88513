"""HTTP surface of the inbox: the agents' API under /api/v1/conversations, and the live event stream."""

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from shared.attachments import Attachment, AttachmentStore
from shared.auth import ActorDep
from shared.bus import LOCATION_ID_PATTERN, Channel
from shared.problems import Problem
from shared.runtime import RuntimeDep

from ..directory import service as directory
from ..settings import InboxSettings
from . import decisions, schemas, views
from . import guest_html as guest_html_page
from .service import Inbox, inbox_for, public_conversation, public_entry, reply_token

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def inbox_of(request: Request, runtime: RuntimeDep) -> Inbox:
    return inbox_for(runtime, request.app.state.inbox_settings)


InboxDep = Annotated[Inbox, Depends(inbox_of)]


def console_url(request: Request) -> str:
    settings: InboxSettings = request.app.state.inbox_settings
    return settings.console_url.rstrip("/")


def encode_cursor(at: datetime, last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), last_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Problem(
            400, "Invalid cursor", "The cursor is not one this API returned; start from the first page."
        ) from exc


def filters_from_query(
    view: schemas.View = schemas.View.INBOX,
    bucket: schemas.Bucket | None = None,
    location: Annotated[str | None, Query(pattern=LOCATION_ID_PATTERN)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    channel: Channel | None = None,
    assignee: Annotated[str | None, Query(max_length=64, description="me, nobody, someone or an agent id")] = None,
    label: Annotated[str | None, Query(max_length=50)] = None,
    priority: schemas.Priority | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in subject, message, guest name or email")] = None,
) -> views.Filters:
    return views.Filters(
        view=view,
        bucket=bucket,
        location=location,
        group=group,
        channel=channel.value if channel else None,
        assignee=views.check_assignee_filter(assignee),
        label=label,
        priority=priority,
        text=q.strip() or None if q else None,
    )


FiltersDep = Annotated[views.Filters, Depends(filters_from_query)]


@router.get("", response_model=schemas.ConversationPage)
async def list_conversations(
    inbox: InboxDep,
    actor: ActorDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> schemas.ConversationPage:
    """A tab of the inbox, most recent guest activity first, cursor-paginated."""
    before = decode_cursor(cursor) if cursor else None
    documents = await views.page(inbox.repository, actor, filters, before=before, limit=limit + 1)
    page, has_more = documents[:limit], len(documents) > limit
    next_cursor = encode_cursor(page[-1]["last_activity_at"], str(page[-1]["_id"])) if has_more and page else None
    return schemas.ConversationPage(items=[public_conversation(d) for d in page], next_cursor=next_cursor)


@router.get("/labels", response_model=schemas.LabelList)
async def labels_in_use(inbox: InboxDep, actor: ActorDep, filters: FiltersDep) -> schemas.LabelList:
    """The labels put on requests of the hotels asked about (`location`, `group`; else all one sees), by name."""
    return schemas.LabelList(items=await views.labels_in_use(inbox.repository, actor, filters))


@router.get("/counts", response_model=schemas.Counts)
async def count_conversations(inbox: InboxDep, actor: ActorDep, filters: FiltersDep) -> schemas.Counts:
    """The tabs and buckets with their counts, for the same filters as the list."""
    return await views.counts(inbox.repository, actor, filters)


@router.get("/{conversation_id}", response_model=schemas.ConversationDetail)
async def get_conversation(
    conversation_id: ConversationId,
    inbox: InboxDep,
    actor: ActorDep,
    timeline_limit: Annotated[int, Query(ge=1, le=200)] = 50,
    timeline_cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> schemas.ConversationDetail:
    """One conversation with its timeline (oldest first, paginated for long ones)."""
    document = await inbox.visible(conversation_id, actor)
    after = decode_cursor(timeline_cursor) if timeline_cursor else None
    entries = await inbox.repository.entries(str(document["_id"]), after=after, limit=timeline_limit + 1)
    page, has_more = entries[:timeline_limit], len(entries) > timeline_limit
    next_cursor = encode_cursor(page[-1]["at"], str(page[-1]["_id"])) if has_more and page else None
    return schemas.ConversationDetail(
        conversation=public_conversation(document),
        timeline=[public_entry(e) for e in page],
        next_timeline_cursor=next_cursor,
    )


async def attachments_of(inbox: Inbox, ids: list[str], field: str = "attachment_ids") -> list[Attachment]:
    """The uploaded files a message names; an unknown id is the client's mistake (422)."""
    store = AttachmentStore(inbox.repository.conversations.database)
    found = []
    for attachment_id in dict.fromkeys(ids):
        attachment = await store.describe(attachment_id)
        if attachment is None:
            raise Problem(422, "Invalid request", f"{field}: no uploaded file has the id {attachment_id!r}.")
        found.append(attachment)
    return found


async def _result(inbox: Inbox, conversation_id: str, actor: ActorDep, decide: decisions.Decide) -> dict[str, Any]:
    document, entries = await inbox.act(conversation_id, actor, decide)
    return {"conversation": public_conversation(document), "entries": [public_entry(e) for e in entries]}


@router.post("/{conversation_id}/messages")
async def reply(
    conversation_id: ConversationId, body: schemas.Reply, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    """Answer the guest (by email, or in the chat while it is open); reopens a request on hold."""
    files = await attachments_of(inbox, body.attachment_ids, "attachment_ids")
    images = await attachments_of(inbox, body.inline_image_ids, "inline_image_ids")
    decide = decisions.reply(body, actor, reply_token(conversation_id, inbox.secret), files, images)
    return await _result(inbox, conversation_id, actor, decide)


@router.post("/{conversation_id}/notes")
async def add_note(
    conversation_id: ConversationId, body: schemas.Note, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    """An internal note: visible to agents only, never sent to the guest."""
    files = await attachments_of(inbox, body.attachment_ids)
    return await _result(inbox, conversation_id, actor, decisions.note(body, files))


@router.post("/{conversation_id}/read")
async def mark_read(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> dict[str, Any]:
    """The console's read receipt, sent after 3 seconds of viewing: clears the unread mark."""
    return await _result(inbox, conversation_id, actor, decisions.read)


@router.put("/{conversation_id}/assignee")
async def assign(
    conversation_id: ConversationId, body: schemas.Assign, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    assignee = None
    if body.agent_id is not None:
        assignee = await inbox.repository.agent(body.agent_id)
        # An agent the actor may not see (another hotel's) is as unknown here as in GET /agents/{id}.
        if assignee is None or not directory.is_colleague(actor, assignee):
            raise Problem(422, "Invalid request", f"agent_id: no agent has the id {body.agent_id!r}.")
    return await _result(inbox, conversation_id, actor, decisions.assign(assignee, actor))


@router.put("/{conversation_id}/status")
async def set_status(
    conversation_id: ConversationId, body: schemas.SetStatus, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    """Open, put on hold (optionally until a time, when it comes back by itself) or close."""
    return await _result(inbox, conversation_id, actor, decisions.set_status(body))


@router.post("/{conversation_id}/snooze")
async def snooze(
    conversation_id: ConversationId, body: schemas.Snooze, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    return await _result(inbox, conversation_id, actor, decisions.snooze(body))


@router.patch("/{conversation_id}")
async def update(
    conversation_id: ConversationId, body: schemas.Update, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    """Edit the subject, qualify (priority, contact reason), set labels."""
    reasons = None
    if body.contact_reason is not None:
        configured = (await inbox.repository.chain_settings()).get("contact_reasons") or []
        reasons = {str(reason.get("id")) for reason in configured if isinstance(reason, dict)}
    return await _result(inbox, conversation_id, actor, decisions.update(body, reasons))


@router.post("/{conversation_id}/spam")
async def mark_spam(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> dict[str, Any]:
    return await _result(inbox, conversation_id, actor, decisions.mark_spam)


@router.delete("/{conversation_id}/spam")
async def mark_not_spam(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> dict[str, Any]:
    return await _result(inbox, conversation_id, actor, decisions.mark_not_spam)


@router.post("/{conversation_id}/calls")
async def log_call(
    conversation_id: ConversationId, body: schemas.Call, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    return await _result(inbox, conversation_id, actor, decisions.call(body))


@router.post("/{conversation_id}/reservations")
async def record_reservation(
    conversation_id: ConversationId, body: schemas.Reservation, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    return await _result(inbox, conversation_id, actor, decisions.reservation(body))


@router.post("/{conversation_id}/forward")
async def forward(
    conversation_id: ConversationId, body: schemas.Forward, inbox: InboxDep, actor: ActorDep, request: Request
) -> dict[str, Any]:
    """Send the request to a colleague better placed to answer it."""
    return await _result(inbox, conversation_id, actor, decisions.forward(body, actor, console_url(request)))


@router.post("/{conversation_id}/delegate")
async def delegate(
    conversation_id: ConversationId, body: schemas.Delegate, inbox: InboxDep, actor: ActorDep, request: Request
) -> dict[str, Any]:
    """Hand the request to the customer-service address set in settings."""
    address = (await inbox.repository.chain_settings()).get("customer_service_email")
    decide = decisions.delegate(body, actor, str(address) if address else None, console_url(request))
    return await _result(inbox, conversation_id, actor, decide)


@router.post("/{conversation_id}/share")
async def share(
    conversation_id: ConversationId, body: schemas.Share, inbox: InboxDep, actor: ActorDep, request: Request
) -> dict[str, Any]:
    """Share the request with other departments (a copy by email, with a link to it)."""
    return await _result(inbox, conversation_id, actor, decisions.share(body, actor, console_url(request)))


@router.post("/{conversation_id}/close-chat")
async def close_chat(
    conversation_id: ConversationId, body: schemas.CloseChat, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    """End a live chat, choosing what becomes of the request (closed by default); the guest's widget says so."""
    result = await _result(inbox, conversation_id, actor, decisions.close_chat(body))
    session = result["conversation"].get("chat_session_id")
    if session and result["entries"]:
        # Core NATS, like notify's chat pushes: whichever ingest replica holds the guest's socket tells it.
        await inbox.tell_chat_closed(str(session), f"entry:{result['entries'][0]['id']}")
    return result


@router.post("/{conversation_id}/handover")
async def hand_over(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> dict[str, Any]:
    """Take a conversation over from the chatbot."""
    return await _result(inbox, conversation_id, actor, decisions.hand_over)


@router.put("/{conversation_id}/contact")
async def link_contact(
    conversation_id: ConversationId, body: schemas.LinkContact, inbox: InboxDep, actor: ActorDep
) -> dict[str, Any]:
    await inbox.visible(conversation_id, actor)
    await inbox.check_contact(body.contact_id, actor)
    return await _result(inbox, conversation_id, actor, decisions.link_contact(body))


EntryId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.get("/{conversation_id}/entries/{entry_id}/html", response_class=HTMLResponse)
async def guest_html(
    conversation_id: ConversationId,
    entry_id: EntryId,
    inbox: InboxDep,
    runtime: RuntimeDep,
    actor: ActorDep,
    remote_images: Annotated[bool, Query(description="Load the message's remote images (off by default)")] = False,
) -> HTMLResponse:
    """A guest's HTML message as a sandboxed page for an iframe: no script runs, remote images stay
    blocked unless asked for (`X-Remote-Images` says how many there are)."""
    await inbox.visible(conversation_id, actor)
    entry = await inbox.repository.entry(conversation_id, entry_id)
    if entry is None or not entry.get("html"):
        raise Problem(404, "Not found", "This entry has no HTML version.")
    store = AttachmentStore(runtime.db)
    inline = {str(a["content_id"]): str(a["id"]) for a in entry.get("attachments") or [] if a.get("content_id")}

    async def read_image(attachment_id: str) -> tuple[str, bytes] | None:
        found = await store.read(attachment_id)
        return (found[0].content_type, found[1]) if found else None

    body = str(entry["html"])
    document = await guest_html_page.page(body, inline, read_image, remote_images)
    headers = {
        "Content-Security-Policy": guest_html_page.policy(remote_images),
        "X-Frame-Options": "SAMEORIGIN",
        "X-Remote-Images": str(guest_html_page.remote_image_count(body)),
        "Cache-Control": "private, no-store",
    }
    return HTMLResponse(document, headers=headers)
