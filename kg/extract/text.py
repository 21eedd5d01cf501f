"""Text snapshots of osce.org pages: find the release by evidence, never by the navigation's wording.

The seeds' form is read exactly, first (most of an archive, and one regex skips its long navigation): a
content type line, the title, ``- Date:`` / ``- Place:`` / ``- Source:`` fields, the body. Every other page
goes to the evidence-based finder (``find``): each title-like line in the first ``WINDOW`` lines is a
candidate; what follows it up to the body (labelled fields, a ``CITY date`` or date-only line, captions,
images, a label), the body's first line (a dateline?) and the fields closing the body (``Issued on:`` …)
are its evidence, scored; the best candidate with a date wins. Older newsroom, bare and ODIHR pages are
cases of it. Listings and event pages are rejected; a page without a candidate is rejected with the parts
that were found and those that were missing.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache

from kg.extract.dateline import DASH, DATE, Dateline, parse_dateline
from kg.extract.layout import IMAGE, Layout, clean_body, goes_on, is_caption, split_sources
from kg.extract.lexicon import alternation, section_content_type, terms
from kg.record import ExtractionError

WINDOW = 80     # lines searched for the title and what dates it
MAX_TITLE = 300  # characters: a longer line is running text
STRONG = 3      # a candidate scoring this much is taken at once (a dateline, or a labelled date)

_FIELD = re.compile(r"^-?\s*([^\W\d_a-z][^\W\d_ ]*(?: [^\W\d_ ]*){0,3}):\s*(.*)$")  # "Date:", "Datum :", "Дата:"
_ITEM = re.compile(r"^-\s+(.+)$")
# Two lines not starting with "-", then a "- Label:" line (run on the text after a "\n"): the navigation's
# hundreds of "- item" lines are skipped at C speed.
_FIELD_AFTER_TEXT = re.compile(r"\n[^-\n][^\n]*\n[^-\n][^\n]*\n(?P<field>-[^\S\n]*[A-Z][A-Za-z ]{1,20}:)")
# A header date line: "BELGRADE 7 April 2004", "Warsaw, 5 May 2010", "LISBON – 22 January 2002",
# "31 August 2011", "7 April 2004, Belgrade" (capitalised place words)
_PLACE_WORD = r"(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b)[^\W\d_a-z][\w'’.\-]*"  # not the date's weekday
_PLACE = rf"(?P<place>{_PLACE_WORD}(?:(?:\s+|\s*[/,]\s*){_PLACE_WORD}){{0,4}})"
_DATE_LINE = re.compile(rf"^(?:{_PLACE}(?:,|\s*{DASH})?\s+)?(?P<date>{DATE})\s*:?$")
_DATE_PLACE_LINE = re.compile(rf"^(?P<date>{DATE})(?:,|\s*{DASH})\s*{_PLACE}$")
_NOTICE = re.compile(r"^[^a-z]*[A-Z]{2}[^a-z]*\s[^a-z]*\s[^a-z]*[.:!]$")  # three words or more, in capitals
_LISTING_END = re.compile(r"(?:\.\.\.|…)\s*$")


def parse(text: str) -> Layout:
    """The release in a text snapshot, or ``ExtractionError`` saying why there is none."""
    lines = text.split("\n")  # every use strips what it reads
    found = _seed(text, lines) or find(lines)
    if not found.title:
        raise ExtractionError(f"{found.form} page without a title")
    if not found.body:
        raise ExtractionError(f"{found.form} page without a body")
    return found


def _body(lines: list[str]) -> tuple[list[str], list[str]]:
    """(paragraphs, captions), without the page's trailing ``- item`` chrome (print, share, related links)."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].startswith("-")):
        end -= 1
    return clean_body(lines[:end])


def _is_text(line: str) -> bool:
    """A line of running text (not blank, not a ``- `` list item)."""
    return bool(line.strip()) and not line.startswith("-")


def _seed(text: str, lines: list[str]) -> Layout | None:
    """Content type, title, then a block of ``- Label:`` fields (a date, place or source among them) whose
    values follow as ``- value`` lines."""
    framed = "\n" + text
    for fm in _FIELD_AFTER_TEXT.finditer(framed):
        i = framed.count("\n", 0, fm.start("field")) - 1
        if not (_is_text(lines[i - 1]) and _is_text(lines[i - 2])):  # not blank either
            continue
        fields: dict[str, list[str]] = {}
        j = i
        while j < len(lines):
            fm = _FIELD.match(lines[j])
            if fm and lines[j].startswith("-"):
                label = fm[1].strip().lower()
                fields[label] = [fm[2].strip()] if fm[2].strip() else []
                j += 1
                if not fields[label] and j < len(lines) and _ITEM.match(lines[j]) and not _FIELD.match(lines[j]):
                    fields[label].append(_ITEM.match(lines[j])[1].strip())
                    j += 1
            else:
                break
        if any(label in fields for label in _event_labels()) and "place" not in fields:
            raise ExtractionError("event page, not a release")
        if not {"date", "place", "source"} & fields.keys():
            continue  # a list of "- Label: value" items (an election page's schedule), not a release's fields
        source = fields.get("source", [])
        body, captions = _body(lines[j:])
        return Layout(form="seed", content_type=lines[i - 2].strip(), title=lines[i - 1].strip(),
                      date=" ".join(fields.get("date", [])) or None,
                      place=" ".join(fields.get("place", [])) or None,
                      sources=split_sources(source[0]) if source else [], body=body, captions=captions)
    return None


@cache
def _lexicon_line(*kinds: str) -> re.Pattern[str]:
    """A whole line that is one of the lexicon's terms of ``kinds`` (any case)."""
    return re.compile(rf"^(?:{'|'.join(alternation(kind) for kind in kinds)})$", re.IGNORECASE)


@cache
def _event_labels() -> frozenset[str]:
    return frozenset(t.lower() for t in terms("event_label"))


@cache
def _labels() -> dict[str, str]:
    """Field label (case-folded) → what it gives: date, place, source, type, topics or event."""
    kinds = {"date_label": "date", "place_label": "place", "source_label": "source", "type_label": "type",
             "topics_label": "topics", "event_label": "event"}
    return {t.casefold(): given for kind, given in kinds.items() for t in terms(kind)}


# -- the evidence-based finder ------------------------------------------------------------------------

@dataclass
class _Candidate:
    """A title-like line and what follows it up to the body's first line."""

    title: int                     # line index of the title
    body: int                      # line index of the body's first line
    label: str | None = None       # the content type label or section word above the title
    fields: dict[str, str] = field(default_factory=dict)   # what each labelled field gives → its value
    date_line: re.Match[str] | None = None
    dateline: Dateline | None = None
    captions: list[str] = field(default_factory=list)
    notice: str | None = None      # a notice in capitals on its own line before the dateline
    standfirst: str | None = None  # a subtitle or standfirst between the title and the dateline
    date_above: bool = False       # the date line stands above the title
    end: int | None = None         # line index of a field block closing the body ("Issued on:" …), if any
    tail: dict[str, str] = field(default_factory=dict)     # that block's fields

    @property
    def dated(self) -> bool:
        return bool(self.dateline or self.date_line or self.fields.get("date") or self.tail.get("date"))

    @property
    def score(self) -> int:
        """3 for a dateline or a labelled date above the body, 2 for a ``CITY date`` line, 1 for a date-only
        line or a date field after the body; 1 more for a content type label or section word above the
        title. A release needs 2 and a date source."""
        s = 3 if self.dateline or self.fields.get("date") else 0
        if self.date_line:
            s = max(s, 2 if self.date_line["place"] or self.date_above else 1)
        s = max(s, 1 if self.tail.get("date") else 0)
        return s + (self.label is not None) if self.dated else 0


def find(lines: list[str]) -> Layout:
    """The release whose title-like line is best dated by what follows it, or ``ExtractionError`` naming
    the parts found and those missing. A title ending in a full stop is tried only when no other is dated,
    and only right above a dateline."""
    known = _survey(lines)
    end = min(len(lines), WINDOW)
    best, first, weak = _best(lines, known, end, stops=False)
    if best is None:  # a title ending in a full stop, but only right above a dateline
        fallback = _best(lines, known, end, stops=True)[0]
        best = fallback if fallback and fallback.dateline else None
    if best is None:
        raise ExtractionError(_missing(lines, weak or first, end))
    if best.fields.get("event") and not best.fields.get("place") and not best.dateline:
        raise ExtractionError("event page, not a release")
    return _layout(lines, best)


def _best(lines: list[str], known: list[int], end: int, stops: bool) -> tuple[_Candidate | None, ...]:
    """(the best candidate scoring 2 or more, the one nearest the running text (else the first), the first
    dated one)."""
    best = first = weak = top = None
    t = 0
    while t < end:
        if not _title_like(lines[t], stops):
            if best and _running_text(lines[t]):
                break  # into the body of a release already found
            t += 1
            continue
        c = _candidate(lines, t, known)
        top = top or c
        if not first and c.body < len(lines) and _running_text(lines[c.body]):
            first = c  # the title-like line nearest the first line of running text
        weak = weak or (c if c.dated else None)
        if c.score >= 2 and (best is None or c.score > best.score):
            best = c
            if c.score >= STRONG:
                break
        t = c.body
    return best, first or top, weak


def _running_text(line: str) -> bool:
    """A paragraph of prose: ends like a sentence, or is too long for a title."""
    s = line.strip()
    return bool(s) and (s[-1] in ".!?\"”" or len(s) > MAX_TITLE)


def _title_like(line: str, stops: bool = False) -> bool:
    """A line that may be a title: text of two words or more, not a list item, field, date, label,
    caption, image or skip link, not ending like running text (in ``.``, unless ``stops``, ``:``, ``;``, ``,``)."""
    s = line.strip()
    if not s or " " not in s or len(s) > MAX_TITLE or s[0] == "-" or s[-1] in ":;," or s[-1] == "." and not stops:
        return False
    if is_caption(s) or IMAGE.match(s) or _date_line(s) or _known_field(s):
        return False
    return not (_lexicon_line("content_type", "section", "skip_link", "chrome").match(s) or _byline(s))


def _date_line(line: str) -> re.Match[str] | None:
    """A line holding only a date, with a place before or after it (groups ``date``, ``place``)."""
    return _DATE_LINE.match(line) or _DATE_PLACE_LINE.match(line)


def _known_field(line: str) -> re.Match[str] | None:
    """A ``Label: value`` line whose label the lexicon knows (date, place, source, type, topics, event)."""
    if ":" not in line[:32]:  # the label is at most 26 characters ("Datum der Veröffentlichung"), after "- "
        return None
    m = _FIELD.match(line)
    return m if m and m[1].strip().casefold() in _labels() else None


def _candidate(lines: list[str], t: int, known: list[int]) -> _Candidate:
    """Read what follows the title-like line ``t``: blank lines, images, captions, labelled fields (value
    on the same or the next non-blank line), one date line; the first other line starts the body, and the first
    closing field line after it (of ``known``) ends it."""
    c = _Candidate(title=t, body=t + 1, label=_label_above(lines, t))
    above = _date_above(lines, t)
    if above:
        c.label = c.label or _label_above(lines, above[0])
    j = t + 1
    while j < len(lines):
        line = " ".join(lines[j].split())
        nxt = lines[j + 1].strip() if j + 1 < len(lines) else ""
        if not line or IMAGE.match(line):
            j += 1
        elif (dateline := parse_dateline(line)) is not None:
            c.dateline = dateline
            break
        elif c.notice is None and _NOTICE.match(line) and parse_dateline(nxt):
            c.notice = line  # "PLEASE FIND BELOW THE CORRECT VERSION OF THE PRESS RELEASE." above the dateline
            j += 1
        elif _running_text(line) and not is_caption(line):
            if not _standfirst(lines, t, j, c, known):
                break  # the body, without a dateline
            j += 1
        elif (fm := _FIELD.match(line)) and (given := _labels().get(fm[1].strip().casefold())):
            value, j = fm[2].strip(), j + 1
            k = next((k for k in range(j, min(j + 3, len(lines))) if lines[k].strip()), j)  # the value below
            if not value and k < len(lines) and _field_value(v := lines[k].strip()):
                value, j = v.removeprefix("- ").strip(), k + 1
            c.fields.setdefault(given, value)
        elif c.date_line is None and (dm := _date_line(line)):
            c.date_line = dm
            j += 1
        elif is_caption(line):
            if c.captions and goes_on(c.captions[-1]) and lines[j - 1].strip():
                line = f"{c.captions.pop()} {line}"  # the previous line's caption goes on
            c.captions.append(line)
            j += 1
        elif nxt.endswith("Photo details") and goes_on(line):
            c.captions.append(f"{line} {' '.join(nxt.split())}")  # one caption over two lines
            j += 2
        elif " " not in line and goes_on(line) or _is_label(line) or _chrome(line):
            c.label = c.label or _is_label(line)  # "Title / Press release / …", chrome ("Share"), a byline
            j += 1
        elif _standfirst(lines, t, j, c, known):
            j += 1
        else:
            break
    c.body = j
    if above and (c.date_line is None or above[1]["place"] and not c.date_line["place"]):  # the one with a place
        c.date_line, c.date_above = above[1], True
    after = bisect_left(known, j)
    if after < len(known):
        c.end = known[after]
        c.tail = _fields(lines[c.end:])
    return c


def _date_above(lines: list[str], t: int, listing: bool = False) -> tuple[int, re.Match[str]] | None:
    """The date line right above the title-like line ``t`` (``12 May 2009``, ``Vienna, 12 May 2009``) and its
    index, when nothing but navigation, a label or chrome stands above it (under a title or a sentence it is
    their date: a fact sheet's); for a ``listing``'s items, when no title-like line stands above it."""
    k = _above(lines, t)
    dm = _date_line(" ".join(lines[k].split())) if k >= 0 else None
    if dm is None:
        return None
    k2 = _above(lines, k)
    prev = " ".join(lines[k2].split()) if k2 >= 0 else ""
    if listing:
        return None if prev and _title_like(prev) else (k, dm)
    return (k, dm) if not prev or prev[0] == "-" or not _text_like(prev) else None


def _above(lines: list[str], t: int) -> int:
    """The index of the last non-blank line before ``t``, or -1."""
    k = t - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    return k


def _below(lines: list[str], k: int) -> int:
    """The index of the first non-blank line after ``k`` (``len(lines)`` if none)."""
    k += 1
    while k < len(lines) and not lines[k].strip():
        k += 1
    return k


def _heads_a_title(lines: list[str], k: int) -> bool:
    """Whether line ``k`` is a date line above a title-like line, not under one (a listing's item, or a release's
    date above its title)."""
    t = _below(lines, k)
    return t < len(lines) and _title_like(lines[t]) and _date_above(lines, t, listing=True) is not None


def _standfirst(lines: list[str], t: int, j: int, c: _Candidate, known: list[int]) -> bool:
    """Whether line ``j``, between the title ``t`` and a dateline, date line or header field (not one of the
    ``known`` fields closing the body), is a standfirst: a sentence, or any line under a title of five words or
    more in sentence case. Then it is kept as ``c.standfirst`` and the header goes on; otherwise line ``j`` is
    the title (a name in title case or a menu item above it is none)."""
    if c.standfirst is not None or c.dated or _date_above(lines, t):
        return False
    line, title = " ".join(lines[j].split()), " ".join(lines[t].split())
    words = title.split()
    if len(line) > MAX_TITLE * 2 or len(words) < 3 or not _text_like(line):
        return False
    if line[-1] not in ".!?" and (len(words) < 5 or all(len(w) <= 3 or not w[0].islower() for w in words)):
        return False  # a name in title case ("OSCE Mission to Skopje") or a short menu item above the title
    k = j + 1
    while k < len(lines) and (not lines[k].strip() or IMAGE.match(lines[k].strip())):
        k += 1
    nxt = " ".join(lines[k].split()) if k < len(lines) else ""
    header_field = _known_field(nxt) and k not in known  # not a field closing the body
    if not nxt or not (parse_dateline(nxt) or _date_line(nxt) or header_field):
        return False
    c.standfirst = line
    return True


def _text_like(line: str) -> bool:
    """A line of words: not a field, label, caption, image, chrome or date line."""
    return " " in line and not (is_caption(line) or IMAGE.match(line) or _date_line(line) or _known_field(line)
                                or _is_label(line) or _chrome(line))


def _field_value(line: str) -> bool:
    """Whether the line below an empty ``Label:`` is its value: short, not a field, sentence or dateline."""
    return len(line) <= 150 and not line.endswith(".") and not _FIELD.match(line) and not parse_dateline(line)


def _fields(lines: list[str]) -> dict[str, str]:
    """What the known ``Label: value`` lines among ``lines`` give (the first of each kind)."""
    out: dict[str, str] = {}
    for line in lines:
        if fm := _known_field(line.strip()):
            out.setdefault(_labels()[fm[1].strip().casefold()], fm[2].strip())
    return out


def _chrome(line: str) -> bool:
    """A page's own chrome line (``Share``, ``Printer-friendly version``) or an author's byline."""
    return bool(_lexicon_line("chrome", "skip_link").match(line) or _byline(line))


def _byline(line: str) -> bool:
    """``By Jane Roe`` / ``Author: Jane Roe``: a few capitalised words after a byline word."""
    return len(line) <= 80 and bool(_byline_pattern().match(line))


@cache
def _byline_pattern() -> re.Pattern[str]:
    return re.compile(rf"^(?:{alternation('byline')})\s*:?\s+[A-Z]\S*(?:\s+(?:[A-Z]\S*|and|de|van|von))*$")


def _label_above(lines: list[str], t: int) -> str | None:
    """The content type the last non-blank line before ``t`` gives, if it is a label or section word."""
    k = _above(lines, t)
    return _is_label(lines[k].strip()) if k >= 0 else None


def _is_label(line: str) -> str | None:
    """The content type a content type label (``News Item``) or section word (``Newsroom``) gives, else None;
    a label in capitals or lower case only (``PRESS RELEASE``) as the lexicon spells it."""
    if _lexicon_line("content_type").match(line):
        return _content_types()[line.casefold()] if line.isupper() or line.islower() else line  # "PRESS RELEASE"
    return section_content_type(line) if _lexicon_line("section").match(line) else None


@cache
def _content_types() -> dict[str, str]:
    """Case-folded content type label → the label as the lexicon spells it."""
    return {t.casefold(): t for t in terms("content_type")}


def _layout(lines: list[str], c: _Candidate) -> Layout:
    body, captions = _body(lines[c.body:c.end])
    if c.notice and body:
        body[0] = f"{c.notice} {body[0]}"  # as other pages glue it to the dateline
    fields = {**c.tail, **{k: v for k, v in c.fields.items() if v}}  # above the body first
    date = fields.get("date") or (c.date_line["date"] if c.date_line else None)
    place = fields.get("place") or (c.date_line["place"] if c.date_line else None)
    form = "odihr" if c.tail else "newsroom" if c.date_line else "bare" if c.dateline else "fields"
    return Layout(form=form, content_type=fields.get("type") or c.label or "Press release",
                  title=lines[c.title].strip(), date=date, place=place,
                  sources=split_sources(fields.get("source", "")), body=body, captions=c.captions + captions,
                  standfirst=[c.standfirst] if c.standfirst else [],
                  fields_of_work=split_sources(fields.get("topics", "")))


def _survey(lines: list[str]) -> list[int]:
    """The indexes of the known field lines after the page's last paragraph of prose (``Issued on:`` …
    closing the body); ``ExtractionError`` for a page listing several releases (each with its date field
    or dateline)."""
    known = []
    last_prose = -1
    dated_fields: dict[str, int] = {}  # per label: "Publishing date:" under each item
    datelines = teasers = headed = 0
    for k, line in enumerate(lines):
        s = line.strip()
        if _running_text(s):
            last_prose = k
        if not s or not (s[0].isupper() or s[0].isdigit()):
            continue
        fm = _known_field(s)
        if fm:
            known.append(k)
            if _labels()[fm[1].strip().casefold()] == "date" and _DATE_LINE.match(fm[2].strip()):
                dated_fields[fm[1].casefold()] = dated_fields.get(fm[1].casefold(), 0) + 1
        elif parse_dateline(s) is not None:
            datelines += 1
            teasers += bool(_LISTING_END.search(s))
        elif s[-1].isdigit() and _heads_a_title(lines, k):
            headed += 1  # "12 May 2009" above a title, not under one: a listing's item when there are two
    items = max([datelines, headed, *dated_fields.values()])
    if headed >= 2 or items >= 2 and (teasers or max(dated_fields.values(), default=0) >= 2 or datelines >= 3):
        raise ExtractionError(f"a listing of {items} releases (each with its own date), not a single release")
    return [k for k in known if k > last_prose]


def _missing(lines: list[str], first: _Candidate | None, end: int) -> str:
    """The one-line reason a page holds no release: which parts were found (``first``: the first dated
    candidate, else the title-like line before the first running text), which were missing."""
    if first is None:
        if any((m := _FIELD.match(line)) and m[1].strip().casefold() in _event_labels() for line in lines):
            return "event page, not a release"
        if any(parse_dateline(line.strip()) for line in lines[:end]):
            return f"no release found: a dateline, but no title-like line before it in the first {end} lines"
        return f"no release found: no title-like line in the first {end} lines (navigation only?)"
    title = " ".join(lines[first.title].split())
    title = title if len(title) <= 60 else title[:57] + "..."
    if first.tail.get("date") and not first.date_line:
        return (f"no release found: title {title!r} and a date field after the body, but no dateline and no "
                "content type label or section word above the title")
    if first.date_line:
        return (f"no release found: title {title!r} and a date-only line, but no dateline, no place and no "
                "section word or label (a fact sheet or profile, not a release)")
    return (f"no release found: title {title!r} found, but no dateline, date line or date field after it in "
            f"the first {end} lines (dates in running text are not release dates)")
