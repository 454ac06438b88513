"""HTTP surface of conversations: the agents' API under /api/v1/conversations. Each route parses its
request and calls one function of `queries` (what agents read) or `commands` (what they do)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from shared.auth import ActorDep
from shared.runtime import RuntimeDep

from ..settings import InboxSettings
from . import commands, queries, schemas
from .service import Inbox, inbox_for

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
EntryId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
FiltersQuery = Annotated[schemas.ListFilters, Query()]


def inbox_of(request: Request, runtime: RuntimeDep) -> Inbox:
    return inbox_for(runtime, request.app.state.inbox_settings)


InboxDep = Annotated[Inbox, Depends(inbox_of)]


def console_url(request: Request) -> str:
    settings: InboxSettings = request.app.state.inbox_settings
    return settings.console_url.rstrip("/")


ConsoleUrl = Annotated[str, Depends(console_url)]

# Answers are built from stored documents: `response_model_exclude_unset` leaves out an optional
# field a document lacks, rather than inventing its default.


@router.get("", response_model=schemas.ConversationPage, response_model_exclude_unset=True)
async def list_conversations(
    inbox: InboxDep,
    actor: ActorDep,
    filters: FiltersQuery,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> schemas.ConversationPage:
    """A tab of the inbox, most recent guest activity first (the inbox and open tabs: their open alerts
    first), cursor-paginated."""
    return await queries.page(inbox, actor, filters, limit, cursor)


@router.get("/labels", response_model=schemas.LabelList)
async def labels_in_use(inbox: InboxDep, actor: ActorDep, filters: FiltersQuery) -> schemas.LabelList:
    """The labels put on requests of the hotels asked about (`location`, `group`; else all one sees), by name."""
    return await queries.labels(inbox, actor, filters)


@router.get("/counts", response_model=schemas.Counts)
async def count_conversations(inbox: InboxDep, actor: ActorDep, filters: FiltersQuery) -> schemas.Counts:
    """The tabs and buckets with their counts, for the same filters as the list."""
    return await queries.counts(inbox, actor, filters)


@router.get(
    "/{conversation_id}",
    response_model=schemas.ConversationDetail,
    response_model_exclude_unset=True,
    responses={308: {"description": "Merged into another request: `Location` is the survivor's URL."}},
)
async def get_conversation(
    conversation_id: ConversationId,
    inbox: InboxDep,
    actor: ActorDep,
    timeline_limit: Annotated[int, Query(ge=1, le=200)] = 50,
    timeline_cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> schemas.ConversationDetail:
    """One conversation with its timeline (oldest first, paginated for long ones)."""
    return await queries.detail(inbox, conversation_id, actor, timeline_limit, timeline_cursor)


@router.get("/{conversation_id}/assignees", response_model=schemas.AgentOptions)
async def assignees(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> schemas.AgentOptions:
    """The colleagues one may assign this request to (those working on its hotel); the only ones `PUT .../assignee`
    accepts besides oneself."""
    return await queries.assignees(inbox, conversation_id, actor)


@router.post("/{conversation_id}/messages", response_model_exclude_unset=True)
async def reply(
    conversation_id: ConversationId, body: schemas.Reply, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """Answer the guest (by email, or in the chat while it is open); reopens a request on hold."""
    return await commands.reply(inbox, conversation_id, body, actor)


@router.delete("/{conversation_id}/public-reply", response_model_exclude_unset=True)
async def remove_public_reply(
    conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """Take the review's latest public reply down from its platform: it shows `deleting`, then `deleted`
    once the platform took it down, or published again with the platform's reason (`removal_failed`)."""
    return await commands.remove_public_reply(inbox, conversation_id, actor)


@router.post("/{conversation_id}/notes", response_model_exclude_unset=True)
async def add_note(
    conversation_id: ConversationId, body: schemas.Note, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """An internal note: visible to agents only, never sent to the guest."""
    return await commands.add_note(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/read", response_model_exclude_unset=True)
async def mark_read(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> schemas.ActionResult:
    """The console's read receipt, sent after 3 seconds of viewing: clears the unread mark."""
    return await commands.mark_read(inbox, conversation_id, actor)


@router.put("/{conversation_id}/assignee", response_model_exclude_unset=True)
async def assign(
    conversation_id: ConversationId, body: schemas.Assign, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """Assign the request to a colleague working on its hotel (see `.../assignees`), or to nobody."""
    return await commands.assign(inbox, conversation_id, body, actor)


@router.put("/{conversation_id}/status", response_model_exclude_unset=True)
async def set_status(
    conversation_id: ConversationId, body: schemas.SetStatus, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """Open, put on hold (optionally until a time, when it comes back by itself) or close."""
    return await commands.set_status(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/snooze", response_model_exclude_unset=True)
async def snooze(
    conversation_id: ConversationId, body: schemas.Snooze, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    return await commands.snooze(inbox, conversation_id, body, actor)


@router.patch("/{conversation_id}", response_model_exclude_unset=True)
async def update(
    conversation_id: ConversationId, body: schemas.Update, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """Edit the subject, qualify (priority, contact reason), set labels."""
    return await commands.update(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/spam", response_model_exclude_unset=True)
async def mark_spam(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> schemas.ActionResult:
    return await commands.mark_spam(inbox, conversation_id, actor)


@router.delete("/{conversation_id}/spam", response_model_exclude_unset=True)
async def mark_not_spam(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> schemas.ActionResult:
    return await commands.mark_not_spam(inbox, conversation_id, actor)


@router.post("/{conversation_id}/calls", response_model_exclude_unset=True)
async def log_call(
    conversation_id: ConversationId, body: schemas.Call, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    return await commands.log_call(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/reservations", response_model_exclude_unset=True)
async def record_reservation(
    conversation_id: ConversationId, body: schemas.Reservation, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    return await commands.record_reservation(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/forward", response_model_exclude_unset=True)
async def forward(
    conversation_id: ConversationId, body: schemas.Forward, inbox: InboxDep, actor: ActorDep, console: ConsoleUrl
) -> schemas.ActionResult:
    """Send the request to a colleague better placed to answer it."""
    return await commands.forward(inbox, conversation_id, body, actor, console)


@router.post("/{conversation_id}/delegate", response_model_exclude_unset=True)
async def delegate(
    conversation_id: ConversationId, body: schemas.Delegate, inbox: InboxDep, actor: ActorDep, console: ConsoleUrl
) -> schemas.ActionResult:
    """Hand the request to the customer-service address set in settings."""
    return await commands.delegate(inbox, conversation_id, body, actor, console)


@router.post("/{conversation_id}/share", response_model_exclude_unset=True)
async def share(
    conversation_id: ConversationId, body: schemas.Share, inbox: InboxDep, actor: ActorDep, console: ConsoleUrl
) -> schemas.ActionResult:
    """Share the request with other departments (a copy by email, with a link to it)."""
    return await commands.share(inbox, conversation_id, body, actor, console)


@router.post("/{conversation_id}/close-chat", response_model_exclude_unset=True)
async def close_chat(
    conversation_id: ConversationId, body: schemas.CloseChat, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    """End a live chat, choosing what becomes of the request (closed by default); the guest's widget says so."""
    return await commands.close_chat(inbox, conversation_id, body, actor)


@router.post("/{conversation_id}/handover", response_model_exclude_unset=True)
async def hand_over(conversation_id: ConversationId, inbox: InboxDep, actor: ActorDep) -> schemas.ActionResult:
    """Take a conversation over from the chatbot."""
    return await commands.hand_over(inbox, conversation_id, actor)


@router.put("/{conversation_id}/contact", response_model_exclude_unset=True)
async def link_contact(
    conversation_id: ConversationId, body: schemas.LinkContact, inbox: InboxDep, actor: ActorDep
) -> schemas.ActionResult:
    return await commands.link_contact(inbox, conversation_id, body, actor)


@router.get("/{conversation_id}/entries/{entry_id}/html", response_class=HTMLResponse)
async def guest_html(
    conversation_id: ConversationId,
    entry_id: EntryId,
    inbox: InboxDep,
    actor: ActorDep,
    remote_images: Annotated[bool, Query(description="Load the message's remote images (off by default)")] = False,
) -> HTMLResponse:
    """A guest's HTML message as a sandboxed page for an iframe: no script runs, remote images stay
    blocked unless asked for (`X-Remote-Images` says how many there are)."""
    page = await queries.guest_html(inbox, conversation_id, entry_id, actor, remote_images=remote_images)
    return HTMLResponse(page.html, headers=page.headers)
