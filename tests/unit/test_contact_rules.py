"""Pure rules of contacts: attribute types, merges, import rows, and what an erasure strips."""

from pathlib import Path

import pytest

from services.contacts.imports import RowError, rows_of, typed
from services.contacts.lifecycle import merged_fields
from services.contacts.repository import FerretDbSearch
from services.inbox.privacy.service import ERASED, redacted


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("integer", " 42 ", 42),
        ("integer", 42.0, 42),
        ("number", "1234,50", 1234.5),
        ("number", 3, 3.0),
        ("boolean", "Oui", True),
        ("boolean", "no", False),
        ("boolean", False, False),
        ("date", "2026-03-01", "2026-03-01"),
        ("text", " gold ", "gold"),
        ("text", 7, "7"),
    ],
)
def test_attribute_values_take_their_declared_type(kind: str, raw: object, expected: object) -> None:
    assert typed("field", kind, raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("integer", "thirty"),
        ("integer", 4.5),
        ("integer", True),
        ("number", "nan"),
        ("number", "1e999"),
        ("boolean", "maybe"),
        ("date", "2026-02-30"),
        ("text", "x" * 501),
        ("text", {"nested": 1}),
    ],
)
def test_bad_attribute_values_are_refused_with_their_name(kind: str, raw: object) -> None:
    with pytest.raises(RowError, match=r"^age"):
        typed("age", kind, raw)  # type: ignore[arg-type]


def test_csv_rows_keep_quoted_delimiters_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    path.write_text('\ufeffEmail,Segment\na@x.fr,"family, kids"\n\nb@x.fr,"two\nlines"\nc@x.fr\n', encoding="utf-8")
    assert list(rows_of(path, "csv")) == [
        (2, {"email": "a@x.fr", "segment": "family, kids"}),
        (4, {"email": "b@x.fr", "segment": "two\nlines"}),
        (6, "1 cells where the header has 2 columns"),
    ]


def test_a_merge_unites_addresses_and_keeps_the_survivors_values_first() -> None:
    survivor = {
        "_id": "s",
        "emails": ["a@x.fr"],
        "first_name": None,
        "last_name": "Roux",
        "attributes": {"tier": "gold"},
    }
    other = {
        "_id": "o",
        "emails": ["b@x.fr", "a@x.fr"],
        "phones": ["+33611223344"],
        "first_name": "Léa",
        "last_name": "Martin",
        "location_ids": ["paris"],
        "attributes": {"tier": "silver", "age": 30},
        "merged_ids": ["older"],
    }
    fields = merged_fields(survivor, other)
    assert fields["emails"] == ["a@x.fr", "b@x.fr"]
    assert fields["phones"] == ["+33611223344"]
    assert (fields["first_name"], fields["last_name"]) == ("Léa", "Roux")
    assert fields["attributes"] == {"tier": "gold", "age": 30}
    assert fields["merged_ids"] == ["older", "o"]
    chain, paris = FerretDbSearch.entries_of({"_id": "s", **fields})
    assert chain["_id"] == "s|*"
    assert paris["_id"] == "s|paris"
    assert any(key.startswith("*|lea#") for key in chain["keys"])
    assert any(key.startswith(f"{FerretDbSearch.scope_code('paris')}|lea#") for key in paris["keys"]), (
        "searchable in its hotel"
    )


def test_erasure_strips_personal_data_and_keeps_what_happened() -> None:
    guest_message = {
        "kind": "message",
        "author": {"type": "guest", "name": "Eve", "email": "eve@x.fr"},
        "subject": "My stay",
        "text": "Room 12",
        "html": "<p>Room 12</p>",
        "attachments": [{"id": "att_1"}],
        "rating": 2,
        "at": "t",
    }
    assert redacted(guest_message) == {
        "text": ERASED,
        "html": None,
        "subject": ERASED,
        "author": {"type": "guest"},
        "attachments": [],
    }
    forward = {"kind": "forward", "to": ["boss@hotel.fr"], "note": "see Eve", "author": {"type": "agent", "id": "a"}}
    assert redacted(forward) == {"note": ERASED, "to": []}
    assert redacted({"kind": "subject", "from": "Eve's stay", "to": "Stay"}) == {"from": ERASED, "to": ERASED}
    assert redacted({"kind": "status", "from": "open", "to": "closed"}) == {}
    assert redacted(guest_message | redacted(guest_message)) == {}, "a second pass finds nothing left"
