"""The inbox's views: which conversations a tab, bucket and filters show, and their counts.

Which conversations a view holds is `states.VIEWS`, one table for the lists and the counts; this
module picks the entry of a tab or bucket and adds the agent's filters (a `ConversationQuery`,
plain values), which the repository turns into its query. Counts come from each hotel's counters
(counters/: a total and the changes not folded into it yet), kept equal to a recount; only filters
the counters do not cover (assignee, label, priority, text, care group, due time) count the conversations
themselves. A tab sorted by due time (`page_by_due`) lists the requests with a running target first,
earliest due first, then the others by recent activity.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.auth import Actor
from shared.db import Document
from shared.problems import Problem

from .repository import ConversationQuery, ConversationRepository
from .schemas import Bucket, Counts, LabelInUse, Priority, View
from .states import ALERTS_FIRST, VIEWS, ViewCondition, view_keys


@dataclass(frozen=True)
class Filters:
    view: View = View.INBOX
    bucket: Bucket | None = None
    location: str | None = None
    group: str | None = None
    channel: str | None = None
    assignee: str | None = None  # "me", "nobody", "someone" or an agent id
    label: str | None = None
    priority: Priority | None = None
    text: str | None = None
    care_group: str | None = None
    due: Literal["soon", "overdue"] | None = None
    sort: Literal["activity", "due"] = "activity"

    @property
    def needs_scan_to_count(self) -> bool:
        narrowing = (self.assignee, self.label, self.priority, self.text, self.care_group, self.due)
        return any(v is not None for v in narrowing)


# "Due soon": a running target due within this time, or overdue.
DUE_SOON = timedelta(minutes=60)


def due_by(filters: Filters, now: datetime) -> datetime | None:
    """The instant before which a request's earliest running target must be due to pass the due filter."""
    if filters.due == "soon":
        return now + DUE_SOON
    if filters.due == "overdue":
        return now
    return None


async def visible_locations(repository: ConversationRepository, actor: Actor, filters: Filters) -> list[str] | None:
    """The hotels a request covers, within what the actor may see (None: every hotel, for admins)."""
    wanted: list[str] | None = None
    if filters.location:
        wanted = [filters.location]
    if filters.group:
        members = await repository.locations_of_group(filters.group)
        wanted = [loc for loc in members if wanted is None or loc in wanted]
    if actor.sees_everything:
        return wanted
    allowed = actor.location_ids
    return [loc for loc in (wanted if wanted is not None else allowed) if loc in allowed]


# The entry of `states.VIEWS` each tab and bucket lists (a bucket lies inside the inbox, whatever the tab).
VIEW_OF_TAB = {
    View.INBOX: "inbox",
    View.OPEN: "status_open",
    View.ON_HOLD: "status_on_hold",
    View.CLOSED: "status_closed",
    View.SPAM: "status_spam",
    View.ALL: "all",
}
VIEW_OF_BUCKET = {bucket: f"bucket_{bucket.value}" for bucket in Bucket}


def conversation_query(
    filters: Filters, actor: Actor, locations: list[str] | None, view: str, now: datetime | None = None
) -> ConversationQuery:
    """What the list or count of the view `view` (a key of `states.VIEWS`) reads, with the agent's filters
    (a due filter compares with `now`)."""
    assigned: bool | None = None
    assignee_id: str | None = None
    if filters.assignee == "me":
        assignee_id = actor.agent_id
    elif filters.assignee in {"nobody", "someone"}:
        assigned = filters.assignee == "someone"
    elif filters.assignee:
        assignee_id = filters.assignee
    return ConversationQuery(
        condition=VIEWS[view],
        locations=tuple(locations) if locations is not None else None,
        channel=filters.channel,
        assignee_id=assignee_id,
        assigned=assigned,
        label=filters.label,
        priority=filters.priority.value if filters.priority else None,
        text=filters.text,
        alerts_first=view in ALERTS_FIRST,
        care_group_id=filters.care_group,
        due_by=due_by(filters, now or datetime.now(UTC)),
    )


def listed_view(filters: Filters) -> str:
    return VIEW_OF_BUCKET[filters.bucket] if filters.bucket is not None else VIEW_OF_TAB[filters.view]


async def page(
    repository: ConversationRepository,
    actor: Actor,
    filters: Filters,
    *,
    before: tuple[datetime, str] | None,
    before_alert: bool = False,
    limit: int,
) -> tuple[list[Document], ConversationQuery]:
    """The `limit` conversations of the tab (or bucket) after the cursor, most recent activity first (the
    inbox and open tabs: their alerts first), and the query read (whose `leads` says where the next page starts)."""
    locations = await visible_locations(repository, actor, filters)
    query = conversation_query(filters, actor, locations, listed_view(filters))
    return await repository.page(query, before=before, before_alert=before_alert, limit=limit), query


async def page_by_due(
    repository: ConversationRepository,
    actor: Actor,
    filters: Filters,
    *,
    after_due: tuple[datetime, str] | None,
    before: tuple[datetime, str] | None,
    now: datetime,
    limit: int,
) -> list[Document]:
    """The `limit` conversations of the tab (or bucket) after the cursor, the earliest due first, those
    without a running target last (most recent activity first): `after_due` is a cursor among the first,
    `before` among the others."""
    locations = await visible_locations(repository, actor, filters)
    query = conversation_query(filters, actor, locations, listed_view(filters), now)
    return await repository.page_by_due(query, after_due=after_due, before=before, limit=limit)


def totals_of(groups: list[Document]) -> dict[str, int]:
    """How many conversations count in each view, from counts grouped by the fields views depend on."""
    totals: dict[str, int] = {}
    for group in groups:
        state = group["_id"]
        shape = {
            "status": state.get("status"),
            "unread": state.get("unread"),
            "alert": state.get("alert"),
            "bot_active": state.get("bot"),
        }
        for key in view_keys(shape):
            totals[key] = totals.get(key, 0) + int(group["n"])
    return totals


async def counts(repository: ConversationRepository, actor: Actor, filters: Filters) -> Counts:
    locations = await visible_locations(repository, actor, filters)
    if not filters.needs_scan_to_count:
        if locations is None:
            groups = await repository.all_state_counts(filters.channel)
        else:
            per_hotel = await asyncio.gather(*(repository.state_counts(loc, filters.channel) for loc in locations))
            groups = [group for hotel in per_hotel for group in hotel]
        totals = totals_of(groups)
    else:
        # Filters the grouped counts do not cover: count within the hotels in scope, view by view
        # (once per condition: `awaiting` is the open tab).
        by_condition: dict[ViewCondition, int] = {}
        totals = {}
        for view, condition in VIEWS.items():
            if condition not in by_condition:
                query = conversation_query(filters, actor, locations, view)
                by_condition[condition] = await repository.count(query)
            totals[view] = by_condition[condition]
    return Counts(
        inbox=totals.get("inbox", 0),
        awaiting=totals.get("awaiting", 0),
        open=totals.get("status_open", 0),
        on_hold=totals.get("status_on_hold", 0),
        closed=totals.get("status_closed", 0),
        spam=totals.get("status_spam", 0),
        all=totals.get("all", 0),
        unread=totals.get("unread", 0),
        buckets={b.value: totals.get(VIEW_OF_BUCKET[b], 0) for b in Bucket},
    )


async def labels_in_use(repository: ConversationRepository, actor: Actor, filters: Filters) -> list[LabelInUse]:
    """The labels the requests of the hotels in view have used, by name, each with those hotels."""
    used: dict[str, set[str]] = {}
    for record in await repository.labels_in_use(await visible_locations(repository, actor, filters)):
        used.setdefault(str(record["label"]), set()).add(str(record["location_id"]))
    return [LabelInUse(label=label, location_ids=sorted(used[label])) for label in sorted(used, key=str.casefold)]


def check_assignee_filter(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise Problem(422, "Invalid request", "assignee: use me, nobody, someone or an agent id.")
    return value
