"""Strong dissatisfaction in a guest's own words, French or English: the score that raises a request's alert.

A lexicon scorer, pure and fast enough to run on every email, form and chat message (under 0.1 ms for a
short message on one core; `python -m scripts.dissatisfaction_eval` prints the figure). Two kinds
of knowledge are combined:

- the general sentiment lexicons that registry packages ship as data files, read from the installed
  package and never downloaded: VADER's English lexicon (`vaderSentiment`, MIT) and Pattern's French
  adjectives (`textblob-fr`, lexicon under PDDL). Their valences weigh every word a little;
- our own cues of *strong* dissatisfaction in a hotel (words such as "unacceptable", "inadmissible",
  "refund", "remboursement"; phrases such as "never again", "plus jamais", "I want my money back"),
  which weigh much more: a guest who is merely disappointed by a slow wifi is no alert.

Cheap rules follow VADER's: a negation just before a word turns it (and a negated cue counts little),
"very" strengthens and "a bit" softens, the words after "but" / "mais" count more than those before,
and exclamation marks add a little. The language is told by common words; when unsure, both are tried.
The score is in [0, 1): 0 for nothing negative, about 0.5 for one strong cue with a little more.
"""

import importlib.util
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["en", "fr"]

# The score from which a message raises an alert unless the chain sets its own (HUB_INBOX_ALERT_THRESHOLD):
# chosen on tests/data/dissatisfaction/ for a precision of at least 0.8 (see the README's "Alerts").
DEFAULT_THRESHOLD = 0.45
REASON = "negative_wording"  # the alert's reason key (the console says "alert: negative wording")

# Only the start of a long message is read: strong dissatisfaction shows early, and a quoted thread or
# a pasted document must not cost more than a message.
MAX_CHARACTERS = 4000

STRONG = 1.5  # a cue of strong dissatisfaction ("unacceptable", "never again")
MEDIUM = 0.8  # a cue that says dissatisfaction, not how strong ("disappointed", "rude")
LEXICON_WEIGHT = 0.6  # a general lexicon word at full valence
POSITIVE_WEIGHT = 0.5  # how much praise offsets the negative words
NEGATED = -0.3  # a negated cue ("not unacceptable"): barely counts
NEGATED_LEXICON = -0.5  # a negated lexicon word turns half-way ("not clean" is mildly negative)
MINOR = 0.5
INTENSIFIED = 1.3
SOFTENED = 0.4
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
SCALE = STRONG  # the weight at which the score is 0.5: one strong cue, alone


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Cues:
    """Our own knowledge of one language: cue words (exact folded forms or stems ending with `*`),
    demands that a negation does not soften ("no refund" is still about a refund), phrases, and the
    little words the rules need."""

    strong: frozenset[str]
    medium: frozenset[str]
    demands: frozenset[str]
    not_cues: frozenset[str]  # forms a stem would catch that say nothing of dissatisfaction
    phrases: tuple[str, ...]
    minor: tuple[str, ...]  # phrases that play a complaint down ("not a big deal"): the negative halves
    negations: frozenset[str]
    intensifiers: frozenset[str]
    softeners: frozenset[str]
    contrasts: frozenset[str]
    common: frozenset[str]  # frequent words that tell the language


ENGLISH = Cues(
    strong=_words(
        "unacceptable inacceptable angry disgusting disgusted disgrace* appalling appalled outrage* furious livid "
        "horrible horrendous atrocious dreadful revolting filthy shameful shocking pathetic ridiculous "
        "inexcusable insulting insulted humiliat* incompetent unprofessional worst nightmare scam* ripoff "
        "cheated lied liar* useless hostile infuriat* unhygienic inedible disrespect* intolerable "
        "cockroach* roach* rats mice"
    ),
    medium=_words(
        "disappointed disappointing disappointment upset rude dirty terrible awful mould* mold* "
        "stain* smelly stank stinks filth unhelpful careless arrogant dismissive lie lies dishonest "
        "overcharged broken unsafe stolen theft ruined ruin shocked"
    ),
    demands=_words("refund refunded refunds refunding compensation compensate lawyer solicitor chargeback"),
    not_cues=_words("refundable nonrefundable"),
    phrases=(
        r"never again",
        r"never (?:stay|come|book|return)\w* (?:\w+ )?(?:again|here)",
        r"rip ?off",
        r"worst \w+(?: \w+)? (?:ever|of my life)",
        r"(?:want|demand|expect|insist on|request)(?: \w+){0,3} (?:refund\w*|compensation|apology|money back)",
        r"money back",
        r"(?:speak|talk) (?:to|with) (?:the |your |a |someone )?(?:manager|supervisor|in charge)",
        r"food poisoning",
        r"bed ?bugs?",
        r"(?:legal action|formal complaint|my bank|dispute the charge|disputing the charge)",
        r"(?:avoid this|stay away)",
        r"(?:could not|couldn t|couldnt) care less|(?:nobody|no one) cares",
        r"(?:is|was) a joke|what a joke",
        r"(?:leaving|leave|write|post) (?:\w+ )?reviews? everywhere",
        r"hold (?:you|the hotel) (?:\w+ )?responsible",
    ),
    minor=(r"(?:not a|no) big deal", r"minor (?:thing|issue|point|detail)", r"small (?:thing|issue|remark|detail)"),
    negations=_words(
        "not no never none nobody nothing neither nor without cannot cant dont doesnt didnt isnt wasnt arent "
        "werent wont wouldnt hardly"
    ),
    intensifiers=_words("very so extremely absolutely totally completely utterly really incredibly truly such deeply"),
    softeners=_words("bit little slightly somewhat tad"),
    contrasts=_words("but however otherwise"),
    common=_words(
        "the a an and is was i we you it this that my our your to of for in on at with have has had be are "
        "were not do can could would will please thank thanks room"
    ),
)

FRENCH = Cues(
    strong=_words(
        "inadmissible inacceptable scandale scandaleux scandaleuse* honte honteux honteuse* degoutant* "
        "degoute degoutee* ecoeurant* ecoeure* lamentable* deplorable* epouvantable* horrible* execrable* "
        "inexcusable* intolerable* insupportable* catastroph* cauchemar arnaque* escroc* escroquerie "
        "pathetique* minable* immonde* infect infecte* repugnant* insalubre* furieux furieuse* indigne* "
        "mensonger* insultant* humiliant* humilie* meprisant* irrespectueu* incompetent* pire "
        "inadmissibles inacceptables cafard* rats souris"
    ),
    medium=_words(
        "decu decue decus decues deception deplaisant* desagreable* impoli* grossier* sale sales "
        "nul nulle moisi* moisissure* tache* taches menti mensonge* casse cassee* colere "
        "abime* vole gache* choque choquee* mecontent*"
    ),
    demands=_words("rembourse* remboursement* dedommagement* dedommager indemnisation indemnise* avocat plainte"),
    not_cues=_words("remboursable remboursables"),
    phrases=(
        r"plus jamais",
        r"ne (?:\w+ ){0,3}plus jamais",
        r"a fuir",
        r"hors de (?:moi|prix)",
        r"(?:vous|se|nous) (?:vous |nous )?moqu\w* (?:de|du|des)",
        r"s en (?:fiche|fichent|fout|foutent|moque|moquent)",
        r"en colere",
        r"(?:veux|voulons|exige|exigeons|attends|attendons|demande|demandons)(?: \w+){0,4} "
        r"(?:rembours\w*|dedommag\w*|indemni\w*|excuses|geste commercial)",
        r"(?:recuperer|rendre|rendez|rendre) (?:mon|notre) argent",
        r"parler (?:a|au|avec) (?:un |le |la |votre )?(?:responsable|directeur|directrice|gerant)",
        r"intoxication alimentaire",
        r"punaises? de lit",
        r"(?:une|quelle) (?:vraie )?(?:plaisanterie|blague)",
        r"(?:avis|commentaires?) partout",
        r"(?:ma|notre) banque",
        r"(?:tiens|tenons) (?:\w+ )?(?:pour )?responsables?",
    ),
    minor=(r"rien de grave", r"petit (?:bemol|detail|souci)", r"petite remarque", r"pas bien grave"),
    negations=_words("ne n pas jamais aucun aucune rien sans ni guere"),
    intensifiers=_words("tres vraiment tellement totalement completement absolument extremement trop franchement si"),
    softeners=_words("peu legerement plutot assez"),
    contrasts=_words("mais cependant pourtant sinon toutefois"),
    common=_words(
        "le la les de des du et est une un je nous vous pas ne pour dans sur avec que qui tres mais c j n l d "
        "qu il elle on au aux ce cette etait ete ai avons votre notre mon ma mes bonjour merci chambre"
    ),
)

CUES: Mapping[Language, Cues] = {"en": ENGLISH, "fr": FRENCH}

_WORD = re.compile(r"[a-z0-9]+|[.!?;:]")
BOUNDARY = "."  # the end of a sentence: a negation or a "very" reaches no further
_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower case without accents: guests type "degoutant" as often as "dégoûtant"."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower())).replace("œ", "oe").replace("æ", "ae")


Kind = Literal["lexicon", "cue", "demand"]


@dataclass(frozen=True)
class Vocabulary:
    """One language's words with their weight (negative: dissatisfaction), as the scorer reads them."""

    lexicon: Mapping[str, float]
    cues: Mapping[str, tuple[float, Kind]]
    stems: tuple[tuple[str, float, Kind], ...]  # longest first
    stem_prefixes: tuple[str, ...]  # the same stems, for one quick test of a word
    phrases: re.Pattern[str]
    minor: re.Pattern[str]
    rules: Cues

    def weight(self, word: str) -> tuple[float, Kind]:
        """A word's weight, and whether it is the package lexicon's, one of our cues or a demand."""
        if word in self.rules.not_cues:
            return 0.0, "lexicon"
        found = self.cues.get(word)
        if found is not None:
            return found
        if word.startswith(self.stem_prefixes):
            return next((weight, kind) for stem, weight, kind in self.stems if word.startswith(stem))
        return self.lexicon.get(word, 0.0), "lexicon"


def _package_file(package: str, name: str) -> Path:
    """A data file shipped inside an installed package, found without running the package's code
    (textblob-fr's would import TextBlob and NLTK for nothing)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(package)
    return Path(next(iter(spec.submodule_search_locations))) / name


def english_lexicon() -> dict[str, float]:
    """VADER's valences (-4 to 4) of single words, as -1 to 1."""
    valences: dict[str, float] = {}
    for line in _package_file("vaderSentiment", "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        token, _, rest = line.partition("\t")
        if token.isalpha():
            valences[fold(token)] = float(rest.split("\t", 1)[0]) / 4
    return valences


_FRENCH_ENTRY = re.compile(r'<word form="([^"]+)"[^>]*? polarity="(-?[0-9.]+)"')


def french_lexicon() -> dict[str, float]:
    """Pattern's French adjectives' polarities (-1 to 1), averaged over an adjective's senses."""
    text = _package_file("textblob_fr", "fr-sentiment.xml").read_text(encoding="utf-8")
    senses: dict[str, list[float]] = {}
    for form, polarity in _FRENCH_ENTRY.findall(text):
        senses.setdefault(fold(form), []).append(float(polarity))
    return {form: sum(values) / len(values) for form, values in senses.items() if " " not in form}


def _vocabulary(lexicon: Mapping[str, float], rules: Cues) -> Vocabulary:
    cues: dict[str, tuple[float, Kind]] = {}
    stems: list[tuple[str, float, Kind]] = []
    groups: tuple[tuple[float, Kind, frozenset[str]], ...] = (
        (MEDIUM, "cue", rules.medium),
        (STRONG, "cue", rules.strong),
        (MEDIUM, "demand", rules.demands),  # "is a refund possible?" asks; "I want a refund" is a phrase
    )
    for weight, kind, group in groups:
        for cue in group:  # ours override the package's valence (Pattern finds "inadmissible" positive)
            if cue.endswith("*"):
                stems.append((cue[:-1], -weight, kind))
            else:
                cues[cue] = (-weight, kind)
    return Vocabulary(
        lexicon={word: valence * LEXICON_WEIGHT for word, valence in lexicon.items() if valence},
        cues=cues,
        stems=tuple(sorted(stems, key=lambda item: -len(item[0]))),
        stem_prefixes=tuple(stem for stem, _, _ in stems),
        phrases=re.compile("|".join(f"(?:\\b{phrase}\\b)" for phrase in rules.phrases)),
        minor=re.compile("|".join(f"(?:\\b{phrase}\\b)" for phrase in rules.minor)),
        rules=rules,
    )


@cache
def vocabularies() -> Mapping[Language, Vocabulary]:
    """Read once per process (a few tens of milliseconds), on the first message scored."""
    return {"en": _vocabulary(english_lexicon(), ENGLISH), "fr": _vocabulary(french_lexicon(), FRENCH)}


def words_of(text: str) -> list[str]:
    """The folded words of a text, with a `BOUNDARY` for each sentence's end; "don't" is "dont", "n'est" is
    "n" and "est"."""
    found = _WORD.findall(fold(text[:MAX_CHARACTERS]).replace("n't", "nt").replace("n’t", "nt"))
    return [BOUNDARY if word in ".!?;:" else word for word in found]


def languages_of(words: Iterable[str]) -> tuple[Language, ...]:
    """The language(s) a message is likely in: the one with clearly more common words, else both."""
    english = french = 0
    for word in words:
        english += word in ENGLISH.common
        french += word in FRENCH.common
    if english > french + 1:
        return ("en",)
    if french > english + 1:
        return ("fr",)
    return ("en", "fr")


def _contrasts(words: list[str], contrasts: frozenset[str]) -> list[int]:
    """For each word, where its sentence's last "but" is (-1: none): what follows it counts more."""
    found: list[int] = []
    start, last = 0, -1
    for i, word in enumerate([*words, BOUNDARY]):
        if word in contrasts:
            last = i
        elif word == BOUNDARY:
            found.extend([last] * (i - start) + ([-1] if i < len(words) else []))
            start, last = i + 1, -1
    return found


def _weigh(words: list[str], exclamations: int, vocabulary: Vocabulary) -> float:
    cues = vocabulary.rules
    contrasts = _contrasts(words, cues.contrasts)
    negative = positive = 0.0
    for i, word in enumerate(words):
        weight, kind = vocabulary.weight(word)
        if not weight:
            continue
        before = words[max(0, i - 3) : i]
        if BOUNDARY in before:
            before = before[len(before) - before[::-1].index(BOUNDARY) :]
        if kind != "demand" and any(previous in cues.negations for previous in before):
            weight *= NEGATED if kind == "cue" else NEGATED_LEXICON
        if any(previous in cues.intensifiers for previous in before[-2:]):
            weight *= INTENSIFIED
        elif any(previous in cues.softeners for previous in before[-2:]):
            weight *= SOFTENED
        contrast = contrasts[i]
        if contrast >= 0:
            weight *= AFTER_CONTRAST if i > contrast else BEFORE_CONTRAST
        if weight < 0:
            negative -= weight
        else:
            positive += weight
    joined = " ".join(words)
    negative += STRONG * len(vocabulary.phrases.findall(joined))
    if negative:
        negative *= 1 + 0.1 * min(exclamations, 3)
        if vocabulary.minor.search(joined):
            negative *= MINOR
    return negative - POSITIVE_WEIGHT * positive


def score(text: str, language: Language | None = None) -> float:
    """How strongly the text says dissatisfaction, from 0 (not at all) to nearly 1."""
    words = words_of(text)
    if not words:
        return 0.0
    exclamations = text.count("!", 0, MAX_CHARACTERS)
    known = vocabularies()
    weight = max(
        _weigh(words, exclamations, known[lang]) for lang in ((language,) if language else languages_of(words))
    )
    return 0.0 if weight <= 0 else weight / (weight + SCALE)


def is_alert(text: str, threshold: float = DEFAULT_THRESHOLD) -> bool:
    return score(text) >= threshold
