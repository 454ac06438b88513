"""`server_has_read`: a barrier after which the NATS server has read every command sent before it.

nats-py's `flush` writes its PING ahead of the commands still queued for its flusher task, so a stream
that subscribes and flushes may be told "subscribed" before the server has the SUB (and a test that
unsubscribes and flushes may still be sent a message). A server of this module's own speaks the client
protocol (INFO, CONNECT, PING/PONG, SUB, UNSUB, PUB) and records what it read before each PONG it sent.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import nats
import pytest

from shared.messaging import server_has_read

pytestmark = pytest.mark.integration


@dataclass
class RecordingServer:
    """Answers PING with PONG and notes, for each PONG, the commands read before its PING."""

    read: list[str] = field(default_factory=list)
    read_before_pong: list[list[str]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        info = {
            "server_id": "recorder",
            "version": "2.10.0",
            "host": "127.0.0.1",
            "port": port,
            "max_payload": 1048576,
            "proto": 1,
            "headers": True,
        }
        writer.write(f"INFO {json.dumps(info)}\r\n".encode())
        await writer.drain()
        try:
            while line := await reader.readline():
                command = line.decode().strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("PUB", "HPUB"):
                    await reader.readexactly(int(command.rsplit(" ", 1)[1]) + 2)
                if verb == "PING":
                    self.read_before_pong.append(list(self.read))
                    writer.write(b"PONG\r\n")
                    await writer.drain()
                elif verb not in ("CONNECT", "PONG"):
                    self.read.append(verb)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[RecordingServer, str]]:
    recording = RecordingServer()
    server = await asyncio.start_server(recording.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield recording, f"nats://127.0.0.1:{port}"


async def test_the_server_has_read_a_subscription_and_its_end_when_the_barrier_returns(
    recorder: tuple[RecordingServer, str],
) -> None:
    recording, url = recorder
    connection = await nats.connect(url, allow_reconnect=False, connect_timeout=5)
    try:
        subscription = await connection.subscribe("hub.events.note.added.paris")
        await server_has_read(connection)
        assert recording.read_before_pong[-1] == ["SUB"]
        await subscription.unsubscribe()
        await connection.publish("hub.events.note.added.paris", b"{}")
        await server_has_read(connection)
        assert recording.read_before_pong[-1] == ["SUB", "UNSUB", "PUB"]
    finally:
        await connection.close()
