"""Backup and restore of the hub's database through the driver, for FerretDB (which has no mongodump).

    python -m scripts.backup dump DIR [--database NAME]
    python -m scripts.backup restore DIR [--drop] [--database NAME]

A dump is a folder: one `<collection>.jsonl` per collection, a document a line in canonical extended
JSON (bson.json_util), so dates, binary GridFS chunks, ObjectIds and 64-bit integers come back as they
were; and `manifest.json`, written last, with each collection's count, SHA-256, options and indexes.
Documents are streamed both ways, never a whole collection in memory.

A dump reads each collection in turn, not one point in time: stop the services (or accept that a
message arriving meanwhile is in some collections and not others) for an exact copy.

Restore checks every file against the manifest before it writes anything, refuses a database that
holds any document unless `--drop` (which drops every collection of the target first), inserts in
batches, creates the indexes, and checks the counts. The database is `HUB_MONGO_URL` /
`HUB_MONGO_DATABASE` unless `--database` names another.

Exit codes: 0 done, 1 refused or failed (the message says why), 2 wrong usage.
"""

import argparse
import asyncio
import hashlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bson import json_util
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.json_util import JSONMode, JSONOptions
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from shared.settings import HubSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMAT = "hotel-hub-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH_DOCUMENTS = 1000
BATCH_BYTES = 8 * 1024 * 1024  # GridFS chunks are 255 kB each: a batch is bounded by size too
Document = dict[str, Any]
# Index fields that describe the index rather than configure it.
INDEX_DESCRIPTION = {"key", "v", "ns"}

# Decode and encode alike, so that what is read is written back unchanged: dates beyond Python's
# range stay BSON dates, UUIDs stay binary subtype 4.
CODEC: CodecOptions[Document] = CodecOptions(
    tz_aware=True,
    tzinfo=UTC,
    uuid_representation=UuidRepresentation.STANDARD,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)
DATA_JSON = JSONOptions(
    json_mode=JSONMode.CANONICAL,
    tz_aware=True,
    tzinfo=UTC,
    uuid_representation=UuidRepresentation.STANDARD,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)
MANIFEST_JSON = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)


class BackupError(Exception):
    """A refusal or a failure the operator must read; the message says what to do."""


@dataclass(frozen=True)
class CollectionDump:
    name: str
    file: str
    count: int
    sha256: str
    options: Document
    indexes: list[Document]

    def manifest(self) -> Document:
        return {
            "name": self.name,
            "file": self.file,
            "count": self.count,
            "sha256": self.sha256,
            "options": self.options,
            "indexes": self.indexes,
        }


def client_for(settings: HubSettings) -> AsyncMongoClient[Document]:
    timeout = settings.mongo_timeout_ms
    return AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=timeout,
        connectTimeoutMS=timeout,
        tz_aware=True,
        uuidRepresentation="standard",
    )


def file_name(collection: str) -> str:
    """A file name for any collection name (they may hold dots, and in theory slashes)."""
    return quote(collection, safe="") + ".jsonl"


async def collections_of(db: AsyncDatabase[Document]) -> list[Mapping[str, Any]]:
    """The database's collections (not views, not `system.*`), by name."""
    found = [
        info
        async for info in await db.list_collections()
        if info.get("type", "collection") == "collection" and not str(info["name"]).startswith("system.")
    ]
    return sorted(found, key=lambda info: str(info["name"]))


def _index_list(information: Mapping[str, Any]) -> list[Document]:
    return [
        {"name": name, **{k: v for k, v in spec.items() if k != "ns"}, "key": [list(pair) for pair in spec["key"]]}
        for name, spec in sorted(information.items())
    ]


# --- dump -----------------------------------------------------------------------------------------


async def dump(db: AsyncDatabase[Document], folder: Path) -> list[CollectionDump]:
    """Write every collection of `db` into `folder` (created; it must be empty) and the manifest last."""
    new_folder(folder)
    dumps = []
    for info in await collections_of(db):
        name = str(info["name"])
        collection = db.get_collection(name, codec_options=CODEC)
        path = folder / file_name(name)
        digest, count = hashlib.sha256(), 0
        with path.open("wb") as out:
            async for document in collection.find({}, batch_size=BATCH_DOCUMENTS):
                line = json_util.dumps(document, json_options=DATA_JSON).encode() + b"\n"
                digest.update(line)
                out.write(line)
                count += 1
        indexes = _index_list(await collection.index_information())
        dumps.append(
            CollectionDump(name, path.name, count, digest.hexdigest(), dict(info.get("options") or {}), indexes)
        )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "database": db.name,
        "created_at": datetime.now(UTC),
        "collections": [d.manifest() for d in dumps],
    }
    write_manifest(folder, manifest)
    return dumps


def new_folder(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; dump into a new folder so two backups never mix")
    folder.mkdir(parents=True, exist_ok=True)


def write_manifest(folder: Path, manifest: Document) -> None:
    partial = folder / f"{MANIFEST}.partial"
    partial.write_text(json_util.dumps(manifest, json_options=MANIFEST_JSON, indent=2) + "\n")
    partial.rename(folder / MANIFEST)  # a folder without a manifest is an unfinished dump


# --- restore --------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> list[CollectionDump]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup, or its dump did not finish")
    try:
        manifest = json_util.loads(path.read_text(), json_options=MANIFEST_JSON)
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path} is not a {FORMAT} version {VERSION} manifest")
    return [
        CollectionDump(c["name"], c["file"], int(c["count"]), c["sha256"], c["options"], c["indexes"])
        for c in manifest["collections"]
    ]


def verify(folder: Path, dumps: Sequence[CollectionDump]) -> None:
    """Every file is there, whole and unchanged, before anything is written to the target."""
    for entry in dumps:
        path = folder / entry.file
        if not path.is_file():
            raise BackupError(f"{path} is missing (collection {entry.name})")
        digest, count = hashlib.sha256(), 0
        with path.open("rb") as lines:
            for line in lines:
                digest.update(line)
                count += 1
        if digest.hexdigest() != entry.sha256 or count != entry.count:
            raise BackupError(
                f"{path} does not match the manifest ({count} lines for {entry.count} documents, "
                "or a different checksum): the backup is damaged; nothing was restored"
            )


async def non_empty_collections(db: AsyncDatabase[Document]) -> list[str]:
    names = [str(info["name"]) for info in await collections_of(db)]
    return [name for name in names if await db[name].find_one({}, {"_id": 1}) is not None]


def batches(path: Path) -> Iterator[list[Document]]:
    batch: list[Document] = []
    size = 0
    with path.open("rb") as lines:
        for line in lines:
            batch.append(json_util.loads(line, json_options=DATA_JSON))
            size += len(line)
            if len(batch) >= BATCH_DOCUMENTS or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


async def restore(db: AsyncDatabase[Document], folder: Path, *, drop: bool = False) -> list[CollectionDump]:
    dumps = read_manifest(folder)
    verify(folder, dumps)
    occupied = await non_empty_collections(db)
    if occupied and not drop:
        shown = ", ".join(occupied[:5]) + (f" and {len(occupied) - 5} more" if len(occupied) > 5 else "")
        raise BackupError(
            f"database {db.name!r} is not empty ({shown} hold documents); restore into an empty database "
            "(--database NAME), or pass --drop to drop every collection of this one first"
        )
    if drop:
        for info in await collections_of(db):
            await db.drop_collection(str(info["name"]))
    existing = {str(info["name"]) for info in await collections_of(db)}
    for entry in dumps:
        await restore_collection(db, folder, entry, create=entry.name not in existing)
    return dumps


async def restore_collection(db: AsyncDatabase[Document], folder: Path, entry: CollectionDump, *, create: bool) -> None:
    if create:
        await db.create_collection(entry.name, **entry.options)
    collection = db.get_collection(entry.name, codec_options=CODEC)
    for batch in batches(folder / entry.file):
        await collection.insert_many(batch, ordered=True)
    # Indexes after the data, as mongorestore does: one build instead of an update per insert.
    for index in entry.indexes:
        if index["name"] == "_id_":
            continue
        options = {k: v for k, v in index.items() if k not in INDEX_DESCRIPTION}
        await collection.create_index([(str(field), direction) for field, direction in index["key"]], **options)
    restored = await collection.count_documents({})
    if restored != entry.count:
        raise BackupError(f"{entry.name}: {restored} documents after the restore, {entry.count} in the backup")


# --- command line ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m scripts.backup", description="Dump or restore the hub's database.")
    commands = top.add_subparsers(dest="command", required=True)
    dump_command = commands.add_parser("dump", help="write every collection and a manifest into a new folder")
    dump_command.add_argument("dir", type=Path)
    restore_command = commands.add_parser("restore", help="load a dump into an empty database")
    restore_command.add_argument("dir", type=Path)
    restore_command.add_argument("--drop", action="store_true", help="drop every collection of the target first")
    for command in (dump_command, restore_command):
        command.add_argument("--database", help="the database (default: HUB_MONGO_DATABASE)")
    return top


async def run(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = HubSettings()
    except ValidationError as exc:
        print(f"backup: error: the HUB_* settings are invalid:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    client = client_for(settings)
    db = client.get_database(args.database or settings.mongo_database)
    try:
        if args.command == "dump":
            dumps = await dump(db, args.dir)
            verb = f"dumped database {db.name!r} into {args.dir}"
        else:
            dumps = await restore(db, args.dir, drop=args.drop)
            verb = f"restored {args.dir} into database {db.name!r}"
        for entry in dumps:
            print(f"{entry.count:>10}  {entry.name}")
        print(f"{verb}: {len(dumps)} collections, {sum(d.count for d in dumps)} documents")
        return EXIT_OK
    except BackupError as exc:
        print(f"backup: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PyMongoError as exc:
        print(f"backup: error: the database at {settings.mongo_url} failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await client.close()


def main() -> None:
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
