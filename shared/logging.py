"""Structured logging: one JSON object per line on stderr, with the service name, any `extra` fields, and
what ties the line to one guest message: its trace (`trace_id`, `span_id`) and its `request_id`."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

# The request being served: set from X-Request-Id by HTTP (shared/http.py `RequestIds`) and from the
# message's header on the bus (shared/messaging.py), which passes it on with every publish.
REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)
# The trace of the message being handled, from its `traceparent`, for the lines logged before its span starts.
MESSAGE_TRACE_ID: ContextVar[str | None] = ContextVar("hub_message_trace_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"], entry["span_id"] = format(span.trace_id, "032x"), format(span.span_id, "016x")
        elif trace_id := MESSAGE_TRACE_ID.get():
            entry["trace_id"] = trace_id
        if request_id := REQUEST_ID.get():
            entry["request_id"] = request_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _PathWithoutQuery(logging.Filter):
    """uvicorn's access line without the query string: search terms and tokens are personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with (client, method, path with query, version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], *args[3:])
        return True


_PATH_WITHOUT_QUERY = _PathWithoutQuery()


def keep_personal_data_out(level: int) -> None:
    """Libraries' log lines that would carry personal data at INFO: uvicorn's access line (the query),
    aiosmtpd's every SMTP command (senders, recipients) and httpx's every request (its URL with the query).
    At DEBUG, the libraries' lines are kept."""
    logging.getLogger("uvicorn.access").addFilter(_PATH_WITHOUT_QUERY)
    for chatty in ("mail.log", "httpx"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    keep_personal_data_out(root.level)
