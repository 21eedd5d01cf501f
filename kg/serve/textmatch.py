"""``osce:textMatch``: the build's text index inside a SPARQL query, on the embedded engine.

``?release osce:textMatch "border police"`` binds ``?release`` to every release the text query matches
(the syntax of ``/search``); ``(?release ?score) osce:textMatch "..."`` also binds its score (minus BM25:
higher is better). Before the engine sees the query, each such triple is answered from the index and
replaced by a ``VALUES`` block of the matching releases in its place, so the rest of the query joins
them like any other pattern. The triple must stand on its own in a group (``?r osce:textMatch "x" .``,
possibly followed by ``;`` and more of ``?r``'s predicates). With ``--backend`` (an external store) the
index is not beside the data, so such a query gets a 400.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import Request

from kg import search
from kg.iris import OSCE
from kg.serve.analysis import tokens
from kg.serve.engine import QueryError, QuerySyntaxError
from kg.serve.search import index_for

PREDICATE = str(OSCE.textMatch)
FORM = 'write it as a triple of its own: ?release osce:textMatch "words" . or (?release ?score) osce:textMatch "words" .'
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


async def expand(request: Request, query: str) -> str:
    """``query`` with every ``osce:textMatch`` triple replaced by the matching releases (unchanged when it
    has none); ``QuerySyntaxError`` (400) for a triple of another form, bad text or an external store."""
    if "textmatch" not in query.lower():
        return query
    found = _triples(query)
    if not found:
        return query
    if request.app.state.settings.backend:
        raise QuerySyntaxError("osce:textMatch is answered from the build's text index, which only the embedded "
                               "engine has: this server answers from an external store (--backend); use its own "
                               "text search, or FILTER(CONTAINS(...))")
    return await asyncio.to_thread(_replace, index_for(request), query, found)


Triple = tuple[int, int, list[str], str, str]  # start, end, variables, text, what follows (";" or "")


def _triples(query: str) -> list[Triple]:
    """The ``osce:textMatch`` triples of ``query``: their span, subject variables, text, continuation."""
    toks = [m for m in tokens(query) if m.lastgroup not in ("space", "comment")]
    prefixes = {toks[i + 1].group()[:-1]: toks[i + 2].group()[1:-1] for i in range(len(toks) - 2)
                if toks[i].group().upper() == "PREFIX" and toks[i + 1].lastgroup == "pname"
                and toks[i + 2].lastgroup == "iri"}
    out = []
    for i, t in enumerate(toks):
        name, kind = t.group(), t.lastgroup
        full = name[1:-1] if kind == "iri" else prefixes.get(name.partition(":")[0], "\0") + name.partition(":")[2] \
            if kind == "pname" else None
        if full != PREDICATE:
            continue
        start, variables = _subject(toks, i)
        after = toks[i + 2].group() if i + 2 < len(toks) else ""
        if start is None or i + 1 >= len(toks) or toks[i + 1].lastgroup != "string" or after not in (".", ";", "}"):
            raise QuerySyntaxError(f"osce:textMatch at character {t.start()}: {FORM}")
        end = toks[i + 2].end() if after in (".", ";") else toks[i + 2].start()
        out.append((toks[start].start(), end, variables, _unquote(toks[i + 1].group()), ";" if after == ";" else ""))
    return out


def _subject(toks: list[re.Match[str]], i: int) -> tuple[int | None, list[str]]:
    """Where the subject before token ``i`` starts and its variables (``?r`` or ``(?r ?score)``); None
    when it is not one of those or does not start a triple."""
    if i >= 1 and toks[i - 1].lastgroup == "var":
        start, variables = i - 1, [toks[i - 1].group()]
    elif i >= 4 and [t.group() for t in (toks[i - 4], toks[i - 1])] == ["(", ")"] and \
            all(t.lastgroup == "var" for t in toks[i - 3:i - 1]):
        start, variables = i - 4, [t.group() for t in toks[i - 3:i - 1]]
    else:
        return None, []
    before = toks[start - 1].group() if start else ""
    return (start, variables) if before in ("{", ".", "}") else (None, [])


def _unquote(token: str) -> str:
    quote = 3 if token[:3] in ('"""', "'''") else 1
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), token[quote:-quote])


def _replace(path: Path, query: str, found: list[Triple]) -> str:
    try:
        con, _ = search.open_index(path)
    except search.SearchError as e:
        error = QueryError(f"osce:textMatch: {e}")
        error.status = e.status
        raise error from None
    try:
        for start, end, variables, text, more in reversed(found):
            try:
                hits = search.matches(con, text)
            except search.SearchError as e:
                raise QuerySyntaxError(f"osce:textMatch: {e}") from None
            if len(variables) == 1:
                rows = " ".join(f"<{iri}>" for iri, _ in hits)
                values = f"VALUES {variables[0]} {{ {rows} }}"
            else:
                rows = " ".join(f"(<{iri}> {score:.6f})" for iri, score in hits)
                values = f"VALUES ({' '.join(variables)}) {{ {rows} }}"
            query = query[:start] + values + (f" {variables[0]} " if more else " ") + query[end:]
    finally:
        con.close()
    return query
