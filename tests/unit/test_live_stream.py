"""The live stream's rules without servers: what an agent subscribes to, and what reaches their console."""

import json
from typing import Any, cast

import pytest
from nats.errors import SlowConsumerError
from prometheus_client import REGISTRY

from services.inbox.live import service as live
from services.inbox.live.service import live_event, subjects_for
from shared import bus
from shared.auth import SESSION_CHECK_SECONDS, Actor
from tests.unit.test_bus_events import example

AGENT = Actor(agent_id="a1", name="Ana", initials="A", email="a@x.org", role="agent", location_ids=["paris", "lyon"])
ADMIN = Actor(agent_id="ad", name="Ad", initials="AD", email="ad@x.org", role="admin", location_ids=[])
NOBODY = Actor(agent_id="n", name="No", initials="N", email="n@x.org", role="agent", location_ids=[])


class TestSubscriptions:
    def test_one_events_and_one_presence_subscription_per_hotel(self) -> None:
        assert subjects_for(AGENT) == [
            "hub.events.*.*.lyon",
            "hub.presence.conversation.lyon",
            "hub.events.*.*.paris",
            "hub.presence.conversation.paris",
        ]

    def test_an_admin_listens_to_everything_and_an_agent_of_no_hotel_to_nothing(self) -> None:
        assert subjects_for(ADMIN) == ["hub.events.>", "hub.presence.>"]
        assert subjects_for(NOBODY) == []

    def test_a_stream_joins_one_feed_per_hotel_and_an_admins_the_whole_chains(self) -> None:
        assert live.feeds_for(AGENT) == ["lyon", "paris"]
        assert live.feeds_for(ADMIN) == [live.EVERYWHERE]
        assert live.subjects_of(live.EVERYWHERE) == subjects_for(ADMIN)


class TestWhatIsShown:
    def test_an_event_is_named_by_its_type_and_carries_its_conversation(self) -> None:
        event = example(bus.ConversationDelegated, hotel="paris")
        shown = live_event(AGENT, event.bus_subject, event.model_dump_json().encode())
        assert shown is not None
        assert shown.name == "conversation.delegated"
        data = json.loads(shown.data)
        assert (data["conversation_id"], data["location_id"], data["actor_id"]) == ("c1", "paris", "a1")
        assert shown.frame().startswith("event: conversation.delegated\ndata: {")

    def test_another_hotels_event_and_chain_wide_events_are_not(self) -> None:
        theirs = example(bus.NoteAdded, hotel="nice")
        assert live_event(AGENT, theirs.bus_subject, theirs.model_dump_json().encode()) is None
        merged = example(bus.ContactMerged)
        assert live_event(ADMIN, merged.bus_subject, merged.model_dump_json().encode()) is None

    def test_an_unknown_type_is_passed_on_by_its_name(self) -> None:
        raw = b'{"type": "conversation.teleported", "conversation_id": "c1", "location_id": "lyon"}'
        shown = live_event(AGENT, "hub.events.conversation.teleported.lyon", raw)
        assert shown is not None
        assert shown.name == "conversation.teleported"

    def test_presence_and_unreadable_messages(self) -> None:
        viewing = bus.ConversationViewing(conversation_id="c1", location_id="paris", agent={"id": "b"})
        shown = live_event(AGENT, "hub.presence.conversation.paris", viewing.model_dump_json().encode())
        assert shown is not None
        assert shown.name == "conversation.viewing"
        assert live_event(AGENT, "hub.events.conversation.note_added.paris", b"not json") is None
        assert live_event(AGENT, "hub.events.conversation.note_added.paris", b"\xff") is None


class _Connection:
    """Enough of a NATS client for a hub that subscribes and flushes."""

    async def subscribe(self, subject: str, cb: object, **limits: int) -> "_Subscription":
        return _Subscription()

    async def flush(self) -> None:
        return None


class _Subscription:
    async def unsubscribe(self) -> None:
        return None


def hub() -> live.LiveHub:
    """A hub over a pretend connection (it never opens a real one)."""
    made = live.LiveHub("nats://unused")
    made.connection = cast(Any, _Connection())
    return made


class _Sessions:
    """A session that holds for `checks` checks, then ends."""

    def __init__(self, checks: int) -> None:
        self.checks = checks

    async def ended(self, actor: Actor) -> str | None:
        self.checks -= 1
        return "signed out" if self.checks < 0 else None


class TestSessionEnd:
    """Issue 18, finding 6: keep-alives never let a stream idle out, so it re-checks its session itself."""

    async def test_a_stream_closes_with_session_ended_when_its_session_ends(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(live, "SESSION_RECHECK_SECONDS", 0.01)
        the_hub = hub()
        stream = live.LiveStream(the_hub, AGENT, cast(Any, _Sessions(checks=2)))

        async def connected() -> bool:
            return False

        sent = [frame async for frame in live.frames(stream, connected)]
        assert sent[0].startswith("retry:")
        assert sent[-1].startswith("event: session.ended\ndata: ")
        assert json.loads(sent[-1].split("data: ", 1)[1]) == {"detail": "signed out"}
        assert not the_hub.feeds, "the subscriptions are gone with the stream"
        assert not the_hub.streams

    def test_it_rechecks_well_within_ten_seconds(self) -> None:
        assert live.SESSION_RECHECK_SECONDS + SESSION_CHECK_SECONDS < 10


def resync_count(reason: str) -> float:
    return REGISTRY.get_sample_value("hub_inbox_live_resyncs_total", {"reason": reason}) or 0.0


async def drained(stream: live.LiveStream) -> list[str]:
    """The data of every event queued on the stream, read as the SSE response reads them."""
    events = []
    while (event := await stream.next(timeout=0.05)) is not None:
        events.append(event.data)
    return events


def note(data: str) -> live.LiveEvent:
    return live.LiveEvent("conversation.note_added", data)


class TestResync:
    """Issue 19: a stream never loses events silently; it is told to refetch, once, and counted."""

    async def test_a_full_queue_becomes_one_resync_and_later_events_queue_behind_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(live, "QUEUE_SIZE", 3)
        stream = live.LiveStream(hub(), AGENT)
        before = resync_count("stream_behind")
        for number in range(7):  # 0 to 2 fill it, 3 finds it full, 4 and 5 queue, 6 finds it full again
            stream.offer(note(str(number)))
        assert resync_count("stream_behind") == before + 1, "one resync as long as the console has not read it"
        assert await drained(stream) == ['{"reason": "stream_behind"}', "4", "5"]
        assert not stream.resync_pending
        for number in range(4):
            stream.offer(note(str(number)))
        assert resync_count("stream_behind") == before + 2, "once read, a new overflow is told again"

    async def test_a_dropping_subscription_and_a_reconnection_resync_the_streams_they_feed(self) -> None:
        the_hub = hub()
        async with live.LiveStream(the_hub, AGENT) as agents, live.LiveStream(the_hub, ADMIN) as admins:
            subscription = the_hub.feeds["paris"].subscriptions[0]
            slow = SlowConsumerError(subject="hub.events.x.y.paris", reply="", sid=1, sub=cast(Any, subscription))
            await the_hub._on_error(slow)
            await the_hub._on_error(slow)
            assert (agents.queue.qsize(), admins.queue.qsize()) == (1, 0), "the admins' feed lost nothing"
            await the_hub._on_error(RuntimeError("unrelated"))  # logged, never raised
            await the_hub._on_reconnected()
            assert (agents.queue.qsize(), admins.queue.qsize()) == (1, 1), "one resync each"
            assert await drained(agents) == ['{"reason": "subscription_behind"}']
            assert await drained(admins) == ['{"reason": "reconnected"}']


class _Presence:
    """Records the beats a stream writes."""

    def __init__(self) -> None:
        self.beats: list[str] = []

    async def beat(self, agent_id: str, now: object) -> None:
        self.beats.append(agent_id)


class TestPresence:
    """Issue 25: an open stream says its agent's console is open, at once and then every BEAT_SECONDS."""

    async def _beats(self, monkeypatch: pytest.MonkeyPatch, actor: Actor, checks: int) -> list[str]:
        monkeypatch.setattr(live, "SESSION_RECHECK_SECONDS", 0.01)
        monkeypatch.setattr(live, "BEAT_SECONDS", 0.0)  # every turn of the loop
        presence = _Presence()
        stream = live.LiveStream(hub(), actor, cast(Any, _Sessions(checks=checks)), presence=cast(Any, presence))

        async def connected() -> bool:
            return False

        [frame async for frame in live.frames(stream, connected)]
        return presence.beats

    async def test_an_open_stream_beats_for_its_agent(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert await self._beats(monkeypatch, AGENT, checks=3) == ["a1"] * 3

    async def test_a_stream_beats_once_per_beat_interval(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(live, "SESSION_RECHECK_SECONDS", 0.01)
        presence = _Presence()
        stream = live.LiveStream(hub(), AGENT, cast(Any, _Sessions(checks=5)), presence=cast(Any, presence))

        async def connected() -> bool:
            return False

        [frame async for frame in live.frames(stream, connected)]
        assert presence.beats == ["a1"], "one beat at opening, the next only BEAT_SECONDS later"

    async def test_an_api_tokens_stream_is_nobodys_console(self, monkeypatch: pytest.MonkeyPatch) -> None:
        token = AGENT.model_copy(update={"kind": "api"})
        assert await self._beats(monkeypatch, token, checks=3) == []
