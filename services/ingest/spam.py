"""Cheap spam rules for the public text channels (forms, chat). A hit sends the new request straight
to the spam view; an agent's "not spam" brings it back, and later messages do not undo that."""

import re

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_PHRASES = re.compile(
    r"\b(viagra|cialis|casino|crypto ?currency|bitcoin|forex|seo (services|agency)|backlinks?|loan offer|"
    r"click here|buy now|make money|work from home|100% free|guest ?post)\b",
    re.IGNORECASE,
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
MAX_LINKS = 3


def verdict(text: str, subject: str = "") -> str | None:
    """Why the message looks like spam, or None."""
    content = f"{subject}\n{text}"
    links = len(_URL.findall(content))
    if links >= MAX_LINKS:
        return f"{links} links"
    if phrase := _PHRASES.search(content):
        return f"spam phrase {phrase.group(0).lower()!r}"
    if len(_INVISIBLE.findall(content)) >= 3:
        return "invisible characters"
    return None
