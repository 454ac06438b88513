"""Traces across HTTP and the bus: the OpenTelemetry SDK, set up once per process, off unless configured.

With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, each process sends its
spans over OTLP/HTTP, named by its service (`service.name`); FastAPI's instrumentation opens a span per
request, FastStream's NATS middleware one per message published and handled, and the `traceparent`
header it writes on every publish and request carries the trace from ingest through inbox to notify.
Unset, nothing is installed: no SDK, no middleware, no instrumentation (the API's no-op tracer only).
The SDK's own variables (`OTEL_BSP_SCHEDULE_DELAY`, `OTEL_TRACES_SAMPLER`, …) apply as documented.
"""

import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.logging import REQUEST_ID

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
NAMESPACE = "hotel-hub"
# Probes and scrapes every few seconds would drown the traces that matter.
UNTRACED_PATHS = "/healthz$,/readyz$,/metrics$"

_provider: "TracerProvider | None" = None
_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("hotel-hub")


def configure(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Install the SDK with an OTLP/HTTP exporter if an endpoint is configured; True when tracing is on.
    Called once per process before its broker and app are built (later calls change nothing)."""
    global _provider
    if _provider is not None:
        return True
    if not any(environ.get(name) for name in ENDPOINT_VARIABLES) or environ.get("OTEL_SDK_DISABLED") == "true":
        return False
    # Imported here: a process without tracing never loads the SDK, the exporter or protobuf.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_NAMESPACE, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service, SERVICE_NAMESPACE: NAMESPACE}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    log.info("tracing on: spans exported over OTLP/HTTP")
    return True


def enabled() -> bool:
    return _provider is not None


def shutdown() -> None:
    """Send the spans still buffered (at the end of the lifespan)."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def bus_middlewares() -> list[Any]:
    """FastStream's NATS telemetry middleware when tracing is on (a span per message published or handled,
    `traceparent` in every message's headers), else none at all."""
    if _provider is None:
        return []
    from faststream.nats.opentelemetry import NatsTelemetryMiddleware

    return [NatsTelemetryMiddleware(tracer_provider=_provider, include_messages_counters=False)]


def instrument(app: FastAPI) -> None:
    """A server span per HTTP request (continuing a `traceparent` the caller sent), when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_provider, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, to keep with what it produced (None when not tracing)."""
    if _provider is None:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def continuing(traceparent: str | None, name: str) -> Iterator[None]:
    """Run the block in a span of the trace `traceparent` names (the guest message an agent answers), linked
    to the current span (the agent's request): the answer's publish and its sending join the message's trace.
    Without tracing or without a traceparent, the block runs as it is."""
    if _provider is None or not traceparent:
        yield
        return
    parent = _propagator.extract({"traceparent": traceparent})
    if not trace.get_current_span(parent).get_span_context().is_valid:
        yield
        return
    here = trace.get_current_span().get_span_context()
    links = [Link(here)] if here.is_valid else []
    with _tracer.start_as_current_span(name, context=parent, links=links):
        yield


@contextmanager
def serving(name: str) -> Iterator[str]:
    """A request that does not come over HTTP (an SMTP transaction): a request id of its own for the lines
    logged and the messages published meanwhile, and a server span when tracing is on."""
    request_id = uuid.uuid4().hex
    token = REQUEST_ID.set(request_id)
    try:
        if _provider is None:
            yield request_id
        else:
            with _tracer.start_as_current_span(name, kind=SpanKind.SERVER, attributes={"hub.request_id": request_id}):
                yield request_id
    finally:
        REQUEST_ID.reset(token)
