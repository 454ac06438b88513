"""The architecture's promises, checked on the code: imports one-way, collections owned by one service."""

import ast
from pathlib import Path

import pytest

from shared.db import OWNERSHIP

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(OWNERSHIP)


def python_files(service: str) -> list[Path]:
    return sorted((ROOT / "services" / service).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_every_service_has_files_to_check() -> None:
    for service in SERVICES:
        assert python_files(service), f"services/{service} has no Python files"


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_import_each_other(service: str) -> None:
    for path in python_files(service):
        for module in imported_modules(path):
            if module.startswith("services."):
                assert module.split(".")[1] == service, f"{path.relative_to(ROOT)} imports {module}"


def test_shared_never_imports_services() -> None:
    for path in sorted((ROOT / "shared").rglob("*.py")):
        assert not any(m.startswith("services") for m in imported_modules(path)), path


@pytest.mark.parametrize("service", SERVICES)
def test_services_name_only_their_own_collections(service: str) -> None:
    foreign = {name for owner, names in OWNERSHIP.items() if owner != service for name in names}
    for path in python_files(service):
        named = string_constants(path) & foreign
        assert not named, f"{path.relative_to(ROOT)} names another service's collections: {sorted(named)}"


def test_every_collection_has_one_owner() -> None:
    names = [name for names in OWNERSHIP.values() for name in names]
    assert len(names) == len(set(names))
