"""What search-as-you-type compares: the words of a contact and of a query, folded (no case, no accents).

Both storage variants of the search (see `repository.ContactSearch`) find a contact when every word
typed is the start of one of its words: names, email addresses, phone digits (E.164 and national).
"""

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from .phones import national_digits

MIN_QUERY = 2
MAX_PREFIX = 12


def fold(text: str) -> str:
    """Lower case without accents: 'Zoé' and 'zoe' are found alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def name_words(contact: dict[str, Any]) -> list[str]:
    names = (contact.get("display_name"), contact.get("first_name"), contact.get("last_name"))
    return [word for name in names for word in re.findall(r"[\w'-]+", fold(name or ""))]


def contact_words(contact: dict[str, Any]) -> list[str]:
    """Every word a query may start: the contact's name words, folded addresses and phone digits."""
    words = set(name_words(contact))
    for email in contact.get("emails") or []:
        words.add(fold(email))
    for phone in contact.get("phones") or []:
        words.add(re.sub(r"\D", "", phone))
        words.add(national_digits(phone) or "")
    return sorted(word for word in words if word)


def prefixes(words: Iterable[str]) -> list[str]:
    """Each word's starts of 2 to 12 characters (a query word is cut to 12 alike)."""
    return sorted({word[:n] for word in words for n in range(MIN_QUERY, min(len(word), MAX_PREFIX) + 1)})


def search_keys(contact: dict[str, Any]) -> list[str]:
    """Every prefix (2 to 12 characters) of the contact's names, addresses and phone digits."""
    return prefixes(contact_words(contact))


def name_keys(contact: dict[str, Any]) -> list[str]:
    """The prefixes of the contact's names only (what a query's second word is looked up in)."""
    return prefixes(name_words(contact))


def query_words(text: str) -> list[str]:
    """The words of a search box's text as keys are made: folded, cut like them; a number as its digits."""
    if re.fullmatch(r"[\d\s+().-]+", text):  # "+33 6 12", "06.12": one number, however it is spaced
        digits = re.sub(r"\D", "", text)
        return [digits[:MAX_PREFIX]] if digits else []
    return [word[:MAX_PREFIX] for word in re.findall(r"[\w@.+'-]+", fold(text.strip())) if len(word) >= MIN_QUERY]


def query_key(text: str) -> str | None:
    """The key a search looks up: the query's longest word (the most selective), None when too short."""
    words = [word for word in query_words(text) if len(word) >= MIN_QUERY]
    return max(words, key=len) if words else None


def is_name_word(word: str) -> bool:
    """Letters, apostrophes and hyphens only: a word that can only be part of a name."""
    return re.fullmatch(r"(?:[^\W\d_]|['-])+", word) is not None


def matches_all_words(contact: dict[str, Any], text: str) -> bool:
    """Every word of the query must be a prefix of one of the contact's words (the look-up used one)."""
    keys = set(search_keys(contact))
    return all(word in keys for word in query_words(text))


def sort_name(contact: dict[str, Any]) -> str:
    """What results are ordered by: the folded display name; contacts without one come last."""
    return fold(str(contact.get("display_name") or "")) or "~"
