"""The inbox's views: which conversations a tab, bucket and filters show, and their counts.

Queries start with equalities on indexed fields (hotel, status) so FerretDB narrows to one hotel's
data before anything else. Counts are grouped per hotel from the conversations themselves (one
aggregation per hotel in scope), so they always equal a recount.
"""

import re
from dataclasses import dataclass

from shared.auth import Actor
from shared.db import Document
from shared.problems import Problem

from .repository import ConversationRepository
from .schemas import Bucket, Counts, LabelInUse, Priority, View
from .states import view_keys

STATUS_OF_VIEW = {View.OPEN: "open", View.ON_HOLD: "on_hold", View.CLOSED: "closed", View.SPAM: "spam"}


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

    @property
    def needs_scan_to_count(self) -> bool:
        return any(v is not None for v in (self.assignee, self.label, self.priority, self.text))


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


def view_query(filters: Filters, actor: Actor, locations: list[str] | None) -> Document:
    query: Document = {}
    if locations is not None:
        if not locations:
            query["location_id"] = {"$in": []}
        elif len(locations) == 1:
            query["location_id"] = locations[0]
        else:
            query["location_id"] = {"$in": locations}
    if filters.view == View.INBOX:
        query["status"] = {"$in": ["open", "on_hold"]}
    elif filters.view in STATUS_OF_VIEW:
        query["status"] = STATUS_OF_VIEW[filters.view]
    if filters.view in {View.INBOX, View.OPEN, View.ON_HOLD} or filters.bucket is not None:
        # A request the chatbot is handling appears only under "all" until it is handed over.
        query["bot_active"] = False
    if filters.bucket == Bucket.ON_HOLD:
        query["status"] = "on_hold"
    elif filters.bucket in {Bucket.ALERTS, Bucket.NEW}:
        query["status"] = "open"
        query["alert"] = filters.bucket == Bucket.ALERTS
    if filters.channel:
        query["channel"] = filters.channel
    if filters.assignee == "me":
        query["assignee_id"] = actor.agent_id
    elif filters.assignee == "nobody":
        query["assignee_id"] = None
    elif filters.assignee == "someone":
        query["assignee_id"] = {"$ne": None}
    elif filters.assignee:
        query["assignee_id"] = filters.assignee
    if filters.label:
        query["labels"] = filters.label
    if filters.priority:
        query["priority"] = filters.priority.value
    if filters.text:
        pattern = {"$regex": re.escape(filters.text), "$options": "i"}
        query["$or"] = [{"subject": pattern}, {"snippet": pattern}, {"guest.name": pattern}, {"guest.email": pattern}]
    return query


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
            groups = [g for location in locations for g in await repository.state_counts(location, filters.channel)]
        totals = totals_of(groups)
        return Counts(
            inbox=totals.get("inbox", 0),
            awaiting=totals.get("awaiting", 0),
            open=totals.get("status_open", 0),
            on_hold=totals.get("status_on_hold", 0),
            closed=totals.get("status_closed", 0),
            spam=totals.get("status_spam", 0),
            all=totals.get("all", 0),
            unread=totals.get("unread", 0),
            buckets={b.value: totals.get(f"bucket_{b.value}", 0) for b in Bucket},
        )
    # Filters the grouped counts do not cover: count within the hotels in scope, view by view.
    result: dict[str, int] = {}
    for view in View:
        scoped = Filters(**{**filters.__dict__, "view": view, "bucket": None})
        result[view.value] = await repository.count(view_query(scoped, actor, locations))
    buckets = {}
    for bucket in Bucket:
        scoped = Filters(**{**filters.__dict__, "view": View.INBOX, "bucket": bucket})
        buckets[bucket.value] = await repository.count(view_query(scoped, actor, locations))
    inbox_query = view_query(Filters(**{**filters.__dict__, "view": View.INBOX}), actor, locations)
    unread = await repository.count({**inbox_query, "unread": True})
    return Counts(
        inbox=result["inbox"],
        awaiting=result["open"],
        open=result["open"],
        on_hold=result["on_hold"],
        closed=result["closed"],
        spam=result["spam"],
        all=result["all"],
        unread=unread,
        buckets=buckets,
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
