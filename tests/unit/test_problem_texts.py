"""The problem catalogue (shared/problem_texts.py) against the code: every title and detail a service can
answer has a French text, and a problem asked for in French is answered in French."""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, EmailStr, Field, ValidationError

from shared.problem_texts import DETAILS, FRAGMENTS, TITLES, field_message, preferred_language, translate
from shared.problems import Problem, install_problem_handlers, problem_response

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")])
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

# Details no reading of the raise site can know: what each answers. A new raise site whose detail is
# neither a string, an f-string, a name bound to one, nor an exception's message must be added here.
ERRORS = "errors"  # the detail is made of an `errors` list, whose messages are translated one by one
OPAQUE_DETAILS: dict[tuple[str, str], list[str] | str] = {
    ("services/contacts/service.py", "already_known_detail(exc)"): [
        f"This {what} belongs to {holder} already; link that contact instead."
        for what in ("phone number", "email address")
        for holder in ("the contact {known.display_name}", "a contact with no name yet")
    ],
    ("shared/auth.py", "ended"): [
        "This token was revoked (signed out or withdrawn); sign in again.",
        "Your sessions were ended (password, role, hotels or account changed); sign in again.",
    ],
    ("services/inbox/access/service.py", "detail"): [],  # `_too_many`: its callers are read (FACTORIES)
    ("services/ingest/api.py", "detail"): ERRORS,
    ("shared/http.py", "detail"): ERRORS,
    ("shared/problems.py", "detail"): ERRORS,
    ("shared/problems.py", "exc.detail"): [],  # the handler of `Problem` itself
    ("shared/problems.py", "str(exc.detail)"): [],  # Starlette's reason phrases: see test_starlettes_answers
}
OPAQUE_TITLES = {
    ("services/inbox/access/service.py", "title"),
    ("shared/problems.py", "exc.title"),
    ("shared/problems.py", "str(exc.detail)"),
}
# What makes a problem: the function, the status it answers (0: its first argument), where title and detail are.
FACTORIES = {"Problem": (0, 1, 2), "problem_response": (0, 1, 2), "_too_many": (429, 0, 1)}


@dataclass(frozen=True)
class RaiseSite:
    where: str
    status: int
    title: str
    detail: str


def _module_strings(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.JoinedStr)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _bound_before(scope: ast.AST, name: str, line: int) -> ast.expr | None:
    """The string (or f-string) last bound to `name` in `scope` before `line`."""
    found: ast.expr | None = None
    for node in ast.walk(scope):
        if (
            isinstance(node, ast.Assign)
            and node.lineno < line
            and isinstance(node.value, ast.Constant | ast.JoinedStr)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
            and (found is None or node.lineno > getattr(found, "lineno", 0))
        ):
            found = node.value
    return found


class Reader:
    """Turns the text argument of a `Problem(...)` into its catalogue template, as the catalogue writes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.relative = str(path.relative_to(ROOT))
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.module = _module_strings(self.tree)
        self.parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}

    def scope(self, node: ast.AST) -> ast.AST:
        while node in self.parents and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node = self.parents[node]
        return node

    def template(self, node: ast.expr, at: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                    continue
                assert isinstance(value, ast.FormattedValue)
                inner = self.template(value.value, at) if isinstance(value.value, ast.Name) else None
                if inner is not None and value.conversion == -1 and value.format_spec is None:
                    parts.append(inner)  # a sentence built in two steps reads as one
                    continue
                conversion = "" if value.conversion == -1 else "!" + chr(value.conversion)
                spec = ast.unparse(value.format_spec)[2:-1] if value.format_spec else ""
                parts.append("{" + ast.unparse(value.value) + conversion + (":" + spec if spec else "") + "}")
            return "".join(parts)
        if isinstance(node, ast.Name):
            bound = _bound_before(self.scope(at), node.id, getattr(at, "lineno", 0)) or self.module.get(node.id)
            return None if bound is None else self.template(bound, at)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Name)
        ):
            return self.template(node.func.value, at)  # the template keeps its {placeholders}
        return None

    def messages(self, node: ast.expr, at: ast.AST) -> list[str] | None:
        """Every text `node` can be: a template, both branches of a conditional, or for `str(exc)` in
        `except SomeError as exc` every message SomeError is raised with; None when it cannot be read."""
        if isinstance(node, ast.IfExp):
            body, orelse = self.messages(node.body, at), self.messages(node.orelse, at)
            return None if body is None or orelse is None else body + orelse
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "str"
            and isinstance(node.args[0], ast.Name)
        ):
            handler: ast.AST = at
            while handler in self.parents and not isinstance(handler, ast.ExceptHandler):
                handler = self.parents[handler]
            if not isinstance(handler, ast.ExceptHandler) or handler.type is None:
                return None
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            return sorted(raised_messages(frozenset(ast.unparse(t).rsplit(".", 1)[-1] for t in types)))
        template = self.template(node, at)
        return None if template is None else [template]


@cache
def reader_of(path: Path) -> Reader:
    return Reader(path)


@cache
def raised_messages(exception_names: frozenset[str]) -> set[str]:
    """The messages the named exceptions are raised with (or their `__init__` passes on)."""
    found: set[str] = set()
    # An exception that makes its message in its `__init__` is raised with other arguments.
    own_messages = {
        node.name
        for path in SOURCES
        for node in ast.walk(reader_of(path).tree)
        if isinstance(node, ast.ClassDef) and node.name in exception_names and "super().__init__" in ast.unparse(node)
    }
    for path in SOURCES:
        reader = reader_of(path)
        for node in ast.walk(reader.tree):
            message: ast.expr | None = None
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and ast.unparse(node.exc.func).rsplit(".", 1)[-1] in exception_names - own_messages
                and node.exc.args
            ):
                message = node.exc.args[0]
            elif isinstance(node, ast.ClassDef) and node.name in exception_names:
                message = next(
                    (
                        call.args[0]
                        for call in ast.walk(node)
                        if isinstance(call, ast.Call) and ast.unparse(call.func) == "super().__init__" and call.args
                    ),
                    None,
                )
            if message is not None:
                messages = reader.messages(message, node)
                assert messages is not None, f"{reader.relative}:{getattr(node, 'lineno', 0)}: unreadable message"
                found.update(messages)
    return found


def raise_sites() -> Iterator[RaiseSite]:
    for path in SOURCES:
        reader = reader_of(path)
        for call in ast.walk(reader.tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in FACTORIES):
                continue
            fixed_status, title_at, detail_at = FACTORIES[call.func.id]
            where = f"{reader.relative}:{call.lineno}"
            given = call.args[0] if not fixed_status else None
            status = fixed_status or (
                given.value if isinstance(given, ast.Constant) and isinstance(given.value, int) else 0
            )
            title = reader.template(call.args[title_at], call)
            if title is None:
                assert (reader.relative, ast.unparse(call.args[title_at])) in OPAQUE_TITLES, f"{where}: read its title"
                title = ""
            details = reader.messages(call.args[detail_at], call)
            if details is None:
                opaque = OPAQUE_DETAILS.get((reader.relative, ast.unparse(call.args[detail_at])))
                assert opaque is not None, f"{where}: a detail the catalogue test cannot read; add it"
                details = [] if opaque == ERRORS else list(opaque)
            for detail in details or [""]:
                yield RaiseSite(where, status, title, detail)


SITES = list(raise_sites())


def test_the_code_raises_problems() -> None:
    # The reading of the code must find them all: a change that hid them would make the tests below empty.
    assert len(SITES) > 120
    assert len({site.detail for site in SITES}) > 100


@pytest.mark.parametrize("title", sorted({site.title for site in SITES if site.title}))
def test_every_title_has_a_french_text(title: str) -> None:
    assert title in TITLES, f"add {title!r} to TITLES in shared/problem_texts.py"


@pytest.mark.parametrize("detail", sorted({site.detail for site in SITES if site.detail}))
def test_every_detail_has_a_french_text(detail: str) -> None:
    assert detail in DETAILS, f"add {detail!r} to DETAILS in shared/problem_texts.py"


@pytest.mark.parametrize(("english", "french"), sorted(DETAILS.items()))
def test_a_french_text_keeps_the_placeholders(english: str, french: str) -> None:
    assert set(PLACEHOLDER.findall(french)) == set(PLACEHOLDER.findall(english))
    assert french != english


def sample(template: str) -> tuple[str, dict[str, str]]:
    """The template with a distinct value in each placeholder (as a raise site would fill it)."""
    values = {name: f"'v{i}x'" for i, name in enumerate(dict.fromkeys(PLACEHOLDER.findall(template)))}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template), values


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/problem")
    async def raise_problem(status: int, title: str, detail: str) -> None:
        raise Problem(status, title, detail)

    return TestClient(app)


@pytest.mark.parametrize("site", SITES, ids=[site.where for site in SITES])
def test_every_problem_is_answered_in_french_when_asked(client: TestClient, site: RaiseSite) -> None:
    """Table-driven from the raise sites: the problem goes through the app's real handler."""
    detail, values = sample(site.detail)
    status = site.status if 400 <= site.status < 600 else 400
    params = {"status": str(status), "title": site.title or "Not found", "detail": detail}
    french = client.get("/problem", params=params, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    assert french.status_code == status
    assert french.headers["content-language"] == "fr"
    assert french.headers["vary"] == "Accept-Language"
    assert french.json()["title"] == TITLES[params["title"]]
    if site.detail:
        expected = PLACEHOLDER.sub(
            lambda m: FRAGMENTS.get(values[m.group(1)], values[m.group(1)]), DETAILS[site.detail]
        )
        assert french.json()["detail"] == expected
    english = client.get("/problem", params=params, headers={"Accept-Language": "en-GB"})
    assert english.headers["content-language"] == "en"
    assert english.json() == {"type": "about:blank", "title": params["title"], "status": status, "detail": detail}


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [("GET", "/nowhere", 404, "Introuvable"), ("DELETE", "/problem", 405, "Méthode non autorisée")],
)
def test_starlettes_answers_are_in_french_when_asked(
    client: TestClient, method: str, path: str, status: int, title: str
) -> None:
    answer = client.request(method, path, headers={"Accept-Language": "fr"})
    assert answer.status_code == status
    assert answer.json()["title"] == answer.json()["detail"] == title
    assert answer.headers["content-language"] == "fr"
    if status == 405:
        assert answer.headers["allow"] == "GET"


class TestPreferredLanguage:
    @pytest.mark.parametrize(
        ("header", "language"),
        [
            (None, "en"),
            ("", "en"),
            ("fr", "fr"),
            ("fr-FR", "fr"),
            ("FR-ca", "fr"),
            ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
            ("en-US,en;q=0.9,fr;q=0.8", "en"),
            ("en;q=0.2, fr;q=0.3", "fr"),
            ("de-DE, fr;q=0.5", "fr"),
            ("de-DE", "en"),
            ("fr;q=0", "en"),
            ("*", "en"),
            ("fr;q=oops", "en"),
            ("fr;q=nan", "en"),
            ("fr;q=inf, en;q=0.1", "en"),
        ],
    )
    def test_the_language_is_the_clients_preferred_one_we_offer(self, header: str | None, language: str) -> None:
        assert preferred_language(header) == language


class TestTranslate:
    def test_english_is_the_text_itself(self) -> None:
        assert translate("No conversation has the id 'c1'.", "en") == "No conversation has the id 'c1'."

    def test_values_are_kept_and_known_words_translated(self) -> None:
        assert translate("No conversation has the id 'c1'.", "fr") == "Aucune demande n'a l'identifiant 'c1'."
        assert translate("Only managers or admins may do this.", "fr") == (
            "Seuls les responsables ou administrateurs peuvent faire ceci."
        )
        assert translate("Not ready: bus, database unavailable.", "fr") == (
            "Pas prêt : bus, base de données indisponible."
        )
        assert translate("The form cannot be read: it has more than 100 parts.", "fr") == (
            "Le formulaire ne peut pas être lu : il a plus de 100 parties."
        )

    def test_an_unknown_text_stays_english(self) -> None:
        assert translate("Something nobody wrote.", "fr") == "Something nobody wrote."

    def test_a_service_field_message_is_translated_without_its_field(self) -> None:
        message = field_message("current_password", "the current password is wrong.", "fr")
        assert message == "le mot de passe actuel est erroné."


class Booking(BaseModel):
    name: str = Field(max_length=5)
    code: str = Field(min_length=3)
    email: EmailStr
    nights: int = Field(ge=1, le=30)
    kind: int
    tags: list[str] = Field(max_length=1)
    ok: bool
    note: str


@pytest.mark.parametrize(
    "data",
    [
        {"name": "too long a name", "code": "x", "email": "not-an-email", "nights": 0, "kind": "x"},
        {"tags": ["a", "b"], "ok": "perhaps", "note": 3, "nights": 31, "kind": 1.5},
    ],
)
def test_common_validation_messages_have_a_french_text(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as raised:
        Booking.model_validate(data)
    for error in raised.value.errors():
        assert translate(error["msg"], "fr") != error["msg"], error


def test_a_validation_problem_is_rebuilt_from_its_translated_fields() -> None:
    errors = [
        {"field": "email", "message": "Field required"},
        {"field": "subject", "message": "String should have at most 200 characters"},
    ]
    answer = problem_response(422, "Invalid request", "email: Field required; ...", language="fr", errors=errors)
    assert answer.headers["content-language"] == "fr"
    assert b'"detail":"email : champ obligatoire; subject : le texte doit faire au plus 200 caract' in answer.body
