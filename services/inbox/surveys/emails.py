"""The survey email's words, in the guest's or the hotel's language: a question and five one-click links.

Plain text (notify makes the HTML part, links clickable); each link opens a page where the guest confirms,
since mail scanners open links too. Pure functions, tested without servers.
"""

from shared.bus import HotelLanguage

_WORDS = {
    "fr": {
        "subject": "Votre avis compte pour {hotel}",
        "subject_plain": "Votre avis compte",
        "greeting": "Bonjour,",
        "intro": "Votre demande « {subject} » est traitée.",
        "intro_plain": "Votre demande est traitée.",
        "question": "Êtes-vous satisfait de notre réponse ? Choisissez une note (1 = pas du tout, 5 = tout à fait) :",
        "rating": "{stars} {rating}/5",
        "once": "Un seul clic suffit ; vous confirmerez votre note sur la page qui s’ouvre.",
        "thanks": "Merci,",
    },
    "en": {
        "subject": "How did {hotel} do?",
        "subject_plain": "How did we do?",
        "greeting": "Hello,",
        "intro": "Your request “{subject}” has been handled.",
        "intro_plain": "Your request has been handled.",
        "question": "Are you satisfied with our answer? Choose a rating (1 = not at all, 5 = completely):",
        "rating": "{stars} {rating}/5",
        "once": "One click is enough; you confirm your rating on the page that opens.",
        "thanks": "Thank you,",
    },
}


def subject(language: HotelLanguage, hotel: str) -> str:
    words = _WORDS[language]
    return words["subject"].format(hotel=hotel) if hotel else words["subject_plain"]


def text(language: HotelLanguage, hotel: str, request_subject: str, links: list[str]) -> str:
    """The email: what was handled, the question, one line per rating with its link, signed by the hotel."""
    words = _WORDS[language]
    shown = " ".join(request_subject.split())[:120]
    intro = words["intro"].format(subject=shown) if shown else words["intro_plain"]
    lines = [
        words["rating"].format(stars="★" * rating + "☆" * (5 - rating), rating=rating) + f"\n{link}"
        for rating, link in enumerate(links, start=1)
    ]
    signature = f"{words['thanks']}\n{hotel}" if hotel else words["thanks"].rstrip(",")
    return "\n\n".join([words["greeting"], intro, words["question"], *lines, words["once"], signature])
