"""The inbox through its HTTP API on the real bus and database: state machine, actions, threading, views."""

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient

from services.notify.composer import message_id
from shared import tokens
from shared.bus import Channel, DeliveryFailed
from tests.integration.conftest import ADMIN, REPLY_DOMAIN, TEST_SECRET, Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support import servers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

# Races (several replicas or agents writing one conversation at once) run the FerretDB variant of the
# repository only: its claims are what makes FerretDB v1's non-atomic updates safe, so they need proof.
# The MongoDB variant relies on MongoDB's documented single-document atomicity, which FerretDB, where
# `make test` runs it (HUB_TEST_MONGO_FLAVOUR=mongodb), does not give.
race = pytest.mark.skipif(
    os.environ.get("HUB_TEST_MONGO_FLAVOUR", "ferretdb") == "mongodb",
    reason="a race: proven for the FerretDB variant; MongoDB's atomic update is documented, not FerretDB's",
)

Mongo = AsyncMongoClient[dict[str, Any]]


@pytest.fixture
def api(stack: Stack, http: httpx.AsyncClient, location: str) -> AgentApi:
    return AgentApi(http, stack.url("inbox"), agent_headers([location], name="Anna Martin", agent_id="anna"))


async def new_conversation(api: AgentApi, nc: NatsClient, location: str, **kwargs: Any) -> dict[str, Any]:
    before = {item["id"] for item in await api.conversations(location=location, view="all")}
    await publish_inbound(nc, location, **kwargs)
    items = await eventually(
        lambda: api.conversations(location=location, view="all"),
        lambda items: {i["id"] for i in items} - before != set(),
    )
    return next(item for item in items if item["id"] not in before)


async def statuses(api: AgentApi, conversation_id: str) -> str:
    return str((await api.get(conversation_id))["conversation"]["status"])


class TestStateMachine:
    async def test_agent_moves_between_open_on_hold_and_closed(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        conversation = await new_conversation(api, nc, location)
        cid = conversation["id"]
        assert conversation["status"] == "open"
        for target in ("on_hold", "open", "closed", "open", "closed", "on_hold"):
            result = await api.ok("PUT", cid, "status", {"status": target})
            assert result["conversation"]["status"] == target
        timeline = (await api.get(cid))["timeline"]
        moves = [(e["from"], e["to"]) for e in timeline if e["kind"] == "status"]
        assert moves == [
            ("open", "on_hold"),
            ("on_hold", "open"),
            ("open", "closed"),
            ("closed", "open"),
            ("open", "closed"),
            ("closed", "on_hold"),
        ]
        assert all(e["author"]["name"] == "Anna Martin" for e in timeline if e["kind"] == "status")

    async def test_spam_is_left_only_through_not_spam(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        assert (await api.ok("POST", cid, "spam"))["conversation"]["status"] == "spam"
        refused = await api.call("PUT", cid, "status", {"status": "open"})
        assert refused.status_code == 409
        assert "not spam" in refused.json()["detail"]
        assert (await api.call("POST", cid, "spam")).status_code == 409
        assert (await api.ok("DELETE", cid, "spam"))["conversation"]["status"] == "open"
        assert (await api.call("DELETE", cid, "spam")).status_code == 409

    async def test_guest_writing_again_reopens_closed_and_on_hold_but_not_spam(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        first = await publish_inbound(nc, location, message_id="root@guest.example")
        items = await api.wait_for(location)
        cid = items[0]["id"]
        for status in ("closed", "on_hold"):
            await api.ok("PUT", cid, "status", {"status": status})
            await api.ok("POST", cid, "read")
            await publish_inbound(
                nc,
                location,
                text=f"again after {status}",
                message_id=f"{status}@guest.example",
                in_reply_to=[first.thread.message_id or ""],
                references=["root@guest.example"],
            )
            conversation = await eventually(lambda: api.get(cid), lambda d: d["conversation"]["status"] == "open")
            assert conversation["conversation"]["unread"] is True
        await api.ok("POST", cid, "spam")
        await publish_inbound(
            nc, location, text="spam again", message_id="spam@guest.example", references=["root@guest.example"]
        )
        await eventually(lambda: api.get(cid), lambda d: len(d["timeline"]) >= 8)
        assert await statuses(api, cid) == "spam"

    async def test_agent_reply_from_on_hold_reopens_and_is_queued_for_notify(
        self, api: AgentApi, nc: NatsClient, stack: Stack, location: str
    ) -> None:
        cid = (await new_conversation(api, nc, location, message_id="hold@guest.example"))["id"]
        await api.ok("PUT", cid, "status", {"status": "on_hold"})
        result = await api.ok("POST", cid, "messages", {"text": "Your room is ready."})
        assert result["conversation"]["status"] == "open"
        entry = result["entries"][0]
        assert entry["direction"] == "outbound"
        assert entry["to"] == ["guest@example.com"]
        timeline = (await api.get(cid))["timeline"]
        assert timeline[-1]["delivery"]["state"] in {"queued", "sent"}  # notify may be quick
        assert stack.sink is not None
        sent = (await stack.sink.wait_for(message_id(f"entry:{entry['id']}", REPLY_DOMAIN))).email
        assert sent["In-Reply-To"] == "<hold@guest.example>"
        reply_to = parseaddr(str(sent["Reply-To"]))[1]
        assert tokens.verify("reply", reply_to.partition("@")[0].removeprefix("reply+"), TEST_SECRET) == cid

    async def test_reply_to_spam_is_refused(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        await api.ok("POST", cid, "spam")
        response = await api.call("POST", cid, "messages", {"text": "hello"})
        assert response.status_code == 409

    async def test_closing_a_chat_picks_the_resulting_status(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        chat = await new_conversation(api, nc, location, channel=Channel.CHAT, chat_session_id="s-1")
        assert (await api.ok("POST", chat["id"], "close-chat", {}))["conversation"]["status"] == "closed"
        other = await new_conversation(api, nc, location, channel=Channel.CHAT, chat_session_id="s-2")
        result = await api.ok("POST", other["id"], "close-chat", {"resulting_status": "on_hold"})
        assert result["conversation"]["status"] == "on_hold"
        email = await new_conversation(api, nc, location)
        assert (await api.call("POST", email["id"], "close-chat", {})).status_code == 409

    async def test_bot_handled_chat_shows_only_under_all_until_handed_over(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        chat = await new_conversation(
            api, nc, location, channel=Channel.CHAT, chat_session_id="bot-1", bot_handled=True
        )
        assert chat["bot_active"] is True
        assert await api.conversations(location=location, view="inbox") == []
        assert (await api.counts(location=location))["all"] == 1
        assert (await api.counts(location=location))["inbox"] == 0
        await api.ok("POST", chat["id"], "handover")
        assert [i["id"] for i in await api.conversations(location=location, view="inbox")] == [chat["id"]]
        assert (await api.call("POST", chat["id"], "handover")).status_code == 409
        closed = await api.ok("PUT", chat["id"], "status", {"status": "closed"})
        assert closed["conversation"]["bot_active"] is True, "closing gives the conversation back to the bot"


class TestSnooze:
    @race
    async def test_on_hold_until_a_time_comes_back_by_itself_with_an_event(
        self, stack: Stack, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        woken: list[dict[str, Any]] = []

        async def collect(msg: Any) -> None:
            woken.append(json.loads(msg.data))

        subscription = await nc.subscribe("hub.events.conversation.snooze_expired.*", cb=collect)
        # A second replica, so both sweep at once.
        replica = servers.service("inbox", stack.env, stack.root).start()
        try:
            servers.wait_ready(f"http://127.0.0.1:{replica.port}")
            until = datetime.now(UTC) + timedelta(seconds=2)
            result = await api.ok("POST", cid, "snooze", {"until": until.isoformat()})
            assert result["conversation"]["status"] == "on_hold"
            assert (await api.counts(location=location))["buckets"]["on_hold"] == 1
            await eventually(lambda: statuses(api, cid), lambda status: status == "open", timeout=10)
            await eventually(
                lambda: asyncio.sleep(0, result=woken), lambda w: any(e["conversation_id"] == cid for e in w)
            )
            await asyncio.sleep(1.5)
        finally:
            replica.stop()
            await subscription.unsubscribe()
        assert len([e for e in woken if e["conversation_id"] == cid]) == 1, "one replica reopened it"
        timeline = (await api.get(cid))["timeline"]
        assert [e.get("reason") for e in timeline if e["kind"] == "status"] == [None, "snooze_expired"]
        counts = await api.counts(location=location)
        assert counts["buckets"]["on_hold"] == 0
        assert counts["open"] == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"until": "2001-01-01T00:00:00Z"}, "future"),
            ({"until": "2031-01-01T00:00:00"}, "until"),
            ({"until": "tomorrow"}, "until"),
        ],
    )
    async def test_bad_snooze_times_are_refused(
        self, api: AgentApi, nc: NatsClient, location: str, body: dict[str, str], field: str
    ) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        response = await api.call("POST", cid, "snooze", body)
        assert response.status_code == 422
        assert field in response.json()["detail"]


class TestActions:
    async def test_note_is_internal_and_recorded(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        result = await api.ok("POST", cid, "notes", {"text": "Guest is a regular, offer late checkout."})
        assert result["entries"][0]["kind"] == "note"
        assert result["entries"][0]["author"]["initials"] == "AM"
        assert "delivery" not in result["entries"][0]

    async def test_read_receipt_clears_unread(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        assert (await api.counts(location=location))["unread"] == 1
        assert (await api.ok("POST", cid, "read"))["conversation"]["unread"] is False
        assert (await api.counts(location=location))["unread"] == 0

    async def test_assign_shows_initials_and_unassign(
        self, api: AgentApi, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        await mongo["hub"]["agents"].update_one(
            {"_id": "bruno"},
            {
                "$set": {
                    "name": "Bruno Petit",
                    "initials": "BP",
                    "email": "bruno@test.hotel",
                    "location_ids": [location],
                }
            },
            upsert=True,
        )
        cid = (await new_conversation(api, nc, location))["id"]
        result = await api.ok("PUT", cid, "assignee", {"agent_id": "bruno"})
        assert result["conversation"]["assignee"] == {"id": "bruno", "name": "Bruno Petit", "initials": "BP"}
        listed = await api.conversations(location=location, assignee="bruno")
        assert [i["assignee"]["initials"] for i in listed] == ["BP"]
        assert await api.conversations(location=location, assignee="nobody") == []
        await api.ok("PUT", cid, "assignee", {"agent_id": None})
        assert [i["id"] for i in await api.conversations(location=location, assignee="nobody")] == [cid]
        unknown = await api.call("PUT", cid, "assignee", {"agent_id": "nobody-here"})
        assert unknown.status_code == 422
        assert "agent_id" in unknown.json()["detail"]

    async def test_assignees_are_the_colleagues_working_on_the_hotel(
        self, api: AgentApi, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        """The console offers these (one rule, the server's); assigning anyone else is refused."""
        here, elsewhere = f"here-{location}", f"elsewhere-{location}"
        agents = mongo["hub"]["agents"]
        for agent_id, hotels in ((here, [location]), (elsewhere, [f"{location}-x"])):
            fields = {"name": agent_id, "initials": "XY", "email": f"{agent_id}@test.hotel", "location_ids": hotels}
            await agents.update_one({"_id": agent_id}, {"$set": fields}, upsert=True)
        cid = (await new_conversation(api, nc, location))["id"]
        offered = (await api.ok("GET", cid, "assignees"))["items"]
        ids = {agent["id"] for agent in offered}
        assert here in ids
        assert elsewhere not in ids
        assert {"id": here, "name": here, "initials": "XY"} in offered
        refused = await api.call("PUT", cid, "assignee", {"agent_id": elsewhere})
        assert refused.status_code == 422

    async def test_qualify_edit_subject_and_labels(
        self, api: AgentApi, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        await mongo["hub"]["settings"].update_one(
            {"_id": "chain"}, {"$set": {"contact_reasons": [{"id": "billing"}, {"id": "booking"}]}}, upsert=True
        )
        cid = (await new_conversation(api, nc, location))["id"]
        assert (await api.get(cid))["conversation"]["priority"] == "low"
        result = await api.ok(
            "PATCH",
            cid,
            body={
                "priority": "high",
                "contact_reason": "billing",
                "subject": "Invoice error",
                "labels": ["vip", "invoice"],
            },
        )
        conversation = result["conversation"]
        assert (conversation["priority"], conversation["contact_reason"], conversation["subject"]) == (
            "high",
            "billing",
            "Invoice error",
        )
        assert conversation["labels"] == ["invoice", "vip"]
        assert [e["kind"] for e in result["entries"]] == ["subject", "qualification", "labels"]
        assert [i["id"] for i in await api.conversations(location=location, label="vip")] == [cid]
        assert [i["id"] for i in await api.conversations(location=location, priority="high")] == [cid]
        # The labels in use are suggested by hotel, even once no request on screen carries them.
        await api.ok("PATCH", cid, body={"labels": ["vip"]})
        used = await api.http.get(f"{api.base}/labels", params={"location": location}, headers=api.headers)
        assert used.json()["items"] == [
            {"label": "invoice", "location_ids": [location]},
            {"label": "vip", "location_ids": [location]},
        ]
        elsewhere = await api.http.get(
            f"{api.base}/labels", params={"location": "hotel-elsewhere"}, headers=api.headers
        )
        assert elsewhere.json()["items"] == []
        bad = await api.call("PATCH", cid, body={"contact_reason": "weather"})
        assert bad.status_code == 422
        assert "contact_reason" in bad.json()["detail"]
        wrong = await api.call("PATCH", cid, body={"priority": "urgent"})
        assert wrong.status_code == 422
        assert "priority" in wrong.json()["detail"]

    async def test_call_and_reservation_are_logged(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        call = await api.ok("POST", cid, "calls", {"outcome": "reached", "duration_seconds": 95, "notes": "ok"})
        assert call["entries"][0]["outcome"] == "reached"
        booking = await api.ok(
            "POST", cid, "reservations", {"kind": "spa", "date": "2026-12-24", "party_size": 2, "reference": "SPA-42"}
        )
        assert booking["entries"][0]["category"] == "spa"
        kinds = [e["kind"] for e in (await api.get(cid))["timeline"]]
        assert kinds == ["message", "call", "reservation"]

    async def test_forward_delegate_share_are_sent_through_notify(
        self, api: AgentApi, nc: NatsClient, mongo: Mongo, stack: Stack, location: str
    ) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        await mongo["hub"]["settings"].update_one({"_id": "chain"}, {"$unset": {"customer_service_email": 1}})
        assert (await api.call("POST", cid, "delegate", {})).status_code == 409
        await mongo["hub"]["settings"].update_one(
            {"_id": "chain"}, {"$set": {"customer_service_email": "care@chain.example"}}, upsert=True
        )
        forwarded = await api.ok("POST", cid, "forward", {"to": "night.manager@hotel.example", "note": "Can you?"})
        delegated = await api.ok("POST", cid, "delegate", {"note": "Billing question"})
        shared = await api.ok("POST", cid, "share", {"to": ["spa@hotel.example", "kitchen@hotel.example"]})
        assert forwarded["entries"][0]["to"] == ["night.manager@hotel.example"]
        assert delegated["entries"][0]["to"] == ["care@chain.example"]
        assert shared["entries"][0]["kind"] == "share"
        assert stack.sink is not None
        email = (await stack.sink.wait_for(message_id(f"entry:{shared['entries'][0]['id']}", REPLY_DOMAIN))).email
        assert email["To"] == "spa@hotel.example, kitchen@hotel.example"
        body = email.get_body(("plain",))
        assert body is not None
        assert f"/conversations/{cid}" not in body.get_content(), "a read-only link instead, valid without an account"
        assert "/requests/" in body.get_content()
        bad = await api.call("POST", cid, "share", {"to": []})
        assert bad.status_code == 422

    async def test_delivery_report_from_notify_updates_the_message(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        entry = (await api.ok("POST", cid, "messages", {"text": "See you soon"}))["entries"][0]
        key = f"entry:{entry['id']}"

        async def delivery() -> dict[str, Any]:
            timeline = (await api.get(cid))["timeline"]
            found: dict[str, Any] = next(e for e in timeline if e["id"] == entry["id"])["delivery"]
            return found

        await eventually(delivery, lambda d: d["state"] == "sent")  # notify's own report first
        report = DeliveryFailed(key=key, conversation_id=cid, location_id=location, reason="550 mailbox unavailable")
        await nc.jetstream().publish(report.bus_subject, report.model_dump_json().encode())
        state = await eventually(delivery, lambda d: d["state"] == "failed")
        assert state["reason"] == "550 mailbox unavailable"

    async def test_link_contact(self, api: AgentApi, nc: NatsClient, stack: Stack, location: str) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        contacts = f"{stack.url('contacts')}/api/v1/contacts"
        created = await api.http.post(
            contacts, json={"location_id": location, "last_name": "Linked"}, headers=api.headers
        )
        assert created.status_code == 201, created.text
        contact_id = created.json()["id"]
        result = await api.ok("PUT", cid, "contact", {"contact_id": contact_id})
        assert result["conversation"]["contact_id"] == contact_id
        assert result["entries"][0]["kind"] == "contact_link"
        unknown = await api.call("PUT", cid, "contact", {"contact_id": "c0ffee"})
        assert unknown.status_code == 422, "only a contact of the agent's hotels"


class TestThreading:
    async def test_email_threads_by_headers_and_signed_reply_token(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        # Distinct times: messages received within the same millisecond have no defined order.
        start = datetime.now(UTC)
        await publish_inbound(nc, location, message_id="a1@guest.example", text="first", received_at=start)
        cid = (await api.wait_for(location))[0]["id"]
        await publish_inbound(
            nc,
            location,
            message_id="a2@guest.example",
            in_reply_to=["a1@guest.example"],
            references=["a1@guest.example"],
            text="second",
            received_at=start + timedelta(milliseconds=10),
        )
        token = tokens.sign("reply", cid, TEST_SECRET)
        await publish_inbound(
            nc,
            location,
            message_id="a3@guest.example",
            reply_token=token,
            text="by token",
            received_at=start + timedelta(milliseconds=20),
        )
        forged = cid + "." + "a" * 20
        await publish_inbound(nc, location, message_id="a4@guest.example", reply_token=forged, text="forged")
        items = await api.wait_for(location, count=2)
        assert len(items) == 2, "the forged token opened a new request"
        detail = await eventually(lambda: api.get(cid), lambda d: len(d["timeline"]) == 3)
        assert [e["text"] for e in detail["timeline"]] == ["first", "second", "by token"]

    async def test_chat_by_session_review_by_id_form_always_new(
        self, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        for text in ("hi", "still there?"):
            await publish_inbound(nc, location, channel=Channel.CHAT, chat_session_id="sess-9", text=text)
        for text in ("Dirty room", "Update: still dirty"):
            await publish_inbound(nc, location, channel=Channel.REVIEW, review_id="tripadvisor:77", rating=1, text=text)
        for _ in range(2):
            await publish_inbound(nc, location, channel=Channel.FORM, text="form")
        items = await api.wait_for(location, count=4)
        await asyncio.sleep(0.5)
        items = await api.conversations(location=location, view="all")
        assert sorted(i["channel"] for i in items) == ["chat", "form", "form", "review"]
        review = next(i for i in items if i["channel"] == "review")
        assert review["alert"] is True
        alerts = await api.conversations(location=location, bucket="alerts")
        assert [i["id"] for i in alerts] == [review["id"]]
        counts = await api.counts(location=location)
        assert counts["buckets"] == {"on_hold": 0, "alerts": 1, "new": 3}

    @race
    async def test_twenty_emails_of_one_thread_at_once_on_two_replicas_make_one_conversation(
        self, stack: Stack, api: AgentApi, nc: NatsClient, location: str
    ) -> None:
        replica = servers.service("inbox", stack.env, stack.root).start()
        try:
            servers.wait_ready(f"http://127.0.0.1:{replica.port}")
            await asyncio.gather(
                *(
                    publish_inbound(
                        nc,
                        location,
                        text=f"part {n}",
                        message_id=f"t{n}@guest.example",
                        references=[] if n == 0 else ["t0@guest.example"],
                        in_reply_to=[] if n == 0 else [f"t{n - 1}@guest.example"],
                    )
                    for n in reversed(range(20))
                )
            )
            detail_id = (await api.wait_for(location))[0]["id"]
            await eventually(
                lambda: api.get(detail_id),
                lambda d: len(d["timeline"]) == 20 and d["conversation"]["message_count"] == 20,
                timeout=30,
            )
        finally:
            replica.stop()
        items = await api.conversations(location=location, view="all")
        assert len(items) == 1
        assert items[0]["message_count"] == 20
        assert (await api.counts(location=location))["all"] == 1


class TestViewsAndCounts:
    @race
    async def test_fifty_concurrent_updates_leave_counts_equal_to_a_recount(
        self, api: AgentApi, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        for n in range(10):
            await publish_inbound(
                nc,
                location,
                text=f"request {n}",
                rating=1 if n % 3 == 0 else None,
                channel=Channel.REVIEW if n % 3 == 0 else Channel.EMAIL,
                review_id=f"g:{location}:{n}" if n % 3 == 0 else None,
            )
        items = await api.wait_for(location, count=10)
        ids = [i["id"] for i in items]
        moves = ["on_hold", "closed", "open", "spam", "not_spam", "read", "label"]

        async def act(n: int) -> None:
            cid, move = ids[n % len(ids)], moves[n % len(moves)]
            if move == "spam":
                response = await api.call("POST", cid, "spam")
            elif move == "not_spam":
                response = await api.call("DELETE", cid, "spam")
            elif move == "read":
                response = await api.call("POST", cid, "read")
            elif move == "label":
                response = await api.call("PATCH", cid, body={"labels": [f"l{n}"]})
            else:
                response = await api.call("PUT", cid, "status", {"status": move})
            assert response.status_code in {200, 409}, response.text

        await asyncio.gather(*(act(n) for n in range(50)))
        counts = await api.counts(location=location)
        every = [d async for d in mongo["hub"]["conversations"].find({"location_id": location})]
        # What the chatbot handles (open again after a close gave it back) shows only under "all".
        docs = [d for d in every if not (d["bot_active"] and d["status"] in {"open", "on_hold"})]
        recount = {
            "open": sum(d["status"] == "open" for d in docs),
            "on_hold": sum(d["status"] == "on_hold" for d in docs),
            "closed": sum(d["status"] == "closed" for d in docs),
            "spam": sum(d["status"] == "spam" for d in docs),
            "all": len(every),
            "inbox": sum(d["status"] in {"open", "on_hold"} for d in docs),
            "unread": sum(d["status"] in {"open", "on_hold"} and d["unread"] for d in docs),
        }
        assert {k: counts[k] for k in recount} == recount
        assert counts["buckets"]["alerts"] == sum(d["status"] == "open" and d["alert"] for d in docs)
        assert counts["buckets"]["on_hold"] == recount["on_hold"]
        for view in ("inbox", "open", "on_hold", "closed", "spam", "all"):
            assert len(await api.conversations(location=location, view=view, limit="100")) == counts[view]

    async def test_free_text_search_and_channel_filter(self, api: AgentApi, nc: NatsClient, location: str) -> None:
        await publish_inbound(
            nc, location, text="Where can I park my car?", name="Zoé Lefèvre", email="zoe@example.fr", subject="Parking"
        )
        await publish_inbound(nc, location, channel=Channel.CHAT, chat_session_id=f"c-{location}", text="Wifi code?")
        await api.wait_for(location, count=2)
        assert [i["subject"] for i in await api.conversations(location=location, q="PARK")] == ["Parking"]
        assert len(await api.conversations(location=location, q="zoe@example")) == 1
        assert len(await api.conversations(location=location, q="a.*b")) == 0, "text is matched literally"
        assert [i["channel"] for i in await api.conversations(location=location, channel="chat")] == ["chat"]
        counts = await api.counts(location=location, q="wifi")
        assert (counts["inbox"], counts["all"]) == (1, 1)


class TestScopingAndBadInput:
    async def test_other_hotels_conversations_are_404(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
    ) -> None:
        await publish_inbound(nc, location, text="private")
        admin = AgentApi(http, stack.url("inbox"), ADMIN)
        cid = (await admin.wait_for(location))[0]["id"]
        outsider = AgentApi(http, stack.url("inbox"), agent_headers(["another-hotel"]))
        assert (await outsider.call("GET", cid)).status_code == 404
        assert (await outsider.call("POST", cid, "notes", {"text": "x"})).status_code == 404
        assert await outsider.conversations(location=location) == []
        assert (await outsider.counts(location=location))["all"] == 0

    async def test_requests_without_a_valid_token_are_401(self, stack: Stack, http: httpx.AsyncClient) -> None:
        base = f"{stack.url('inbox')}/api/v1/conversations"
        assert (await http.get(base)).status_code == 401
        forged = {"Authorization": "Bearer eyJhZ2VudF9pZCI6ImFkbWluIn0.forged"}
        response = await http.get(base, headers=forged)
        assert response.status_code == 401
        assert "sign in" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("method", "action", "body", "status", "words"),
        [
            ("PUT", "status", {"status": "archived"}, 422, "status"),
            ("PUT", "status", {"status": 3}, 422, "status"),
            ("PUT", "status", {"status": "open", "snoozed_until": "2030-01-01T00:00:00Z"}, 422, "snoozed_until"),
            ("POST", "notes", {"text": ""}, 422, "text"),
            ("POST", "notes", {"text": "x", "extra": 1}, 422, "extra"),
            ("POST", "calls", {"outcome": "maybe"}, 422, "outcome"),
            ("POST", "reservations", {"kind": "room", "date": "not-a-date"}, 422, "date"),
            ("POST", "forward", {"to": "not-an-email"}, 422, "to"),
            ("POST", "close-chat", {"resulting_status": "spam"}, 422, "resulting_status"),
        ],
    )
    async def test_wrong_types_and_values_name_the_field(
        self,
        api: AgentApi,
        nc: NatsClient,
        location: str,
        method: str,
        action: str,
        body: Any,
        status: int,
        words: str,
    ) -> None:
        cid = (await new_conversation(api, nc, location))["id"]
        response = await api.call(method, cid, action, body)
        assert response.status_code == status, response.text
        assert words in response.json()["detail"]

    async def test_unknown_ids_and_bad_query_values(self, api: AgentApi, location: str) -> None:
        for method, action, body in [("GET", "", None), ("POST", "read", None), ("PUT", "status", {"status": "open"})]:
            response = await api.call(method, "0123456789abcdef", action, body)
            assert response.status_code == 404, (method, action)
        bad_view = await api.http.get(api.base, params={"view": "archive"}, headers=api.headers)
        assert bad_view.status_code == 422
        assert "view" in bad_view.json()["detail"]
        bad_id = await api.call("GET", "../etc")
        assert bad_id.status_code in {404, 422}


class TestLiveEvents:
    async def test_agent_stream_carries_own_hotels_events_only(
        self, stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str
    ) -> None:
        elsewhere = f"{location}-other"
        received: list[tuple[str, dict[str, Any]]] = []
        ready = asyncio.Event()

        async def listen() -> None:
            headers = agent_headers([location])
            async with http.stream("GET", f"{stack.url('inbox')}/api/v1/events", headers=headers, timeout=30) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                name = ""
                async for line in stream.aiter_lines():
                    ready.set()
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        received.append((name, json.loads(line.removeprefix("data: "))))

        listener = asyncio.create_task(listen())
        try:
            await asyncio.wait_for(ready.wait(), timeout=10)
            await publish_inbound(nc, elsewhere, text="not for you")
            await publish_inbound(nc, location, text="for you")
            await eventually(
                lambda: asyncio.sleep(0, result=list(received)),
                lambda events: any(e["location_id"] == location and n == "conversation.created" for n, e in events),
            )
            admin = AgentApi(http, stack.url("inbox"), ADMIN)
            await admin.wait_for(elsewhere)
            await asyncio.sleep(0.5)
        finally:
            listener.cancel()
        assert {event["location_id"] for _, event in received} == {location}
