"""The public pages a survey link opens: the choice to confirm, thanks, already rated, unknown link.

No script and no account: a form posts the rating to the same address (a GET only shows the choice, since
mail scanners open every link). Everything shown is escaped; the CSP lets the page style itself and post
its form to its own origin, nothing else. Pure functions of the words, tested without servers.
"""

import html
from dataclasses import dataclass

from shared.bus import HotelLanguage

from .decisions import RATINGS

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

_WORDS = {
    "fr": {
        "title": "Votre avis",
        "question": "Êtes-vous satisfait de notre réponse ?",
        "scale": "1 = pas du tout satisfait, 5 = tout à fait satisfait",
        "confirm": "Envoyer ma note",
        "choose": "Choisissez une note de 1 à 5.",
        "thanks": "Merci pour votre note !",
        "thanks_detail": "Vous avez donné la note de {rating}/5. Elle aide l’équipe à mieux vous servir.",
        "already": "Vous avez déjà donné votre note",
        "already_detail": "Cette demande a déjà été notée : un lien de questionnaire ne sert qu’une fois. Merci !",
        "unknown": "Lien inconnu",
        "unknown_detail": (
            "Ce lien de questionnaire n’est pas valide : vérifiez qu’il est complet, ou écrivez à l’hôtel."
        ),
        "unavailable": "Réessayez",
        "unavailable_detail": "Votre note n’a pas pu être enregistrée pour le moment ; réessayez dans un instant.",
    },
    "en": {
        "title": "Your opinion",
        "question": "Are you satisfied with our answer?",
        "scale": "1 = not satisfied at all, 5 = completely satisfied",
        "confirm": "Send my rating",
        "choose": "Choose a rating from 1 to 5.",
        "thanks": "Thank you for your rating!",
        "thanks_detail": "You rated us {rating}/5. It helps the team serve you better.",
        "already": "You have already rated",
        "already_detail": "This request has already been rated: a survey link works once. Thank you!",
        "unknown": "Unknown link",
        "unknown_detail": "This survey link is not valid. Check that it is complete, or contact the hotel.",
        "unavailable": "Try again",
        "unavailable_detail": "Your rating could not be recorded just now; try again in a moment.",
    },
}


@dataclass(frozen=True)
class Page:
    """A page and its HTTP status."""

    status: int
    html: str


def accepted_language(header: str | None) -> HotelLanguage:
    """The reader's language for a page with no hotel behind it (a forged link): French or else English."""
    for part in (header or "").split(",")[:20]:
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("fr"):
            return "fr"
        if tag.startswith("en"):
            return "en"
    return "en"


def _document(language: HotelLanguage, hotel: str, heading: str, body: str) -> str:
    esc = html.escape
    title = esc(f"{heading} · {hotel}" if hotel else heading)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><meta name="robots" content="noindex">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}fieldset{border:0;padding:0;display:flex;gap:.5rem;flex-wrap:wrap}"
        "label{border:1px solid #bbb;border-radius:6px;padding:.5rem .9rem;cursor:pointer}"
        "button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a40000}</style></head><body>"
        f"<p>{esc(hotel)}</p><h1>{esc(heading)}</h1>{body}</body></html>"
    )


def choice(language: HotelLanguage, hotel: str, selected: int | None, error: bool = False) -> Page:
    """The question with the five ratings (the one the email's link named already chosen) and a button that
    posts it; `error`: the last post named no rating."""
    words = _WORDS[language]
    options = "".join(
        f'<label><input type="radio" name="rating" value="{rating}" required'
        f"{' checked' if rating == selected else ''}> {'★' * rating} {rating}</label>"
        for rating in RATINGS
    )
    notice = f'<p class="error" role="alert">{html.escape(words["choose"])}</p>' if error else ""
    body = (
        f'{notice}<form method="post"><p>{html.escape(words["scale"])}</p>'
        f"<fieldset><legend hidden>{html.escape(words['question'])}</legend>{options}</fieldset>"
        f'<button type="submit">{html.escape(words["confirm"])}</button></form>'
    )
    return Page(422 if error else 200, _document(language, hotel, words["question"], body))


def thanks(language: HotelLanguage, hotel: str, rating: int) -> Page:
    words = _WORDS[language]
    return Page(
        200,
        _document(
            language, hotel, words["thanks"], f"<p>{html.escape(words['thanks_detail'].format(rating=rating))}</p>"
        ),
    )


def already_rated(language: HotelLanguage, hotel: str) -> Page:
    words = _WORDS[language]
    return Page(409, _document(language, hotel, words["already"], f"<p>{html.escape(words['already_detail'])}</p>"))


def unknown(language: HotelLanguage) -> Page:
    words = _WORDS[language]
    return Page(404, _document(language, "", words["unknown"], f"<p>{html.escape(words['unknown_detail'])}</p>"))


def unavailable(language: HotelLanguage, hotel: str) -> Page:
    words = _WORDS[language]
    return Page(
        503, _document(language, hotel, words["unavailable"], f"<p>{html.escape(words['unavailable_detail'])}</p>")
    )
