"""Signed tokens carried in addresses (`reply+<token>@…`, `solicit+<token>@…`) and Message-IDs.

A token is `<id>.<signature>`: the id says what the mail belongs to, the signature (HMAC of the
purpose and id with the shared key) proves the hub made it, so a guessed or spoofed address never
attaches a message to someone else's request.
"""

import base64
import hashlib
import hmac
import re

SIGNATURE_LENGTH = 16
_TOKEN = re.compile(r"^([a-z0-9]{1,64})\.([A-Za-z0-9_-]{16})$")


def _signature(purpose: str, object_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{object_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_LENGTH]


def sign(purpose: str, object_id: str, secret: str) -> str:
    return f"{object_id}.{_signature(purpose, object_id, secret)}"


def verify(purpose: str, token: str, secret: str) -> str | None:
    """The id the token was made for, or None if it is malformed or not signed by us."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    object_id, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(purpose, object_id, secret)):
        return None
    return object_id
