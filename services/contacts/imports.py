"""Headquarters' attribute imports: CSV or JSON lines, keyed by email or customer id, read as a stream.

The upload is spooled to a temporary file as it arrives (never held whole in memory), then read
row by row. Each row only sets attributes (and binds a customer id to the contact of an email);
names, addresses and history are never touched. A row that cannot be applied is rejected with its
line and the reason, and the rest go on. Importing the same file twice changes nothing more.
"""

import asyncio
import csv
import hashlib
import io
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email

from shared.bus import utcnow

from .repository import ContactRepository
from .service import reindex
from .settings import AttributeType

KEYS = ("email", "customer_id")
MAX_REJECTIONS_LISTED = 1000
MAX_TEXT = 500
YIELD_EVERY = 200
PROGRESS_SECONDS = 2.0  # how often a running import's report is saved
TRUE = {"true", "yes", "oui", "1", "y", "o"}
FALSE = {"false", "no", "non", "0", "n"}


EXPECTED = {"integer": "a whole number", "number": "a number", "boolean": "yes or no", "date": "a YYYY-MM-DD date"}


class RowError(ValueError):
    """Why a row is rejected (shown in the report next to its line)."""


def typed(name: str, kind: AttributeType, value: Any) -> Any:
    """The value of an attribute in its declared type, or RowError naming the attribute."""
    text = value.strip() if isinstance(value, str) else value
    try:
        if kind == "integer":
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            return int(text)
        if kind == "number":
            if isinstance(text, bool):
                raise ValueError
            number = float(text.replace(",", ".") if isinstance(text, str) else text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        if kind == "boolean":
            if isinstance(text, bool):
                return text
            if str(text).lower() in TRUE:
                return True
            if str(text).lower() in FALSE:
                return False
            raise ValueError
        if kind == "date":
            return date.fromisoformat(str(text)).isoformat()
    except (TypeError, ValueError, OverflowError):
        expected = {
            "integer": "a whole number",
            "number": "a number",
            "boolean": "yes or no",
            "date": "a YYYY-MM-DD date",
        }
        raise RowError(f"{name}: {value!r} is not {expected[kind]}") from None
    if not isinstance(text, str | int | float) or len(str(text)) > MAX_TEXT:
        raise RowError(f"{name}: expected a text of at most {MAX_TEXT} characters")
    return str(text)


@dataclass
class Report:
    """What an import did, saved as it goes so its progress can be read while it runs."""

    id: str
    format: str
    filename: str | None
    requested_by: str
    started_at: datetime = field(default_factory=utcnow)
    status: Literal["running", "done", "failed"] = "running"
    rows: int = 0
    applied: int = 0
    created: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    finished_at: datetime | None = None
    error: str | None = None

    def reject(self, line: int, reason: str, key: str | None = None) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_LISTED:
            self.rejections.append({"line": line, "key": key, "reason": reason})

    def ignore(self, column: str) -> None:
        if column not in self.ignored_columns and len(self.ignored_columns) < 100:
            self.ignored_columns.append(column)

    def document(self) -> dict[str, Any]:
        fields = {k: v for k, v in self.__dict__.items() if k != "id"}
        return {"_id": self.id, **fields}


def new_report(fmt: str, filename: str | None, requested_by: str) -> Report:
    return Report(id=uuid.uuid4().hex, format=fmt, filename=filename, requested_by=requested_by)


class FileTooLargeError(ValueError):
    """The upload is larger than the import limit."""


_running: set[asyncio.Task[None]] = set()
log = logging.getLogger(__name__)


async def receive(chunks: AsyncIterator[bytes], fmt: str, max_bytes: int) -> tuple[Path, int]:
    """Spool an upload to a temporary file as it arrives; its path and size (FileTooLargeError past the limit)."""
    handle, name = tempfile.mkstemp(prefix="contacts-import-", suffix=f".{fmt}")
    os.close(handle)
    path = Path(name)
    try:
        return path, await spool(chunks, path, max_bytes)
    except BaseException:
        await discard(path)
        raise


async def start(
    repository: ContactRepository,
    attributes: dict[str, AttributeType],
    path: Path,
    fmt: str,
    filename: str | None,
    requested_by: str,
) -> Report:
    """Record the import and run it in the background; the spooled file is removed when it ends."""
    report = new_report(fmt, filename, requested_by)
    await repository.save_import(report.document())
    importer = Importer(repository, attributes, report)

    async def run() -> None:
        try:
            await importer.run(path)
        except Exception:
            log.exception("import failed", extra={"import": report.id})
        finally:
            await discard(path)

    task = asyncio.create_task(run())
    _running.add(task)  # a reference, so the task is not collected while it runs
    task.add_done_callback(_running.discard)
    return report


async def spool(chunks: AsyncIterator[bytes], path: Path, max_bytes: int) -> int:
    """Write the upload to `path` as it arrives; FileTooLargeError past `max_bytes`."""
    size = 0
    with path.open("wb") as out:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLargeError(size)
            out.write(chunk)
    return size


async def discard(path: Path) -> None:
    await asyncio.to_thread(path.unlink, missing_ok=True)


def rows_of(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) for each row of the file, or (line, reason) for a line that is no row at all."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as text:
        if fmt == "csv":
            yield from _csv_rows(text)
        else:
            for number, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON ({exc.msg})"
                    continue
                yield (number, row) if isinstance(row, dict) else (number, "not a JSON object")


def _csv_rows(text: io.TextIOBase) -> Iterator[tuple[int, dict[str, Any] | str]]:
    header_line = text.readline()
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [column.strip().lower() for column in next(csv.reader([header_line], delimiter=delimiter), [])]
    reader = csv.reader(text, delimiter=delimiter)
    consumed = 0
    for cells in reader:
        line, consumed = consumed + 2, reader.line_num  # where the row starts (the header was line 1)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield line, f"{len(cells)} cells where the header has {len(header)} columns"
            continue
        yield line, {column: cell for column, cell in zip(header, cells, strict=True) if column}


@dataclass
class Importer:
    repository: ContactRepository
    attributes: dict[str, AttributeType]
    report: Report
    seen: dict[bytes, int] = field(default_factory=dict)

    def parse(self, line: int, row: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
        """The row's email, customer id and typed attributes; RowError if it cannot be applied."""
        email = str(row.get("email") or "").strip() or None
        customer = str(row.get("customer_id") or "").strip() or None
        if email is not None:
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                raise RowError(f"email: {email!r} is not an email address ({exc})") from None
        if customer is not None and len(customer) > 100:
            raise RowError("customer_id: at most 100 characters")
        if email is None and customer is None:
            raise RowError("no key: give an email or a customer_id")
        values: dict[str, Any] = {}
        for name, value in row.items():
            if name in KEYS:
                continue
            kind = self.attributes.get(name)
            if kind is None:
                self.report.ignore(name)
            elif value is not None and value != "":
                values[name] = typed(name, kind, value)
        if not values:
            raise RowError("no attribute to set")
        # Two rows for one guest in one file: which should win is unknowable, so the second is refused.
        key = f"email:{email}" if email else f"customer:{customer}"
        digest = hashlib.blake2b(key.encode(), digest_size=12).digest()
        if (first := self.seen.get(digest)) is not None:
            raise RowError(f"duplicate key: {key.partition(':')[2]} is on line {first} already")
        self.seen[digest] = line
        return email, customer, values

    async def apply(self, email: str | None, customer: str | None, values: dict[str, Any]) -> None:
        now = utcnow()
        if email is not None:
            candidate = uuid.uuid4().hex
            contact_id = await self.repository.claim_identity(f"email:{email}", candidate, now)
            fields: dict[str, Any] = {"display_name": None, "emails": [email], "phones": [], "location_ids": []}
            contact = await self.repository.ensure_contact(contact_id, fields, now)
            if contact_id == candidate:
                self.report.created += 1
                await reindex(self.repository, contact)
            if customer is not None:
                owner = await self.repository.claim_identity(f"customer:{customer}", str(contact["_id"]), now)
                if owner != str(contact["_id"]):
                    raise RowError(f"customer_id: {customer!r} belongs to another contact")
                values = {**values, "customer_id": customer}
        else:
            holder = await self.repository.owner_of(f"customer:{customer}")
            known = await self.repository.get(holder) if holder else None
            if known is None:
                raise RowError(f"customer_id: no contact has {customer!r} (give its email to create one)")
            contact = known
        await self.repository.set_attributes(str(contact["_id"]), values, now)

    async def run(self, path: Path) -> Report:
        next_save = time.monotonic() + PROGRESS_SECONDS
        try:
            for line, row in rows_of(path, self.report.format):
                self.report.rows += 1
                if isinstance(row, str):
                    self.report.reject(line, row)
                else:
                    try:
                        email, customer, values = self.parse(line, row)
                        await self.apply(email, customer, values)
                    except RowError as exc:
                        key = row.get("email") or row.get("customer_id")
                        self.report.reject(line, str(exc), key=str(key)[:200] if key else None)
                    else:
                        self.report.applied += 1
                if self.report.rows % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # rejected rows do no I/O: let the service's other work run
                    if time.monotonic() >= next_save:
                        await self.repository.save_import(self.report.document())
                        next_save = time.monotonic() + PROGRESS_SECONDS
            self.report.status = "done"
        except Exception as exc:
            self.report.status, self.report.error = "failed", repr(exc)
            raise
        finally:
            self.report.finished_at = utcnow()
            await self.repository.save_import(self.report.document())
        return self.report
