"""HTTP surface of attachments: agents upload files for their replies and notes, and download any
file of their hotels. Served with headers that keep a hostile file from running in the console."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, UploadFile
from fastapi.responses import Response

from shared.attachments import AttachmentStore
from shared.auth import ActorDep
from shared.bus import LOCATION_ID_PATTERN
from shared.problems import Problem
from shared.runtime import RuntimeDep

from ..settings import InboxSettings

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])
AttachmentIdPath = Annotated[str, Path(pattern=r"^att_[A-Za-z0-9_-]{20,64}$")]


@router.post("", status_code=201)
async def upload(
    request: Request,
    runtime: RuntimeDep,
    actor: ActorDep,
    file: UploadFile,
    location: Annotated[str, Form(pattern=LOCATION_ID_PATTERN)],
) -> dict[str, Any]:
    """Store a file for a hotel; its id goes in a reply's or a note's `attachment_ids`."""
    if not actor.can_see(location):
        raise Problem(404, "Unknown hotel", f"No hotel you work for has the id {location!r}.")
    settings: InboxSettings = request.app.state.inbox_settings
    data = await file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise Problem(413, "File too large", f"A file may be {settings.attachment_max_bytes} bytes at most.")
    if not data:
        raise Problem(422, "Invalid request", "file: the file is empty.")
    filename = (file.filename or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    attachment = await AttachmentStore(runtime.db).put(data, filename, location, actor.agent_id)
    return attachment.public()


@router.get("/{attachment_id}")
async def download(attachment_id: AttachmentIdPath, runtime: RuntimeDep, actor: ActorDep) -> Response:
    found = await AttachmentStore(runtime.db).read(attachment_id)
    if found is None or not actor.can_see(found[0].location_id):
        raise Problem(404, "Not found", "No file has this id.")
    attachment, data = found
    disposition = "inline" if attachment.inline else "attachment"
    safe_name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in attachment.filename) or "file"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{safe_name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    media_type = attachment.content_type if attachment.inline else "application/octet-stream"
    return Response(data, media_type=media_type, headers=headers)
