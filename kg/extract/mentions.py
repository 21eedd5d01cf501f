"""Entity mentions: one compiled trie regex over every surface form the gazetteer knows, longest match first.

Only the title and body are scanned (never the navigation). Each entity is reported once, with its first
surface form, in order of first appearance; its kind is the one it had on the release's date. Names that
mean something else in releases too (the lexicon's ``unscanned_name``: "AI", "EC", "General Assembly")
stay names of their entity but are not scanned for. A demonym after an ``ethnic_marker`` ("ethnic
Albanian", "Kosovo Albanian") names an ethnic group, not the country; two demonyms joined by a hyphen
("Tajik-Afghan border") name both countries. A country named inside a longer name ("OSCE Mission to
Moldova", "UN Interim Administration Mission in Kosovo") is no mention of it: the longest match wins.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from kg.extract.lexicon import terms
from kg.extract.trie import WordScanner
from kg.record import Mention

_SCANNERS: dict[int, tuple[WordScanner, dict[str, Any]]] = {}


def scanner(gazetteer: Any) -> tuple[WordScanner, dict[str, Any]]:
    """The gazetteer's surface-form scanner and form → entity table (built once per gazetteer)."""
    key = id(gazetteer)
    if key not in _SCANNERS:
        table: dict[str, Any] = {}
        unscanned = set(terms("unscanned_name"))
        for form, entity in gazetteer.names():
            if form not in unscanned:
                table.setdefault(form, entity)
        _SCANNERS[key] = (WordScanner(table, edge=r"[\w-]"), table)
    return _SCANNERS[key]


@cache
def _ethnic_markers() -> tuple[str, ...]:
    return tuple(f"{marker} " for marker in terms("ethnic_marker"))


_PAIR = re.compile(r"([A-Z][\w'’]*)-([A-Z][\w'’]+)(?![\w-])")  # "Tajik-Afghan border"; left edge checked apart
_DASH_CAP = re.compile(r"-[A-Z]")


def find_mentions(texts: list[str], gazetteer: Any, on: date) -> list[Mention]:
    """Entities named in ``texts`` (title first, then paragraphs), as they stood on date ``on``."""
    pattern, table = scanner(gazetteer)
    ethnic = _ethnic_markers()  # "ethnic Albanian", "Kosovo Albanian": a group, not the country
    seen: set[str] = set()
    out: list[Mention] = []
    for text in texts:
        hits = pattern.finditer(text)
        if _DASH_CAP.search(text) and (pairs := _pair_hits(text, table)):
            hits = sorted(hits + pairs, key=lambda m: m.start())
        for m in hits:
            name = m.group()
            entity = table[name]
            if entity.iri in seen:
                continue
            kind = entity.kind_on(on)
            if kind is None or (text.endswith(ethnic, 0, m.start()) and name in entity.demonyms):
                continue
            seen.add(entity.iri)
            out.append(Mention(name=name, kind=kind, iri=entity.iri, wikidata=entity.wikidata or None))
    return out


_NAME = re.compile(r"[\w'’]+")


def _pair_hits(text: str, table: dict[str, Any]) -> list[re.Match[str]]:
    """The demonyms of hyphenated pairs ("Tajik-Afghan", "Armenian-Azerbaijani"), which the scanner's
    word edge leaves out, as matches."""
    out = []
    for m in _PAIR.finditer(text):
        if not (m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "-")):
            out += [_NAME.match(text, m.start(k)) for k in (1, 2) if m[k] in table and m[k] in table[m[k]].demonyms]
    return out
