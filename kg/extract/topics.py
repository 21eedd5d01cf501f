"""Fields of work a release is about: the gazetteer's topic labels plus a keyword table kept as data.

Each topic scores one point per keyword hit in the body and two in the title (its own label counts as a
keyword); a topic is kept from ``MIN_SCORE`` points on. Lower-case keywords match any case, others
(acronyms, names) exactly.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache

from kg.extract.trie import WordScanner
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
def _scanner(topics: tuple[tuple[str, ...], ...]) -> tuple[WordScanner, WordScanner, dict[str, set[str]]]:
    """Scanners of the lower-case keywords (run on case-folded text) and the others, and keyword → topics."""
    owners: dict[str, set[str]] = defaultdict(set)
    for names in topics:
        for word in {n.lower() for n in names} | {w for n in names for w in _keywords().get(n, ())}:
            owners[word].add(names[0])
    return (WordScanner(w for w in owners if w == w.lower()), WordScanner(w for w in owners if w != w.lower()),
            owners)


@cache
def _order(topics: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    return {names[0]: k for k, names in enumerate(topics)}


def find_topics(title: str, paragraphs: list[str], topics: tuple[tuple[str, ...], ...]) -> list[str]:
    """The fields of work (``topics``: names per topic, see ``group``) the release is about, best first."""
    lower, exact, owners = _scanner(topics)
    order = _order(topics)
    score: dict[str, int] = defaultdict(int)
    body, folded = "\n".join(paragraphs), title.lower()
    for scanner, text, title_end in ((lower, f"{folded}\n{body.lower()}", len(folded)),
                                     (exact, f"{title}\n{body}", len(title))):
        for m in scanner.finditer(text):  # title and body in one pass; a match before title_end is in the title
            for topic in owners[m.group()]:
                score[topic] += TITLE_WEIGHT if m.start() < title_end else 1
    return sorted((t for t, s in score.items() if s >= MIN_SCORE), key=lambda t: (-score[t], order[t]))
