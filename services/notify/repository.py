"""The notify service's only access to MongoDB (`deliveries`)."""

from shared.db import IndexSpec

INDEXES = {
    # One delivery per outbound command key: a redelivered command never sends twice.
    "deliveries": [IndexSpec(keys=[("key", 1)], name="key", unique=True)],
}
