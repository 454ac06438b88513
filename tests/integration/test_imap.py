"""IMAP polling against a real Dovecot: new mail lands once, a re-poll after a crash adds nothing."""

import asyncio
import imaplib
import time
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.integration.conftest import ADMIN, IMAP_HOTEL, IMAP_PASSWORD, Stack
from tests.integration.inbox_helpers import AgentApi
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def deliver(stack: Stack, message: EmailMessage) -> None:
    """Put a message into the hotel's mailbox, as the mail server would."""
    assert stack.imap is not None
    client = imaplib.IMAP4("127.0.0.1", stack.imap.port or 0)
    client.login("frontdesk", IMAP_PASSWORD)
    client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), message.as_bytes())
    client.logout()


def seen_flags(stack: Stack) -> list[bytes]:
    assert stack.imap is not None
    client = imaplib.IMAP4("127.0.0.1", stack.imap.port or 0)
    client.login("frontdesk", IMAP_PASSWORD)
    client.select("INBOX", readonly=True)
    _, data = client.uid("SEARCH", "SEEN")
    client.logout()
    return (data[0] or b"").split()


def email(message_id: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Hugo Petit <hugo@example.com>"
    message["To"] = "frontdesk@imap-hotel.example"
    message["Subject"] = "Parking"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(text)
    return message


async def entries(mongo: AsyncMongoClient[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
    return [e async for e in mongo["hub"]["timeline"].find({"key": {"$regex": marker}})]


async def test_polled_mail_lands_once_even_when_polled_again(
    stack: Stack, http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    marker = f"imap-{time.time_ns()}"
    await asyncio.to_thread(deliver, stack, email(f"{marker}-1@example.com", "Do you have parking?"))
    await asyncio.to_thread(deliver, stack, email(f"{marker}-2@example.com", "And a charger?"))
    found = await eventually(lambda: entries(mongo, marker), lambda e: len(e) == 2, timeout=30)
    assert {e["text"] for e in found} == {"Do you have parking?", "And a charger?"}
    conversation = await mongo["hub"]["conversations"].find_one({"_id": found[0]["conversation_id"]})
    assert conversation is not None
    assert conversation["location_id"] == IMAP_HOTEL
    await eventually(lambda: asyncio.to_thread(seen_flags, stack), lambda seen: len(seen) >= 2)

    # A crash after the hand-over but before the state was saved: the poller reads it all again.
    await mongo["hub"]["mailbox_state"].delete_many({})
    state = await eventually(
        lambda: mongo["hub"]["mailbox_state"].find_one({}), lambda found: found is not None and found["last_uid"] >= 2
    )
    assert state is not None
    assert len(await entries(mongo, marker)) == 2, "fetched twice, stored once"
    assert state["last_uid"] >= 2
    assert state["uidvalidity"] > 0
    api = AgentApi(http, stack.url("inbox"), ADMIN)
    assert any(i["guest"]["email"] == "hugo@example.com" for i in await api.conversations(location=IMAP_HOTEL))
