"""No personal data in the log lines of the paths that used to carry it: the HTTP access line's query,
the SMTP envelope, a failing message's payload. Each test runs the real code and reads what was logged."""

import asyncio
import json
import logging
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from faststream import ContextRepo
from faststream.nats import NatsBroker
from nats.aio.msg import Msg

from services.ingest.backpressure import Budget
from services.ingest.hotels import KnownHotels
from services.ingest.settings import IngestSettings
from services.ingest.smtp import smtp_receiver
from shared.logging import JsonFormatter, configure_logging
from shared.messaging import MSG_ID_HEADER, RetryPolicy, RetryThenDeadLetter
from shared.runtime import Runtime

GUEST = "claire.dubois@example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The services' logging set up as at start (INFO), with pytest's capture kept on the root logger."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("test", "INFO")
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.NOTSET)
    yield caplog
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def as_json(records: list[logging.LogRecord]) -> str:
    """The lines as they are written (message and every extra field)."""
    formatter = JsonFormatter("test")
    return "\n".join(formatter.format(r) for r in records)


class TestAccessLog:
    async def test_the_query_string_is_not_logged(self, logged: pytest.LogCaptureFixture) -> None:
        app = FastAPI()

        @app.get("/api/v1/contacts")
        async def search(q: str) -> dict[str, str]:
            return {"q": q}

        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
        task = asyncio.create_task(server.serve())
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(100):
                    if server.started:
                        break
                    await asyncio.sleep(0.05)
                answer = await client.get("/api/v1/contacts", params={"q": GUEST})
                assert answer.json() == {"q": GUEST}
        finally:
            server.should_exit = True
            await task
        access = [r for r in logged.records if r.name == "uvicorn.access"]
        assert access, "uvicorn logged no access line"
        assert "GET /api/v1/contacts HTTP/1.1" in access[0].getMessage()
        assert "claire" not in as_json(logged.records)


class TestSmtpReceiver:
    async def test_senders_and_recipients_are_not_logged_at_info(self, logged: pytest.LogCaptureFixture) -> None:
        port = free_port()
        settings = IngestSettings(smtp_port=port, hotel_mail_domain="hotels.localhost")
        # An address of no hotel of ours: refused before anything asks the bus.
        hotels = KnownHotels(broker=NatsBroker())
        serve = asyncio.create_task(smtp_receiver(settings, Budget(4), hotels)(cast("Runtime", object())))
        try:
            await asyncio.sleep(0.2)

            def converse() -> None:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                    smtp.ehlo("mail.example.com")
                    smtp.mail(GUEST)
                    code, _ = smtp.rcpt("reception@elsewhere.example")
                    assert code == 550

            await asyncio.to_thread(converse)
        finally:
            serve.cancel()
            await asyncio.gather(serve, return_exceptions=True)
        text = as_json(logged.records)
        assert "SMTP receiver listening" in text
        assert "claire" not in text
        assert "elsewhere" not in text

    def test_at_debug_the_conversation_is_kept(self) -> None:
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        try:
            configure_logging("test", "DEBUG")
            assert logging.getLogger("mail.log").isEnabledFor(logging.INFO)
            configure_logging("test", "INFO")
            assert not logging.getLogger("mail.log").isEnabledFor(logging.INFO)
        finally:
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)


class Published:
    """The connection a nack or a term goes out on: only what was sent is kept."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, subject: str, payload: bytes = b"", **_: Any) -> None:
        self.sent.append((subject, payload))


def failing_message(deliveries: int) -> Msg:
    payload = json.dumps({"email": GUEST, "body": "Nous arrivons à 23h40, chambre 12"}).encode()
    return Msg(
        _client=cast("Any", Published()),
        subject="hub.inbound.paris-opera",
        # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
        reply=f"$JS.ACK.INBOUND.inbox.{deliveries}.42.42.1700000000000000000.0",
        data=payload,
        headers={MSG_ID_HEADER: "form:paris-opera:demo-1"},
    )


class TestFailingMessage:
    @pytest.mark.parametrize(
        ("deliveries", "error", "line"),
        [
            (5, ValueError(f"input_value='{GUEST}'"), "dead-lettering message"),
            (1, RuntimeError(f"no such guest {GUEST}"), "handler failed, retrying"),
        ],
    )
    async def test_the_payload_and_the_error_text_are_not_logged(
        self, logged: pytest.LogCaptureFixture, deliveries: int, error: Exception, line: str
    ) -> None:
        policy = RetryPolicy(max_deliver=5, retry_delays_seconds=[1.0], ack_wait_seconds=30)
        raw = failing_message(deliveries)
        middleware = RetryThenDeadLetter(raw, policy=policy, context=ContextRepo())
        await middleware._on_failure(raw, error)  # the failure path itself, without a server
        assert cast("Published", raw._client).sent, "the message was neither nacked nor terminated"
        [record] = [r for r in logged.records if r.getMessage() == line]
        fields = json.loads(as_json([record]))
        assert fields["key"] == "form:paris-opera:demo-1"
        assert fields["subject"] == "hub.inbound.paris-opera"
        assert fields["error_type"] == type(error).__name__
        assert fields["payload_bytes"] == len(raw.data)
        text = as_json(logged.records)
        assert "claire" not in text
        assert "23h40" not in text


class TestGateway:
    @pytest.mark.parametrize("conf", ["local.conf.template", "compose.conf"])
    def test_the_access_log_has_the_path_without_query_nor_referer(self, conf: str) -> None:
        text = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / conf).read_text()
        log_format = text[text.index("log_format hub_path_only") :].split(";", 1)[0]
        assert "$request_method" in log_format.replace("$$", "$")
        assert "uri" in log_format
        for leaking in (
            "$request ",
            "$request_uri",
            "$args",
            "$query_string",
            "$http_referer",
            '$request"',
            "$request'",
        ):
            assert leaking not in log_format.replace("$$", "$"), leaking
        access_logs = [line.strip() for line in text.splitlines() if line.strip().startswith("access_log")]
        assert access_logs, "no access_log"
        assert all(line.endswith("hub_path_only;") for line in access_logs), access_logs
