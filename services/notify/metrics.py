"""Metrics of the notify service."""

from prometheus_client import Counter

EMAILS = Counter(
    "hub_notify_emails_total",
    "Emails that reached a final state, by outcome (sent, failed).",
    ["outcome"],
)
RETRIES = Counter(
    "hub_notify_email_retries_total",
    "Email attempts that failed temporarily (SMTP 4xx, server unreachable) and will be retried.",
)
OUTBOUND = Counter(
    "hub_notify_outbound_total",
    "Outbound messages that reached a final state, by channel (email, chat), kind and result (sent, failed).",
    ["channel", "kind", "result"],
)
BOUNCES = Counter(
    "hub_notify_bounces_total",
    "Bounces received for the hub's emails, by kind: hard (5.x.x, the address is marked on the contact), soft "
    "(failed, 4.x.x), delayed (still being tried), unmatched (about no email the hotel sent: kept in its spam view).",
    ["kind"],
)
