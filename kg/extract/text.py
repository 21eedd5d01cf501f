"""Text snapshots of osce.org pages: find the release by structure, never by the navigation's wording.

Forms (see ``/work/shared/corpus/README.md``):
- seed: content type line, title, ``- Date:`` / ``- Place:`` / ``- Source:`` fields, body;
- newsroom: a section word, the title, a ``PLACE 20 May 1999`` or date-only line, optional caption, body;
- odihr: ``Skip Links`` … content type, title, body, then ``Issued on:`` / ``Issued by:`` / ``Fields of work:``;
- bare: the title, an empty line, a body that opens with a dateline.
Event pages (a ``Location:`` field, no body) are rejected.
"""

from __future__ import annotations

import re
from functools import cache, partial

from kg.extract.dateline import DATE, parse_dateline
from kg.extract.layout import Layout, clean_body, split_sources
from kg.extract.lexicon import alternation, section_content_type, terms
from kg.record import ExtractionError

_FIELD = re.compile(r"^-?\s*([A-Z][A-Za-z ]{1,20}):\s*(.*)$")
_ITEM = re.compile(r"^-\s+(.+)$")
# Two lines not starting with "-", then a "- Label:" line (run on the text after a "\n"): the navigation's
# hundreds of "- item" lines are skipped at C speed.
_FIELD_AFTER_TEXT = re.compile(r"\n[^-\n][^\n]*\n[^-\n][^\n]*\n(?P<field>-[^\S\n]*[A-Z][A-Za-z ]{1,20}:)")
_DATE_LINE = re.compile(rf"^(?:(?P<place>[^\W\d_][^\d]*?),?\s+)?(?P<date>{DATE})\s*$", re.IGNORECASE)
_ODIHR_FIELD = re.compile(r"^(Issued on|Issued by|Fields of work|Date|Source)\s*:\s*(.*)$")


def parse(text: str) -> Layout:
    """The release in a text snapshot, or ``ExtractionError`` saying why there is none."""
    lines = text.split("\n")  # every use strips what it reads
    for form in (partial(_seed, text), _odihr, _newsroom, _bare):
        found = form(lines)
        if found is not None:
            if not found.title:
                raise ExtractionError(f"{found.form} page without a title")
            if not found.body:
                raise ExtractionError(f"{found.form} page without a body")
            return found
    if any((m := _FIELD.match(line)) and m[1].lower() in _event_labels() for line in lines):
        raise ExtractionError("event page, not a release")
    raise ExtractionError("no release found (navigation only, or an unknown page form)")


def _body(lines: list[str]) -> list[str]:
    """Body paragraphs, without the page's trailing ``- item`` chrome (print, share, related links)."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].startswith("-")):
        end -= 1
    return clean_body(lines[:end])


def _is_text(line: str) -> bool:
    """A line of running text (not blank, not a ``- `` list item)."""
    return bool(line.strip()) and not line.startswith("-")


def _seed(text: str, lines: list[str]) -> Layout | None:
    """Content type, title, then a block of ``- Label:`` fields whose values follow as ``- value`` lines."""
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
        source = fields.get("source", [])
        return Layout(form="seed", content_type=lines[i - 2].strip(), title=lines[i - 1].strip(),
                      date=" ".join(fields.get("date", [])) or None,
                      place=" ".join(fields.get("place", [])) or None,
                      sources=split_sources(source[0]) if source else [],
                      body=_body(lines[j:]))
    return None


@cache
def _lexicon_line(kind: str) -> re.Pattern[str]:
    """A whole line that is one of the lexicon's terms of ``kind`` (any case)."""
    return re.compile(rf"^(?:{alternation(kind)})$", re.IGNORECASE)


@cache
def _event_labels() -> frozenset[str]:
    return frozenset(t.lower() for t in terms("event_label"))


def _odihr(lines: list[str]) -> Layout | None:
    """``Skip Links`` page: the body runs up to the ``Issued on:`` field; content type and title precede it."""
    if not any(line.strip().lower() == "skip links" for line in lines[:20]):
        return None
    issued = next((k for k, line in enumerate(lines) if line.startswith("Issued on:")), None)
    if issued is None:
        return None
    ctype = _lexicon_line("content_type")
    start = next((k for k in range(issued - 2, -1, -1) if ctype.match(lines[k].strip())
                  and _is_text(lines[k + 1])), None)
    if start is None:
        return None
    fields: dict[str, str] = {}
    for line in lines[issued:]:
        m = _ODIHR_FIELD.match(line.strip())
        if m:
            fields[m[1].lower()] = m[2].strip()
    return Layout(form="odihr", content_type=lines[start].strip(), title=lines[start + 1].strip(),
                  date=fields.get("issued on"), sources=split_sources(fields.get("issued by", "")),
                  body=_body(lines[start + 2:issued]),
                  fields_of_work=split_sources(fields.get("fields of work", "")))


def _newsroom(lines: list[str]) -> Layout | None:
    """A section word, the title, a place-and-date (or date) line; the body follows. The content type is
    the one the section word implies (``sections.tsv``): a section is not a content type."""
    section = _lexicon_line("section")
    for i in range(2, len(lines)):
        m = _DATE_LINE.match(lines[i].strip())
        if not (m and _is_text(lines[i - 1]) and section.match(lines[i - 2].strip())):
            continue
        place = m["place"].strip() if m["place"] else None
        return Layout(form="newsroom", content_type=section_content_type(lines[i - 2]), title=lines[i - 1].strip(),
                      date=m["date"], place=place, body=_body(lines[i + 1:]))
    return None


def _bare(lines: list[str]) -> Layout | None:
    """The title, an empty line, then a body whose first paragraph opens with a dateline."""
    k = next((k for k, line in enumerate(lines) if line.strip()), None)
    if k is None or k + 2 >= len(lines) or lines[k + 1].strip():
        return None
    body = _body(lines[k + 2:])
    if not body or parse_dateline(body[0]) is None:
        return None
    return Layout(form="bare", content_type="Press release", title=lines[k].strip(), body=body)
