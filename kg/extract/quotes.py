"""Quotations and their speakers.

A quotation is text in straight or curly double quotes (four words or more; a quote left open runs to
the paragraph's end). Its speaker comes from the attribution in the same sentence — a speech verb
(``said``, ``he stated``, ``according to``) with a person, a pronoun or a post ("the Secretary
General") — or, for an unattributed quote paragraph right after an attributed one, from that one.
Pronouns resolve to the last speaker, else to the first person named earlier in the paragraph or the
release; posts resolve to their holder on the release's date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from kg.extract.posts import post_patterns
from kg.extract.lexicon import alternation
from kg.extract.people import People
from kg.record import Quote

_QUOTE = re.compile(r"\"([^\"]+)(?:\"|$)|“([^”]+)(?:”|$)")
_PRONOUN = re.compile(r"(?<!\w)(?:he|she|He|She)(?!\w)")
_POSTS = post_patterns()  # (post key, pattern) from post_words.tsv: "the High Commissioner", "the Director", ...
MIN_WORDS = 4

Holders = Callable[[str], list[str]]  # post → its holders on the release's date


@cache
def _verb() -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{alternation('speech_verb')})(?!\w)", re.IGNORECASE)


def find_quotes(paragraphs: list[str], people: People, holders: Holders, first: int = 0) -> list[Quote]:
    """Every quotation in ``paragraphs[first:]`` with its resolved speaker.

    ``paragraphs`` are the texts ``people`` was found in (title first, dateline removed); indexes agree.
    """
    verb = _verb()
    quotes: list[Quote] = []
    last: str | None = None          # the last speaker named
    prev_attributed = False          # did the previous paragraph hold an attributed quote?
    for pi, text in enumerate(paragraphs[first:], first):
        spans = [m for m in _QUOTE.finditer(text) if len((m[1] or m[2]).split()) >= MIN_WORDS]
        attributed_here = False
        for k, m in enumerate(spans):
            lo = spans[k - 1].end() if k else 0
            hi = spans[k + 1].start() if k + 1 < len(spans) else len(text)
            speaker = _attribution(text, pi, m.start(), m.end(), lo, hi, verb, people, holders, last)
            if speaker is None and k and quotes[-1].speaker:
                speaker = quotes[-1].speaker          # “A,” he said. “B.” — B continues A's speaker
            if speaker is None and not k and prev_attributed and _opens_with_quote(text):
                speaker = last                         # an unattributed quote paragraph continues
            quotes.append(Quote(text=" ".join((m[1] or m[2]).split()).rstrip(","), speaker=speaker))
            if speaker:
                last, attributed_here = speaker, True
        prev_attributed = attributed_here
    return quotes


def _opens_with_quote(text: str) -> bool:
    return text.lstrip().startswith(('"', "“"))


def _attribution(text: str, pi: int, qs: int, qe: int, lo: int, hi: int, verb: re.Pattern[str],
                 people: People, holders: Holders, last: str | None) -> str | None:
    """The speaker named around the quote at ``qs:qe``, within its sentence (bounded by ``lo``/``hi``)."""
    after_end = _sentence_end(text, qe, hi)
    before_start = _sentence_start(text, lo, qs)
    for a, b in ((qe, after_end), (before_start, qs)):
        window = text[a:b]
        vm = verb.search(window)
        if not vm:
            continue
        names = [name for p, off, name in people.spans if p == pi and a <= off < b]
        if names:
            return names[0]
        for post, pattern in _POSTS:
            if pattern.search(window):
                found = holders(post) or [pr.name for pr in people.found if pr.role and pattern.search(pr.role)]
                if found:
                    return found[0]
        held = people.holder(window)
        if held:
            return held
        if _PRONOUN.search(window):
            return last or people.first_in(pi, before=qs) or (people.found[0].name if people.found else None)
    return None


# A sentence ends at . ! ? before a space or the end, but not after "Mr." or an initial ("J. Smith").
_END = re.compile(r"(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bDr)(?<!\b[A-Z])[.!?](?:\s|$)")


def _sentence_end(text: str, start: int, limit: int) -> int:
    m = _END.search(text, start, limit)
    return m.end() if m else limit


def _sentence_start(text: str, limit: int, end: int) -> int:
    starts = [m.end() for m in _END.finditer(text, limit, end)]
    return starts[-1] if starts else limit
