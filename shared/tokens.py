"""Signed tokens carried in addresses (`reply+<token>@…`, `solicit+<token>@…`) and Message-IDs.

A token is `<id>.<signature>`: the id says what the mail belongs to, the signature (HMAC of the
purpose and id with the shared key) proves the hub made it, so a guessed or spoofed address never
attaches a message to someone else's request.
"""

import hashlib
import hmac
import re

# Lower-case hex, 80 bits: mail systems may change the case of an address's local part.
SIGNATURE_LENGTH = 20
_TOKEN = re.compile(r"^([a-z0-9]{1,64})\.([0-9a-f]{20})$")


def _signature(purpose: str, object_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{object_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_LENGTH]


def sign(purpose: str, object_id: str, secret: str) -> str:
    return f"{object_id}.{_signature(purpose, object_id, secret)}"


def verify(purpose: str, token: str, secret: str) -> str | None:
    """The id the token was made for, or None if it is malformed or not signed by us."""
    match = _TOKEN.match(token.lower())
    if match is None:
        return None
    object_id, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(purpose, object_id, secret)):
        return None
    return object_id


def sign_until(purpose: str, object_id: str, expires_at: int, secret: str) -> str:
    """A token that also stops working at `expires_at` (Unix seconds), which its signature covers:
    `<id>.<expiry in hex>.<signature>`."""
    return f"{object_id}.{expires_at:x}.{_signature(f'{purpose}@{expires_at:x}', object_id, secret)}"


_EXPIRING_TOKEN = re.compile(r"^([a-z0-9]{1,64})\.([0-9a-f]{1,12})\.([0-9a-f]{20})$")


def verify_until(purpose: str, token: str, secret: str, now: float) -> str | None:
    """The id the token was made for, or None if it is malformed, not signed by us, or expired."""
    match = _EXPIRING_TOKEN.match(token.lower())
    if match is None:
        return None
    object_id, expiry, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(f"{purpose}@{expiry}", object_id, secret)):
        return None
    if int(expiry, 16) <= now:
        return None
    return object_id
