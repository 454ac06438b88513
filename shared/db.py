"""The database: one AsyncMongoClient per process, collection ownership, and index creation at start-up.

Each service owns its collections and touches no other (a test checks the code for it). Queries that
run often are equalities on indexed fields, because FerretDB v1 only pushes those down to SQLite.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.settings import HubSettings

Document: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class IndexSpec:
    keys: Sequence[tuple[str, int]]
    name: str
    unique: bool = False


# Which service owns which collection; nothing outside that service's package may name it.
# The attachments bucket (`attachments.files`, `attachments.chunks`) is shared/attachments.py's alone.
OWNERSHIP: Mapping[str, tuple[str, ...]] = {
    "ingest": ("mailbox_state", "chat_sessions", "chat_messages", "platform_reviews"),
    "inbox": (
        "conversations",
        "timeline",
        "thread_refs",
        "conversation_versions",
        "labels_in_use",
        "view_counters",
        "view_counter_deltas",
        "inbox_meta",
        "templates",
        "agents",
        "locations",
        "location_groups",
        "settings",
        "login_failures",
        "api_tokens",
        "audit",
        "bots",
        "auto_reply_rules",
        "auto_replies_due",
        "score_days",
        "score_dirty",
        "sla_policies",
        "agent_presence",
        "rr_turns",
        "rules",
    ),
    "contacts": (
        "contacts",
        "contact_identities",
        "contact_search",
        "contact_search_meta",
        "contact_history",
        "contact_erasures",
        "contact_imports",
        "location_regions",
    ),
    "notify": ("deliveries", "delivery_commits"),
    "solicit": (
        "solicitations",
        "solicitation_messages",
        "solicitation_recipients",
        "solicitation_uses",
        "solicitation_unmatched",
    ),
}


def make_client(settings: HubSettings) -> AsyncMongoClient[Document]:
    timeout = settings.mongo_timeout_ms
    return AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=timeout,
        connectTimeoutMS=timeout,
        socketTimeoutMS=timeout,
        tz_aware=True,
        uuidRepresentation="standard",
    )


async def ensure_indexes(db: AsyncDatabase[Document], indexes: Mapping[str, Sequence[IndexSpec]]) -> None:
    """Create the service's indexes; idempotent, so every replica runs it at start-up."""
    for collection, specs in indexes.items():
        for spec in specs:
            await db[collection].create_index(list(spec.keys), name=spec.name, unique=spec.unique)


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False
    return True
