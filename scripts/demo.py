"""Loads the demo chain into a running local stack (make up) and sends a few guests' web forms.

The chain (hotels, groups, an agent per role, templates, settings) is `scripts/demo_chain.py`'s, brought
to its demo values idempotently; the forms have fixed submission ids, so a second run adds nothing.
"""

import os
import subprocess
import time

import httpx

from scripts import ferretdb_indexes
from scripts.demo_chain import ADMIN, AGENTS, GATEWAY, PASSWORD, load_chain, wait_for_gateway

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


def main() -> None:
    with httpx.Client(base_url=GATEWAY, timeout=10) as client:
        load_chain(client, wait_for_gateway(client))
        for location, form in FORMS:
            client.post(f"/ingest/forms/{location}", json=form).raise_for_status()
    if os.environ.get("HUB_FERRETDB_BACKEND", "postgresql") == "postgresql":
        # The services have created their collections and indexes by now (see the module's doc).
        try:
            ferretdb_indexes.apply(int(os.environ.get("HUB_POSTGRES_PORT", "5433")))
        except (OSError, subprocess.CalledProcessError) as exc:
            # Only slower without them; `make up` would stop the whole stack if this process ended.
            print(f"  GIN indexes not added ({exc!r}); the hub runs, its look-ups are slower", flush=True)
    logins = "\n".join(f"      {a['role']:<8} {a['email']:<20} {PASSWORD}" for a in AGENTS)
    print(
        f"\n  demo chain loaded, {len(FORMS)} guest requests sent. Open the console at {GATEWAY}/ and sign in with:\n"
        f"      admin    {ADMIN[0]:<20} {ADMIN[1]}\n{logins}\n",
        flush=True,
    )
    # `make up` stops every process when one exits (scripts/run_screen.py); stay idle so the stack keeps running.
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
