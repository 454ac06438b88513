"""What ties the hub's emails into threads across services: the request tag in subjects, the Message-IDs
of solicitations, and the References chain an answer carries.

notify writes these and ingest and the inbox read them back, so each format and its reader live here
side by side: a change to one cannot leave the other behind.
"""

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence

from . import tokens

SOLICIT_TOKEN_PURPOSE = "solicit"  # noqa: S105 - a signature domain, not a secret
_TAG = re.compile(r"\[#([A-Z2-7]{6})\]", re.IGNORECASE)
MAX_TAGS = 3  # a subject quoting more tags than this is not an answer to one of them
# Mail programs cut a long References header the same way: the thread's root, then its latest messages.
REFERENCES_KEPT = 20


def reference_tag(conversation_id: str) -> str:
    """A short, stable reference of a request for subjects (`ABC123`); agents and guests can quote it."""
    digest = hashlib.sha256(conversation_id.encode()).digest()
    return base64.b32encode(digest).decode()[:6]


def subject_tags(subject: str) -> list[str]:
    """The request tags (`[#ABC123]`) a subject quotes, in order, each once, upper-cased."""
    found = dict.fromkeys(match.group(1).upper() for match in _TAG.finditer(subject))
    return list(found)[:MAX_TAGS]


def bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def solicitation_message_id(key: str, token: str, location_id: str, reply_domain: str) -> str:
    """A solicitation email's Message-ID (without angle brackets): it carries the solicitation's signed
    token and its hotel, so an answer that reaches the hotel's main address (In-Reply-To, References)
    goes to its thread as if it had come to the `solicit+<token>@` Reply-To, with no look-up."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]  # unique within its solicitation, whose id it carries
    return f"solicit.{token}.{digest}@{location_id}.{reply_domain}"


def answered_solicitation(parents: Iterable[str], location_id: str, reply_domain: str, secret: str) -> str | None:
    """The token of the solicitation one of these Message-IDs (an email's In-Reply-To and References)
    is, if it is one of this hotel's and its token is signed by us; None otherwise."""
    domain = f"@{location_id}.{reply_domain}".lower()
    for parent in parents:
        message_id = bare(parent).lower()
        if not (message_id.startswith("solicit.") and message_id.endswith(domain)):
            continue
        token, _, _ = message_id.removeprefix("solicit.").removesuffix(domain).rpartition(".")
        if tokens.verify(SOLICIT_TOKEN_PURPOSE, token, secret) is not None:
            return token
    return None


def capped(chain: Sequence[str], kept: int = REFERENCES_KEPT) -> list[str]:
    """A References chain without repeats, cut to its first Message-ID and the last `kept`."""
    unique = list(dict.fromkeys(b for m in chain if (b := bare(m))))
    return unique if len(unique) <= kept + 1 else [unique[0], *unique[-kept:]]


def references_of_answer(references: Sequence[str], in_reply_to: Sequence[str], message_id: str | None) -> list[str]:
    """The References of an answer to a message with these headers (RFC 5322, 3.6.4): the message's
    References (or its one In-Reply-To when it has none), then its own Message-ID; capped."""
    parents = list(references) or (list(in_reply_to) if len(in_reply_to) == 1 else [])
    return capped([*parents, *([message_id] if message_id else [])])
