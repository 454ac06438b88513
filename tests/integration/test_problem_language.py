"""Problems in the language the client asks for (Accept-Language): French or English, from the real services."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ADMIN, Stack, agent_headers

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Said:
    status: int
    title: str
    detail: str


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    english: Said
    french: Said
    body: Any = None
    as_agent: bool = True
    as_admin: bool = False


def cases(taken: str) -> list[Case]:
    missing = f"conv-{uuid.uuid4().hex[:12]}"
    return [
        Case(
            "unknown conversation",
            "GET",
            f"/api/v1/conversations/{missing}",
            Said(404, "Not found", f"No conversation has the id {missing!r}."),
            Said(404, "Introuvable", f"Aucune demande n'a l'identifiant {missing!r}."),
        ),
        Case(
            "invalid body",
            "POST",
            "/api/v1/locations",
            Said(422, "Invalid request", "name: Field required; timezone: String should have at most 64 characters"),
            Said(
                422,
                "Requête non valide",
                "name : champ obligatoire; timezone : le texte doit faire au plus 64 caractères",
            ),
            body={"id": f"hotel-{uuid.uuid4().hex[:10]}", "timezone": "x" * 65},
            as_admin=True,
        ),
        Case(
            "forbidden",
            "POST",
            "/api/v1/locations",
            Said(403, "Forbidden", "Only admins may do this."),
            Said(403, "Interdit", "Seuls les administrateurs peuvent faire ceci."),
            body={"id": f"hotel-{uuid.uuid4().hex[:10]}", "name": "Nope"},
        ),
        Case(
            "conflict",
            "POST",
            "/api/v1/locations",
            Said(409, "Already exists", f"A hotel with the id {taken!r} exists already."),
            Said(409, "Existe déjà", f"Un hôtel avec l'identifiant {taken!r} existe déjà."),
            body={"id": taken, "name": "Again"},
            as_admin=True,
        ),
        Case(
            "not signed in",
            "GET",
            "/api/v1/conversations",
            Said(401, "Unauthorized", "Sign in first: send 'Authorization: Bearer <token>' or the session cookie."),
            Said(
                401,
                "Non authentifié",
                "Connectez-vous d'abord : envoyez « Authorization: Bearer <jeton> » ou le cookie de session.",
            ),
            as_agent=False,
        ),
        Case(
            "unknown path",
            "GET",
            "/api/v1/nowhere",
            Said(404, "Not Found", "Not Found"),
            Said(404, "Introuvable", "Introuvable"),
        ),
        Case(
            "wrong method",
            "PUT",
            "/api/v1/conversations",
            Said(405, "Method Not Allowed", "Method Not Allowed"),
            Said(405, "Méthode non autorisée", "Méthode non autorisée"),
        ),
    ]


CASE_NAMES = [case.name for case in cases("t")]
ASKED: dict[str, list[str | None]] = {
    "fr": ["fr", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "en;q=0.3, fr-CA;q=0.8"],
    "en": ["en", "en-GB,en;q=0.9,fr;q=0.8", "de-DE", None],
}


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_problem_is_answered_in_the_language_asked(
    stack: Stack, http: httpx.AsyncClient, location: str, name: str, language: str
) -> None:
    case = next(case for case in cases(location) if case.name == name)
    expected = case.french if language == "fr" else case.english
    for asked in ASKED[language]:
        headers = ADMIN if case.as_admin else agent_headers([location]) if case.as_agent else {}
        headers = {**headers, **({"Accept-Language": asked} if asked is not None else {})}
        answer = await http.request(case.method, f"{stack.url('inbox')}{case.path}", json=case.body, headers=headers)
        assert answer.status_code == expected.status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.headers["content-language"] == language
        assert "Accept-Language" in answer.headers["vary"]
        problem = answer.json()
        assert (problem["title"], problem["detail"]) == (expected.title, expected.detail), asked


async def test_the_field_errors_of_a_422_are_in_french_too(
    stack: Stack, http: httpx.AsyncClient, new_hotel: str
) -> None:
    answer = await http.post(
        f"{stack.url('inbox')}/api/v1/locations",
        json={"id": new_hotel},
        headers={**ADMIN, "Accept-Language": "fr"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "name", "message": "champ obligatoire"}]


async def test_other_services_answer_in_french_too(stack: Stack, http: httpx.AsyncClient) -> None:
    missing = uuid.uuid4().hex
    answer = await http.get(
        f"{stack.url('contacts')}/api/v1/contacts/{missing}", headers={**ADMIN, "Accept-Language": "fr-FR"}
    )
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-language"] == "fr"
    assert answer.json()["detail"] == f"Aucun contact n'a l'identifiant {missing!r}."


async def test_a_body_refused_before_any_route_is_refused_in_french(stack: Stack, http: httpx.AsyncClient) -> None:
    answer = await http.post(
        f"{stack.url('inbox')}/api/v1/locations",
        content=b"x" * (1024 * 1024 + 1),
        headers={**ADMIN, "Content-Type": "application/json", "Accept-Language": "fr"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-language"] == "fr"
    assert answer.json()["detail"] == "Le corps de la requête dépasse la limite de 1048576 octets."
