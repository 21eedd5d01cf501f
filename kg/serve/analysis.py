"""A token-level look at a SPARQL request before any engine sees it.

``analyse`` finds the operation's form (a query form, or ``"update"``), whether it uses ``SERVICE``,
whether it names its own dataset (``FROM``/``FROM NAMED``) and how deep its brackets nest (a parser
recursing 5,000 groups deep overflows its stack). The lexer skips comments, strings and
IRIs, so a keyword inside a literal or an IRI does not count; it errs on the side of refusing:
``\\uXXXX`` escapes are also decoded (the SPARQL spec applies them before parsing), and an IRI-looking
token that could really be ``<`` followed by ``SERVICE ?var`` (``FILTER(?a<1)SERVICE?x#>``, which
Oxigraph parses as a SERVICE call) counts as SERVICE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d][\w.\-\u00B7]*)?:(?:[\w:%\\\-.\u00B7]|%[0-9A-Fa-f]{2})*)
    | (?P<word>[^\W\d][\w\-]*)
    | (?P<number>\d[\w.]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_HIDDEN_SERVICE = re.compile(r"[).\]]SERVICE[?$]", re.IGNORECASE)
_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Shape:
    """What the lexer saw: ``form`` is SELECT/ASK/CONSTRUCT/DESCRIBE, ``update`` or None (unknown);
    ``limit`` is the outermost ``LIMIT`` (outside every bracket), if any."""

    form: str | None
    uses_service: bool
    names_dataset: bool
    depth: int = 0
    limit: int | None = None


def analyse(text: str) -> Shape:
    """The shape of ``text``; the same query is looked at by the endpoint and then by the engine, so a short
    text's shape is remembered."""
    return _remembered(text) if len(text) <= _REMEMBER_CHARS else _analyse(text)


_REMEMBER_CHARS = 16 * 2**10  # 256 remembered texts hold at most 4 MiB


@lru_cache(maxsize=256)
def _remembered(text: str) -> Shape:
    return _analyse(text)


def _analyse(text: str) -> Shape:
    shape = _scan(text)
    if _ESCAPE.search(text):
        decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
        other = _scan(decoded)
        shape = Shape(shape.form or other.form, shape.uses_service or other.uses_service,
                      shape.names_dataset or other.names_dataset, max(shape.depth, other.depth),
                      shape.limit if shape.limit == other.limit else None)
    return shape


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The lexer's tokens of ``text``, white space and comments included; ``m.lastgroup`` is the kind
    (``space``, ``comment``, ``string``, ``iri``, ``var``, ``lang``, ``pname``, ``word``, ``number``, ``other``)."""
    return _TOKEN.finditer(text)


def _scan(text: str) -> Shape:
    form: str | None = None
    service = dataset = False
    depth = deepest = 0
    limit: int | None = None
    previous = ""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind == "number" and previous == "LIMIT" and depth == 0 and m.group().isdigit():
            limit = int(m.group())
        previous = m.group().upper() if kind == "word" else ""
        if kind == "other":
            c = m.group()
            if c in _OPEN:
                depth += 1
                deepest = max(deepest, depth)
            elif c in _CLOSE:
                depth -= 1
        elif kind == "iri" and _HIDDEN_SERVICE.search(m.group()):
            service = True
        elif kind == "word":
            word = m.group().upper()
            if word == "SERVICE":
                service = True
            elif word == "FROM":
                dataset = True
            elif form is None and word in QUERY_FORMS:
                form = word
            elif form is None and word in UPDATE_FORMS:
                form = "update"
    return Shape(form, service, dataset, deepest, limit)


def normalise(text: str) -> str:
    """``text`` with comments dropped and every run of white space outside strings and IRIs made one
    space: queries that differ only there mean the same (a key for a result cache; never executed)."""
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        if m.lastgroup in ("space", "comment"):
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(m.group())
    return "".join(out).strip()
