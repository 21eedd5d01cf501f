"""The extractor's small vocabulary (content types, section words, speech verbs, titles), kept as data."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from functools import cache

from kg.paths import REFERENCE_DIR

LEXICON = REFERENCE_DIR / "extract_lexicon.tsv"


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
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


def alternation(kind: str) -> str:
    """A regex alternation of one kind's terms (escaped, longest first)."""
    return "|".join(re.escape(t) for t in terms(kind))
