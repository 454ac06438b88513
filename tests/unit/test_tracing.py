"""Request ids and trace ids without servers: the HTTP middleware, the bus middleware, the log formatter,
tracing off by default, and the test OTLP receiver's JSON decoding (the stack test speaks protobuf)."""

import json
import logging
from types import SimpleNamespace
from typing import Any

from faststream import ContextRepo
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from shared import tracing
from shared.http import RequestIds
from shared.logging import MESSAGE_TRACE_ID, REQUEST_ID, JsonFormatter
from shared.messaging import REQUEST_ID_HEADER, RequestContext
from tests.support.otlp_receiver import from_json

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


async def served(given: bytes | None) -> tuple[str | None, dict[bytes, bytes]]:
    seen: list[str | None] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(REQUEST_ID.get())
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-request-id", b"spoofed")]})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"x-request-id", given)] if given is not None else []
    await RequestIds(app)({"type": "http", "headers": headers}, None, send)
    return seen[0], dict(sent[0]["headers"])


class TestRequestIds:
    async def test_a_well_formed_id_is_kept_for_the_request_and_returned_once(self) -> None:
        seen, headers = await served(b"lb-7f3a9c2e")
        assert seen == "lb-7f3a9c2e"
        assert headers == {b"x-request-id": b"lb-7f3a9c2e"}
        assert REQUEST_ID.get() is None, "reset once the request is served"

    async def test_a_missing_or_malformed_id_is_replaced(self) -> None:
        for given in (None, b"short", b"new\nline-injected-into-logs", b"x" * 129):
            seen, headers = await served(given)
            assert seen is not None
            assert len(seen) == 32
            assert headers[b"x-request-id"] == seen.encode()


class TestJsonFormatter:
    def line(self) -> dict[str, Any]:
        record = logging.LogRecord("hub.test", logging.INFO, __file__, 1, "stored", (), None)
        parsed: dict[str, Any] = json.loads(JsonFormatter("inbox").format(record))
        return parsed

    def test_a_line_outside_any_request_has_neither_id(self) -> None:
        line = self.line()
        assert "request_id" not in line
        assert "trace_id" not in line

    def test_the_current_span_and_request_are_on_the_line(self) -> None:
        context = SpanContext(int(TRACE, 16), int(SPAN, 16), is_remote=False, trace_flags=TraceFlags(1))
        token = REQUEST_ID.set("req-12345678")
        try:
            with trace.use_span(NonRecordingSpan(context)):
                line = self.line()
        finally:
            REQUEST_ID.reset(token)
        assert (line["trace_id"], line["span_id"], line["request_id"]) == (TRACE, SPAN, "req-12345678")

    def test_a_message_s_trace_before_its_span_starts(self) -> None:
        token = MESSAGE_TRACE_ID.set(TRACE)
        try:
            assert self.line()["trace_id"] == TRACE
        finally:
            MESSAGE_TRACE_ID.reset(token)


class TestRequestContextOnTheBus:
    async def test_a_handled_message_sets_the_ids_and_passes_the_request_id_on(self) -> None:
        raw = SimpleNamespace(headers={REQUEST_ID_HEADER: "req-12345678", "traceparent": f"00-{TRACE}-{SPAN}-01"})
        context = ContextRepo()
        middleware = RequestContext(raw, context=context)
        published: list[dict[str, str]] = []

        async def publish(cmd: Any) -> None:
            published.append(dict(cmd.headers))

        with context.scope("log_context", {"subject": "hub.inbound.guest.form.h"}):
            async with middleware:
                assert (REQUEST_ID.get(), MESSAGE_TRACE_ID.get()) == ("req-12345678", TRACE)
                await middleware.publish_scope(publish, SimpleNamespace(headers={"Nats-Msg-Id": "k"}))
            logged = context.get_local("log_context")
        assert published == [{"Nats-Msg-Id": "k", REQUEST_ID_HEADER: "req-12345678"}]
        assert logged["request_id"] == "req-12345678", "FastStream's Processed line has it too"
        assert (REQUEST_ID.get(), MESSAGE_TRACE_ID.get()) == (None, None)


class TestTracingSwitch:
    def test_off_without_an_endpoint(self) -> None:
        assert tracing.configure("inbox", environ={}) is False
        assert tracing.bus_middlewares() == []
        assert tracing.current_traceparent() is None


class TestOtlpReceiverJson:
    def test_hex_ids_and_the_resource_s_service_name(self) -> None:
        body = {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "notify"}}]},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": TRACE.upper(),
                                    "spanId": SPAN,
                                    "name": "hub.outbound.email process",
                                    "kind": 5,
                                    "links": [{"traceId": TRACE, "spanId": SPAN}],
                                }
                            ]
                        }
                    ],
                }
            ]
        }
        [span] = from_json(json.dumps(body).encode())
        assert (span.service, span.trace_id, span.span_id, span.parent_span_id) == ("notify", TRACE, SPAN, "")
        assert (span.kind, span.links) == (5, (TRACE,))
