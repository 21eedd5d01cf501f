"""Fields of work a release is about: the gazetteer's topic labels plus a keyword table kept as data.

Each topic scores one point per keyword hit in the body and two in the title (its own label counts as a
keyword); a topic is kept from ``MIN_SCORE`` points on. Lower-case keywords match any case, others
(acronyms, names) exactly.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from functools import cache

from kg.paths import REFERENCE_DIR

KEYWORDS = REFERENCE_DIR / "topic_keywords.tsv"
MIN_SCORE = 2
TITLE_WEIGHT = 2


@cache
def _keywords() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = defaultdict(list)
    with KEYWORDS.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            table[row["topic"]].append(row["keyword"])
    return {k: tuple(v) for k, v in table.items()}


def group(topics: list[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    """The gazetteer's (label, IRI) pairs → one tuple of names per topic, the keyword table's label first."""
    by_iri: dict[str, list[str]] = defaultdict(list)
    for label, iri in topics:
        by_iri[iri].append(label)
    return tuple(tuple(sorted(names, key=lambda n: (n not in _keywords(), n))) for _, names in sorted(by_iri.items()))


@cache
def _patterns(topics: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for names in topics:
        label = names[0]
        words = {n.lower() for n in names} | {w for n in names for w in _keywords().get(n, ())}
        alt = "|".join(rf"(?i:{re.escape(w)})" if w == w.lower() else re.escape(w)
                       for w in sorted(words, key=len, reverse=True))
        out.append((label, re.compile(rf"(?<!\w)(?:{alt})(?!\w)")))
    return tuple(out)


def find_topics(title: str, paragraphs: list[str], topics: tuple[tuple[str, ...], ...]) -> list[str]:
    """The fields of work (``topics``: names per topic, see ``group``) the release is about, best first."""
    body = "\n".join(paragraphs)
    scored = []
    for order, (label, pattern) in enumerate(_patterns(topics)):
        score = TITLE_WEIGHT * len(pattern.findall(title)) + len(pattern.findall(body))
        if score >= MIN_SCORE:
            scored.append((-score, order, label))
    return [label for _, _, label in sorted(scored)]
