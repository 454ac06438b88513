"""The survey's public pages, at `/survey/<token>` (no account: the signed token is the proof; outside the
API's schema, like the read-only request page). A GET shows the choice, only a POST records it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from shared.http import decode_json_or_form, read_body
from shared.runtime import RuntimeDep

from . import pages
from .service import Surveys, surveys_for

MAX_BODY_BYTES = 1024  # a rating and little else

router = APIRouter(include_in_schema=False)


def surveys_of(request: Request, runtime: RuntimeDep) -> Surveys:
    return surveys_for(runtime, request.app.state.inbox_settings)


SurveysDep = Annotated[Surveys, Depends(surveys_of)]
Token = Annotated[str, PathParam(max_length=100)]


def _html(page: pages.Page, *, cross_origin: bool = False) -> HTMLResponse:
    headers = dict(pages.PAGE_HEADERS)
    if cross_origin:  # the chat widget posts from the hotel's website and reads only the status
        headers["Access-Control-Allow-Origin"] = "*"
    return HTMLResponse(page.html, status_code=page.status, headers=headers)


@router.get("/survey/{token}")
async def survey_page(
    token: Token,
    request: Request,
    surveys: SurveysDep,
    rating: Annotated[str | None, Query(max_length=2)] = None,
) -> HTMLResponse:
    """The rating a link names, to confirm (mail scanners open links: a GET records nothing)."""
    return _html(await surveys.page(token, rating, request.headers.get("accept-language")))


@router.post("/survey/{token}")
async def rate(token: Token, request: Request, surveys: SurveysDep) -> HTMLResponse:
    """Record the rating (form field `rating`, 1 to 5) once: thanks, then 409 already rated; 404 unknown link."""
    fields = decode_json_or_form(request, await read_body(request, MAX_BODY_BYTES))
    page = await surveys.rate(token, fields.get("rating"), request.headers.get("accept-language"))
    return _html(page, cross_origin=True)
