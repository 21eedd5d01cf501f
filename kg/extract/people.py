"""People named in a release, with the role the text gives them, and a resolver for later references.

A capitalised run of words is a person's full name (two or more name words; particles and a middle
initial may join them) when the text marks it as one: a title directly before it (``President Hamid
Karzai``, ``Polish Foreign Minister Bronislaw Geremek``), a role phrase in apposition before or after it
(``The OSCE Secretary General, Marc Perrin de Brichambaut,``; ``Knut Vollebaek, the OSCE High
Commissioner on National Minorities,``), a speech verb, "headed by" or a photographer's credit around it
(``said Knut Dreyer``, ``(OSCE/Jonathan Perfect)``), a title before its surname elsewhere in the release,
or the gazetteer knows the name. The role is the phrase the text gives, from its first capitalised word
(after a determiner) to the name. Later references by surname or title + surname (``Perrin de
Brichambaut``, ``Minister Borg``) resolve to the full name through ``People.resolve``; two spellings of
one name are one person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

from kg.extract.lexicon import alternation, terms
from kg.extract.trie import WordScanner
from kg.iris import fold
from kg.record import PersonRole

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|[^\w\s]")
_CLAUSE_START = {".", ":", ";", "—", "–", "-", "(", '"', "“"}
_CONNECTORS = {"of", "for", "and", "the", "to", "in", "on", "at", "there"}  # "the Head of the Mission there,"
_DETERMINERS = {"the", "The"}


class Tok(NamedTuple):
    text: str
    start: int
    end: int

    @property
    def cap(self) -> bool:
        return self.text[:1].isupper()


def _tokens(text: str) -> list[Tok]:
    return [Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@cache
def _particles() -> frozenset[str]:
    return frozenset(terms("particle"))


@cache
def _courtesy() -> frozenset[str]:
    """Titles that are a form of address, not a post ("Ambassador", "Mr"): never a post's holder, and a
    role in apposition after the name says more."""
    return frozenset(t.rstrip(".") for t in terms("courtesy"))


@cache
def _title_words() -> frozenset[str]:
    """Capitalised words of titles ("Minister", "Chair-in-Office"): never part of a person's name."""
    return frozenset(w.rstrip(".") for t in terms("title") for w in t.split() if w[:1].isupper())


@cache
def _title_re() -> re.Pattern[str]:
    titles = "|".join(re.escape(t.rstrip(".")) for t in terms("title"))
    return re.compile(rf"(?<![\w-])(?:{titles})(?![\w-])")


def post_phrases(text: str) -> list[str]:
    """The posts ``text`` names without a name ("the Head of the Mission", "the ODIHR Director"): each
    title that is no form of address, with the capitalised words before it and its "of …" tail."""
    out = []
    for m in _title_re().finditer(text):
        if m.group() in _courtesy():
            continue
        lead = _LEADING_CAPS.search(text, 0, m.start())
        tail = _POST_TAIL.match(text, m.end())
        out.append(text[lead.start() if lead else m.start():tail.end()])
    return out


def _cap_words(phrase: str) -> set[str]:
    """The capitalised words of ``phrase``, hyphenated words split ("Chairman-in-Office" → Chairman,
    Office), determiners left out."""
    return {w for w in _CAP_WORD.findall(phrase) if w not in _DETERMINERS}


_CAP_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’]*")


_LEADING_CAPS = re.compile(r"(?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’-]*\s+)*$")
_POST_TAIL = re.compile(r"(?:\s+(?:(?:of|for|on|in|to|the)\s+)*[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’-]*)*")  # "… of the Mission"


@lru_cache(maxsize=1 << 16)
def _name_word(t: str, stop: frozenset[str]) -> bool:
    """A word that can be part of a person's name: capitalised, mixed case, not an entity's or a title's
    word, not a possessive. Cached: releases repeat the same few hundred capitalised words."""
    return (t[:1].isupper() and len(t) > 1 and any(c.islower() for c in t) and t not in stop
            and t not in _title_words() and not t.endswith(("’s", "'s"))
            and not any(part[:1].islower() for part in t.split("-")[1:])  # "Self-government"
            and not all(part in _title_words() for part in t.split("-")))  # "Secretary-General"


@lru_cache(maxsize=1 << 14)
def _spelling_key(name: str) -> tuple[str, ...]:
    """The name's words without diacritics, case-folded (cached: names recur across releases)."""
    return tuple(fold(name).casefold().split())


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a == b:
        return True
    if len(a) != len(b) or a[:-1] != b[:-1] or min(len(a[-1]), len(b[-1])) < 5:
        return False
    return SequenceMatcher(None, a[-1], b[-1]).ratio() >= 0.85


@dataclass
class People:
    """The people found in one release, in order of first mention, and how they were referred to."""

    found: list[PersonRole] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (paragraph, offset, full name)

    def add(self, name: str, role: str | None, para: int, offset: int) -> None:
        """Record a reference; a role that holds the one known so far ("Norwegian Foreign Minister" in a
        caption, "OSCE Chairman-in-Office, Norwegian Foreign Minister" in the body) replaces it."""
        if all(p.name != name for p in self.found):
            self.found.append(PersonRole(name, role))
        elif role:
            self.found = [PersonRole(p.name, role if not p.role or p.role in role else p.role) if p.name == name
                          else p for p in self.found]
        self.spans.append((para, offset, name))

    def merge_endings(self) -> None:
        """A name that ends exactly one longer name found ("De Gucht" in a title, "Karel De Gucht" in the
        body) is that person: it takes the longer name, in the earlier place of the two."""
        for short in list(self.found):
            longer = [p for p in self.found if p.name.endswith(" " + short.name)]
            if len(longer) == 1 and short in self.found:
                self._merge(longer[0], short)

    def merge_variants(self) -> None:
        """Two spellings of one name ("Haik Harutyunyan" in a caption, "Haik Harutunyan" in the body;
        "Sinirlioğlu"/"Sinirlioglu"): same first names, surnames a letter or two apart. The first
        written is kept."""
        if len(self.found) < 2:
            return
        groups: dict[tuple[str, ...], list[PersonRole]] = {}
        for p in self.found:  # only names of as many words with the same first names can be one person
            key = _spelling_key(p.name)
            groups.setdefault(key[:-1] + (str(len(key)),), []).append(p)
        for group in groups.values():
            for k, later in enumerate(group[1:], 1):
                first = next((p for p in group[:k] if p in self.found
                              and _same_person(_spelling_key(p.name), _spelling_key(later.name))), None)
                if first is not None and later in self.found:
                    self._merge(first, later)

    def _merge(self, keep: PersonRole, drop: PersonRole) -> None:
        """``drop`` is ``keep`` under another name: one entry named as ``keep``, at the earlier place."""
        merged = PersonRole(keep.name, keep.role or drop.role)
        at = min(self.found.index(keep), self.found.index(drop))
        rest = [p for p in self.found if p is not keep and p is not drop]
        self.found = rest[:at] + [merged] + rest[at:]
        self.spans = [(pi, off, keep.name if name == drop.name else name) for pi, off, name in self.spans]

    def resolve(self, words: str) -> str | None:
        """A full name for ``words`` (a full name, a surname, a name ending), or None."""
        words = words.strip()
        for p in self.found:
            if p.name == words or p.name.endswith(" " + words):
                return p.name
        return None

    def holders(self, post: str) -> list[str]:
        """The people whose role holds every capitalised word of ``post`` ("the Head of Mission", "the
        ODIHR Director", "the Chairman" for "OSCE Chairman-in-Office"), in order of first mention."""
        words = _cap_words(post)
        return [p.name for p in self.found if p.role and words and words <= _cap_words(p.role)]


def find_people(paragraphs: list[str], known: list[str], stop: frozenset[str]) -> People:
    """People named in ``paragraphs``; ``known`` are full names the gazetteer knows, ``stop`` non-name words.

    Two passes: full names with their roles first, then every reference (full name, surname, title +
    surname) by paragraph and offset, so a title that says "Chair-in-Office Borg" resolves too. A name
    nothing marks in its own place counts when the release refers to it later by title and surname
    ("Witold Waszczykowski, Poland's Minster …" … "said Foreign Minister Waszczykowski").
    """
    people = People()
    known_re = _known_re(tuple(known)) if known else None
    unmarked: list[tuple[int, int, str]] = []
    for pi, text in enumerate(paragraphs):
        for off, name, role in _full_names(text, known_re, stop):
            if role is _UNMARKED:
                unmarked.append((pi, off, name))
            else:
                people.add(name, role, pi, off)
    for pi, off, name in _titled_later(paragraphs, unmarked):
        people.add(name, None, pi, off)
    people.merge_endings()
    people.merge_variants()
    if people.found:
        surnames = {p.name.split()[-1]: p.name for p in reversed(people.found)}
        named = {(pi, off, off + len(name)) for pi, off, name in people.spans}
        for pi, text in enumerate(paragraphs):
            for at, word in _whole_words(text, surnames):
                if not any(p == pi and a <= at < b for p, a, b in named):
                    people.spans.append((pi, at, surnames[word]))
    people.spans.sort()
    return people


def _titled_later(paragraphs: list[str], unmarked: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The unmarked names whose surname follows a title somewhere in the release, in order."""
    if not unmarked:
        return []
    surnames = {name.split()[-1] for _, _, name in unmarked}
    titled = {word for text in paragraphs for at, word in _whole_words(text, surnames)
              if _title_before().search(text, max(0, at - TITLE_REACH), at)}
    return [u for u in sorted(unmarked) if u[2].split()[-1] in titled]


TITLE_REACH = 40  # characters before a surname searched for a title


@cache
def _title_before() -> re.Pattern[str]:
    """A title right before the end ("… Foreign Minister ")."""
    return re.compile(rf"{_title_re().pattern}\s+$")


_EDGE = re.compile(r"[\w-]")


def _whole_words(text: str, words: Iterable[str]) -> list[tuple[int, str]]:
    """(offset, word) of each occurrence of ``words`` not touching a word character or hyphen, leftmost
    first, without overlaps (as a regex alternation finds them; ``str.find`` saves compiling one per page)."""
    found = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if not (at and _EDGE.match(text, at - 1)) and not _EDGE.match(text, end):
                found.append((at, -len(word), word))
            at = text.find(word, at + 1)
    out: list[tuple[int, str]] = []
    last = 0
    for at, _, word in sorted(found):
        if at >= last:
            out.append((at, word))
            last = at + len(word)
    return out


@cache
def _known_re(known: tuple[str, ...]) -> WordScanner:
    return WordScanner(known)


_CAP = r"[A-ZÀ-ÖØ-ÞĀ-ſ]"
_CAPWORD = rf"{_CAP}[\w'’-]*"
_WORD = re.compile(r"\S+")


@cache
def _run_re() -> re.Pattern[str]:
    r"""Runs of two or more capitalised words (name particles and middle initials allowed between them).
    The first word's left edge is checked after its capital (``(?<![\w-].)``), so ``re`` can skip to
    capitals."""
    particles = "|".join(map(re.escape, _particles()))
    return re.compile(rf"{_CAP}(?<![\w-].)[\w'’-]*(?:\s+(?:(?:{particles}|{_CAP}\.)\s+)?{_CAPWORD})+")


def _joins(word: str, before: int, particles: frozenset[str]) -> bool:
    """Whether ``word``, after ``before`` name words, joins name words without being one: a particle
    ("de") after one or more, a middle initial ("M.": the run regex lets only capitals in) after exactly
    one ("Robert M. Beecroft")."""
    if word in particles:
        return before > 0
    return before == 1 and len(word) == 2 and word[1] == "."


@lru_cache(maxsize=1 << 16)
def _name_flags(run: str, stop: frozenset[str]) -> tuple[bool, ...] | None:
    """Which words of a capitalised run are name words; None when fewer than two are (no name in it).
    Cached: the same runs ("OSCE Mission", "The OSCE Office") recur on most pages."""
    flags = tuple(_name_word(t, stop) for t in run.split())
    return flags if sum(flags) >= 2 else None


_UNMARKED = "\0unmarked"  # role sentinel: a name-like run nothing marks as a person (yet)


def _full_names(text: str, known_re: WordScanner | None, stop: frozenset[str]) -> list[tuple[int, str, str | None]]:
    """(offset, full name, role) of every full name in one paragraph, in order; a run of name words that
    nothing marks as a person comes with the role ``_UNMARKED``. A run followed by a capitalised word
    that is no name word is part of a longer name ("Armenian Police Training Centre"), never a person."""
    hits: list[tuple[int, str, str | None]] = []
    floor = 0
    particles = _particles()
    for run in _run_re().finditer(text):
        names = _name_flags(run.group(), stop)
        if names is None:
            continue
        toks = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text, run.start(), run.end())]
        i = 0
        while i < len(toks):
            j = i
            while j < len(toks) and (names[j] or (j + 1 < len(toks) and names[j + 1] and _joins(toks[j][0], j - i,
                                                                                                  particles))):
                j += 1
            if j - i >= 2 and (j == len(toks) or _joins(toks[j][0], 1, particles)):
                start, end = toks[i][1], toks[j - 1][2]
                name = text[start:end]
                role = _role(text, floor, start)
                if role is None or role.rstrip(".") in _courtesy():  # "Ambassador X, Head of the Mission to Y,"
                    role = _role_after(text, end) or role
                if role is None and not (known_re and known_re.fullmatch(name)) and not _cued(text, start, end):
                    role = _UNMARKED
                hits.append((start, name, role))
                if role is not _UNMARKED:
                    floor = end
            i = max(j, i + 1)
    if known_re:
        for m in known_re.finditer(text):
            if all(h[1] != m.group() for h in hits):
                hits.append((m.start(), m.group(), None))
    return sorted(hits)


@cache
def _cue_before() -> re.Pattern[str]:
    """What marks the next words as a person's name: a speech verb ("said Knut Dreyer"), "headed by",
    a photographer's credit "(OSCE/"."""
    return re.compile(rf"(?:(?<![\w-])(?:{alternation('speech_verb')}|{alternation('person_cue')})\s+|\(OSCE/)$")


@cache
def _cue_after() -> re.Pattern[str]:
    """What marks the words before as a person's name: a speech verb ("Knut Dreyer said"), a credit's
    "/OSCE)"."""
    return re.compile(rf"(?:\s+(?:{alternation('speech_verb')})(?![\w-])|/OSCE\))")


def _cued(text: str, start: int, end: int) -> bool:
    return bool(_cue_before().search(text, max(0, start - 40), start) or _cue_after().match(text, end))


ROLE_WINDOW = 300  # characters before a name searched for its role


def _role(text: str, floor: int, start: int) -> str | None:
    """The role phrase before the name at ``start``, or None when nothing marks it as a role.

    Walk back (not past ``floor``, the end of the previous name) over capitalised words, commas and
    connectors (of, for, and, the …) and bracketed words to the clause's start; a sentence-opening
    "Today," is left out. The
    role runs from the first capitalised word to the name and must hold a title word; it ends in a word
    or a comma, never in a connector ("the Special Representative for the South Caucasus" names a region).
    """
    lo = max(floor, start - ROLE_WINDOW)
    toks = _tokens(text[lo:start])
    i = len(toks)
    if i and (toks[-1].text in _CONNECTORS or toks[-1].text in _DETERMINERS):
        return None
    k, first = i - 1, None
    while k >= 0:
        t = toks[k]
        opens = (k == 0 and lo == floor) or (k > 0 and toks[k - 1].text in _CLAUSE_START)
        if t.text == "and" and k > 0 and toks[k - 1].text == ",":
            break  # ", and" closes a list: what precedes belongs to someone else
        if t.text == ")" and (k := _opening(toks, k)) >= 0:
            continue  # "the Chairperson of the Parliament (Mejlis), Akja Nurberdiyeva": skip the brackets
        if t.cap and t.text not in _DETERMINERS:
            if opens and k + 1 < i and toks[k + 1].text == ",":
                break
            first = k
        elif t.text not in _CONNECTORS and t.text not in _DETERMINERS and t.text != ",":
            break
        k -= 1
    if first is None:
        return None
    return _titled(text[lo + toks[first].start:start].strip().rstrip(",").strip())


def _opening(toks: list[Tok], close: int) -> int:
    """The index before the "(" that the ")" at ``close`` closes, or -1."""
    for k in range(close - 1, -1, -1):
        if toks[k].text == "(":
            return k - 1
    return -1


def _titled(phrase: str) -> str | None:
    """The role in ``phrase``: from its first title (with the capitalised words right before it, as in
    "OSCE Chair-in-Office" or "Russian President") to its end; None when it holds no title."""
    m = _title_re().search(phrase)
    if m is None:
        return None
    lead = _LEADING_CAPS.search(phrase, 0, m.start())
    return phrase[lead.start() if lead else m.start():].strip() or None


_APPOSITIVE = re.compile(r",\s+(?:(?:the|a|an)\s+)?([^,.;:()“”\"]{3,120}?)(?=[,.;:(]|\s+(?:and|who|which)\s|$)")
_AND_MORE = re.compile(r"\s+and\s+([^,.;:()“”\"]{3,120}?)(?=[,.;:(]|\s+(?:and|who|which)\s|$)")
LEAD_WORDS = 3  # words an appositive may hold before its title ("the Economic and Environmental Officer")


def _role_after(text: str, end: int) -> str | None:
    """A role in apposition after the name ("David McAllister, Chair of the Committee,"), when it holds a
    title after at most ``LEAD_WORDS`` words; it ends at "and" unless the title comes after it
    ("Alexander Peytchev, the Economic and Environmental Officer")."""
    m = _APPOSITIVE.match(text, end)
    if not m:
        return None
    phrase = m[1].strip()
    role = _titled(phrase)
    if role is None and (more := _AND_MORE.match(text, m.end())):
        phrase = f"{phrase} and {more[1].strip()}"
        role = _titled(phrase)
    if not role:
        return None
    lead = phrase[:phrase.index(role)].split()
    return (phrase if lead else role) if len(lead) <= LEAD_WORDS else None
