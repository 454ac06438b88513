"""The solicit service's only access to MongoDB: solicitations, their messages, and recipients by use."""

from shared.db import IndexSpec

INDEXES = {
    "solicitations": [
        IndexSpec(keys=[("conversation_id", 1)], name="conversation"),
        IndexSpec(keys=[("token", 1)], name="token", unique=True),
    ],
    "solicitation_messages": [IndexSpec(keys=[("key", 1)], name="key", unique=True)],
    "solicitation_recipients": [IndexSpec(keys=[("location_id", 1), ("email", 1)], name="location_email", unique=True)],
}
