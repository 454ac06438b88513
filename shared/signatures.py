"""Signed webhooks: HMAC-SHA256 over `<timestamp>.<body>` with a shared secret, within a replay window.

The sender adds `X-Hub-Timestamp: <unix seconds>` and `X-Hub-Signature: sha256=<hex>`; a request
outside the window is refused even with a good signature, so a captured request cannot be replayed.
"""

import hashlib
import hmac
import time

REPLAY_WINDOW_SECONDS = 300


class SignatureError(Exception):
    """Why a signed request was refused (said to the caller as a 401)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
    window: int = REPLAY_WINDOW_SECONDS,
) -> None:
    if not timestamp or not signature:
        raise SignatureError("The request is not signed: send X-Hub-Timestamp and X-Hub-Signature.")
    if not timestamp.isdigit():
        raise SignatureError("X-Hub-Timestamp must be a Unix time in seconds.")
    if abs((now or time.time()) - int(timestamp)) > window:
        raise SignatureError(f"The signature is older than {window} seconds (or in the future); sign it again.")
    if not hmac.compare_digest(signature.strip(), sign(secret, int(timestamp), body)):
        raise SignatureError("The signature does not match the body.")
