"""Extract: a ``Page`` (text snapshot or HTML) + the gazetteer → a ``Release`` record.

``extract(page, gazetteer)`` returns the release or raises ``ExtractionError`` with a one-line reason;
``main(args)`` is ``kg extract PATH...``: JSON Lines on stdout, ``PATH: error: REASON`` on stderr, exit
0 when every input was read, 1 when some failed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from argparse import Namespace
from dataclasses import dataclass
from datetime import date as date_cls
from functools import lru_cache
from typing import Any, Protocol

from kg import ingest
from kg.extract import text
from kg.extract.dateline import Dateline, find_date, parse_dateline
from kg.extract.layout import Layout
from kg.extract.lexicon import terms
from kg.extract.mentions import find_mentions
from kg.extract.people import find_people
from kg.extract.quotes import find_quotes
from kg.extract.topics import find_topics, group
from kg.iris import slug
from kg.record import ExtractionError, Page, Release, SourceRef

__all__ = ["extract", "main", "release_id", "ExtractionError"]

MAX_SLUG = 80  # characters of title slug kept in a release id
HASH_CHARS = 8  # hex digits of the full slug's hash appended to a trimmed slug


class GazetteerLike(Protocol):
    """What extraction uses of ``kg.gazetteer.Gazetteer``."""

    def names(self) -> list[tuple[str, Any]]: ...
    def holders(self, post: str, on: str) -> list[str]: ...
    def people(self) -> list[tuple[str, str]]: ...
    def place(self, name: str) -> Any: ...
    def topics(self) -> list[tuple[str, str]]: ...
    def resolve_source(self, value: str, on: str) -> Any: ...


def release_id(date: str, title: str) -> str:
    """``{date}-{title slug}``; a slug longer than ``MAX_SLUG`` characters is trimmed on a word boundary
    and followed by a short hash of the whole slug, so two long titles sharing their start stay apart."""
    s = slug(title)
    if len(s) > MAX_SLUG:
        digest = hashlib.sha256(s.encode()).hexdigest()[:HASH_CHARS]
        s = f"{s[:MAX_SLUG + 1].rsplit('-', 1)[0]}-{digest}"
    return f"{date}-{s}" if s else date


def layout_of(page: Page) -> Layout:
    """The page's header fields and body, by its form."""
    if page.media_type == "text/html":
        from kg.extract import html  # BeautifulSoup: 0.3 s to import, for HTML pages only
        return html.parse(page.text)
    return text.parse(page.text)


def release_date(layout: Layout, dateline: Dateline | None) -> str:
    """The date field's (or date line's) date, else the dateline's (its year from the field if missing)."""
    field = find_date(layout.date) if layout.date else None
    if field and field.year:
        iso = field.resolve(None)
        if iso:
            return iso
    if dateline and dateline.date:
        iso = dateline.date.resolve(field.year if field else None)
        if iso:
            return iso
    raise ExtractionError("release without a date (no date field, no dated dateline)")


_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_PLACES = re.compile(r"\s*[/,]\s*")


def city_case(name: str) -> str:
    """``THE HAGUE`` → ``The Hague``; names already in mixed case are kept."""
    if name != name.upper():
        return name
    return _WORDS.sub(lambda m: m.group()[0] + m.group()[1:].lower(), name)


def release_place(layout: Layout, dateline: Dateline | None, gazetteer: GazetteerLike) -> str | None:
    """The dateline's (else the Place field's) first city, in its canonical spelling where known."""
    raw = dateline.places[0] if dateline else None
    if not raw and layout.place:
        raw = _PLACES.split(layout.place.strip())[0]
    if not raw:
        return None
    return _canonical_place(gazetteer, city_case(raw.strip()))


@lru_cache(maxsize=4096)
def _canonical_place(gazetteer: GazetteerLike, name: str) -> str:
    """``name`` as ``Gazetteer.place`` spells it (cached: an archive has a few hundred dateline cities)."""
    known = gazetteer.place(name)
    return known[0] if known else name


def join_sources(values: list[str], gazetteer: GazetteerLike, on: str) -> list[str]:
    """Rejoin Source values split at a comma inside a name ("… for Article IV, Annex 1-B of …") where
    the joined value is a known structure and the first piece alone is not."""
    out, i = [], 0
    while i < len(values):
        j = next((j for j in range(len(values), i + 1, -1)
                  if gazetteer.resolve_source(", ".join(values[i:j]), on) is not None), i + 1)
        if j > i + 1 and gazetteer.resolve_source(values[i], on) is not None:
            j = i + 1
        out.append(", ".join(values[i:j]))
        i = j
    return out


@dataclass(frozen=True)
class _Context:
    """What extraction reads from the gazetteer, prepared once per gazetteer."""

    known_people: list[str]
    stop_words: frozenset[str]   # words of entity names and roles: never part of a person's name
    topics: tuple[tuple[str, ...], ...]  # names per field of work


_CONTEXTS: dict[int, _Context] = {}


def _context(gazetteer: GazetteerLike) -> _Context:
    key = id(gazetteer)
    if key not in _CONTEXTS:
        words = {w for form, _ in gazetteer.names() for w in re.findall(r"[^\W\d_][\w'’-]*", form)}
        _CONTEXTS[key] = _Context(known_people=[name for name, _ in gazetteer.people()],
                                  stop_words=frozenset(words | set(terms("role_word"))),
                                  topics=group(gazetteer.topics()))
    return _CONTEXTS[key]


def extract(page: Page, gazetteer: GazetteerLike) -> Release:
    """The release in ``page``, or ``ExtractionError`` with the reason there is none."""
    layout = layout_of(page)
    dateline = parse_dateline(layout.body[0])
    date = release_date(layout, dateline)
    # captions (above the body on the page) name people but never hold quotations
    analysed = [layout.title, *layout.captions, *layout.standfirst, dateline.rest if dateline else layout.body[0],
                *layout.body[1:]]
    paragraphs = [*layout.standfirst, *layout.body]  # a standfirst first, as the page has it
    ctx = _context(gazetteer)
    people = find_people(analysed, ctx.known_people, ctx.stop_words)
    quotes = find_quotes(analysed, people, lambda post: gazetteer.holders(post, date), first=1 + len(layout.captions))
    return Release(
        id=release_id(date, layout.title),
        source=SourceRef(path=page.path, sha256=page.sha256),
        content_type=layout.content_type,
        title=layout.title,
        date=date,
        place=release_place(layout, dateline, gazetteer),
        sources=join_sources(layout.sources, gazetteer, date),
        paragraphs=paragraphs,
        quotes=quotes,
        people=people.found,
        mentions=find_mentions([layout.title, *paragraphs], gazetteer, date_cls.fromisoformat(date)),
        fields_of_work=find_topics(layout.title, layout.body, ctx.topics),
        dateline=dateline.raw if dateline else None,
        form=layout.form,
        captions=layout.captions,
    )


def load_gazetteer() -> GazetteerLike:
    from kg.gazetteer import Gazetteer

    return Gazetteer.load()


def main(args: Namespace) -> int:
    """``kg extract PATH...``: one JSON record per release on stdout, one error line per failed input."""
    gazetteer = load_gazetteer()
    failed = 0
    out = sys.stdout
    for item in ingest.pages(args.paths):
        if isinstance(item, tuple):
            path, reason = item
        else:
            path = item.path
            try:
                record = extract(item, gazetteer)
            except ExtractionError as e:
                reason = str(e)
            except Exception as e:  # a bug must not stop the other inputs; report it on one line
                reason = f"unexpected {type(e).__name__}: {e}".replace("\n", " ")
            else:
                out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
                continue
        failed += 1
        print(f"{path}: error: {reason}", file=sys.stderr)
    out.flush()
    return 1 if failed else 0
