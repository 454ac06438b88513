"""The agent console: one page and its static files (HTML, CSS and JavaScript modules, no build step),
served at `/` under a strict CSP of its own; everything it shows comes from the JSON API."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from shared.problems import Problem

from ..conversations import handovers
from ..conversations.api import InboxDep

CONSOLE = Path(__file__).parent

# Scripts and styles only from the console's own files (no inline script, no eval), every request to
# this origin, frames only for the guest HTML page (itself sandboxed under its own CSP).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def _page() -> FileResponse:
    headers = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"}
    return FileResponse(CONSOLE / "index.html", media_type="text/html; charset=utf-8", headers=headers)


@router.get("/")
async def console() -> FileResponse:
    return _page()


@router.get("/conversations/{conversation_id}")
async def console_at_conversation(
    conversation_id: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")],
) -> FileResponse:
    """Links in assignment notices open the console on the request (the page reads the path)."""
    return _page()


@router.get("/requests/{token}")
async def read_only_request(
    token: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9.]{1,100}$")], inbox: InboxDep
) -> HTMLResponse:
    """A forwarded, delegated or shared request, read-only, for whoever got the email's signed link (7 days)."""
    page = await inbox.read_only_page(token)
    if page is None:
        raise Problem(404, "Not found", "This link is invalid or has expired; ask the hotel for a new one.")
    return HTMLResponse(page, headers=handovers.PAGE_HEADERS)


def static_files() -> StaticFiles:
    """The console's scripts and styles, at /console/ (revalidated by ETag, so a deploy shows at once)."""
    return StaticFiles(directory=CONSOLE)
