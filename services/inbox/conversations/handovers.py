"""What a colleague or a supplier reads when a request is forwarded, delegated or shared to them.

They may have no account in the console: the email carries what they need to act (the guest's name,
email and phone, the guest's whole message, the agent's note) in the hotel's language, and, instead of
a console address, a signed read-only link to the request's timeline that expires (`view_token`).
Pure functions: the texts are tested without servers.
"""

import html
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared import tokens
from shared.bus import HotelLanguage, OutboundKind

VIEW_TOKEN_PURPOSE = "request-view"  # noqa: S105 - a signature domain, not a secret
VIEW_DAYS = 7

_INTRO = {
    "fr": {
        OutboundKind.FORWARD: "{actor} vous transfère une demande client.",
        OutboundKind.DELEGATE: "{actor} vous délègue une demande client.",
        OutboundKind.SHARE: "{actor} partage avec vous une demande client.",
    },
    "en": {
        OutboundKind.FORWARD: "{actor} forwarded a guest request to you.",
        OutboundKind.DELEGATE: "{actor} delegated a guest request to you.",
        OutboundKind.SHARE: "{actor} shared a guest request with you.",
    },
}
_SUBJECT_TAG = {
    "fr": {OutboundKind.FORWARD: "Transfert", OutboundKind.DELEGATE: "Délégation", OutboundKind.SHARE: "Partage"},
    "en": {OutboundKind.FORWARD: "Forwarded", OutboundKind.DELEGATE: "Delegated", OutboundKind.SHARE: "Shared"},
}
_WORDS = {
    "fr": {
        "note": "Note de {actor} :",
        "guest": "Client",
        "email": "E-mail",
        "phone": "Téléphone",
        "subject": "Objet",
        "hotel": "Hôtel",
        "message": "Message du client :",
        "unknown": "non renseigné",
        "none": "(sans objet)",
        "a_guest": "un client",
        "link": "Voir la demande (lecture seule, lien valable jusqu’au {until}) :",
        "answer": "Pour répondre au client, écrivez-lui ou appelez-le directement.",
    },
    "en": {
        "note": "Note from {actor}:",
        "guest": "Guest",
        "email": "Email",
        "phone": "Phone",
        "subject": "Subject",
        "hotel": "Hotel",
        "message": "The guest's message:",
        "unknown": "not given",
        "none": "(no subject)",
        "a_guest": "a guest",
        "link": "See the request (read-only, link valid until {until}):",
        "answer": "To answer the guest, write to them or call them directly.",
    },
}


@dataclass(frozen=True)
class Hotel:
    """What the directory says about a hotel's emails: who they come from, in which language."""

    name: str = ""
    sender_name: str | None = None
    sender_address: str | None = None
    language: HotelLanguage = "fr"

    @classmethod
    def of(cls, location: dict[str, Any] | None) -> "Hotel":
        location = location or {}
        language = location.get("language")
        return cls(
            name=str(location.get("name") or ""),
            # A hotel with an address but no name set sends under its own name.
            sender_name=location.get("sender_name") or location.get("name") or None,
            sender_address=location.get("sender_email") or None,
            language=language if language in ("fr", "en") else "fr",
        )


@dataclass(frozen=True)
class ViewLink:
    """A read-only link to a request, and when it stops working."""

    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Context:
    """What a hand-over needs besides the request: its hotel, the guest's latest message, the link."""

    hotel: Hotel
    guest_message: str
    link: ViewLink | None


def view_token(conversation_id: str, secret: str, expires_at: int) -> str:
    return tokens.sign_until(VIEW_TOKEN_PURPOSE, conversation_id, expires_at, secret)


def view_link(console_url: str, conversation_id: str, secret: str, now: float | None = None) -> ViewLink:
    expires_at = int(now if now is not None else time.time()) + VIEW_DAYS * 86400
    token = view_token(conversation_id, secret, expires_at)
    return ViewLink(f"{console_url.rstrip('/')}/requests/{token}", datetime.fromtimestamp(expires_at, UTC))


def viewed_conversation(token: str, secret: str, now: float | None = None) -> str | None:
    """The request a read-only link opens, or None if it is forged or expired."""
    return tokens.verify_until(VIEW_TOKEN_PURPOSE, token, secret, now if now is not None else time.time())


def subject(
    kind: OutboundKind, language: HotelLanguage, conversation_subject: str | None, guest: dict[str, Any]
) -> str:
    who = guest.get("name") or guest.get("email") or _WORDS[language]["a_guest"]
    return f"[{_SUBJECT_TAG[language][kind]}] {conversation_subject or who}"


def text(
    kind: OutboundKind,
    hotel: Hotel,
    actor_name: str,
    note: str,
    conversation_subject: str | None,
    guest: dict[str, Any],
    guest_message: str,
    link: ViewLink | None,
) -> str:
    words = _WORDS[hotel.language]
    unknown = words["unknown"]
    parts = [_INTRO[hotel.language][kind].format(actor=actor_name)]
    if note.strip():
        parts.append(f"{words['note'].format(actor=actor_name)}\n{note.strip()}")
    details = [
        f"{words['guest']} : {guest.get('name') or unknown}",
        f"{words['email']} : {guest.get('email') or unknown}",
        f"{words['phone']} : {guest.get('phone') or unknown}",
        f"{words['subject']} : {conversation_subject or words['none']}",
    ]
    if hotel.name:
        details.append(f"{words['hotel']} : {hotel.name}")
    if hotel.language == "en":
        details = [line.replace(" : ", ": ", 1) for line in details]
    parts.append("\n".join(details))
    if guest_message.strip():
        parts.append(f"{words['message']}\n{guest_message.strip()}")
    parts.append(words["answer"])
    if link is not None:
        until = link.expires_at.strftime("%d/%m/%Y" if hotel.language == "fr" else "%Y-%m-%d")
        parts.append(f"{words['link'].format(until=until)}\n{link.url}")
    return "\n\n".join(parts)


# --- the read-only page the link opens ------------------------------------------------------------

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_PAGE_WORDS = {
    "fr": {"title": "Demande client", "guest": "Client", "hotel": "L’hôtel", "readonly": "Lecture seule."},
    "en": {"title": "Guest request", "guest": "Guest", "hotel": "The hotel", "readonly": "Read-only."},
}


def page(document: dict[str, Any], entries: list[dict[str, Any]], hotel: Hotel) -> str:
    """The request's messages (the guest's and the hotel's; no internal note), escaped, no script."""
    words, esc = _PAGE_WORDS[hotel.language], html.escape
    guest = document.get("guest") or {}
    contact = " · ".join(esc(str(v)) for v in (guest.get("name"), guest.get("email"), guest.get("phone")) if v)
    items = []
    for entry in entries:
        if entry.get("kind") != "message":
            continue
        inbound = entry.get("direction") == "inbound"
        who = words["guest"] if inbound else words["hotel"]
        at = entry.get("at")
        when = at.strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else ""
        text = esc(str(entry.get("text") or "")).replace("\n", "<br>\n")
        items.append(f"<article><h2>{esc(who)} <small>{esc(when)}</small></h2><p>{text}</p></article>")
    title = esc(str(document.get("subject") or words["title"]))
    return (
        f'<!doctype html><html lang="{hotel.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><meta name="robots" content="noindex">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
        "overflow-wrap:anywhere}article{border-top:1px solid #ddd}h2{font-size:1rem}</style></head><body>"
        f"<p>{esc(hotel.name)}</p><h1>{title}</h1><p>{contact}</p>{''.join(items)}"
        f"<footer><p><small>{esc(words['readonly'])}</small></p></footer></body></html>"
    )
