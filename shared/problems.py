"""Errors as RFC 9457 problem details: every failure answers JSON a person can act on, never a bare 500."""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from shared.problem_texts import DEFAULT_LANGUAGE, Language, field_message, preferred_language, translate

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised by services for an expected failure; rendered as a problem document."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}  # e.g. Retry-After on a 429 or a 503
        self.extra = extra


def language_of(connection: HTTPConnection) -> Language:
    """The language a problem is answered in: the request's Accept-Language, French or English."""
    return preferred_language(connection.headers.get("accept-language"))


def problem_response(
    status: int, title: str, detail: str, *, language: Language = DEFAULT_LANGUAGE, **extra: Any
) -> JSONResponse:
    """The problem document, its title and detail in `language` (the English text is the catalogue's key:
    `shared/problem_texts.py`). A 422's `errors` are translated one by one and the detail made of them."""
    errors = extra.get("errors")
    if language != DEFAULT_LANGUAGE and isinstance(errors, list) and errors:
        errors = [
            {**error, "message": field_message(str(error["field"]), str(error["message"]), language)}
            for error in errors
        ]
        extra = {**extra, "errors": errors}
        detail = "; ".join(f"{error['field']} : {error['message']}" for error in errors)
    else:
        detail = translate(detail, language)
    body = {"type": "about:blank", "title": translate(title, language), "status": status, "detail": detail, **extra}
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return response


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        errors.append({"field": location or "body", "message": str(error.get("msg", "invalid value"))})
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    document_problems(app)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        response = problem_response(exc.status, exc.title, exc.detail, language=language_of(request), **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "The request is not valid."
        return problem_response(422, "Invalid request", detail, language=language_of(request), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(exc.status_code, str(exc.detail), str(exc.detail), language=language_of(request))
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", extra={"path": request.url.path}, exc_info=exc)
        detail = "Something went wrong on our side; it has been logged."
        return problem_response(500, "Internal error", detail, language=language_of(request))


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each invalid field of a 422.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI say what the handlers answer: every refusal of every operation is a problem
    document (not FastAPI's `HTTPValidationError`), and 503 when the bus or the database is unreachable."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    responses["422"] = _problem_response("Invalid request: `errors` names each field")
                    responses["4XX"] = _problem_response("Refused: the problem says why")
                    responses["503"] = _problem_response("Temporarily unavailable: send the request again")
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            schemas["Problem"] = PROBLEM_SCHEMA
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the OpenAPI
