"""How well the dissatisfaction scorer (shared/dissatisfaction.py) finds the alerts of the project's labelled set.

    python -m scripts.dissatisfaction_eval [--threshold 0.45]

Reads tests/data/dissatisfaction/{en,fr}.jsonl (one `{"text", "alert"}` a line, written by the project)
and prints precision and recall per language and overall at the threshold (the scorer's default unless
given), a table of other thresholds, and the time the scorer takes per message.
"""

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared import dissatisfaction

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dissatisfaction"
LANGUAGES = ("en", "fr")
TABLE = (0.25, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


@dataclass(frozen=True)
class Example:
    language: str
    text: str
    alert: bool


@dataclass(frozen=True)
class Figures:
    """Precision and recall of the alerts raised at one threshold."""

    true_positives: int
    false_positives: int
    false_negatives: int
    count: int

    @property
    def precision(self) -> float:
        raised = self.true_positives + self.false_positives
        return self.true_positives / raised if raised else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def examples(language: str) -> list[Example]:
    lines = (DATA / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()
    return [Example(language, row["text"], bool(row["alert"])) for row in map(json.loads, filter(None, lines))]


def figures(scored: Sequence[tuple[Example, float]], threshold: float) -> Figures:
    raised = [(example.alert, score >= threshold) for example, score in scored]
    return Figures(
        true_positives=sum(expected and alert for expected, alert in raised),
        false_positives=sum(alert and not expected for expected, alert in raised),
        false_negatives=sum(expected and not alert for expected, alert in raised),
        count=len(raised),
    )


def scored_set() -> list[tuple[Example, float]]:
    return [(example, dissatisfaction.score(example.text)) for lang in LANGUAGES for example in examples(lang)]


def microseconds_per_message(texts: Sequence[str], rounds: int = 20) -> float:
    dissatisfaction.vocabularies()  # read once per process, not part of a message's cost
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            dissatisfaction.score(text)
    return (time.perf_counter() - start) / (rounds * len(texts)) * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=dissatisfaction.DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    scored = scored_set()
    print(f"threshold {args.threshold} (default {dissatisfaction.DEFAULT_THRESHOLD})")
    print(f"{'set':<8}{'messages':>9}{'alerts':>8}{'precision':>11}{'recall':>8}  false +/-")
    for name in (*LANGUAGES, "all"):
        part = [item for item in scored if name in {"all", item[0].language}]
        found = figures(part, args.threshold)
        alerts = sum(example.alert for example, _ in part)
        print(
            f"{name:<8}{found.count:>9}{alerts:>8}{found.precision:>11.2f}{found.recall:>8.2f}"
            f"  {found.false_positives}/{found.false_negatives}"
        )
    print("\nthreshold  precision  recall  (all)")
    for threshold in TABLE:
        found = figures(scored, threshold)
        print(f"{threshold:>9.2f}{found.precision:>11.2f}{found.recall:>8.2f}")
    speed = microseconds_per_message([example.text for example, _ in scored])
    print(f"\n{speed:.0f} µs per message (mean over the set)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
