"""Ingest's cheap spam rules."""

import asyncio

import pytest

from services.ingest.spam import spamassassin, verdict


@pytest.mark.parametrize(
    "text",
    [
        "Best SEO services: http://a.example http://b.example http://c.example",
        "Cheap VIAGRA here",
        "Hello\u200b\u200b\u200b friend",
        "We offer guest post on your blog",
    ],
)
def test_spam_is_recognised(text: str) -> None:
    assert verdict(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Hello, is late check-in possible? We land at 23:40.",
        "See our booking https://hotel.example/b/123",
        "Bonjour, avez-vous un parking ?",
    ],
)
def test_guests_are_not_spam(text: str) -> None:
    assert verdict(text) is None


async def test_spamd_answer_split_across_packets_is_read_whole() -> None:
    """spamd's answer can arrive in pieces; the verdict is in the second one."""

    async def slow_spamd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.write(b"SPAMD/1.1 0 EX_OK\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"Spam: True ; 1002.0 / 5.0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(slow_spamd, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        verdict = await spamassassin(b"Subject: x\r\n\r\nbody\r\n", "127.0.0.1", port)
    assert verdict == "SpamAssassin score 1002.0 / 5.0"
