"""What the bot says to a guest's message: an answer from the FAQ, or the hand-over dialogue (first name,
then email, then a person). Pure rules: `decide` reads where the conversation stands from the bot's own
previous messages (the hub keeps them), so the bot keeps no state and survives restarts.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from email_validator import EmailNotValidError, validate_email

from .faq import HotelFaq, Language, Texts, best_question, contains, normalise
from .schemas import Message

REASON_ASKED = "guest asked for a person"
REASON_UNKNOWN = "question not in the FAQ"

# The bot's own sentences. Those that ask something are recognised again in the conversation to know
# which answer the guest's next message is (see `standing`), so change them with care: a conversation
# under way with the old sentence then starts over.
ASK_NAME = {
    REASON_ASKED: Texts(
        fr="Bien sûr, je vous mets en relation avec un conseiller. Pour commencer, quel est votre prénom ?",
        en="Of course, I will put you in touch with a member of our team. First, what is your first name?",
    ),
    REASON_UNKNOWN: Texts(
        fr="Je n'ai pas la réponse à cette question : un conseiller va vous répondre. "
        "Pour commencer, quel est votre prénom ?",
        en="I do not have the answer to that question; a member of our team will answer you. "
        "First, what is your first name?",
    ),
}
ASK_EMAIL = Texts(
    fr="Merci {name} ! Quelle est votre adresse e-mail, pour que l'équipe puisse vous écrire ?",
    en="Thank you, {name}! What is your email address, so that the team can write to you?",
)
ASK_EMAIL_AGAIN = Texts(
    fr="Cette adresse e-mail ne semble pas valide. Pouvez-vous la vérifier et l'écrire à nouveau ?",
    en="That email address does not look valid. Could you check it and write it again?",
)
HANDED_OVER = Texts(
    fr="Merci ! Un conseiller prend le relais et vous répond ici très vite.",
    en="Thank you! A member of our team is taking over and will answer you here shortly.",
)
GREETING = Texts(
    fr="Bonjour ! Je suis l'assistant de l'hôtel. Je peux vous renseigner sur {topics}. "
    "Pour parler à un conseiller, écrivez « un conseiller ».",
    en='Hello! I am the hotel\'s assistant. I can tell you about {topics}. To talk to a person, write "a person".',
)
WELCOME = Texts(fr="Avec plaisir ! Puis-je vous aider pour autre chose ?", en="You are welcome! Anything else?")

# What a guest writes to ask for a person (matched on whole words, without accents or case).
PERSON_REQUESTS = (
    "un conseiller",
    "une conseillere",
    "une personne",
    "un humain",
    "humain",
    "quelqu un",
    "agent",
    "a person",
    "someone",
    "somebody",
    "human",
    "real person",
)
# A guest who speaks of booking: recorded with the hand-over as a reservation intent.
BOOKING_WORDS = ("reserver", "reservation", "reservations", "book", "booking", "reserve")
RESTAURANT_WORDS = ("restaurant", "table", "diner", "dinner")

GREETING_WORDS = {"bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "good", "morning", "evening"}
THANKS_WORDS = {"merci", "beaucoup", "thanks", "thank", "you", "much", "super", "parfait", "great", "ok"}
# Words that say which language a message is in (without accents); any accented letter counts as French.
FRENCH_WORDS = {
    "bonjour", "bonsoir", "salut", "merci", "je", "vous", "votre", "vos", "nous", "le", "la", "les", "du",
    "des", "un", "une", "est", "quel", "quelle", "quels", "quelles", "heure", "heures", "avez", "pouvez",
    "peut", "ce", "que", "qu", "pour", "avec", "dejeuner", "chambre", "oui", "non", "il", "y", "sont",
    "petit", "mon", "ma", "mes", "ou", "comment", "combien", "conseiller", "personne", "svp",
}  # fmt: skip
ENGLISH_WORDS = {
    "hello", "hi", "hey", "thanks", "thank", "you", "your", "we", "the", "is", "are", "what", "when",
    "where", "time", "do", "does", "can", "could", "have", "has", "breakfast", "room", "yes", "please",
    "i", "my", "to", "there", "how", "much", "person", "someone", "of", "it",
}  # fmt: skip
ACCENTED = re.compile(r"[àâäçéèêëîïôöùûüÿœæ]", re.IGNORECASE)

# Words before a first name ("je m'appelle Claire", "my name is John"), as the tokens `_words` gives.
NAME_LEADS = (
    ("je", "m", "appelle"),
    ("je", "suis"),
    ("moi", "c", "est"),
    ("c", "est"),
    ("mon", "prenom", "est"),
    ("mon", "prenom", "c", "est"),
    ("mon", "prenom"),
    ("prenom",),
    ("my", "first", "name", "is"),
    ("my", "name", "is"),
    ("first", "name"),
    ("i", "am"),
    ("i", "m"),
    ("it", "s"),
    ("this", "is"),
)
NAME_MAX_LENGTH = 50
EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"«»]+@[^\s<>()\[\],;:\"«»]+")


class Step(Enum):
    """Where the conversation stands: what the guest's next message answers."""

    FREE = "free"  # a question (or a request for a person)
    NAME = "name"  # the first name the bot asked for
    EMAIL = "email"  # the email address the bot asked for
    EMAIL_AGAIN = "email_again"  # the address again, after an invalid one (asked once)


@dataclass(frozen=True)
class Standing:
    step: Step
    language: Language | None = None  # the language of the bot's question being answered
    reason: str = REASON_UNKNOWN  # why the bot is handing over (from the way it asked for the name)
    first_name: str | None = None  # the name given, once the bot asked for the email


@dataclass(frozen=True)
class ReservationIntent:
    kind: str  # "room" or "restaurant"
    note: str


@dataclass(frozen=True)
class Capture:
    first_name: str | None
    email: str | None
    reservation_intent: ReservationIntent | None


@dataclass(frozen=True)
class Decision:
    """What the bot does: say `reply`, then (on hand-over) record `capture` and hand over for `handover`."""

    reply: str
    capture: Capture | None = None
    handover: str | None = None


# --- reading a message -----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return normalise(text).split()


def language_of(text: str) -> Language | None:
    """French or English by the words used; None when the message does not say (a name, an address)."""
    words = _words(text)
    french = sum(word in FRENCH_WORDS for word in words) + len(ACCENTED.findall(text))
    english = sum(word in ENGLISH_WORDS for word in words)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


def asks_for_a_person(text: str) -> bool:
    words = normalise(text)
    return any(contains(words, phrase) for phrase in PERSON_REQUESTS)


def _only(text: str, vocabulary: set[str]) -> bool:
    words = _words(text)
    return bool(words) and all(word in vocabulary for word in words)


def reservation_intent(texts: Sequence[str]) -> ReservationIntent | None:
    """The guest spoke of booking (a room, or a table when they name the restaurant)."""
    for text in reversed(texts):
        words = normalise(text)
        if any(contains(words, word) for word in BOOKING_WORDS):
            kind = "restaurant" if any(contains(words, word) for word in RESTAURANT_WORDS) else "room"
            return ReservationIntent(kind=kind, note=text.strip()[:500])
    return None


def first_name_of(text: str) -> str | None:
    """The first name in an answer to "what is your first name?": "je m'appelle claire" -> "Claire"."""
    if "@" in text:
        return None
    tokens: list[str] = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text)
    plain = [normalise(token).strip() for token in tokens]
    while plain and plain[0] in GREETING_WORDS | {"oui", "yes", "alors", "so", "sure"}:
        tokens, plain = tokens[1:], plain[1:]
    for lead in NAME_LEADS:
        if tuple(plain[: len(lead)]) == lead:
            tokens = tokens[len(lead) :]
            break
    if not tokens:
        return None
    name = tokens[0]
    if name.islower() or name.isupper():
        name = "-".join(part.capitalize() for part in name.split("-"))
    return name[:NAME_MAX_LENGTH]


def email_of(text: str) -> str | None:
    """The email address in the message, normalised, if it is a valid one (no DNS look-up)."""
    for candidate in EMAIL_CANDIDATE.findall(text):
        try:
            return str(validate_email(candidate.rstrip("."), check_deliverability=False).normalized)
        except EmailNotValidError:
            continue
    return None


# --- where the conversation stands -----------------------------------------------------------------------


def _said(template: Texts, text: str) -> Language | None:
    """The language in which the bot's message `text` is `template` (its {placeholders} match anything)."""
    for language in ("fr", "en"):
        pattern = re.escape(template.in_(language))
        pattern = re.sub(r"\\\{[a-z_]+\\\}", ".+", pattern)
        if re.fullmatch(pattern, text.strip(), re.DOTALL):
            return language
    return None


def standing(history: Sequence[Message]) -> Standing:
    """Where the conversation stands before the guest's new message, from the last thing said to the guest:
    a question of the hand-over dialogue from the bot, or anything else (an answer, an agent's message)."""
    said = [index for index, message in enumerate(history) if message.direction == "outbound"]
    if not said or history[said[-1]].author_kind != "bot":
        return Standing(Step.FREE)
    last = history[said[-1]].text
    for reason, question in ASK_NAME.items():
        if language := _said(question, last):
            return Standing(Step.NAME, language, reason)
    for step, question in ((Step.EMAIL, ASK_EMAIL), (Step.EMAIL_AGAIN, ASK_EMAIL_AGAIN)):
        if language := _said(question, last):
            return Standing(step, language, *_name_and_reason(history[: said[-1]]))
    return Standing(Step.FREE)


def _name_and_reason(history: Sequence[Message]) -> tuple[str, str | None]:
    """The hand-over reason and the guest's first name: the bot's last question for the name, and what
    the guest answered to it."""
    for index in range(len(history) - 1, -1, -1):
        message = history[index]
        if message.author_kind != "bot":
            continue
        for reason, question in ASK_NAME.items():
            if _said(question, message.text):
                answers = [m.text for m in history[index + 1 :] if m.direction == "inbound"]
                return reason, next(filter(None, map(first_name_of, answers)), None)
    return REASON_UNKNOWN, None


# --- what the bot says -----------------------------------------------------------------------------------


def decide(faq: HotelFaq, history: Sequence[Message], text: str, language: str | None = None) -> Decision:
    """The bot's answer to the guest's message `text`, said after `history` (the conversation before it).
    `language` is the hub's guess for the conversation, used when the message itself does not say."""
    where = standing(history)
    fallback: Language = "en" if language == "en" else "fr" if language == "fr" else faq.default_language
    if where.step is Step.NAME:
        return _after_name(faq, where, text)
    if where.step in (Step.EMAIL, Step.EMAIL_AGAIN):
        return _after_email(history, where, text)
    speaks = language_of(text) or fallback
    if asks_for_a_person(text):
        return Decision(ASK_NAME[REASON_ASKED].in_(speaks))
    if question := best_question(faq, text):
        return Decision(question.answer.in_(speaks))
    if _only(text, THANKS_WORDS):
        return Decision(WELCOME.in_(speaks))
    if _only(text, GREETING_WORDS | THANKS_WORDS):
        topics = ", ".join(question.topic.in_(speaks) for question in faq.questions)
        return Decision(GREETING.in_(speaks).format(topics=topics))
    return Decision(ASK_NAME[REASON_UNKNOWN].in_(speaks))


def _after_name(faq: HotelFaq, where: Standing, text: str) -> Decision:
    language = where.language or faq.default_language
    # A guest who asks a question of the FAQ instead gets its answer (and may ask for a person again).
    question = best_question(faq, text)
    if question and not asks_for_a_person(text) and len(_words(text)) > 2:
        return Decision(question.answer.in_(language_of(text) or language))
    name = first_name_of(text)
    if name is None:
        return Decision(ASK_NAME[where.reason].in_(language))
    return Decision(ASK_EMAIL.in_(language).format(name=name))


def _after_email(history: Sequence[Message], where: Standing, text: str) -> Decision:
    language = where.language or "fr"
    email = email_of(text)
    if email is None and where.step is Step.EMAIL:
        return Decision(ASK_EMAIL_AGAIN.in_(language))
    guest_texts = [message.text for message in history if message.direction == "inbound"]
    capture = Capture(where.first_name, email, reservation_intent([*guest_texts, text]))
    return Decision(HANDED_OVER.in_(language), capture=capture, handover=where.reason)
