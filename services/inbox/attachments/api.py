"""HTTP surface of attachments: agents upload files for their replies and notes, and download any
file of their hotels (`service` holds the rules and the safe headers)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.responses import Response

from shared.attachments import AttachmentStore
from shared.auth import ActorDep
from shared.bus import LOCATION_ID_PATTERN
from shared.runtime import RuntimeDep

from ..settings import InboxSettings
from . import service
from .schemas import AttachmentOut

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])
AttachmentIdPath = Annotated[str, Path(pattern=r"^att_[A-Za-z0-9_-]{20,64}$")]


def store_of(runtime: RuntimeDep) -> AttachmentStore:
    return AttachmentStore(runtime.db)


StoreDep = Annotated[AttachmentStore, Depends(store_of)]


@router.post("", status_code=201)
async def upload(
    request: Request,
    store: StoreDep,
    actor: ActorDep,
    file: UploadFile,
    location: Annotated[str, Form(pattern=LOCATION_ID_PATTERN)],
) -> AttachmentOut:
    """Store a file for a hotel; its id goes in a reply's or a note's `attachment_ids`."""
    settings: InboxSettings = request.app.state.inbox_settings
    data = await file.read(settings.attachment_max_bytes + 1)
    return await service.upload(store, actor, location, file.filename, data, settings.attachment_max_bytes)


@router.get("/{attachment_id}")
async def download(attachment_id: AttachmentIdPath, store: StoreDep, actor: ActorDep) -> Response:
    found = await service.download(store, attachment_id, actor)
    return Response(found.data, media_type=found.media_type, headers=found.headers)
