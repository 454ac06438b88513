"""Pure parts of the inbox's counters and concurrent pipeline: the state a conversation counts in, what a
change does to the counts, the counts as views read them, and the turns messages of one thread take."""

import asyncio

from services.inbox.conversations.states import VIEWS, view_keys
from services.inbox.conversations.views import totals_of
from services.inbox.counters.repository import state_key, state_of, transition, view_groups
from shared.turns import Turns

OPEN = {"channel": "review", "status": "open", "unread": True, "alert": True, "bot_active": False}


def test_a_state_key_stands_for_every_field_views_and_the_channel_filter_read() -> None:
    key = state_key(OPEN)
    assert key == "review|open|1|1|0"
    assert state_of(key) == OPEN
    assert state_key({"channel": "chat", "status": "closed"}) == "chat|closed|0|0|0"  # a missing flag is false


def test_a_change_moves_one_conversation_between_states_or_does_nothing() -> None:
    assert transition(None, OPEN) == {"review|open|1|1|0": 1}
    assert transition(OPEN, {**OPEN, "unread": False}) == {"review|open|1|1|0": -1, "review|open|0|1|0": 1}
    assert transition(OPEN, {**OPEN, "subject": "changed", "priority": "high"}) == {}


def test_counts_per_state_give_the_same_view_totals_as_the_conversations_themselves() -> None:
    conversations = [
        OPEN,
        {**OPEN, "alert": False},
        {**OPEN, "status": "on_hold", "unread": False},
        {**OPEN, "channel": "email", "status": "closed"},
        {**OPEN, "channel": "chat", "bot_active": True},
        {**OPEN, "status": "spam"},
    ]
    counts: dict[str, int] = {}
    for conversation in conversations:
        counts[state_key(conversation)] = counts.get(state_key(conversation), 0) + 1
    expected = {view: sum(view in view_keys(c) for c in conversations) for view in VIEWS}
    assert {view: totals_of(view_groups(counts)).get(view, 0) for view in VIEWS} == expected
    assert totals_of(view_groups(counts, "email")) == {"all": 1, "status_closed": 1}


async def test_messages_of_one_thread_take_turns_in_their_order_and_others_go_at_once() -> None:
    turns = Turns()
    order: list[str] = []
    first_in = asyncio.Event()

    async def store(name: str, references: list[str], hold: float) -> None:
        async with turns.holding(references):
            order.append(f"{name} in")
            first_in.set()
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(store("original", ["h|msgid:a"], 0.05))
    await first_in.wait()
    reply = asyncio.create_task(store("reply", ["h|msgid:b", "h|msgid:a"], 0))  # it names the original
    other = asyncio.create_task(store("other", ["h|msgid:z"], 0))
    await asyncio.gather(first, reply, other)
    assert order.index("original out") < order.index("reply in")
    assert order.index("other out") < order.index("original out")  # another thread did not wait
    assert len(turns) == 0  # nothing held, nothing remembered
