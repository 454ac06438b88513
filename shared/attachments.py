"""Attachments: files in one GridFS bucket (`attachments`), read and written only through this module.

Ids are unguessable, every file belongs to one hotel (checked by whoever serves it), and its type is
sniffed from its bytes: what a sender declares decides nothing about how a browser will treat it.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from shared.db import Document

BUCKET = "attachments"
# Shown in the browser; everything else is served as a download (SVG and HTML above all).
SAFE_INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
]


def sniff(data: bytes) -> str:
    """The type the bytes say they are; markup (SVG, HTML, XML) is named as such so it is never inline."""
    for signature, offset, content_type in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return content_type
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        return "image/svg+xml"
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "text/html"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    content_type: str
    size: int
    location_id: str
    sha256: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "content_type": self.content_type, "size": self.size}

    @property
    def inline(self) -> bool:
        return self.content_type in SAFE_INLINE


def _attachment(file_id: str, filename: str, metadata: dict[str, Any], length: int) -> Attachment:
    return Attachment(
        id=file_id,
        filename=filename,
        content_type=str(metadata.get("content_type", "application/octet-stream")),
        size=length,
        location_id=str(metadata.get("location_id", "")),
        sha256=str(metadata.get("sha256", "")),
    )


class AttachmentStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)

    async def put(
        self,
        data: bytes,
        filename: str,
        location_id: str,
        uploaded_by: str,
        *,
        file_id: str | None = None,
        known_type: Literal["message/rfc822"] | None = None,
    ) -> Attachment:
        """Store a file. With a `file_id` derived from the message it came in, storing it again is a no-op.

        `known_type` is what the hub itself made of the bytes (an email attached to an email, kept whole),
        never a sender's declaration; it is no type a browser shows inline."""
        if file_id is not None and (existing := await self.describe(file_id)) is not None:
            return existing
        file_id = file_id or "att_" + secrets.token_urlsafe(24)
        metadata = {
            "content_type": known_type or sniff(data),
            "location_id": location_id,
            "sha256": hashlib.sha256(data).hexdigest(),
            "uploaded_by": uploaded_by,
            "uploaded_at": datetime.now(UTC),
        }
        await self.bucket.upload_from_stream_with_id(file_id, filename, data, metadata=metadata)
        return _attachment(file_id, filename, metadata, len(data))

    async def describe(self, file_id: str) -> Attachment | None:
        async for found in self.bucket.find({"_id": file_id}).limit(1):
            return _attachment(file_id, found.filename or "", dict(found.metadata or {}), found.length)
        return None

    async def read(self, file_id: str) -> tuple[Attachment, bytes] | None:
        try:
            stream = await self.bucket.open_download_stream(file_id)
        except NoFile:
            return None
        data = await stream.read()
        return _attachment(file_id, stream.filename or "", dict(stream.metadata or {}), stream.length), data

    async def delete(self, file_id: str) -> bool:
        """Remove a file and its chunks (an erasure); False when it was gone already."""
        try:
            await self.bucket.delete(file_id)
        except NoFile:
            return False
        return True
