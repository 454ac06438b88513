"""Helpers for public HTTP surfaces: request ids, bounded request bodies and strict decoding."""

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from opentelemetry import trace

from shared.logging import REQUEST_ID
from shared.mime import MimeLimitError, MimeLimits, parse_bounded
from shared.problems import Problem

REQUEST_ID_HEADER = b"x-request-id"
# What a request id may be when the caller sends one (nginx's are 32 hex digits): anything else is
# replaced, so a client cannot write into the logs through it.
REQUEST_ID_FORMAT = re.compile(r"[A-Za-z0-9._:-]{8,128}")


class RequestIds:
    """Every request has an id: the caller's X-Request-Id (the gateway's `$request_id`) or a new one. It is
    in every log line written while the request is served (shared/logging.py), on its span, in the headers
    of what it publishes on the bus (shared/messaging.py), and returned in the response's X-Request-Id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope.get("headers") or [] if name.lower() == REQUEST_ID_HEADER), b"")
        text = given.decode("latin-1")
        request_id = text if REQUEST_ID_FORMAT.fullmatch(text) else uuid.uuid4().hex
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("hub.request_id", request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers") or [] if n.lower() != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, request_id.encode())]}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


async def read_body(request: Request, max_bytes: int) -> bytes:
    """Read the body, refusing it as soon as it is known to be larger than `max_bytes`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, "Bad request", "The Content-Length header is not a number.")
        if int(declared) > max_bytes:
            raise _too_large(max_bytes)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(chunks)


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, "Payload too large", f"The request body is larger than the limit of {max_bytes} bytes.")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    data: bytes


# A form has a few fields and files; a 10 MB upload of ordinary files (photos, PDFs) has far fewer lines.
# More would only cost the MIME parser seconds of the event loop and memory (shared/mime.py).
MULTIPART_LIMITS = MimeLimits(lines=250_000, parts=100, headers=1000, header_chars=2000)


def decode_multipart(request: Request, body: bytes) -> tuple[dict[str, Any], list[UploadedFile]]:
    """Fields and files of a multipart/form-data body, read with the standard library's MIME parser."""
    header = request.headers.get("content-type", "").encode("latin-1", errors="replace")
    try:
        message = parse_bounded(b"Content-Type: " + header + b"\r\n\r\n" + body, MULTIPART_LIMITS)
    except MimeLimitError as exc:
        raise Problem(413, "Payload too large", f"The form cannot be read: {exc}.") from None
    if not message.is_multipart():
        raise Problem(400, "Malformed form", "The multipart body could not be read (boundary missing or wrong).")
    fields: dict[str, Any] = {}
    files: list[UploadedFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if data:
                files.append(UploadedFile(name, filename.replace("\\", "/").rsplit("/", 1)[-1][:200], data))
            continue
        try:
            fields[name] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(400, "Bad encoding", f"The form field {name!r} is not valid UTF-8.") from exc
    refuse_nul(nul_fields(fields) + [file.field for file in files if "\x00" in file.filename])
    return fields, files


def decode_json_or_form(request: Request, body: bytes) -> dict[str, Any]:
    """Decode a JSON object or an urlencoded form; invalid UTF-8 or syntax is a 400, other types a 415."""
    kind = media_type(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "Bad encoding", f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    if kind == "application/json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Problem(
                400, "Malformed JSON", f"The body is not valid JSON: {exc.msg} at line {exc.lineno}."
            ) from exc
        if not isinstance(data, dict):
            raise Problem(400, "Malformed JSON", "The body must be a JSON object.")
        refuse_nul(nul_fields(data))
        return data
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=False, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise Problem(400, "Bad encoding", "The form fields are not valid UTF-8.") from exc
        refuse_nul(nul_fields(dict(pairs)))
        return dict(pairs)
    raise Problem(
        415,
        "Unsupported media type",
        f"Content-Type {kind or '(none)'} is not accepted; send application/json or application/x-www-form-urlencoded.",
    )


NUL_MESSAGE = "Text may not contain the NUL character (U+0000)."


def nul_fields(value: object, field: str | None = None) -> list[str]:
    """The fields of decoded JSON or form fields (named as in a 422, `a.0.b`) whose text holds a NUL
    character: the database cannot store one (FerretDB on PostgreSQL refuses it), so it is refused first.
    The body itself is `body`; a field named "" is one too (`.0` is the first item of the field "")."""
    here = "body" if field is None else field
    if isinstance(value, str):
        return [here] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        if any("\x00" in str(key) for key in value):
            found.append(here)
        items: list[tuple[object, object]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    for key, item in items:
        found += nul_fields(item, str(key) if field is None else f"{field}.{key}")
    return found


def refuse_nul(fields: list[str]) -> None:
    if fields:
        errors = [{"field": field, "message": NUL_MESSAGE} for field in fields]
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        raise Problem(422, "Invalid request", detail, errors=errors)
