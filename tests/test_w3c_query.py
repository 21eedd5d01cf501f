"""The W3C SPARQL 1.1 query-evaluation tests (``../shared/w3c-sparql11``), run over HTTP against ``kg serve``.

Every data file of every test is loaded once, as a named graph named by its file IRI, into one server.
Each test POSTs its query (``BASE`` = the query file) with the SPARQL Protocol's ``default-graph-uri``
(its ``qt:data``) and ``named-graph-uri`` (its ``qt:graphData``); a query with its own FROM gets no
protocol dataset. Results are requested in the expected file's format (SPARQL XML/JSON/CSV/TSV; N-Triples
for graphs) and compared as multisets up to blank-node renaming (solution order is not checked).
Negative syntax tests must get 400. Expected failures are listed, with reasons, in ``docs/sparql.md``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
import pytest
from pyoxigraph import (BlankNode, Dataset, Literal, NamedNode, Quad, QueryBoolean, QueryResultsFormat, RdfFormat,
                        CanonicalizationAlgorithm, parse, parse_query_results)
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection

from conftest import SHARED, shared, write_dataset
from kg.paths import ROOT
from kg.serve.analysis import analyse

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_INTEGERS = {"int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
                "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"}
SUITE = SHARED / "w3c-sparql11"
EXTRA_MANIFESTS = ("csv-tsv-res/manifest.ttl", "json-res/manifest.ttl")  # result-format tests, not in the index
RDF_TYPE = str(RDF.type)
EMPTY_GRAPH = "urn:x-kg:w3c:empty"
RESULT_TYPES = {".srx": ("application/sparql-results+xml", QueryResultsFormat.XML),
                ".srj": ("application/sparql-results+json", QueryResultsFormat.JSON),
                ".tsv": ("text/tab-separated-values", QueryResultsFormat.TSV),
                ".csv": ("text/csv", None),
                ".ttl": ("application/sparql-results+json", QueryResultsFormat.JSON)}
RDF_FORMATS = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".rdf": RdfFormat.RDF_XML}


@dataclass(frozen=True)
class Case:
    id: str                       # folder/name
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[Path, ...]
    result: Path | None           # None: a negative syntax test


def _path(iri) -> Path:
    return Path(str(iri).removeprefix("file://"))


def _cases() -> list[Case]:
    if not SUITE.is_dir():
        return []
    top = Graph().parse(SUITE / "manifest-sparql11-query.ttl", format="turtle")
    manifests = [_path(m) for m in Collection(top, top.value(next(top.subjects(RDF.type, MF.Manifest)), MF.include))]
    manifests += [SUITE / m for m in EXTRA_MANIFESTS]
    cases = []
    for manifest in (m for m in manifests if m.is_file()):
        g = Graph().parse(manifest, format="turtle")
        for test in Collection(g, g.value(next(g.subjects(RDF.type, MF.Manifest)), MF.entries)):
            kind = g.value(test, RDF.type)
            name = f"{manifest.parent.name}/{str(test).rsplit('#', 1)[1]}"
            action = g.value(test, MF.action)
            if kind == MF.NegativeSyntaxTest11:
                cases.append(Case(name, _path(action), (), (), None))
            elif kind in (MF.QueryEvaluationTest, MF.CSVResultFormatTest):
                cases.append(Case(name, _path(g.value(action, QT.query)),
                                  tuple(_path(d) for d in g.objects(action, QT.data)),
                                  tuple(_path(d) for d in g.objects(action, QT.graphData)),
                                  _path(g.value(test, MF.result))))
    return cases


def _known_failures() -> dict[str, str]:
    """``| `folder/test` | reason |`` rows of the "Known failures" table in docs/sparql.md."""
    doc = ROOT / "docs" / "sparql.md"
    text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
    section = text.split("### Known failures", 1)[1] if "### Known failures" in text else ""
    return dict(re.findall(r"^\| `([\w\-/]+)` \| (.+?) \|$", section, re.MULTILINE))


CASES = _cases()
KNOWN = _known_failures()


@pytest.fixture(scope="module")
def w3c_server(start_server, tmp_path_factory):
    shared("w3c-sparql11")
    files = {f for c in CASES for f in (*c.data, *c.graph_data)}
    data = tmp_path_factory.mktemp("w3c-query")
    write_dataset({f.as_uri(): f for f in files}, data / "w3c.nq")
    return start_server(data)


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30) as c:
        yield c


def _params(case: Case, query: str) -> dict[str, list[str]]:
    if analyse(query).names_dataset:
        return {}  # the query names its own dataset (graph names are the data files' IRIs)
    return {"default-graph-uri": [f.as_uri() for f in case.data] or [EMPTY_GRAPH],
            "named-graph-uri": [f.as_uri() for f in case.graph_data]}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[c.id])]
                                               if c.id in KNOWN else []) for c in CASES])
def test_query_evaluation(case: Case, w3c_server, client):
    query = f"BASE <{case.query.as_uri()}>\n" + case.query.read_text(encoding="utf-8")
    if case.result is None:
        r = client.post(w3c_server.endpoint, content=query, headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 400, r.text
        return
    graph_result = case.result.suffix in RDF_FORMATS and not _is_result_set(case.result)
    accept = "application/n-triples" if graph_result else RESULT_TYPES[case.result.suffix][0]
    r = client.post(w3c_server.endpoint, params=_params(case, query), content=query,
                    headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert r.status_code == 200, r.text
    if graph_result:
        assert _canonical(parse(r.content, format=RdfFormat.N_TRIPLES)) == \
            _canonical(parse(path=str(case.result), format=RDF_FORMATS[case.result.suffix],
                             base_iri=case.result.as_uri()))
    elif case.result.suffix == ".csv":
        assert _csv_rows(r.text) == _csv_rows(case.result.read_text(encoding="utf-8"))
    else:
        fmt = RESULT_TYPES[case.result.suffix][1]
        got = _solutions(parse_query_results(r.content, format=fmt))
        expected = _result_set(case.result) if case.result.suffix == ".ttl" else \
            _solutions(parse_query_results(path=str(case.result), format=fmt))
        assert _same(got, expected), f"got {got}\nexpected {expected}"


def test_the_suite_is_all_there():
    if not CASES:
        pytest.skip("../shared/w3c-sparql11 is absent")
    assert len(CASES) >= 230
    assert set(KNOWN) <= {c.id for c in CASES}, "docs/sparql.md lists tests that do not exist"


# ---- comparing answers ------------------------------------------------------------------------------

def _key(term):
    if isinstance(term, NamedNode):
        return ("uri", term.value)
    if isinstance(term, BlankNode):
        return ("bnode", term.value)
    if isinstance(term, Literal):
        datatype = None if term.language else term.datatype.value
        return ("literal", _by_value(term.value, datatype), (term.language or "").lower(), datatype)
    return ("triple", _key(term.subject), _key(term.predicate), _key(term.object))


def _by_value(value: str, datatype: str | None) -> object:
    """Numbers and booleans compare by value ("1.0"^^xsd:decimal equals "1"^^xsd:decimal, "0"^^xsd:boolean
    equals "false"^^xsd:boolean): Oxigraph stores such literals in canonical form."""
    kind = (datatype or "").removeprefix(XSD)
    if kind == "boolean" and value in ("0", "1", "true", "false"):
        return value in ("1", "true")
    try:
        if kind in ("integer", "decimal") or kind in XSD_INTEGERS:
            return Decimal(value).normalize()
        if kind in ("float", "double"):
            return float(value)
    except (InvalidOperation, ValueError):
        pass
    return value


def _solutions(results) -> bool | list[dict]:
    if isinstance(results, QueryBoolean):
        return bool(results)
    names = results.variables
    return [{v.value: _key(s[v]) for v in names if s[v] is not None} for s in results]


def _is_result_set(path: Path) -> bool:
    return path.suffix == ".ttl" and any(
        t.predicate.value == RDF_TYPE and t.object.value == RS + "ResultSet"
        for t in parse(path=str(path), format=RdfFormat.TURTLE, base_iri=path.as_uri()))


def _result_set(path: Path) -> bool | list[dict]:
    """An expected result written in the DAWG result-set vocabulary (``rs:ResultSet``)."""
    triples = list(parse(path=str(path), format=RdfFormat.TURTLE, base_iri=path.as_uri()))
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
    boolean = [t.object for t in triples if t.predicate.value == RS + "boolean"]
    if boolean:
        return boolean[0].value == "true"
    out = []
    for t in triples:
        if t.predicate.value == RS + "solution":
            row = {}
            for b in (x.object for x in by_subject.get(t.object, []) if x.predicate.value == RS + "binding"):
                fields = {x.predicate.value: x.object for x in by_subject[b]}
                row[fields[RS + "variable"].value] = _key(fields[RS + "value"])
            out.append(row)
    return out


def _same(got, expected) -> bool:
    """Equal as multisets of solutions, blank nodes equal up to a consistent renaming."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return got == expected
    if len(got) != len(expected):
        return False

    def frozen(row):
        return frozenset(row.items())

    if not any("bnode" in repr(row) for row in (*got, *expected)):
        return Counter(map(frozen, got)) == Counter(map(frozen, expected))
    return _match(got, expected, 0, set(), {}, {})


def _unify(a, b, forward: dict, backward: dict) -> tuple[dict, dict] | None:
    if a[0] != b[0]:
        return None
    if a[0] == "bnode":
        if forward.get(a[1], b[1]) != b[1] or backward.get(b[1], a[1]) != a[1]:
            return None
        return {**forward, a[1]: b[1]}, {**backward, b[1]: a[1]}
    if a[0] == "triple":
        for x, y in zip(a[1:], b[1:]):
            unified = _unify(x, y, forward, backward)
            if unified is None:
                return None
            forward, backward = unified
        return forward, backward
    return (forward, backward) if a == b else None


def _match(got, expected, i, used, forward, backward) -> bool:
    if i == len(got):
        return True
    for j, row in enumerate(expected):
        if j in used or row.keys() != got[i].keys():
            continue
        state = (forward, backward)
        for var in row:
            state = _unify(got[i][var], row[var], *state) if state else None
        if state and _match(got, expected, i + 1, used | {j}, *state):
            return True
    return False


def _canonical(triples) -> set:
    ds = Dataset([Quad(t.subject, t.predicate, t.object) for t in triples])
    ds.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return set(ds)


def _csv_rows(text: str) -> Counter:
    """CSV rows as text by column name (CSV carries no term types; ``SELECT *`` fixes no column order);
    blank node labels replaced by one placeholder."""
    header, *rows = list(csv.reader(io.StringIO(text)))
    return Counter(frozenset((name, "_:b" if v.startswith("_:") else v) for name, v in zip(header, row))
                   for row in rows)
