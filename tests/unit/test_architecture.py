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


# --- thin edges: routes and bus handlers parse, call a service, answer ---------------------------------
#
# The checks are functions over source text, so that the test of the test below can feed them a
# deliberate violation and see them fail.

EDGE_FILES = ("api.py", "handlers.py")
# Files outside a `repository.py` allowed to import pymongo, each with its reason. Empty: keep it so.
PYMONGO_EXEMPT: dict[str, str] = {}


def _imports(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import; a relative module keeps its dots ('..conversations.repository')."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or ""), [alias.name for alias in node.names]))
    return found


def _dotted(node: ast.expr) -> str:
    """'runtime.broker.publish' for an attribute chain; '' for anything else (a call, a subscript)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def pymongo_imports(source: str) -> list[str]:
    """Where the source imports pymongo (or its bson), as 'line N: module'."""
    return [
        f"line {line}: imports {module}"
        for line, module, _ in _imports(ast.parse(source))
        if module.split(".")[0] in {"pymongo", "bson", "gridfs"}
    ]


def edge_violations(source: str) -> list[str]:
    """What a route or bus handler module may not do: touch pymongo, a repository, or publish on the broker."""
    tree = ast.parse(source)
    problems = pymongo_imports(source)
    for line, module, names in _imports(tree):
        parts = module.lstrip(".").split(".")
        if parts[-1] == "repository" or "repository" in names:
            problems.append(f"line {line}: imports the repository {module or '.'}")
        problems.extend(f"line {line}: imports {name}" for name in names if name.endswith("Repository"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _dotted(node.func)
            if node.func.attr in {"publish", "request"} and "broker" in chain.split(".")[:-1]:
                problems.append(f"line {node.lineno}: calls {chain} (publish through a service: publish_event, rpc)")
    return problems


def edge_modules() -> list[Path]:
    return sorted(path for path in (ROOT / "services").rglob("*.py") if path.name in EDGE_FILES)


@pytest.mark.parametrize("path", edge_modules(), ids=lambda path: str(path.relative_to(ROOT / "services")))
def test_routes_and_handlers_stay_thin(path: Path) -> None:
    problems = edge_violations(path.read_text())
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def test_only_repositories_import_pymongo() -> None:
    problems = [
        f"{path.relative_to(ROOT)} {problem}"
        for path in sorted((ROOT / "services").rglob("*.py"))
        if path.name != "repository.py" and str(path.relative_to(ROOT)) not in PYMONGO_EXEMPT
        for problem in pymongo_imports(path.read_text())
    ]
    assert not problems, "; ".join(problems)


def test_pymongo_exemptions_are_still_needed() -> None:
    for name in PYMONGO_EXEMPT:
        assert pymongo_imports((ROOT / name).read_text()), f"{name} no longer imports pymongo: drop its exemption"


class TestTheEdgeChecks:
    """The checks above fail on the violations they exist for (and pass a thin route)."""

    def test_a_route_importing_a_repository_fails(self) -> None:
        for source in (
            "from .repository import DirectoryRepository\n",
            "from ..conversations.repository import conversation_repository\n",
            "from . import repository\n",
            "import services.contacts.repository\n",
            "from .storage import ContactRepository\n",
        ):
            assert edge_violations(source), source

    def test_a_route_importing_pymongo_fails(self) -> None:
        for source in (
            "import pymongo\n",
            "from pymongo.errors import DuplicateKeyError\n",
            "from bson import ObjectId\n",
        ):
            assert edge_violations(source), source
            assert pymongo_imports(source), source

    def test_a_handler_publishing_on_the_broker_fails(self) -> None:
        handler = (
            "def register(runtime):\n"
            "    @runtime.broker.subscriber('hub.x')\n"
            "    async def on_x(message):\n"
            "        await runtime.broker.publish(message, 'hub.y')\n"
        )
        assert edge_violations(handler) == [
            "line 4: calls runtime.broker.publish (publish through a service: publish_event, rpc)"
        ]
        for call in ("broker.request(m, 'hub.rpc')", "runtime.broker.connection.publish('hub.y', b'')"):
            assert edge_violations(f"async def f(runtime, broker, m):\n    await {call}\n"), call

    def test_a_thin_route_passes(self) -> None:
        route = (
            "from shared.auth import ActorDep\n"
            "from .service import DirectoryDep\n"
            "async def get(actor: ActorDep, directory: DirectoryDep) -> dict:\n"
            "    return await directory.location(actor, 'x')\n"
        )
        assert edge_violations(route) == []
