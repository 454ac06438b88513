"""Metrics of the notify service."""

from prometheus_client import Counter

from shared.bus import BounceKind, Channel, DeliveryState, OutboundKind

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

# Series at 0 from the start (shared/metrics.py says why), for every outcome, kind and result.
for _outcome in ("sent", "failed"):
    EMAILS.labels(outcome=_outcome)
for _kind in OutboundKind:
    for _result in (DeliveryState.SENT, DeliveryState.FAILED):
        OUTBOUND.labels(channel=Channel.EMAIL.value, kind=_kind.value, result=_result.value)
for _result in (DeliveryState.SENT, DeliveryState.FAILED):
    OUTBOUND.labels(channel=Channel.CHAT.value, kind=OutboundKind.REPLY.value, result=_result.value)
for _bounce in (*(kind.value for kind in BounceKind), "unmatched"):
    BOUNCES.labels(kind=_bounce)
