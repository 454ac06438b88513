"""The audit trail's entries: who changed what in the directory or access, never with the values set."""

import time
import uuid
from datetime import UTC, datetime

from shared.auth import Actor
from shared.db import Document


def audit_entry(actor: Actor, action: str, target: str, fields: list[str] | None = None) -> Document:
    """What an admin (or manager) changed: who, when, which object, and the names of the fields set.

    Field values are not kept: a password or a secret must never land in the trail. The id starts with
    the time in nanoseconds, so the trail reads newest first by id alone.
    """
    return {
        "_id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}",
        "at": datetime.now(UTC),
        "actor": {"id": actor.agent_id, "name": actor.name, "role": actor.role},
        "action": action,
        "target": target,
        "fields": sorted(fields or []),
    }
