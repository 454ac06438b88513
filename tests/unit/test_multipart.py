"""Multipart forms, hostile: bodies over the MIME limits are refused before they cost (shared/mime.py)."""

import time
import tracemalloc

import pytest
from fastapi import Request

from shared.http import decode_multipart
from shared.problems import Problem


def form(boundary: str = "b") -> Request:
    content_type = f"multipart/form-data; boundary={boundary}".encode()
    return Request({"type": "http", "headers": [(b"content-type", content_type)]})


def field(name: str, value: bytes, boundary: bytes = b"b", headers: bytes = b"") -> bytes:
    return b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n%s\r\n%s\r\n' % (
        boundary,
        name.encode(),
        headers,
        value,
    )


def test_fields_and_files_are_read() -> None:
    body = (
        field("message", "Arrivée à 23h40".encode())
        + b'--b\r\nContent-Disposition: form-data; name="file"; filename="../plan.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
    )
    fields, files = decode_multipart(form(), body)
    assert fields == {"message": "Arrivée à 23h40"}
    assert [(f.field, f.filename, f.data) for f in files] == [("file", "plan.pdf", b"%PDF")]


@pytest.mark.parametrize(
    ("body", "boundary", "reason"),
    [
        # Found while bounding hostile input (issue 11): before, each cost the event loop seconds to
        # minutes (200,000 fields: about 40 s) or hundreds of megabytes.
        (field("x", b"v") * 200_000, "b", "more than 250000 lines"),
        (field("x", b"\r\n" * 5_000_000), "b", "more than 250000 lines"),
        (
            field("x", b"--c\r\n\r\nv\r\n" * 60_000, headers=b"Content-Type: multipart/mixed; boundary=c\r\n"),
            "b",
            "more than 100 parts",
        ),
        (field("x", b"", headers=b"X: y\r\n" * 2000), "b", "more than 1000 headers"),
        (  # nested 3,000 deep: a RecursionError, a 500
            b"".join(
                field("x", b"", b"b%d" % n, b"Content-Type: multipart/mixed; boundary=b%d\r\n" % (n + 1))
                for n in range(3000)
            ),
            "b0",
            "more than 100 parts",
        ),
    ],
    ids=["fields", "empty-lines", "nested-parts", "headers", "deep"],
)
def test_bombs_are_refused_at_little_cost(body: bytes, boundary: str, reason: str) -> None:
    # CPU time of this process: the cost of the input, not the other processes sharing the cores.
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(Problem) as refused:
            decode_multipart(form(boundary), body)
        assert time.process_time() - started < 1
        assert tracemalloc.get_traced_memory()[1] < 50_000_000, "peak allocations while reading it"
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413
    assert reason in refused.value.detail
