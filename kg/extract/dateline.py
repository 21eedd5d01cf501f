"""Dates and datelines: ``KABUL, 10 September 2008 -``, ``12 June 2025, Sarajevo –``, ``VALLETTA/VIENNA, 12 July –``.

``parse_date`` reads a date field's value; ``parse_dateline`` reads the dateline at the start of a
body's first paragraph and returns its cities, its (possibly year-less) date and the raw dateline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from kg.extract.lexicon import terms

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

# month names in any case ("5 MAY 2010"): only the month is matched ignoring case (cheaper than the whole date)
_MONTH = r"(?i:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DASH = r"[-‐‑‒–—―−]"  # hyphen, hyphens, figure dash, en dash, em dash, horizontal bar, minus
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
# "10 September 2008", "3-4 May 2010", "30 April - 2 May 2010", "12 July" (no year), "5th of June, 2008",
# "September 10, 2008", "June 5th 2008", "2008-09-10", "05.06.2008" and "05/06/2008" (day first, as in Europe)
_DMY = (rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*{DASH}\s*{_DAY})?(?:\s+of)?\s+(?P<m>{_MONTH})"
        rf"(?:\s*{DASH}\s*{_DAY}\s+{_MONTH})?(?:,?\s+(?P<y>[12]\d{{3}}))?")
_MDY = rf"(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*{DASH}\s*{_DAY})?,?\s+(?P<y2>[12]\d{{3}})"
_ISO = r"(?P<iy>[12]\d{3})-(?P<im>\d\d)-(?P<id>\d\d)(?:T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?"
_DOTTED = r"(?P<nd>\d{1,2})(?P<sep>[./])(?P<nm>\d{1,2})(?P=sep)(?P<ny>[12]\d{3})"
DATE = rf"{_WEEKDAY}(?:{_ISO}|{_DOTTED}|{_DMY}|{_MDY})"
_DATE_RE = re.compile(rf"(?<![\w-]){DATE}(?!\w)", re.IGNORECASE)

# Upper-case city words (diacritics, hyphens, dots: NUR-SULTAN, WASHINGTON D.C.), joined by "/" or ", ".
_CWORD = r"[^\W\d_a-z]+(?:['’.-][^\W\d_a-z]*)*(?![a-z])"  # a whole word: not the "C" of "Chairman"
_UPPER = rf"{_CWORD}(?:\s+{_CWORD})*"
_CITIES = rf"{_UPPER}(?:\s*(?:/|,)\s*{_UPPER})*"
# between the cities (and an optional country: "CORFU, Greece,") and the date: a comma, a dash or a space
_BEFORE_DATE = rf"(?:,\s*(?P<country>[^\d,–—()]+?))?(?:\s*,\s*|\s*{DASH}\s*|\s+)"
# after the date: an optional note in brackets ("(OSCE)", "(Georgian and Spanish versions below.)"), then a dash,
# a colon or a full stop before the text; the dash may be glued to the year ("2002- More")
_NOTE = r"(?:\s*(?P<note>\([^()]{1,80}\)))?"
_AFTER = rf"{_NOTE}\s*(?:--|{DASH}|:|\.(?=\s)|(?<=\))(?=\s))"
# "CORRECTION:", or a notice in capitals ending in a full stop ("PLEASE FIND BELOW THE CORRECT VERSION ... ."):
# looked for only where a ":", "." or "!" comes before the date
_LEAD = re.compile(r"(?:[A-Z][A-Z ]{2,}:\s*|[A-Z][A-Z'’,]*(?:\s+[A-Z][A-Z'’,]*){2,}[.!]\s+)")
_CITY_FIRST = re.compile(rf"(?P<places>{_CITIES}){_BEFORE_DATE}(?P<date>{DATE}){_AFTER}\s*")
# A city in mixed case ("Vienna, 5 May 2010 –", "Bishkek 12 May 2009 -"): one to three capitalised words (cities
# joined by "/"), a full date with its year, then a dash or colon; no word of it one that opens prose ("In Moscow")
_MWORD = r"[^\W\d_a-z][^\W\d_]*(?:['’.-][^\W\d_]+)*\.?"
_MIXED_CITY = rf"{_MWORD}(?:[ ]{_MWORD}){{0,2}}"
_MIXED_FIRST = re.compile(rf"(?P<places>{_MIXED_CITY}(?:\s*/\s*{_MIXED_CITY})*){_BEFORE_DATE}(?P<date>{DATE})"
                          rf"{_NOTE}\s*(?:--|{DASH}|:)\s*")
_DATE_FIRST = re.compile(rf"(?P<date>{DATE}),\s*(?P<places>[^\W\d_][\w’' .-]*?)\s*{DASH}+\s*")


_DIGIT = re.compile(r"\d")
_LOWER_WORD = re.compile(r"\s[a-z]")  # a word of prose starting after a space
MAX_MIXED_CITY = 60  # characters before the date of a dateline whose city is in mixed case
MAX_LOWER_WORDS = 5  # before the date: "SKOPJE, the former Yugoslav Republic of Macedonia," has 3
_PLACE_SEP = re.compile(r"\s*(?:/|,)\s*")
_ENDS = "-‐‑‒–—―−:."  # what ends a dateline before its text (not part of the raw dateline)


@dataclass(frozen=True)
class PartialDate:
    year: int | None
    month: int
    day: int

    def resolve(self, default_year: int | None) -> str | None:
        """ISO date, taking the year from ``default_year`` when the text gave none; None if invalid."""
        year = self.year or default_year
        if year is None:
            return None
        try:
            return date(year, self.month, self.day).isoformat()
        except ValueError:
            return None


@dataclass(frozen=True)
class Dateline:
    raw: str              # the dateline as written, without its trailing dash
    places: list[str]     # the cities as written ("KHARKOV", "STANYTSIA LUHANSKA")
    date: PartialDate | None
    rest: str             # the paragraph after the dateline


def _partial(m: re.Match[str]) -> PartialDate | None:
    g = m.groupdict()
    if g.get("iy"):
        return PartialDate(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g.get("ny"):
        return PartialDate(int(g["ny"]), int(g["nm"]), int(g["nd"]))
    month, day, year = (g["m"], g["d"], g["y"]) if g.get("m") else (g["m2"], g["d2"], g["y2"])
    if not month:
        return None
    return PartialDate(int(year) if year else None, MONTHS[month.lower().rstrip(".")], int(day))


def find_date(text: str) -> PartialDate | None:
    """The first date written in ``text`` (a date field's value, a newsroom date line), or None."""
    m = _DATE_RE.search(text)
    return _partial(m) if m else None


def parse_date(text: str) -> str | None:
    """A date field's value → ISO date, or None when it holds no full date."""
    p = find_date(text)
    return p.resolve(None) if p else None


def parse_dateline(paragraph: str) -> Dateline | None:
    """The dateline opening a body paragraph, or None when it has none."""
    head = paragraph[:40].split(None, 1)[0] if paragraph[:1].isalnum() else ""
    if not (head[:1].isdigit() or head.isupper()):  # a city or notice in capitals, or a date, comes first
        return _mixed(paragraph) if head[:1].isupper() else None
    digit = _DIGIT.search(paragraph, 0, 200)  # the date soon after, with few words of prose before it
    if not digit or len(_LOWER_WORD.findall(paragraph, 0, digit.start())) > MAX_LOWER_WORDS:
        return None
    before = paragraph[:digit.start()]
    lead = _LEAD.match(paragraph) if ":" in before or "." in before or "!" in before else None
    found = (lead and _opening(paragraph, lead.end())) or _opening(paragraph, 0)
    if found is None:
        return None
    m, places = found
    raw = paragraph[:m.end()].rstrip().rstrip(_ENDS).rstrip()
    return Dateline(raw=raw, places=places, date=_partial(m), rest=paragraph[m.end():])


def _mixed(paragraph: str) -> Dateline | None:
    """A dateline whose city is in mixed case: only the strict form (a full date, then a dash or colon), the date
    within ``MAX_MIXED_CITY`` characters and no word in lower case before it."""
    digit = _DIGIT.search(paragraph, 0, MAX_MIXED_CITY)
    if not digit or _LOWER_WORD.search(paragraph, 0, digit.start()):
        return None
    m = _MIXED_FIRST.match(paragraph)
    if not m or not (m["y"] or m["y2"] or m["iy"] or m["ny"]):
        return None
    places = [p.strip() for p in _PLACE_SEP.split(m["places"]) if p.strip()]
    if any(word in _prose_openers() for place in places for word in place.split()):
        return None
    raw = paragraph[:m.end()].rstrip().rstrip(_ENDS).rstrip()
    return Dateline(raw=raw, places=places, date=_partial(m), rest=paragraph[m.end():])


@cache
def _prose_openers() -> frozenset[str]:
    """Capitalised words that open running text, never a city's ("In", "Several" …: lexicon ``prose_opener``)."""
    return frozenset(terms("prose_opener"))


def _opening(paragraph: str, at: int) -> tuple[re.Match[str], list[str]] | None:
    """The dateline starting at ``at`` (city first, or date first) and its places, or None."""
    if paragraph[at:at + 1].isdigit():
        m = _DATE_FIRST.match(paragraph, at)
        return (m, [m["places"].strip()]) if m else None
    m = _CITY_FIRST.match(paragraph, at)
    if not m:
        return None
    places = [p.strip() for p in _PLACE_SEP.split(m["places"]) if p.strip()]
    return (m, places) if _is_upper(places[0]) else None


def _is_upper(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)
