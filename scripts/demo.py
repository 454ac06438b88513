"""Loads a small demo chain into a running local stack: a few guests' web forms to two hotels.

Each submission has a fixed id, so running it again adds nothing (the ingest accepts a submission once).
"""

import sys
import time

import httpx

GATEWAY = "http://127.0.0.1:8080"
DEMO_FORMS = [
    (
        "paris-opera",
        {
            "submission_id": "demo-1",
            "name": "Anna Martin",
            "email": "anna.martin@example.com",
            "subject": "Late check-in",
            "message": "Hello, we land at 23:40. Can we still check in?",
        },
    ),
    (
        "paris-opera",
        {
            "submission_id": "demo-2",
            "name": "Louis Bernard",
            "email": "louis@example.fr",
            "subject": "Parking",
            "message": "Bonjour, avez-vous un parking pour un van ?",
        },
    ),
    (
        "lyon-part-dieu",
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
    deadline = time.monotonic() + 120
    for location, form in DEMO_FORMS:
        while True:
            try:
                response = httpx.post(f"{GATEWAY}/ingest/forms/{location}", json=form, timeout=5)
                if response.status_code == 202:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit("demo data: the gateway did not accept forms within 2 minutes")
            time.sleep(1)
    print(f"demo data: {len(DEMO_FORMS)} guest requests loaded; see {GATEWAY}/api/v1/conversations", flush=True)
    # honcho stops every process when one exits; stay idle so the stack keeps running.
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
