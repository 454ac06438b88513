"""Rules of attachments: a file is stored for one hotel, by an agent of that hotel, within the size
limit; it is read back only by someone who sees its hotel, with headers that keep a hostile file from
running in the console."""

from dataclasses import dataclass

from shared.attachments import AttachmentStore
from shared.auth import Actor
from shared.problems import Problem

from .schemas import AttachmentOut


@dataclass(frozen=True)
class Download:
    data: bytes
    media_type: str
    headers: dict[str, str]


def safe_filename(name: str | None) -> str:
    """The file's own name, without the path some browsers send, at most 200 characters."""
    return (name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"


async def upload(
    store: AttachmentStore, actor: Actor, location_id: str, filename: str | None, data: bytes, max_bytes: int
) -> AttachmentOut:
    """Store a file for a hotel; `data` is read up to one byte past the limit, so a larger file is refused."""
    if not actor.can_see(location_id):
        raise Problem(404, "Unknown hotel", f"No hotel you work for has the id {location_id!r}.")
    if len(data) > max_bytes:
        raise Problem(413, "File too large", f"A file may be {max_bytes} bytes at most.")
    if not data:
        raise Problem(422, "Invalid request", "file: the file is empty.")
    attachment = await store.put(data, safe_filename(filename), location_id, actor.agent_id)
    return AttachmentOut.model_validate(attachment.public())


async def download(store: AttachmentStore, attachment_id: str, actor: Actor) -> Download:
    """A file of a hotel the actor sees: images the browser may show inline, anything else as a download."""
    found = await store.read(attachment_id)
    if found is None or not actor.can_see(found[0].location_id):
        raise Problem(404, "Not found", "No file has this id.")
    attachment, data = found
    disposition = "inline" if attachment.inline else "attachment"
    name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in attachment.filename) or "file"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    media_type = attachment.content_type if attachment.inline else "application/octet-stream"
    return Download(data=data, media_type=media_type, headers=headers)
