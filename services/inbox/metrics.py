"""Metrics of the inbox service."""

from prometheus_client import Counter, Histogram

INBOUND_STORED = Counter(
    "hub_inbox_inbound_stored_total",
    "Guest messages stored in a conversation's timeline (duplicates excluded), by channel.",
    ["channel"],
)
CONVERSATIONS_CREATED = Counter(
    "hub_inbox_conversations_created_total",
    "Conversations (guest requests) opened, by channel.",
    ["channel"],
)
PIPELINE_LATENCY = Histogram(
    "hub_pipeline_latency_seconds",
    "Time from acceptance at ingest to storage in the inbox, by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
