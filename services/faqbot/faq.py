"""The hotels' questions and answers (the FAQ file) and which question a guest's message asks."""

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Language = Literal["fr", "en"]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Keywords(Strict):
    fr: list[Phrase] = Field(default=[], max_length=50)
    en: list[Phrase] = Field(default=[], max_length=50)


class Texts(Strict):
    """One text in both languages."""

    fr: Text
    en: Text

    def in_(self, language: Language) -> str:
        return self.fr if language == "fr" else self.en


class Question(Strict):
    id: Phrase
    # What the bot offers to talk about in its greeting ("le petit-déjeuner" / "breakfast").
    topic: Texts
    keywords: Keywords
    answer: Texts


class HotelFaq(Strict):
    # The language of a guest whose message does not say (a name, an address) and of whom the hub knows none.
    default_language: Language = "fr"
    questions: list[Question] = Field(default=[], max_length=200)


class FaqFile(Strict):
    """`{"hotels": {"<location id>": {"default_language": "fr", "questions": [...]}}}`."""

    hotels: dict[str, HotelFaq]

    @classmethod
    def load(cls, path: Path) -> "FaqFile":
        return cls.model_validate_json(path.read_bytes())


def normalise(text: str) -> str:
    """Lower case, without accents or punctuation, one space between words and one at each end, so that a
    keyword matches whole words only: "Petit-déjeuner ?" -> " petit dejeuner "."""
    stripped = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in stripped if not unicodedata.combining(char))
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split()) + " "


def contains(normalised_text: str, phrase: str) -> bool:
    return normalise(phrase) in normalised_text


def best_question(faq: HotelFaq, text: str) -> Question | None:
    """The question whose keywords (in either language: guests mix them, "le wifi") the message matches
    best: the most matched characters, so "check-out" beats "check" on "what time is check-out?"."""
    words = normalise(text)
    best: tuple[int, Question] | None = None
    for question in faq.questions:
        score = sum(
            len(keyword) for keyword in [*question.keywords.fr, *question.keywords.en] if contains(words, keyword)
        )
        if score and (best is None or score > best[0]):
            best = (score, question)
    return best[1] if best else None
