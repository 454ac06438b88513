"""What agents read: a tab's page of conversations, one conversation with its timeline, the tabs'
counts, the labels in use, the colleagues a request can go to, and a guest's HTML message.

Each function answers one route: it applies the actor's scope and returns the HTTP model.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.auth import Actor, at_least
from shared.db import Document
from shared.problems import Problem

from ..directory import service as directory
from . import decisions, schemas, views
from . import guest_html as guest_html_page
from .service import Inbox, public_conversation, public_entry

# A list cursor taken among the alerts that lead the inbox starts with this mark.
ALERT_MARK = "alert|"
# A cursor of a list sorted by due time starts with this mark, then `at|` (among the requests with a due
# time: the due time and id follow) or `rest|` (among those without: the activity and id follow).
DUE_MARK = "due|"
INVALID_CURSOR = "The cursor is not one this API returned; start from the first page."


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decoded(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Problem(400, "Invalid cursor", INVALID_CURSOR) from exc


def encode_cursor(at: datetime, last_id: str, *, alert: bool = False) -> str:
    mark = ALERT_MARK if alert else ""
    return _encoded(f"{mark}{at.isoformat()}|{last_id}")


def encode_due_cursor(last: Document) -> str:
    """Where a due-sorted list continues after `last`: among the requests with a due time, or after them."""
    due = last.get("sla_due_at")
    if isinstance(due, datetime):
        return _encoded(f"{DUE_MARK}at|{due.isoformat()}|{last['_id']}")
    return _encoded(f"{DUE_MARK}rest|{last['last_activity_at'].isoformat()}|{last['_id']}")


def decode_due_cursor(cursor: str) -> tuple[tuple[datetime, str] | None, tuple[datetime, str] | None]:
    """Where a due-sorted list continues: (after this due time and id, None) or (None, before this
    activity and id)."""
    text = _decoded(cursor)
    if not text.startswith(DUE_MARK):
        raise Problem(
            400,
            "Invalid cursor",
            "The cursor continues a list sorted by activity; ask with sort=activity or start from the first page.",
        )
    try:
        part, at, last_id = text.removeprefix(DUE_MARK).split("|", 2)
        position = (datetime.fromisoformat(at), last_id)
    except ValueError as exc:
        raise Problem(400, "Invalid cursor", INVALID_CURSOR) from exc
    if part == "at":
        return position, None
    if part == "rest":
        return None, position
    raise Problem(400, "Invalid cursor", INVALID_CURSOR)


def decode_list_cursor(cursor: str) -> tuple[datetime, str, bool]:
    """Where a list continues: after this activity and id, among the leading alerts or not."""
    text = _decoded(cursor)
    if text.startswith(DUE_MARK):
        raise Problem(
            400,
            "Invalid cursor",
            "The cursor continues a list sorted by due time; ask with sort=due or start from the first page.",
        )
    try:
        alert = text.startswith(ALERT_MARK)
        at, last_id = text.removeprefix(ALERT_MARK).split("|", 1)
        return datetime.fromisoformat(at), last_id, alert
    except ValueError as exc:
        raise Problem(400, "Invalid cursor", INVALID_CURSOR) from exc


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    at, last_id, _ = decode_list_cursor(cursor)
    return at, last_id


def filters_of(query: schemas.ListFilters) -> views.Filters:
    return views.Filters(
        view=query.view,
        bucket=query.bucket,
        location=query.location,
        group=query.group,
        channel=query.channel.value if query.channel else None,
        assignee=views.check_assignee_filter(query.assignee),
        label=query.label,
        priority=query.priority,
        text=query.q.strip() or None if query.q else None,
        care_group=query.care_group,
        due=query.due,
        sort=query.sort,
    )


def conversation_out(document: Document) -> schemas.ConversationOut:
    return schemas.ConversationOut.model_validate(public_conversation(document))


def entry_out(document: Document) -> schemas.TimelineEntry:
    return schemas.TIMELINE_ENTRY.validate_python(public_entry(document))


async def page(
    inbox: Inbox, actor: Actor, query: schemas.ListFilters, limit: int, cursor: str | None
) -> schemas.ConversationPage:
    """A tab of the inbox, most recent guest activity first (the inbox and open tabs: their alerts first);
    `cursor` continues where the last page ended."""
    filters = filters_of(query)
    if filters.sort == "due":
        return await page_by_due(inbox, actor, filters, limit, cursor)
    at, last_id, before_alert = decode_list_cursor(cursor) if cursor else (None, "", False)
    before = (at, last_id) if at is not None else None
    found, read = await views.page(
        inbox.repository, actor, filters, before=before, before_alert=before_alert, limit=limit + 1
    )
    shown, has_more = found[:limit], len(found) > limit
    next_cursor = None
    if has_more and shown:
        last = shown[-1]
        next_cursor = encode_cursor(last["last_activity_at"], str(last["_id"]), alert=read.leads(last))
    return schemas.ConversationPage(items=[conversation_out(d) for d in shown], next_cursor=next_cursor)


async def page_by_due(
    inbox: Inbox, actor: Actor, filters: views.Filters, limit: int, cursor: str | None
) -> schemas.ConversationPage:
    """A tab sorted by due time: the earliest running target first, the requests without one last."""
    after_due, before = decode_due_cursor(cursor) if cursor else (None, None)
    found = await views.page_by_due(
        inbox.repository, actor, filters, after_due=after_due, before=before, now=datetime.now(UTC), limit=limit + 1
    )
    shown, has_more = found[:limit], len(found) > limit
    next_cursor = encode_due_cursor(shown[-1]) if has_more and shown else None
    return schemas.ConversationPage(items=[conversation_out(d) for d in shown], next_cursor=next_cursor)


async def counts(inbox: Inbox, actor: Actor, query: schemas.ListFilters) -> schemas.Counts:
    return await views.counts(inbox.repository, actor, filters_of(query))


async def labels(inbox: Inbox, actor: Actor, query: schemas.ListFilters) -> schemas.LabelList:
    return schemas.LabelList(items=await views.labels_in_use(inbox.repository, actor, filters_of(query)))


async def detail(
    inbox: Inbox, conversation_id: str, actor: Actor, limit: int, cursor: str | None
) -> schemas.ConversationDetail:
    """One conversation with a page of its timeline, oldest first; a request merged into another answers
    308 to the survivor's URL."""
    document = await inbox.visible(conversation_id, actor)
    if document.get("merged_into"):
        survivor = await inbox.surviving(conversation_id)
        raise Problem(
            308,
            "Merged",
            f"This request was merged into {survivor!r}.",
            headers={"Location": f"/api/v1/conversations/{survivor}"},
            merged_into=survivor,
        )
    after = decode_cursor(cursor) if cursor else None
    entries = await inbox.repository.entries(str(document["_id"]), after=after, limit=limit + 1)
    shown, has_more = entries[:limit], len(entries) > limit
    next_cursor = encode_cursor(shown[-1]["at"], str(shown[-1]["_id"])) if has_more and shown else None
    platform = decisions.platform_of(document)
    return schemas.ConversationDetail(
        conversation=conversation_out(document),
        timeline=[entry_out(e) for e in shown],
        next_timeline_cursor=next_cursor,
        public_reply=bool(platform) and inbox.answers_publicly(platform),
    )


# --- who a request can go to ------------------------------------------------------------------------


def can_take(agent: Mapping[str, object], location_id: str, groups_of_hotel: set[str]) -> bool:
    """Whether an agent works on a hotel's requests: an admin, or the hotel is theirs or one of their groups'."""
    own = agent.get("location_ids") or []
    groups = agent.get("group_ids") or []
    return (
        at_least(str(agent.get("role") or "agent"), "admin")
        or (isinstance(own, list) and location_id in own)
        or (isinstance(groups, list) and bool(groups_of_hotel.intersection(groups)))
    )


async def assignees(inbox: Inbox, conversation_id: str, actor: Actor) -> schemas.AgentOptions:
    """The agents the actor may assign this request to: colleagues of theirs who work on its hotel.

    The one definition of the rule: the console offers these, and `commands.assign` accepts only these.
    """
    document = await inbox.visible(conversation_id, actor)
    location_id = str(document["location_id"])
    groups_of_hotel = set(await inbox.repository.groups_with(location_id))
    return schemas.AgentOptions(
        items=[
            schemas.AgentOption(
                id=str(agent["_id"]), name=str(agent.get("name") or ""), initials=str(agent.get("initials") or "")
            )
            for agent in await inbox.repository.all_agents()
            if directory.is_colleague(actor, agent) and can_take(agent, location_id, groups_of_hotel)
        ]
    )


# --- a guest's HTML message ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GuestPage:
    html: str
    headers: dict[str, str]


async def guest_html(
    inbox: Inbox, conversation_id: str, entry_id: str, actor: Actor, *, remote_images: bool
) -> GuestPage:
    """A guest's HTML message as a sandboxed page: its inline images from the store, no script, remote
    images only when asked (`X-Remote-Images` says how many there are)."""
    await inbox.visible(conversation_id, actor)
    entry = await inbox.repository.entry(conversation_id, entry_id)
    if entry is None or not entry.get("html"):
        raise Problem(404, "Not found", "This entry has no HTML version.")
    inline = {str(a["content_id"]): str(a["id"]) for a in entry.get("attachments") or [] if a.get("content_id")}

    async def read_image(attachment_id: str) -> tuple[str, bytes] | None:
        found = await inbox.attachments.read(attachment_id)
        return (found[0].content_type, found[1]) if found else None

    body = str(entry["html"])
    document = await guest_html_page.page(body, inline, read_image, remote_images)
    headers = {
        "Content-Security-Policy": guest_html_page.policy(remote_images),
        "X-Frame-Options": "SAMEORIGIN",
        "X-Remote-Images": str(guest_html_page.remote_image_count(body)),
        "Cache-Control": "private, no-store",
    }
    return GuestPage(html=document, headers=headers)
