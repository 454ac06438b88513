"""The one table of views (states.VIEWS): the lists and the counts read it, and the lists' queries are
the ones the inbox made before the table existed."""

import asyncio
import itertools
import re
from dataclasses import replace
from typing import Any

import pytest

from services.inbox.conversations import views
from services.inbox.conversations.repository import ConversationQuery, conversation_filter
from services.inbox.conversations.schemas import Bucket, Priority, View
from services.inbox.conversations.states import VIEWS, Status, view_keys
from shared.auth import Actor

ACTOR = Actor(agent_id="a1", name="Ann Agent", initials="AA", email="a1@test.hotel", role="agent", location_ids=["h1"])


def legacy_view_query(filters: views.Filters, actor: Actor, locations: list[str] | None) -> dict[str, Any]:
    """The query `views.view_query` built before the table, kept here as the behaviour to keep."""
    status_of_view = {View.OPEN: "open", View.ON_HOLD: "on_hold", View.CLOSED: "closed", View.SPAM: "spam"}
    query: dict[str, Any] = {}
    if locations is not None:
        if not locations:
            query["location_id"] = {"$in": []}
        elif len(locations) == 1:
            query["location_id"] = locations[0]
        else:
            query["location_id"] = {"$in": locations}
    if filters.view == View.INBOX:
        query["status"] = {"$in": ["open", "on_hold"]}
    elif filters.view in status_of_view:
        query["status"] = status_of_view[filters.view]
    else:  # all: every listed status, a request merged into another being in no view (merging/)
        query["status"] = {"$ne": "merged"}
    if filters.view in {View.INBOX, View.OPEN, View.ON_HOLD} or filters.bucket is not None:
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


def matches(query: dict[str, Any], conversation: dict[str, Any]) -> bool:
    """Whether a conversation matches a filter of the equalities and `$in` the view conditions use."""
    for name, wanted in query.items():
        value = conversation.get(name)
        if isinstance(wanted, dict):
            if ("$in" in wanted and value not in wanted["$in"]) or ("$ne" in wanted and value == wanted["$ne"]):
                return False
        elif value != wanted:
            return False
    return True


STATES = [
    {"status": status.value, "bot_active": bot, "alert": alert, "unread": unread}
    for status, bot, alert, unread in itertools.product(Status, [False, True], [False, True], [False, True])
]


class TestTheTableDrivesTheLists:
    @pytest.mark.parametrize("view", list(View))
    @pytest.mark.parametrize("bucket", [None, *Bucket])
    @pytest.mark.parametrize(
        "extra",
        [
            {},
            {"location": "h1", "channel": "email", "assignee": "me", "label": "VIP", "priority": Priority.HIGH},
            {"assignee": "nobody", "text": "late (check-in)"},
            {"assignee": "someone"},
            {"assignee": "agent-7"},
        ],
    )
    def test_a_tab_lists_what_it_listed_before(self, view: View, bucket: Bucket | None, extra: dict[str, Any]) -> None:
        filters = views.Filters(view=view, bucket=bucket, **extra)
        for locations in (None, [], ["h1"], ["h1", "h2"]):
            query = views.conversation_query(filters, ACTOR, locations, views.listed_view(filters))
            assert conversation_filter(query) == legacy_view_query(filters, ACTOR, locations)

    @pytest.mark.parametrize("key", list(VIEWS))
    def test_a_view_lists_the_conversations_it_counts(self, key: str) -> None:
        query = conversation_filter(ConversationQuery(VIEWS[key]))
        for state in STATES:
            assert matches(query, state) == (key in view_keys(state)), (key, state)

    def test_every_tab_and_bucket_has_its_row(self) -> None:
        assert set(views.VIEW_OF_TAB) == set(View)
        assert set(views.VIEW_OF_BUCKET) == set(Bucket)
        assert {*views.VIEW_OF_TAB.values(), *views.VIEW_OF_BUCKET.values()} <= set(VIEWS)


class FakeRepository:
    """The conversations of two hotels in memory: grouped counts, and counts by query."""

    def __init__(self, conversations: list[dict[str, Any]]) -> None:
        self.conversations = conversations

    async def locations_of_group(self, group_id: str) -> list[str]:
        return []

    async def state_counts(self, location_id: str, channel: str | None) -> list[dict[str, Any]]:
        groups: dict[tuple[Any, ...], int] = {}
        for c in self.conversations:
            if c["location_id"] == location_id and channel in (None, c["channel"]):
                key = (c["status"], c["unread"], c["alert"], c["bot_active"])
                groups[key] = groups.get(key, 0) + 1
        return [{"_id": {"status": s, "unread": u, "alert": a, "bot": b}, "n": n} for (s, u, a, b), n in groups.items()]

    async def count(self, query: ConversationQuery) -> int:
        plain = replace(query, locations=None, channel=None)
        filters = conversation_filter(plain)
        return sum(
            1
            for c in self.conversations
            if matches(filters, c)
            and (query.locations is None or c["location_id"] in query.locations)
            and query.channel in (None, c["channel"])
            and (query.assigned is None or (c["assignee_id"] is not None) == query.assigned)
        )


def test_counts_by_group_and_by_query_agree() -> None:
    conversations = [
        {**state, "location_id": hotel, "channel": "email", "assignee_id": None}
        for hotel in ("h1", "h2")
        for state in STATES
    ]
    repository: Any = FakeRepository(conversations)
    grouped = asyncio.run(views.counts(repository, ACTOR, views.Filters()))
    # `assignee=nobody` matches every one of them, but is counted query by query.
    queried = asyncio.run(views.counts(repository, ACTOR, views.Filters(assignee="nobody")))
    assert grouped == queried
    assert grouped.inbox == 2 * 4  # open or on hold, handed to a person: four flag combinations each
    assert grouped.awaiting == grouped.open == 4
    assert grouped.all == 2 * 2 * 2 * 4
    assert grouped.buckets == {"on_hold": 4, "alerts": 2, "new": 2}
