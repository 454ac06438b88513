"""HTTP surface of ingest: public endpoints that guests' websites and platforms call."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from shared import signatures
from shared.bus import Channel, is_location_id
from shared.http import decode_json_or_form, read_body
from shared.messaging import PublishFailedError
from shared.problems import Problem
from shared.runtime import RuntimeDep

from . import email_intake, service
from .metrics import INBOUND_REJECTED
from .schemas import Accepted, FormSubmission
from .settings import IngestSettings

router = APIRouter(prefix="/ingest")


def _reject(reason: str, problem: Problem) -> Problem:
    INBOUND_REJECTED.labels(channel=Channel.FORM.value, reason=reason).inc()
    return problem


@router.post("/forms/{location_id}", status_code=202, response_model=Accepted)
async def submit_form(location_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Accept a hotel website's contact form; 202 only once the message is stored on the bus."""
    if not is_location_id(location_id):
        raise _reject("unknown_location", Problem(404, "Unknown hotel", f"No hotel has the id {location_id!r}."))
    settings: IngestSettings = request.app.state.ingest_settings
    try:
        body = await read_body(request, settings.form_max_bytes)
        fields = decode_json_or_form(request, body)
        form = FormSubmission.model_validate(fields)
    except Problem as problem:
        raise _reject(f"http_{problem.status}", problem) from None
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise _reject("invalid", Problem(422, "Invalid form", detail, errors=errors)) from None
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
    return JSONResponse(Accepted(key=key).model_dump(), status_code=202)


@router.post("/email/raw", status_code=202)
async def submit_raw_email(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """A raw RFC 822 message from a mail provider's inbound webhook (signed); 202 once it is stored."""
    settings: IngestSettings = request.app.state.ingest_settings
    body = await read_body(request, settings.email_max_bytes)
    try:
        signatures.verify(
            settings.webhook_secret.get_secret_value(),
            request.headers.get("x-hub-timestamp"),
            request.headers.get("x-hub-signature"),
            body,
        )
    except signatures.SignatureError as exc:
        INBOUND_REJECTED.labels(channel="email", reason="signature").inc()
        raise Problem(401, "Unauthorized", str(exc)) from None
    recipients = [r for r in request.query_params.getlist("to") if len(r) <= 320][:20]
    try:
        outcome = await email_intake.accept_email(runtime, settings, body, recipients)
    except email_intake.UnreadableEmailError as exc:
        INBOUND_REJECTED.labels(channel="email", reason="unreadable").inc()
        raise Problem(422, "Unreadable email", str(exc)) from None
    except PublishFailedError:
        raise Problem(503, "Temporarily unavailable", "The email could not be stored; send it again.") from None
    return JSONResponse({"status": "accepted", "key": outcome.key, "automatic": outcome.automatic}, status_code=202)
