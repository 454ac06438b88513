"""HTTP surface of ingest: public endpoints that guests' websites and platforms call."""

from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from shared import signatures
from shared.bus import Channel, is_location_id
from shared.http import decode_json_or_form, media_type, read_body
from shared.messaging import PublishFailedError
from shared.problems import Problem
from shared.runtime import RuntimeDep

from . import email_intake, service
from .metrics import INBOUND_REJECTED
from .schemas import Accepted, Call, FormSubmission, Review
from .settings import IngestSettings

router = APIRouter(prefix="/ingest")
ModelT = TypeVar("ModelT", bound=BaseModel)


def _reject(reason: str, problem: Problem) -> Problem:
    INBOUND_REJECTED.labels(channel=Channel.FORM.value, reason=reason).inc()
    return problem


@router.post("/forms/{location_id}", status_code=202, response_model=Accepted)
async def submit_form(location_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """Accept a hotel website's contact form; 202 only once the message is stored on the bus."""
    if not is_location_id(location_id):
        raise _reject("unknown_location", Problem(404, "Unknown hotel", f"No hotel has the id {location_id!r}."))
    settings: IngestSettings = request.app.state.ingest_settings
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.form_limiter.allow(client)
    if wait:
        problem = Problem(429, "Too many requests", f"Too many forms from your address; try again in {wait:.0f} s.")
        raise _reject("rate_limited", problem)
    try:
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
        key = await service.accept_form(runtime, location_id, form)
    except PublishFailedError:
        raise _reject(
            "bus_unavailable",
            Problem(503, "Temporarily unavailable", "The message could not be stored; please send it again."),
        ) from None
    back = service.redirect_target(form.redirect_to, request.headers.get("referer"))
    if back is not None and media_type(request) != "application/json":
        return RedirectResponse(back, status_code=303)
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


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


@router.post("/email/raw", status_code=202)
async def submit_raw_email(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A raw RFC 822 message from a mail provider's inbound webhook (signed); 202 once it is stored."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.email_max_bytes)
    _verify_signature(request, body, settings, "email")
    recipients = [r for r in request.query_params.getlist("to") if len(r) <= 320][:20]
    try:
        outcome = await email_intake.accept_email(runtime, settings, body, recipients)
    except email_intake.UnreadableEmailError as exc:
        INBOUND_REJECTED.labels(channel="email", reason="unreadable").inc()
        raise Problem(422, "Unreadable email", str(exc)) from None
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The email could not be stored; send it again.") from None
    return JSONResponse({"status": "accepted", "key": outcome.key, "automatic": outcome.automatic}, status_code=202)


@router.post("/reviews", status_code=202, response_model=Accepted)
async def submit_review(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A review platform's webhook (signed, JSON); a rating at or under the alert rule raises an alert."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.form_max_bytes)
    _verify_signature(request, body, settings, "review")
    review = _validated(Review, decode_json_or_form(request, body), "review")
    try:
        key = await service.accept_review(runtime, review)
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The review could not be stored; send it again.") from None
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


@router.post("/calls", status_code=202, response_model=Accepted)
async def submit_call(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A telephony platform's webhook (signed, JSON): the call lands on the caller's conversation."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.form_max_bytes)
    _verify_signature(request, body, settings, "phone")
    call = _validated(Call, decode_json_or_form(request, body), "phone")
    try:
        key = await service.accept_call(runtime, call)
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The call could not be stored; send it again.") from None
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)
