"""Loads a small demo chain into a running local stack (make up), through the gateway's API.

Two groups, four hotels, an agent per role, templates in French and English, settings, and a few
guests' web forms. Idempotent: hotels, groups and agents that exist are left as they are, and the
forms have fixed submission ids, so running it again adds nothing.
"""

import sys
import time
from typing import Any

import httpx

GATEWAY = "http://127.0.0.1:8080"
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
    "alert_rule": {"max_rating": 2},
}
FORMS = [
    (
        "paris-opera",
        {
            "submission_id": "demo-1",
            "name": "Claire Dubois",
            "email": "claire.dubois@example.com",
            "subject": "Arrivée tardive",
            "message": "Bonjour, nous arrivons à 23h40. Est-ce possible ?",
        },
    ),
    (
        "paris-opera",
        {
            "submission_id": "demo-2",
            "name": "John Smith",
            "email": "john.smith@example.com",
            "subject": "Parking",
            "message": "Hello, do you have parking for a van?",
        },
    ),
    (
        "nice-promenade",
        {
            "submission_id": "demo-3",
            "name": "Sarah Cohen",
            "email": "sarah.cohen@example.com",
            "subject": "Allergies",
            "message": "My son is allergic to nuts; is breakfast safe for him?",
        },
    ),
]


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


def create(client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = client.post(path, json=body, headers=headers)
    if response.status_code not in {201, 409}:
        sys.exit(f"demo data: POST {path} answered {response.status_code}: {response.text}")


def main() -> None:
    with httpx.Client(base_url=GATEWAY, timeout=10) as client:
        admin = wait_for_gateway(client)
        for hotel in HOTELS:
            create(client, "/api/v1/locations", hotel, admin)
        for group in GROUPS:
            create(client, "/api/v1/location-groups", group, admin)
        for agent in AGENTS:
            create(client, "/api/v1/agents", {**agent, "password": PASSWORD}, admin)
        existing = {t["name"] for t in client.get("/api/v1/templates", headers=admin).json()}
        for template in TEMPLATES:
            if template["name"] not in existing:
                create(client, "/api/v1/templates", template, admin)
        client.put("/api/v1/settings", json=SETTINGS, headers=admin).raise_for_status()
        for location, form in FORMS:
            client.post(f"/ingest/forms/{location}", json=form).raise_for_status()
    logins = "\n".join(f"      {a['role']:<8} {a['email']:<20} {PASSWORD}" for a in AGENTS)
    print(
        f"\n  demo chain loaded: {len(HOTELS)} hotels, {len(FORMS)} guest requests. Sign in with:\n"
        f"      admin    {ADMIN[0]:<20} {ADMIN[1]}\n{logins}\n",
        flush=True,
    )
    # honcho stops every process when one exits; stay idle so the stack keeps running.
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
