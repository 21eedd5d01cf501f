"""The extractor's small vocabulary (content types, section words, speech verbs, titles), kept as data.

Section words come from ``sections.tsv`` with the content type each implies; the rest from
``extract_lexicon.tsv``."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from functools import cache

from kg.paths import REFERENCE_DIR

LEXICON = REFERENCE_DIR / "extract_lexicon.tsv"
SECTIONS = REFERENCE_DIR / "sections.tsv"  # section words of older newsroom pages → the content type they imply


@cache
def terms(kind: str) -> tuple[str, ...]:
    """The lexicon's terms of one kind, longest first (so alternations prefer the longest match)."""
    return _table().get(kind, ())


@cache
def _table() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = defaultdict(list)
    with LEXICON.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            table[row["kind"]].append(row["term"])
    table["section"] = [word for word, _ in _sections().values()]
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


@cache
def _sections() -> dict[str, tuple[str, str]]:
    """Case-folded section word → (the word as written, the content type it implies)."""
    with SECTIONS.open(encoding="utf-8", newline="") as f:
        return {row["section"].casefold(): (row["section"], row["content_type"])
                for row in csv.DictReader(f, delimiter="\t")}


def section_content_type(section: str) -> str:
    """The content type a section word implies (``Newsroom`` → ``Press release``); KeyError if unknown."""
    return _sections()[section.strip().casefold()][1]


def alternation(kind: str) -> str:
    """A regex alternation of one kind's terms (escaped, longest first)."""
    return "|".join(re.escape(t) for t in terms(kind))
