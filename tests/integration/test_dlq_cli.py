"""The DLQ command line (`python -m scripts.dlq`) against the real stack: inspect a poison message, replay a fixed one.

Other tests count the dead letters of their own subjects; these tests only remove entries they made.
"""

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass

import pytest
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError
from pymongo import AsyncMongoClient

from scripts import dlq
from shared.bus import DLQ, Channel, DeadLetter, InboundMessage, Subjects
from tests.integration.conftest import Stack
from tests.integration.inbox_helpers import publish_inbound
from tests.support import servers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, object]]


@dataclass
class Run:
    code: int
    out: str
    err: str


async def cli(stack: Stack, *args: str, nats_url: str | None = None) -> Run:
    """The command as an operator runs it: its own process, configured by the stack's HUB_* variables."""
    env = {**os.environ, **stack.env, **({"HUB_NATS_URL": nats_url} if nats_url else {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.dlq",
        *args,
        env=env,
        cwd=servers.ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return Run(proc.returncode or 0, out.decode(), err.decode())


async def entries_for(nc: NatsClient, subject: str) -> list[tuple[int, DeadLetter]]:
    """(DLQ sequence, dead letter) of every entry whose original subject is `subject`."""
    js = nc.jetstream()
    state = (await js.stream_info(DLQ.name)).state
    found = []
    for seq in range(max(state.first_seq, 1), state.last_seq + 1):
        try:
            raw = await js.get_msg(DLQ.name, seq)
        except NotFoundError:
            continue
        letter = DeadLetter.model_validate_json(raw.data or b"{}")
        if letter.subject == subject:
            found.append((seq, letter))
    return found


async def conversations_of(mongo: Mongo, location: str) -> list[dict[str, object]]:
    return [doc async for doc in mongo["hub"]["conversations"].find({"location_id": location})]


async def dead_letter_a_chat(nc: NatsClient, mongo: Mongo, location: str) -> tuple[InboundMessage, int, str]:
    """A valid chat message the inbox cannot store while its thread reference is broken, dead-lettered.

    The reference leads to a conversation that does not exist (as a partial restore could leave it):
    every attempt fails, and after the consumer's deliveries the message is in the DLQ. Returns the
    message, its DLQ sequence and the dangling conversation id; removing the reference fixes the cause.
    """
    session, dangling = f"dlq-{uuid.uuid4().hex}", f"gone-{uuid.uuid4().hex}"
    await mongo["hub"]["thread_refs"].insert_one({"_id": f"{location}|chat:{session}", "conversation_id": dangling})
    message = await publish_inbound(
        nc, location, channel=Channel.CHAT, text="Is the pool heated?", chat_session_id=session
    )
    subject = Subjects.inbound_guest(Channel.CHAT, location)
    [(seq, letter)] = await eventually(lambda: entries_for(nc, subject), lambda found: len(found) == 1)
    assert letter.consumer == "inbox-inbound"
    assert letter.error == f"LookupError: {dangling}"
    assert letter.deliveries == 4, "retried as the stack's HUB_CONSUMER_MAX_DELIVER says, then given up"
    assert await conversations_of(mongo, location) == []
    return message, seq, dangling


async def fix_the_cause(mongo: Mongo, message: InboundMessage) -> None:
    reference = f"{message.location_id}|chat:{message.thread.chat_session_id}"
    await mongo["hub"]["thread_refs"].delete_one({"_id": reference})


async def stored_once(mongo: Mongo, location: str, message: InboundMessage) -> dict[str, object]:
    [conversation] = await eventually(lambda: conversations_of(mongo, location), lambda docs: len(docs) == 1)
    await asyncio.sleep(1.0)  # room for a wrongly duplicated message to show up
    assert len(await conversations_of(mongo, location)) == 1
    entries = [e async for e in mongo["hub"]["timeline"].find({"key": message.key})]
    assert [e["conversation_id"] for e in entries] == [conversation["_id"]]
    return conversation


class TestInspect:
    async def test_a_poison_message_is_listed_shown_and_purged(
        self, stack: Stack, nc: NatsClient, location: str
    ) -> None:
        subject = Subjects.inbound_guest(Channel.FORM, location)
        await nc.jetstream().publish(
            subject,
            b'{"type": "inbound.message", "text": 42}',
            headers={"Nats-Msg-Id": f"poison:{location}", "X-Sent-By": "dlq-cli-test"},
        )
        [(seq, _)] = await eventually(lambda: entries_for(nc, subject), lambda found: len(found) == 1)

        listed = await cli(stack, "list", "--subject", f"hub.inbound.guest.*.{location}")
        assert listed.code == 0, listed.err
        header, row, total = listed.out.splitlines()
        assert header.split() == ["SEQ", "FAILED", "AT", "(UTC)", "STREAM", "SUBJECT", "SIZE", "REASON"]
        assert row.split()[0] == str(seq)
        assert row.split()[3:6] == ["INBOUND", subject, "39"]
        assert "ValidationError" in row
        assert total == "1 entry"
        assert f"{seq} " in (await cli(stack, "list", "--stream", "inbound")).out

        shown = await cli(stack, "show", str(seq))
        assert shown.code == 0, shown.err
        assert "consumer:    inbox-inbound" in shown.out
        assert f"subject:     {subject}" in shown.out
        assert "  X-Sent-By: dlq-cli-test" in shown.out
        assert f"  Nats-Msg-Id: poison:{location}" in shown.out
        assert "payload (39 bytes, JSON):\n{\n" in shown.out
        assert '\n  "text": 42\n}' in shown.out, "the payload is pretty-printed"

        purged = await cli(stack, "purge", str(seq))
        assert purged.code == 0, purged.err
        assert await entries_for(nc, subject) == []
        gone = await cli(stack, "show", str(seq))
        assert gone.code == dlq.EXIT_FAILED
        assert f"there is no DLQ entry {seq}" in gone.err

    async def test_unreachable_nats_is_a_clear_error(self, stack: Stack) -> None:
        nowhere = f"nats://127.0.0.1:{servers.free_port()}"
        run = await cli(stack, "list", nats_url=nowhere)
        assert run.code == dlq.EXIT_UNREACHABLE
        assert f"cannot reach NATS at {nowhere}" in run.err
        assert "Traceback" not in run.err


class TestReplay:
    async def test_a_replayed_message_is_stored_once_and_its_entry_removed(
        self, stack: Stack, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        message, seq, dangling = await dead_letter_a_chat(nc, mongo, location)
        subject = Subjects.inbound_guest(Channel.CHAT, location)
        await fix_the_cause(mongo, message)

        replayed = await cli(stack, "replay", "--all", "--subject", subject)
        assert replayed.code == 0, replayed.err
        assert f"replayed DLQ entry {seq} to {subject} (INBOUND message " in replayed.out
        assert replayed.out.splitlines()[-1] == "1 replayed"

        conversation = await stored_once(mongo, location, message)
        assert conversation["_id"] == dangling, "the entry written by the first attempt got its conversation"
        assert await entries_for(nc, subject) == []
        again = await cli(stack, "replay", str(seq))
        assert again.code == dlq.EXIT_FAILED
        assert f"there is no DLQ entry {seq}" in again.err
        assert (await cli(stack, "replay", "--all", "--subject", subject)).out.strip() == "0 replayed"

    async def test_a_replay_repeated_after_a_lost_removal_changes_nothing(
        self, stack: Stack, nc: NatsClient, mongo: Mongo, location: str
    ) -> None:
        """The publish was acknowledged but the entry not removed (the operator's process died): replay again."""
        message, seq, _ = await dead_letter_a_chat(nc, mongo, location)
        await fix_the_cause(mongo, message)
        js = nc.jetstream()
        first = await dlq.republish(js, await dlq.read_entry(js, seq))  # ...and no removal
        assert not first.duplicate
        await stored_once(mongo, location, message)

        replayed = await cli(stack, "replay", str(seq))
        assert replayed.code == 0, replayed.err
        assert f"DLQ entry {seq} had already been replayed" in replayed.out
        assert f"(INBOUND message {first.seq})" in replayed.out
        await stored_once(mongo, location, message)
        assert await entries_for(nc, Subjects.inbound_guest(Channel.CHAT, location)) == []
