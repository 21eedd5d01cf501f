"""Comparable SPARQL answers: the same query's results from different servers, normalised.

``answer(url, query)`` asks an endpoint for SPARQL JSON (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE)
and returns a canonical form: the rows of a SELECT as a sorted list (compared as multisets, since
ties under ``ORDER BY`` may come in any order), a boolean for ASK, sorted triples for graphs. Differences servers are allowed to have are
erased: ``xsd:string`` vs plain literals, Virtuoso's ``typed-literal``, numeric lexical forms
(``1.50`` vs ``1.5``), blank node labels.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from kg.publish import write_atomic

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong")}
SELECT_JSON = "application/sparql-results+json"
GRAPH_FORMAT = "application/n-triples"
_FORM = re.compile(r"^\s*(?:(?:PREFIX|BASE)\s[^\n]*\n|#[^\n]*\n|\s)*(SELECT|ASK|CONSTRUCT|DESCRIBE)", re.I)

Term = tuple[str, str, str]

# Differences the differential checks found that belong to an example query, not to a server
# (reported to the query's author; the tests keep them visible as xfail).
KNOWN_DIFFERENCES: dict[str, str] = {}


def query_form(query: str) -> str:
    m = _FORM.search(query)
    return m.group(1).upper() if m else "SELECT"


def _number(value: str) -> str:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return value
    return format(d.normalize(), "f") if d.is_finite() else value


def term(t: dict[str, str]) -> Term:
    """A SPARQL JSON term as (kind, value, datatype or @lang), with allowed differences erased."""
    kind = t["type"]
    if kind == "bnode":
        return ("bnode", "", "")
    if kind == "uri":
        return ("uri", t["value"], "")
    if "xml:lang" in t:
        return ("literal", t["value"], "@" + t["xml:lang"].lower())
    dt = t.get("datatype", "")
    if dt == XSD + "string":
        dt = ""
    value = _number(t["value"]) if dt in NUMERIC else t["value"]
    return ("literal", value, "numeric" if dt in NUMERIC else dt)


def canonical_json(doc: dict[str, Any]) -> Any:
    if "boolean" in doc:
        return doc["boolean"]
    names = doc["head"].get("vars", [])
    rows = [tuple(term(b[v]) if v in b else ("unbound", "", "") for v in names) for b in doc["results"]["bindings"]]
    return sorted(rows)


def _node(n: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    if isinstance(n, ox.NamedNode):
        return term({"type": "uri", "value": n.value})
    if isinstance(n, ox.BlankNode):
        return term({"type": "bnode", "value": n.value})
    t = {"type": "literal", "value": n.value, "datatype": n.datatype.value}
    return term({**t, "xml:lang": n.language} if n.language else t)


def canonical_ntriples(text: str) -> list[tuple[Term, Term, Term]]:
    """Triples as sorted term tuples (blank nodes masked: enough for the benchmark's queries)."""
    return sorted((_node(t.subject), _node(t.predicate), _node(t.object))
                  for t in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))


def answer(client: httpx.Client, url: str, query: str) -> Any:
    """The canonical answer of ``url`` to ``query`` (raises on an HTTP error)."""
    form = query_form(query)
    accept = GRAPH_FORMAT if form in ("CONSTRUCT", "DESCRIBE") else SELECT_JSON
    r = client.post(url, data={"query": query}, headers={"Accept": accept})
    r.raise_for_status()
    if form in ("CONSTRUCT", "DESCRIBE"):
        return canonical_ntriples(r.text)
    return canonical_json(r.json())


def diff(a: Any, b: Any, limit: int = 3) -> str:
    """A short description of how two canonical answers differ ('' when equal)."""
    if a == b:
        return ""
    if not (isinstance(a, list) and isinstance(b, list)):
        def brief(x: Any) -> str:
            return f"{len(x)} rows" if isinstance(x, list) else repr(x)
        return f"{brief(a)} != {brief(b)}"
    sa, sb = set(map(repr, a)), set(map(repr, b))
    only_a, only_b = sorted(sa - sb)[:limit], sorted(sb - sa)[:limit]
    return f"{len(a)} vs {len(b)} rows; only first: {only_a}; only second: {only_b}"


def save(report: Any, path: Path | None) -> None:
    """Write a bench script's ``report`` as JSON to ``path`` (its ``--json``; nothing when None), whole or not at all."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(report, indent=1) + "\n").encode("utf-8"))
