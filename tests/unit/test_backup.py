"""The backup's file format: what is written comes back with its BSON types, in bounded batches."""

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import bson
import pytest
from bson import json_util
from bson.int64 import Int64
from bson.objectid import ObjectId

from scripts import backup
from scripts.backup import DATA_JSON, BackupError, CollectionDump, batches, file_name, verify


def test_a_line_decodes_to_the_same_bson() -> None:
    document = {
        "_id": ObjectId(),
        "data": b"\x89PNG\r\n",
        "at": datetime(2026, 5, 1, 12, 30, 0, 123000, tzinfo=UTC),
        "small": 3,
        "large": Int64(3),
        "ratio": 1.0,
        "uuid": uuid.uuid4(),
        "nested": [{"a": None}],
    }
    line = json_util.dumps(document, json_options=DATA_JSON)
    options = backup.CODEC
    assert bson.encode(json_util.loads(line, json_options=DATA_JSON), codec_options=options) == bson.encode(
        document, codec_options=options
    )


def test_file_names_hold_any_collection_name() -> None:
    assert file_name("attachments.chunks") == "attachments.chunks.jsonl"
    assert file_name("a/b") == "a%2Fb.jsonl"


def test_batches_are_bounded_by_count_and_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "BATCH_DOCUMENTS", 3)
    monkeypatch.setattr(backup, "BATCH_BYTES", 100)
    path = tmp_path / "c.jsonl"
    small, big = '{"n": 1}\n', '{"s": "' + "x" * 120 + '"}\n'
    path.write_text(small * 4 + big + small)
    assert [len(batch) for batch in batches(path)] == [3, 2, 1]


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    content = b'{"_id": 1}\n'
    (tmp_path / "c.jsonl").write_bytes(content)
    entry = CollectionDump("c", "c.jsonl", 1, hashlib.sha256(content).hexdigest(), {}, [])
    verify(tmp_path, [entry])
    (tmp_path / "c.jsonl").write_bytes(b'{"_id": 2}\n')
    with pytest.raises(BackupError, match="does not match the manifest"):
        verify(tmp_path, [entry])
