"""Backup and restore (`python -m scripts.backup`): a populated stack's database comes back byte for byte."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from nats.aio.client import Client as NatsClient
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from scripts import backup
from tests.integration.conftest import Stack, agent_headers
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.integration.test_attachments import PNG, upload
from tests.support import servers

pytestmark = pytest.mark.integration

Mongo = AsyncMongoClient[dict[str, object]]
RAW: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument)


@dataclass
class Run:
    code: int
    out: str
    err: str


async def cli(stack: Stack, *args: str) -> Run:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.backup",
        *args,
        env={**os.environ, **stack.env},
        cwd=servers.ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return Run(proc.returncode or 0, out.decode(), err.decode())


@dataclass(frozen=True)
class Snapshot:
    """Every collection's documents as BSON bytes (types, field order and all) and its indexes."""

    documents: dict[str, list[bytes]]
    indexes: dict[str, dict[str, object]]


async def snapshot(db: AsyncDatabase[dict[str, object]]) -> Snapshot:
    documents, indexes = {}, {}
    for name in sorted(await db.list_collection_names()):
        if name.startswith("system."):
            continue
        collection = db.get_collection(name, codec_options=RAW)
        # The stubs keep the database's document type; the codec options above make them raw.
        documents[name] = sorted([bytes(cast(RawBSONDocument, doc).raw) async for doc in collection.find({})])
        indexes[name] = {index: spec["key"] for index, spec in (await collection.index_information()).items()}
    return Snapshot(documents, indexes)


async def populate(stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str) -> None:
    """Conversations (with their contacts, resolved by contacts), a reply with a file in GridFS, a contact."""
    base, headers = stack.url("inbox"), agent_headers([location])
    api = AgentApi(http, base, headers)
    for n in range(3):
        await publish_inbound(nc, location, text=f"Question {n}", email=f"guest{n}-{location}@example.com")
    [first, *_] = await api.wait_for(location, 3)
    uploaded = await upload(http, base, headers, location, "menu.png", PNG, "image/png")
    assert uploaded.status_code == 201, uploaded.text
    await api.ok("POST", first["id"], "messages", {"text": "Here it is", "attachment_ids": [uploaded.json()["id"]]})
    contact = await http.post(
        f"{stack.url('contacts')}/api/v1/contacts",
        json={"location_id": location, "first_name": "Ada", "email": f"ada-{location}@example.com"},
        headers=headers,
    )
    assert contact.status_code == 201, contact.text


@pytest.fixture
async def target(mongo: Mongo) -> AsyncIterator[str]:
    """Another database on the same FerretDB, dropped afterwards."""
    name = f"restore_{uuid.uuid4().hex[:10]}"
    yield name
    await mongo.drop_database(name)


async def test_a_dump_restored_into_another_database_is_identical(
    stack: Stack,
    http: httpx.AsyncClient,
    nc: NatsClient,
    mongo: Mongo,
    location: str,
    target: str,
    tmp_path: Path,
) -> None:
    await populate(stack, http, nc, location)
    source = mongo[stack.env["HUB_MONGO_DATABASE"]]
    # The stack keeps working in the background (projections, retries of other tests): dump until
    # nothing changed while the dump ran, so the source read afterwards is what the dump holds.
    for attempt in range(5):
        folder = tmp_path / f"dump-{attempt}"
        before = await snapshot(source)
        dumped = await cli(stack, "dump", str(folder))
        assert dumped.code == 0, dumped.err
        after = await snapshot(source)
        if before == after:
            break
    else:
        pytest.fail("the database kept changing during every dump")
    manifest = json.loads((folder / backup.MANIFEST).read_text())
    counts = {c["name"]: c["count"] for c in manifest["collections"]}
    assert counts == {name: len(docs) for name, docs in after.documents.items()}
    for name in ("conversations", "timeline", "contacts", "deliveries", "attachments.files", "attachments.chunks"):
        assert counts[name] > 0, name
    assert f"{len(counts)} collections, {sum(counts.values())} documents" in dumped.out

    restored = await cli(stack, "restore", str(folder), "--database", target)
    assert restored.code == 0, restored.err
    copy = await snapshot(mongo[target])
    assert copy.indexes == after.indexes
    assert copy.documents.keys() == after.documents.keys()
    for name, documents in after.documents.items():
        assert copy.documents[name] == documents, f"{name} differs after the restore"
    chunks = [doc async for doc in mongo[target]["attachments.chunks"].find({"data": PNG})]
    assert len(chunks) >= 1, "the file's bytes came back as binary"

    refused = await cli(stack, "restore", str(folder), "--database", target)
    assert refused.code == backup.EXIT_FAILED
    assert f"database {target!r} is not empty" in refused.err
    assert "--drop" in refused.err
    assert "Traceback" not in refused.err
    assert await snapshot(mongo[target]) == copy, "a refused restore wrote nothing"

    replaced = await cli(stack, "restore", str(folder), "--database", target, "--drop")
    assert replaced.code == 0, replaced.err
    assert await snapshot(mongo[target]) == copy


async def test_a_damaged_backup_is_refused_before_anything_is_written(
    stack: Stack, mongo: Mongo, target: str, tmp_path: Path
) -> None:
    folder = tmp_path / "dump"
    assert (await cli(stack, "dump", str(folder))).code == 0
    assert (await cli(stack, "dump", str(folder))).code == backup.EXIT_FAILED, "a dump never mixes with another"
    with (folder / backup.file_name("conversations")).open("ab") as damaged:
        damaged.write(b'{"_id": "added by hand"}\n')
    run = await cli(stack, "restore", str(folder), "--database", target)
    assert run.code == backup.EXIT_FAILED
    assert "does not match the manifest" in run.err
    assert target not in await mongo.list_database_names()
