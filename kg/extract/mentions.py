"""Entity mentions: one compiled trie regex over every surface form the gazetteer knows, longest match first.

Only the title and body are scanned (never the navigation). Each entity is reported once, with its first
surface form, in order of first appearance; its kind is the one it had on the release's date. Names that
mean something else in releases too (the lexicon's ``unscanned_name``: "AI", "EC", "General Assembly")
stay names of their entity but are not scanned for. A country named inside a longer name ("OSCE Mission
to Moldova", "UN Interim Administration Mission in Kosovo") is no mention of it: the longest match wins.
"""

from __future__ import annotations

from datetime import date
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


def find_mentions(texts: list[str], gazetteer: Any, on: date) -> list[Mention]:
    """Entities named in ``texts`` (title first, then paragraphs), as they stood on date ``on``."""
    pattern, table = scanner(gazetteer)
    seen: set[str] = set()
    out: list[Mention] = []
    for text in texts:
        for m in pattern.finditer(text):
            name = m.group()
            entity = table[name]
            iri = str(entity.iri)
            if iri in seen:
                continue
            kind = entity.kind_on(on)
            if kind is None:
                continue
            seen.add(iri)
            out.append(Mention(name=name, kind=kind, iri=iri, wikidata=entity.wikidata or None))
    return out
