"""Loads the demo chain (hotels, groups, agents, templates, settings) through the API, idempotently.

`python -m scripts.demo_chain [gateway_url]` signs in as the bootstrap admin (admin@demo.hotel), creates
what is missing and brings what exists back to the demo values (PATCH, PUT), so a second run changes
nothing. `make up` runs it through `scripts/demo.py`, which also sends the demo guests' forms.
An existing agent's password is left as it is: re-hashing it would change the agent on every run.
"""

import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx

GATEWAY = f"http://127.0.0.1:{os.environ.get('HUB_GATEWAY_PORT', '8080')}"  # scripts/up.sh's gateway
ADMIN = ("admin@demo.hotel", "demo-admin-password")
PASSWORD = "demo-password-2026"  # noqa: S105 - the demo chain's agents, printed for the person running it

HOTELS = [
    {"id": "paris-opera", "name": "Hôtel Opéra Paris", "sender_email": "opera@demo.hotel"},
    {"id": "paris-louvre", "name": "Hôtel Louvre Paris", "sender_email": "louvre@demo.hotel"},
    {"id": "nice-promenade", "name": "Hôtel Promenade Nice", "sender_email": "nice@demo.hotel"},
    {"id": "cannes-croisette", "name": "Hôtel Croisette Cannes", "sender_email": "cannes@demo.hotel"},
]
GROUPS = [
    {"id": "paris-region", "name": "Paris region", "kind": "region", "location_ids": ["paris-opera", "paris-louvre"]},
    {
        "id": "riviera-brand",
        "name": "Riviera brand",
        "kind": "brand",
        "location_ids": ["nice-promenade", "cannes-croisette"],
    },
]
AGENTS: list[dict[str, Any]] = [
    {"name": "Anna Martin", "email": "anna@demo.hotel", "role": "agent", "location_ids": ["paris-opera"]},
    {"name": "Marc Leroy", "email": "marc@demo.hotel", "role": "manager", "group_ids": ["riviera-brand"]},
    {"name": "Sophie Bernard", "email": "sophie@demo.hotel", "role": "admin", "language": "en"},
]
TEMPLATES = [
    {
        "name": "Bienvenue",
        "language": "fr",
        "body": "Bonjour {guest_first_name},\n\nMerci pour votre message. L'équipe de {hotel_name} revient vers vous "
        "très vite.\n\n{agent_name}",
    },
    {
        "name": "Welcome",
        "language": "en",
        "body": "Hello {guest_first_name},\n\nThank you for your message. The {hotel_name} team will get back to you "
        "shortly.\n\n{agent_name}",
    },
]
SETTINGS = {
    "contact_reasons": [
        {"id": "booking", "label_fr": "Réservation", "label_en": "Booking"},
        {"id": "billing", "label_fr": "Facturation", "label_en": "Billing"},
        {"id": "stay", "label_fr": "Séjour", "label_en": "Stay"},
        {"id": "complaint", "label_fr": "Réclamation", "label_en": "Complaint"},
        {"id": "lost-found", "label_fr": "Objets trouvés", "label_en": "Lost and found"},
    ],
    "customer_service_email": "service.client@demo.hotel",
    "alert_rule": {"max_rating": 2, "text_threshold": None},  # None: the inbox's HUB_INBOX_ALERT_THRESHOLD
}


def wait_for_gateway(client: httpx.Client) -> dict[str, str]:
    deadline = time.monotonic() + 120
    while True:
        try:
            response = client.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
            if response.status_code == 200:
                return {"Authorization": f"Bearer {response.json()['token']}"}
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit("demo data: could not sign in as the demo admin within 2 minutes")
        time.sleep(1)


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        request = response.request
        sys.exit(f"demo chain: {request.method} {request.url.path} answered {response.status_code}: {response.text}")
    return response.json() if response.content else None


def _without(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {field: value for field, value in document.items() if field != key}


def _upsert(
    client: httpx.Client,
    headers: dict[str, str],
    path: str,
    current: dict[str, Any] | None,
    desired: dict[str, Any],
    create: dict[str, Any],
) -> str:
    """Create `create` at `path` when `current` is None, else PATCH the fields of `desired` that differ."""
    if current is None:
        _ok(client.post(path, json=create, headers=headers))
        return "created"
    changes = {field: value for field, value in desired.items() if current.get(field) != value}
    if not changes:
        return "unchanged"
    _ok(client.patch(f"{path}/{current['id']}", json=changes, headers=headers))
    return "updated"


def load_chain(client: httpx.Client, headers: dict[str, str]) -> Counter[str]:
    """Bring the chain to the demo values; answers how many objects were created, updated, unchanged."""
    outcome: Counter[str] = Counter()
    hotels = {h["id"]: h for h in _ok(client.get("/api/v1/locations", headers=headers))}
    for hotel in HOTELS:
        desired = _without(hotel, "id")
        outcome[_upsert(client, headers, "/api/v1/locations", hotels.get(hotel["id"]), desired, hotel)] += 1

    groups = {g["id"]: g for g in _ok(client.get("/api/v1/location-groups", headers=headers))}
    for group in GROUPS:
        desired = _without(group, "id")
        outcome[_upsert(client, headers, "/api/v1/location-groups", groups.get(group["id"]), desired, group)] += 1

    agents = {a["email"]: a for a in _ok(client.get("/api/v1/agents", headers=headers))}
    for agent in AGENTS:
        desired = _without(agent, "email")
        create = {**agent, "password": PASSWORD}
        outcome[_upsert(client, headers, "/api/v1/agents", agents.get(agent["email"]), desired, create)] += 1

    templates = {t["name"]: t for t in _ok(client.get("/api/v1/templates", headers=headers))}
    for template in TEMPLATES:
        desired = _without(template, "name")
        current = templates.get(template["name"])
        outcome[_upsert(client, headers, "/api/v1/templates", current, desired, template)] += 1

    if _ok(client.get("/api/v1/settings", headers=headers)) != SETTINGS:
        _ok(client.put("/api/v1/settings", json=SETTINGS, headers=headers))
        outcome["updated"] += 1
    else:
        outcome["unchanged"] += 1
    return outcome


def main() -> None:
    gateway = sys.argv[1] if len(sys.argv) > 1 else GATEWAY
    with httpx.Client(base_url=gateway, timeout=10) as client:
        outcome = load_chain(client, wait_for_gateway(client))
    logins = "\n".join(f"      {a['role']:<8} {a['email']:<20} {PASSWORD}" for a in AGENTS)
    print(
        f"\n  demo chain at {gateway}: {outcome['created']} created, {outcome['updated']} updated, "
        f"{outcome['unchanged']} unchanged. Sign in with:\n"
        f"      admin    {ADMIN[0]:<20} {ADMIN[1]}\n{logins}\n",
        flush=True,
    )


if __name__ == "__main__":
    main()
