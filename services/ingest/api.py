"""HTTP surface of ingest: public endpoints that guests' websites and platforms call."""

import csv
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from shared import signatures
from shared.auth import Actor, Scope, agent_or_scope
from shared.bus import Channel, is_location_id
from shared.http import (
    UploadedFile,
    decode_json_or_form,
    decode_multipart,
    media_type,
    read_body,
)
from shared.messaging import PublishFailedError
from shared.problems import Problem
from shared.runtime import Runtime, RuntimeDep

from . import chat, email_intake, service
from . import chat_socket as live_chat
from .hotels import HotelsUnavailableError, KnownHotels
from .limits import GuestLimits
from .metrics import INBOUND_REJECTED
from .schemas import Accepted, Call, FormSubmission, Review
from .settings import IngestSettings

router = APIRouter(prefix="/ingest")
ModelT = TypeVar("ModelT", bound=BaseModel)


def _documented_body(model: type[BaseModel] | None, *media_types: str) -> dict[str, Any]:
    """The OpenAPI of a body a route reads itself (to bound it and check its signature before decoding);
    without a model, a file."""
    schema = model.model_json_schema() if model else {"type": "string", "format": "binary"}
    return {"requestBody": {"required": True, "content": {kind: {"schema": schema} for kind in media_types}}}


def _reject(reason: str, problem: Problem) -> Problem:
    INBOUND_REJECTED.labels(channel=Channel.FORM.value, reason=reason).inc()
    return problem


@router.post(
    "/forms/{location_id}",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_documented_body(FormSubmission, "application/json", "application/x-www-form-urlencoded"),
)
async def submit_form(location_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """Accept a hotel website's contact form; 202 only once the message is stored on the bus."""
    if not is_location_id(location_id):
        raise _reject("unknown_location", Problem(404, "Unknown hotel", f"No hotel has the id {location_id!r}."))
    try:
        await _hotels(request).require(location_id)
    except Problem as refused:
        raise _reject("unknown_location" if refused.status == 404 else "directory_unavailable", refused) from None
    settings: IngestSettings = request.app.state.ingest_settings
    client = request.client.host if request.client else "unknown"
    limits: GuestLimits = request.app.state.guest_limits
    if wait := await limits.form(client):
        problem = Problem(429, "Too many requests", f"Too many forms from your address; try again in {wait:.0f} s.")
        raise _reject("rate_limited", problem)
    files: list[UploadedFile] = []
    try:
        if media_type(request) == "multipart/form-data":
            body = await read_body(request, settings.form_with_files_max_bytes)
            fields, files = decode_multipart(request, body)
            if len(files) > MAX_FORM_FILES:
                raise Problem(422, "Too many files", f"A form may carry {MAX_FORM_FILES} files at most.")
        else:
            body = await read_body(request, settings.form_max_bytes)
            fields = decode_json_or_form(request, body)
    except Problem as problem:
        raise _reject(f"http_{problem.status}", problem) from None
    form = _validated(FormSubmission, fields, Channel.FORM.value)
    if form.website:
        # Honeypot filled in: answer like a success so the bot learns nothing, publish nothing.
        INBOUND_REJECTED.labels(channel=Channel.FORM.value, reason="honeypot").inc()
        return JSONResponse(Accepted(key="").model_dump(), status_code=202)
    try:
        key = await service.accept_form(runtime, location_id, form, files)
    except PublishFailedError:
        raise _reject(
            "bus_unavailable",
            Problem(503, "Temporarily unavailable", "The message could not be stored; please send it again."),
        ) from None
    back = service.redirect_target(form.redirect_to, request.headers.get("referer"))
    if back is not None and media_type(request) != "application/json":
        return RedirectResponse(back, status_code=303)
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


async def _authorize(request: Request, body: bytes, settings: IngestSettings, channel: str, scope: Scope) -> Actor:
    """A platform proves itself by the webhook's HMAC signature or by an API token granted `scope`."""
    if request.headers.get("authorization"):
        actor = await agent_or_scope(scope)(request)
        if actor.kind != "api":
            raise Problem(
                403, "Forbidden", "Integrations call this endpoint with an API token, not an agent's session."
            )
        return actor
    _verify_signature(request, body, settings, channel)
    return WEBHOOK


# What a request proved by the shared webhook secret may do: write for every hotel.
WEBHOOK = Actor(
    agent_id="webhook", name="Webhook", initials="WH", email="webhook@hub", role="admin", location_ids=[], kind="api"
)


def _hotels(request: Request) -> KnownHotels:
    hotels: KnownHotels = request.app.state.hotels
    return hotels


def _may_write(actor: Actor, location_id: str) -> None:
    if not actor.can_see(location_id):
        raise Problem(403, "Forbidden", f"This API token may not write for the hotel {location_id!r}.")


def _verify_signature(request: Request, body: bytes, settings: IngestSettings, channel: str) -> None:
    try:
        signatures.verify(
            settings.webhook_secret.get_secret_value(),
            request.headers.get("x-hub-timestamp"),
            request.headers.get("x-hub-signature"),
            body,
        )
    except signatures.SignatureError as exc:
        INBOUND_REJECTED.labels(channel=channel, reason="signature").inc()
        raise Problem(401, "Unauthorized", str(exc)) from None


def _validated(model: type[ModelT], data: object, channel: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        INBOUND_REJECTED.labels(channel=channel, reason="invalid").inc()
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Problem(422, "Invalid request", detail, errors=errors) from None


async def _signed_payload(request: Request, model: type[ModelT], channel: str, scope: Scope) -> tuple[ModelT, Actor]:
    """The validated JSON of a webhook: bounded, signature or token checked, fields named on error."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.form_max_bytes)
    actor = await _authorize(request, body, settings, channel, scope)
    return _validated(model, decode_json_or_form(request, body), channel), actor


@router.post(
    "/email/raw",
    status_code=202,
    openapi_extra={
        **_documented_body(None, "message/rfc822"),
        "parameters": [
            {
                "name": "to",
                "in": "query",
                "description": "The envelope's recipients, when the message's own headers do not name the hotel",
                "schema": {"type": "array", "items": {"type": "string", "maxLength": 320}, "maxItems": 20},
            }
        ],
    },
)
async def submit_raw_email(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A raw RFC 822 message from a mail provider's inbound webhook (signed, or an `email:write` API token);
    202 once it is stored. The recipients route it; a token limited to some hotels gets 403 for any other."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.email_max_bytes)
    actor = await _authorize(request, body, settings, "email", "email:write")
    recipients = [r for r in request.query_params.getlist("to") if len(r) <= 320][:20]
    try:
        outcome = await email_intake.accept_email(
            runtime, settings, body, recipients, may_write=actor.can_see, hotel_exists=_hotels(request).exists
        )
    except email_intake.NotYoursError as exc:
        raise Problem(403, "Forbidden", str(exc)) from None
    except email_intake.UnreadableEmailError as exc:
        INBOUND_REJECTED.labels(channel="email", reason="unreadable").inc()
        raise Problem(422, "Unreadable email", str(exc)) from None
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The email could not be stored; send it again.") from None
    except HotelsUnavailableError:
        raise Problem(503, "Temporarily unavailable", "The hotel could not be checked; send it again.") from None
    return JSONResponse({"status": "accepted", "key": outcome.key, "automatic": outcome.automatic}, status_code=202)


@router.post(
    "/reviews", status_code=202, response_model=Accepted, openapi_extra=_documented_body(Review, "application/json")
)
async def submit_review(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A review platform's webhook (signed, or a `reviews:write` API token; JSON); a rating at or under the
    alert rule raises an alert."""
    review, actor = await _signed_payload(request, Review, "review", "reviews:write")
    _may_write(actor, review.location)
    await _hotels(request).require(review.location)
    try:
        key = await service.accept_review(runtime, review)
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The review could not be stored; send it again.") from None
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


@router.post("/reviews/import", openapi_extra=_documented_body(None, "text/csv", "application/x-ndjson"))
async def import_reviews(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """A review history (signed, or a `reviews:write` API token): JSON lines or CSV with a header; answers
    rows applied and refused."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.review_import_max_bytes)
    actor = await _authorize(request, body, settings, "review", "reviews:write")
    kind = media_type(request)
    if kind not in {"text/csv", "application/x-ndjson", "application/jsonl", "application/json-lines"}:
        raise Problem(415, "Unsupported media type", "Send text/csv or application/x-ndjson (JSON lines).")
    try:
        rows = service.review_rows(body, kind)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Problem(400, "Unreadable file", f"The file could not be read: {exc}.") from None
    try:
        report = await service.import_reviews(runtime, rows, actor.can_see, _hotels(request).exists)
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "Not every review was stored; send the file again.") from None
    except HotelsUnavailableError:
        raise Problem(503, "Temporarily unavailable", "A hotel could not be checked; send the file again.") from None
    return {"applied": report.applied, "rejected": report.rejected[:1000], "rejected_count": len(report.rejected)}


@router.post(
    "/calls", status_code=202, response_model=Accepted, openapi_extra=_documented_body(Call, "application/json")
)
async def submit_call(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A telephony platform's webhook (signed, or a `calls:write` API token; JSON): the call lands on the
    caller's conversation."""
    call, actor = await _signed_payload(request, Call, "phone", "calls:write")
    _may_write(actor, call.location)
    await _hotels(request).require(call.location)
    try:
        key = await service.accept_call(runtime, call)
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The call could not be stored; send it again.") from None
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


STATIC = Path(__file__).parent / "static"
MAX_FORM_FILES = 5


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    """The embeddable chat widget: `<script src="…/ingest/widget.js" data-hotel="paris-opera"></script>`."""
    return FileResponse(STATIC / "widget.js", media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


@router.get("/demo/{location_id}", include_in_schema=False)
async def demo_page(location_id: str) -> HTMLResponse:
    """A hotel page with the widget, for trying the chat locally."""
    if not is_location_id(location_id):
        raise Problem(404, "Unknown hotel", f"No hotel has the id {location_id!r}.")
    page = (STATIC / "demo.html").read_text().replace("{{hotel}}", location_id)
    return HTMLResponse(page)


@router.post("/chat/{location_id}/files", status_code=202)
async def chat_file(location_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """A file the guest sends in the chat (multipart: `session`, `file`); it reaches the agent as a message."""
    settings: IngestSettings = request.app.state.ingest_settings
    if media_type(request) != "multipart/form-data":
        raise Problem(415, "Unsupported media type", "Send the file as multipart/form-data with a session field.")
    body = await read_body(request, settings.form_with_files_max_bytes)
    fields, files = decode_multipart(request, body)
    session = await chat.session_of(runtime, location_id, fields.get("session"))
    if session is None:
        raise Problem(404, "Unknown chat", "This chat session does not exist for this hotel; reload the page.")
    if len(files) != 1:
        raise Problem(422, "Invalid request", "file: send exactly one file.")
    limits: GuestLimits = request.app.state.guest_limits
    client = request.client.host if request.client else "unknown"
    if wait := await limits.chat_message(client, session.session_id):
        raise Problem(429, "Too many requests", f"Slow down: try again in {wait:.0f} s.")
    try:
        key = await chat.guest_sends_file(runtime, session, files[0])
    except chat.ChatEndedError:
        detail = "This chat has ended: write a message to start a new one, then send the file."
        raise Problem(409, "Chat ended", detail) from None
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The file could not be sent; send it again.") from None
    return {"status": "accepted", "key": key, "filename": files[0].filename}


@router.get("/chat/{location_id}/files/{attachment_id}")
async def chat_file_download(location_id: str, attachment_id: str, session: str, runtime: RuntimeDep) -> Response:
    """A file of the guest's own chat, for their widget; served as a download, never rendered."""
    found = await chat.guest_file(runtime, location_id, session, attachment_id)
    if found is None:
        raise Problem(404, "Not found", "No file of this chat has this id.")
    attachment, data = found
    safe_name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in attachment.filename) or "file"
    headers = {
        "Content-Disposition": f'attachment; filename="{safe_name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.websocket("/chat/{location_id}")
async def chat_socket(websocket: WebSocket, location_id: str) -> None:
    """The widget's live channel (the protocol: `chat_socket`)."""
    runtime: Runtime = websocket.app.state.runtime
    limits: GuestLimits = websocket.app.state.guest_limits
    hotels: KnownHotels = websocket.app.state.hotels
    try:
        known = await hotels.exists(location_id) if is_location_id(location_id) else False
    except HotelsUnavailableError:
        await websocket.close(code=1013, reason="try again later")
        return
    if not known:
        await websocket.close(code=4404, reason="unknown hotel")
        return
    await live_chat.serve(websocket, runtime, location_id, limits)
