"""An OTLP/HTTP trace receiver for tests: `POST /v1/traces` as the OpenTelemetry protocol specifies it
(an `ExportTraceServiceRequest` in binary protobuf, or in its JSON encoding with hex ids; gzip or not),
keeping every span it is sent with its resource's `service.name`."""

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.support import http_stub

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str  # hex, as in a `traceparent`
    span_id: str
    parent_span_id: str  # "" for a trace's root
    kind: int  # SpanKind: 2 server, 3 client, 4 producer, 5 consumer
    attributes: dict[str, Any]
    links: tuple[str, ...]  # the trace ids linked to


@dataclass
class Receiver:
    url: str = ""  # what OTEL_EXPORTER_OTLP_ENDPOINT is set to (the exporter appends /v1/traces)
    spans: list[Span] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, spans: list[Span]) -> None:
        with self.lock:
            self.spans.extend(spans)
            self.requests += 1

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]

    async def spans_of_trace(self, trace_id: str) -> list[Span]:
        """The same, as a probe for `tests.support.polling.eventually`."""
        return self.trace(trace_id)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in {"string_value", "bool_value", "int_value", "double_value"} else None


def from_protobuf(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found: list[Span] = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                found.append(
                    Span(
                        service=str(resource.get("service.name", "")),
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        kind=int(span.kind),
                        attributes={a.key: _value(a.value) for a in span.attributes},
                        links=tuple(link.trace_id.hex() for link in span.links),
                    )
                )
    return found


def _json_attributes(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {a["key"]: next(iter(a.get("value", {}).values()), None) for a in attributes}


def from_json(body: bytes) -> list[Span]:
    """OTLP/JSON: the protobuf's JSON mapping, except that trace and span ids are hex, not base64."""
    request = json.loads(body)
    found: list[Span] = []
    for resource_spans in request.get("resourceSpans", []):
        resource = _json_attributes(resource_spans.get("resource", {}).get("attributes", []))
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                found.append(
                    Span(
                        service=str(resource.get("service.name", "")),
                        name=span.get("name", ""),
                        trace_id=span.get("traceId", "").lower(),
                        span_id=span.get("spanId", "").lower(),
                        parent_span_id=span.get("parentSpanId", "").lower(),
                        kind=int(span.get("kind", 0)),
                        attributes=_json_attributes(span.get("attributes", [])),
                        links=tuple(link.get("traceId", "").lower() for link in span.get("links", [])),
                    )
                )
    return found


@contextmanager
def otlp_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.headers.get("content-encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            media = self.headers.get("content-type", "").split(";")[0].strip().lower()
            if self.path != "/v1/traces" or media not in {PROTOBUF, "application/json"}:
                self.send_response(404 if self.path != "/v1/traces" else 415)
                self.end_headers()
                return
            try:
                state.add(from_protobuf(body) if media == PROTOBUF else from_json(body))
            except ValueError:  # protobuf's DecodeError is one; so is malformed JSON
                self.send_response(400)
                self.end_headers()
                return
            answer = ExportTraceServiceResponse().SerializeToString() if media == PROTOBUF else b"{}"
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    with http_stub.serving(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield state
