"""Headquarters' attribute imports: CSV and JSON lines, bad rows reported, big files streamed."""

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ADMIN, Stack, agent_headers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration
SPOOL_DIR = Path(tempfile.gettempdir())


def url(stack: Stack, path: str = "") -> str:
    return f"{stack.url('contacts')}/api/v1/contacts{path}"


async def run_import(http: httpx.AsyncClient, stack: Stack, body: Any, content_type: str) -> dict[str, Any]:
    started = await http.post(
        url(stack, "/imports"), content=body, headers={**ADMIN, "Content-Type": content_type}, timeout=120
    )
    assert started.status_code == 202, started.text
    report = await eventually(
        lambda: http.get(url(stack, f"/imports/{started.json()['id']}"), headers=ADMIN),
        lambda r: r.json()["status"] != "running",
        timeout=120,
    )
    result: dict[str, Any] = report.json()
    assert result["status"] == "done", result
    return result


async def contact_of(http: httpx.AsyncClient, stack: Stack, email: str) -> dict[str, Any]:
    found = (await http.get(url(stack), params={"q": email}, headers=ADMIN)).json()["items"]
    assert len(found) == 1, found
    contact: dict[str, Any] = found[0]
    return contact


async def test_csv_import_applies_good_rows_and_reports_bad_ones(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    a, b, c = (f"{name}.{location}@example.com" for name in ("alba", "bruno", "carla"))
    csv_text = "\n".join(
        [
            "Email;customer_id;age;segment;purchase_amount;vip;favourite_colour",
            f"{a.upper()};C-{location}-1;41;business;1234,50;oui;blue",  # French Excel: ';' and decimal comma
            f"{b};;thirty;leisure;;;",  # a bad integer
            "not-an-email;;30;;;;",  # a bad address
            f"{a};;42;;;;",  # the same guest twice in one file
            f"{c};;;;;;",  # nothing to set
            ";;50;;;;",  # no key
            f"{b};;33;leisure;99.9;no",  # too few cells
            f'"{c}";;29;"family; with kids";12;false;',
        ]
    )
    report = await run_import(http, stack, csv_text.encode(), "text/csv")
    assert (report["rows"], report["applied"], report["rejected"]) == (8, 2, 6)
    assert report["ignored_columns"] == ["favourite_colour"]
    reasons = {r["line"]: r["reason"] for r in report["rejections"]}
    assert "age" in reasons[3]
    assert "whole number" in reasons[3]
    assert "email" in reasons[4]
    assert "duplicate" in reasons[5]
    assert "line 2" in reasons[5]
    assert "no attribute" in reasons[6]
    assert "no key" in reasons[7]
    assert "cells" in reasons[8]

    alba = await contact_of(http, stack, a)
    assert alba["attributes"] == {
        "age": 41,
        "segment": "business",
        "purchase_amount": 1234.5,
        "vip": True,
        "customer_id": f"C-{location}-1",
    }
    carla = await contact_of(http, stack, c)
    assert carla["attributes"] == {"age": 29, "segment": "family; with kids", "purchase_amount": 12.0, "vip": False}
    # Imported contacts belong to no hotel yet: agents do not see them until the guest writes.
    hidden = await http.get(url(stack), params={"q": a}, headers=agent_headers([location]))
    assert hidden.json()["items"] == []

    # JSON lines keyed by the customer id bound above; attributes are upserted, names never touched.
    lines = [
        json.dumps({"customer_id": f"C-{location}-1", "loyalty_tier": "gold", "age": 42}),
        json.dumps({"customer_id": f"C-{location}-404", "loyalty_tier": "silver"}),
        "{broken json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"email": f"dan.{location}@example.com", "last_stay": "2026-02-30"}),
    ]
    report = await run_import(http, stack, "\n".join(lines).encode(), "application/x-ndjson")
    assert (report["rows"], report["applied"], report["rejected"]) == (5, 1, 4)
    reasons = {r["line"]: r["reason"] for r in report["rejections"]}
    assert "no contact has" in reasons[2]
    assert "JSON" in reasons[3]
    assert "object" in reasons[4]
    assert "last_stay" in reasons[5]
    alba = await contact_of(http, stack, a)
    assert alba["attributes"]["loyalty_tier"] == "gold"
    assert alba["attributes"]["age"] == 42
    assert alba["attributes"]["segment"] == "business"


async def test_import_refusals_name_the_problem(stack: Stack, http: httpx.AsyncClient) -> None:
    wrong_type = await http.post(url(stack, "/imports"), content=b"{}", headers={**ADMIN, "Content-Type": "x/y"})
    assert wrong_type.status_code == 415
    assert "text/csv" in wrong_type.json()["detail"]
    not_admin = await http.post(
        url(stack, "/imports"), content=b"email\n", headers={**agent_headers(["h"]), "Content-Type": "text/csv"}
    )
    assert not_admin.status_code == 403
    unknown = await http.get(url(stack, "/imports/" + "0" * 32), headers=ADMIN)
    assert unknown.status_code == 404
    catalogue = await http.get(url(stack, "/imports/attributes"), headers=ADMIN)
    assert catalogue.json()["attributes"]["age"] == "integer"


def peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_a_50_mb_import_streams_without_loading_the_file(
    stack: Stack, http: httpx.AsyncClient, location: str, tmp_path: Path
) -> None:
    """A 50 MB upload is spooled to disk and read row by row: the service's peak memory barely moves."""
    path = tmp_path / "big.csv"
    row = "not-an-address-{0:07d};" + "x" * 80 + "\n"
    with path.open("w") as out:
        out.write("email;segment\n")
        for number in range(520_000):
            out.write(row.format(number))
        for number in range(20):
            out.write(f"big{number}.{location}@example.com;premium\n")
    size = path.stat().st_size
    assert size > 50 * 1024 * 1024
    popen = stack.services["contacts"].popen
    assert popen is not None
    before = peak_memory_kib(popen.pid)

    async def chunks() -> Any:
        with path.open("rb") as file:
            while chunk := file.read(1024 * 1024):
                yield chunk

    report = await run_import(http, stack, chunks(), "text/csv")
    assert (report["rows"], report["applied"], report["rejected"]) == (520_020, 20, 520_000)
    assert len(report["rejections"]) == 1000, "the report lists the first thousand rejections"
    grown_mib = (peak_memory_kib(popen.pid) - before) / 1024
    assert grown_mib < 25, f"peak memory grew by {grown_mib:.0f} MiB for a {size / 2**20:.0f} MiB file"
    assert (await contact_of(http, stack, f"big19.{location}@example.com"))["attributes"] == {"segment": "premium"}
    assert not list(SPOOL_DIR.glob("contacts-import-*")), "the spooled file is removed"  # noqa: ASYNC240
