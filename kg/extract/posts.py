"""The posts a quotation can be attributed to ("the High Commissioner said"), as patterns, kept as data.

Each row of ``post_words.tsv`` is one way running text names a post: the phrase (spaces and hyphens
interchangeable), the words that may not directly precede it and the continuations that may not follow
it ("High Commissioner" but not "UN High Commissioner" or "High Commissioner for Refugees"). A phrase
right after "of" or "of the (OSCE)" names another post ("the Personal Representative of the
Chairperson-in-Office"). The quote resolver gives the post's key to the gazetteer, which answers with
its holders on the release's date.
"""

from __future__ import annotations

import csv
import re
from functools import cache

from kg.paths import REFERENCE_DIR

POST_WORDS = REFERENCE_DIR / "post_words.tsv"
_HEAD = ("of", "of the", "of OSCE", "of the OSCE")  # "the Personal Representative of the Chairperson-in-Office"


def _phrase(text: str) -> str:
    return r"[- ]".join(re.escape(w) for w in re.split(r"[- ]", text.strip()))


def _pattern(row: dict[str, str]) -> str:
    """The phrase first (so ``re`` can skip to it), then what may not precede it, checked by lookbehinds
    that end at the phrase's end, then what may not follow it."""
    phrase = _phrase(row["phrase"])
    before = [re.escape(w + " ") for w in (*_HEAD, *row["unless_before"].split("|")) if w]
    after = [("" if w.startswith("-") else " ") + re.escape(w) for w in row["unless_after"].split("|") if w]
    return (phrase + rf"(?!\w)(?<![\w-]{phrase})" + "".join(f"(?<!{b}{phrase})" for b in before)
            + "".join(f"(?!{a})" for a in after))


@cache
def post_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(post key, pattern) per post, in the table's order; a post's phrases longest first."""
    with POST_WORDS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    posts: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        posts.setdefault(row["post"], []).append(row)
    return tuple((post, re.compile("|".join(_pattern(r) for r in sorted(group, key=lambda r: -len(r["phrase"])))))
                 for post, group in posts.items())
