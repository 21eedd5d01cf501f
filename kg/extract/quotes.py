"""Quotations and their speakers.

A quotation is text between double quotes, straight or curly, in any mix (``"…”``); a quote mark after
a space opens, one before a space closes, so a title quoted inside a quotation stays part of it. Four
words or more (fewer are a term in quotes), not a title in title case; a quote left open runs to the
paragraph's end, whatever its length (a page cut mid-quotation). Its speaker comes from the attribution
in the same sentence — a speech verb (``said``, ``he stated``, ``according to``) with a person, a
pronoun or a post ("the Secretary General", "the Minister") — or it continues: a second quotation in
the paragraph keeps the first one's speaker, a quote paragraph after an attributed one keeps its
speaker, and an unattributed quotation right after a sentence naming someone is theirs ("Leonid
Tibilov stressed … . "Solutions …""). A pronoun is the subject — the first person named — of the
latest sentence before the quotation that names anyone (names inside quotations do not count). A post
is the one person named with it in the release, else (for the posts of ``post_words.tsv``) its one
holder on the release's date; when two fit, there is no speaker.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Callable
from functools import cache

from kg.extract.lexicon import alternation
from kg.extract.people import People, post_phrases
from kg.extract.posts import post_patterns
from kg.record import Quote

_PRONOUN = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")
_POSTS = post_patterns()  # (post key, pattern) from post_words.tsv: "the High Commissioner", "the Director", ...
_ANY_POST = re.compile("|".join(f"(?P<post{i}>{pattern.pattern})" for i, (_, pattern) in enumerate(_POSTS)))
MIN_WORDS = 4
TITLE_SHARE = 0.6  # a quoted span with this share of capitalised longer words, no closing punctuation: a title
_MARK = re.compile(r"[\"“”]")
_OPENS_AFTER = " \t([—–-/:"  # a straight quote mark after one of these (or first) opens a quotation

Holders = Callable[[str], list[str]]  # post → its holders on the release's date
Span = tuple[int, int]                # a quotation's text: start and end offsets, without the marks


def quote_spans(text: str) -> list[Span]:
    """The top-level quotations of one paragraph (their text, without the marks), in order."""
    spans: list[Span] = []
    depth, start = 0, 0
    for m in _MARK.finditer(text):
        i, ch = m.start(), m.group()
        before, after = text[i - 1:i] or " ", text[i + 1:i + 2] or " "
        opening = ch == "“" or (ch == '"' and before in _OPENS_AFTER and not after.isspace())
        if opening:
            if depth == 0:
                start = i + 1
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i))
    if depth:
        spans.append((start, len(text)))
    return spans


@cache
def _verb() -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{alternation('speech_verb')})(?!\w)", re.IGNORECASE)


def find_quotes(paragraphs: list[str], people: People, holders: Holders, first: int = 0) -> list[Quote]:
    """Every quotation in ``paragraphs[first:]`` with its resolved speaker.

    ``paragraphs`` are the texts ``people`` was found in (title first, dateline removed); indexes agree.
    """
    spans = {pi: quote_spans(text) for pi in range(first, len(paragraphs))
             if '"' in (text := paragraphs[pi]) or "“" in text or "”" in text}
    referents = sorted((pi, off, name) for pi, off, name in people.spans
                       if not any(a <= off < b for a, b in spans.get(pi, ())))
    ctx = _Context(paragraphs, people, holders, referents)
    quotes: list[Quote] = []
    last: str | None = None          # the last speaker
    prev_attributed = False          # did the previous paragraph hold an attributed quote?
    for pi in range(first, len(paragraphs)):
        if pi not in spans:  # most paragraphs hold no quotation mark
            prev_attributed = False
            continue
        text = paragraphs[pi]
        found = [(a, b) for a, b in spans[pi] if _is_speech(text[a:b], closed=b < len(text))]
        attributed_here = False
        for k, (a, b) in enumerate(found):
            lo = found[k - 1][1] + 1 if k else 0
            hi = found[k + 1][0] - 1 if k + 1 < len(found) else len(text)
            speaker = ctx.attribution(pi, a - 1, min(b + 1, len(text)), lo, hi)
            if speaker is None and k:
                speaker = quotes[-1].speaker                 # “A,” he said. “B.” — B continues A's speaker
            elif speaker is None and prev_attributed and _opens_with_quote(text):
                speaker = last                               # an unattributed quote paragraph continues
            elif speaker is None:
                speaker = ctx.subject(pi, a - 1, near=True)  # "X stressed … . “B”" — the sentence before
            speaker = speaker or None
            quotes.append(Quote(text=" ".join(text[a:b].split()).rstrip(","), speaker=speaker))
            if speaker:
                last, attributed_here = speaker, True
                insort(referents, (pi, a - 1, speaker))
        prev_attributed = attributed_here
    return quotes


def _is_speech(span: str, closed: bool) -> bool:
    """A quoted span that is speech: four words or more (any number when the page cut it off), and not a
    title in title case ("the report “Human Rights in the Fight against Terrorism”")."""
    words = span.split()
    if not closed:
        return bool(words)
    if len(words) < MIN_WORDS:
        return False
    if span.rstrip().endswith((".", ",", "!", "?", ":")):
        return True  # a title does not end a sentence
    content = [w for w in words if len(w) > 3]  # title case leaves "in", "the", "of" in lower case
    return not content or sum(w[:1].isupper() for w in content) < TITLE_SHARE * len(content)


def _opens_with_quote(text: str) -> bool:
    return text.lstrip().startswith(('"', "“"))


class _Context:
    """What resolving one release's speakers reads: its paragraphs, people and post holders, and the
    people referred to so far (outside quotations), in text order."""

    def __init__(self, paragraphs: list[str], people: People, holders: Holders,
                 referents: list[tuple[int, int, str]]) -> None:
        self.paragraphs, self.people, self.holders, self.referents = paragraphs, people, holders, referents

    def attribution(self, pi: int, qs: int, qe: int, lo: int, hi: int) -> str | None:
        """The speaker named around the quote at ``qs:qe``, within its sentence (bounded by ``lo``/``hi``);
        "" when the sentence attributes it to no person the text names (an organisation "said in a
        statement", a post no one or several fit), None when it attributes nothing."""
        text = self.paragraphs[pi]
        attributed = False
        for a, b in ((qe, _sentence_end(text, qe, hi)), (_sentence_start(text, lo, qs), qs)):
            window = text[a:b]
            if not _verb().search(window):
                continue
            attributed = True
            names = [name for p, off, name in self.people.spans if p == pi and a <= off < b]
            if names:
                return names[0]
            post = self.post(window)
            if post is not None:
                return post
            if _PRONOUN.search(window):
                return self.subject(pi, qs) or ""
        return "" if attributed else None

    def post(self, window: str) -> str | None:
        """The one person a post in ``window`` names: the one named with it in the release, else its one
        holder on the release's date (for the posts of ``post_words.tsv``); "" when a post is there but no
        one or several fit; None when there is no post."""
        phrases = post_phrases(window)  # every post word holds a title: no title, no post
        if phrases and (m := _ANY_POST.search(window)) is not None:  # one search for every post: the leftmost
            key = _POSTS[int(m.lastgroup.removeprefix("post"))][0]
            named = self.people.holders(m.group())
            held = [h for h in self.holders(key) if not named or h in named] if len(named) != 1 else named
            return held[0] if len(held) == 1 else ""
        for phrase in phrases:
            found = self.people.holders(phrase)
            if len(found) == 1:
                return found[0]
        return "" if phrases else None

    def subject(self, pi: int, qs: int, near: bool = False) -> str | None:
        """The first person named in the latest sentence before ``(pi, qs)`` that names anyone; with
        ``near``, only when that sentence is in the quotation's paragraph or the one before."""
        end = bisect_left(self.referents, (pi, qs))  # referents before the quotation: [:end]
        if not end:
            return None
        p, off, _ = self.referents[end - 1]
        if near and p < pi - 1:
            return None
        start = _sentence_start(self.paragraphs[p], 0, off)
        return next(name for q, o, name in self.referents[:end] if q == p and o >= start)


# A sentence ends at . ! ? before a space or the end, but not after "Mr." or an initial ("J. Smith").
_END = re.compile(r"[.!?](?<!\bMr.)(?<!\bMs.)(?<!\bMrs.)(?<!\bDr.)(?<!\b[A-Z].)(?:\s|$)")  # the mark first: fast


def _sentence_end(text: str, start: int, limit: int) -> int:
    m = _END.search(text, start, limit)
    return m.end() if m else limit


def _sentence_start(text: str, limit: int, end: int) -> int:
    starts = [m.end() for m in _END.finditer(text, limit, end)]
    return starts[-1] if starts else limit
