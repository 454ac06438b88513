"""Every collection a service opens is declared in shared/db.py's OWNERSHIP, under that service."""

import ast
from pathlib import Path

import pytest

from shared.db import OWNERSHIP

ROOT = Path(__file__).resolve().parents[2]


def opened_collections(path: Path) -> set[str]:
    """The names in `db["name"]` (or `something.db[...]`, `database[...]`): the collections a module opens."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript):
            continue
        base = node.value
        base_name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        if (
            base_name in {"db", "database"}
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


@pytest.mark.parametrize("service", sorted(OWNERSHIP))
def test_a_service_opens_only_collections_declared_as_its_own(service: str) -> None:
    for path in sorted((ROOT / "services" / service).rglob("*.py")):
        undeclared = opened_collections(path) - set(OWNERSHIP[service])
        assert not undeclared, f"{path.relative_to(ROOT)} opens collections not in OWNERSHIP[{service!r}]: {undeclared}"


def test_the_check_sees_the_inbox_collections_that_were_once_undeclared() -> None:
    opened = opened_collections(ROOT / "services" / "inbox" / "conversations" / "repository.py")
    assert {"inbox_meta", "labels_in_use", "conversation_versions"} <= opened
