"""/sparql over the real server on the seeds' build, with SPARQLWrapper and httpx as clients.

Expected answers come from rdflib evaluating the same queries over the published TriG (default graph =
union of the named graphs, as the endpoint serves it), never from the server itself.
"""

from __future__ import annotations

import io
import json
import threading
import time

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, POST, TSV, TURTLE, XML, SPARQLWrapper

from kg.serve.analysis import analyse
from kg.serve.negotiation import GRAPHS, RESULTS, choose

SCHEMA = "https://schema.org/"
SELECT = f"SELECT ?s ?p ?o WHERE {{ ?s a <{SCHEMA}NewsArticle> ; ?p ?o }}"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a <{SCHEMA}NewsArticle> ; ?p ?o }}"
CROSS_PATTERN = "?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l"
CROSS = f"SELECT * WHERE {{ {CROSS_PATTERN} }}"


@pytest.fixture(scope="module")
def limited(seeds_build, start_server):
    """A second server over the same build with a 2 s time limit and a 100-result cap."""
    return start_server(seeds_build, "--timeout", "2", "--max-results", "100")


def wrapper(server, fmt: str | None = None, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(server.endpoint)
    if fmt:
        client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


def rows(result: Result) -> set[tuple]:
    return {tuple(row) for row in result}


def as_text(rows_: set[tuple]) -> set[tuple]:
    return {tuple(str(v) for v in row) for row in rows_}


@pytest.mark.parametrize("query", [SELECT, SELECT + " LIMIT 10000"], ids=["rows", "limit-within-cap"])
@pytest.mark.parametrize("fmt, parser", [(JSON, "json"), (XML, "xml"), (CSV, "csv"), (TSV, "tsv")])
def test_select_in_every_results_format_matches_rdflib(server, dataset, fmt, parser, query):
    """Rows encoded by the server, and (a LIMIT within the result cap) by Oxigraph's own writers."""
    client = wrapper(server, fmt)
    client.setQuery(query)
    response = client.query().response
    assert response.headers["Content-Type"].split(";")[0] == {
        JSON: "application/sparql-results+json", XML: "application/sparql-results+xml", CSV: "text/csv",
        TSV: "text/tab-separated-values"}[fmt]
    got = rows(Result.parse(io.BytesIO(response.read()), format=parser))
    expected = rows(dataset.query(query))
    assert len(expected) > 50
    if parser == "csv":  # CSV carries no term types: compare the lexical forms
        assert as_text(got) == as_text(expected)
    else:
        assert got == expected


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("query", [f"ASK {{ ?s a <{SCHEMA}NewsArticle> }}", f"ASK {{ ?s a <{SCHEMA}Nothing> }}"])
def test_ask_over_get_and_post(server, dataset, method, query):
    client = wrapper(server, JSON, method)
    client.setQuery(query)
    assert client.query().convert()["boolean"] is dataset.query(query).askAnswer


@pytest.mark.parametrize("accept, rdflib_format", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                                   ("application/ld+json", "json-ld")])
def test_construct_and_describe_in_rdf_formats(server, dataset, accept, rdflib_format):
    release = next(iter(dataset.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                         URIRef(SCHEMA + "NewsArticle"))))
    describe = f"DESCRIBE <{release}>"
    expected = {
        CONSTRUCT: dataset.query(CONSTRUCT).graph,
        describe: Graph().__iadd__(dataset.triples((release, None, None))),  # no blank nodes: CBD = outgoing
    }
    for query, graph in expected.items():
        client = wrapper(server, TURTLE if rdflib_format == "turtle" else JSONLD)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", accept)
        client.setQuery(query)
        response = client.query().response
        assert response.headers["Content-Type"].split(";")[0] == accept
        got = Graph().parse(data=response.read(), format=rdflib_format)
        assert len(got) > 10 and isomorphic(got, graph), query


def test_protocol_dataset_parameters(server, dataset):
    """default-graph-uri narrows the default graph; named-graph-uri limits GRAPH ?g."""
    graphs = sorted(str(g.identifier) for g in dataset.graphs() if len(g) and str(g.identifier).startswith("http"))
    assert len(graphs) >= 2
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for g in graphs:
        r = httpx.get(server.endpoint, params={"query": count, "default-graph-uri": g},
                      headers={"Accept": "application/sparql-results+json"})
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(dataset.graph(URIRef(g)))
    r = httpx.post(server.endpoint, params={"named-graph-uri": graphs[0]},
                   content="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                   headers={"Content-Type": "application/sparql-query"})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [graphs[0]]


@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("application/sparql-results+json;q=0, */*;q=0.5", "application/sparql-results+xml"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+xml; charset=utf-8", "application/sparql-results+xml"),
    ("text/csv;charset=latin1, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ("text/*;q=0.9, text/csv;q=0.1", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
])
def test_accept_negotiation_for_results(server, accept, expected):
    headers = {"Accept": accept} if accept else {}
    r = httpx.get(server.endpoint, params={"query": "SELECT (1 AS ?x) {}"}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == expected
    assert "Accept" in r.headers["vary"]


def test_choose_prefers_server_order_on_ties_and_refuses_q0():
    assert choose("text/turtle;q=0.5, application/ld+json;q=0.5", GRAPHS) == "text/turtle"
    assert choose("*/*;q=0", RESULTS) is None
    assert choose("text/turtle;profile=x", GRAPHS) is None  # parameters must match
    assert choose("application/*", GRAPHS) == "application/n-triples"


@pytest.mark.parametrize("params, expected", [({"format": "xml"}, "application/sparql-results+xml"),
                                              ({"format": "tsv"}, "text/tab-separated-values"),
                                              ({"format": "csv"}, "text/csv")])
def test_format_parameter_overrides_accept(server, params, expected):
    r = httpx.get(server.endpoint, params={"query": "SELECT (1 AS ?x) {}", **params},
                  headers={"Accept": "application/sparql-results+json"})
    assert r.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("request_, status, message", [
    ({"params": {"query": "ASK {"}}, 400, "error at"),
    ({"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "more than one"),
    ({"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "image/png"),
    ({"params": {"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "csv"}}, 406, "csv"),
    ({"method": "POST", "content": "ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "text/plain"),
    ({"method": "POST", "content": "ASK {}"}, 415, "without a media type"),
    ({"method": "POST", "content": "ASK {}".encode("utf-16"),
      "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 415, "UTF-8"),
    ({"method": "POST", "content": b"ASK { FILTER(\"\xff\") }",
      "headers": {"Content-Type": "application/sparql-query"}}, 400, "not UTF-8"),
    ({"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400, "not an IRI"),
])
def test_bad_requests_get_a_clear_status_and_message(server, request_, status, message):
    r = httpx.request(request_.pop("method", "GET"), server.endpoint, **request_)
    assert r.status_code == status
    assert message in r.text and r.text.count("\n") == 1
    assert "Accept" in r.headers["vary"]


@pytest.mark.parametrize("request_", [
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "CLEAR ALL"}},
    {"method": "POST", "content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "POST", "data": {"query": "PREFIX x: <http://x/> INSERT DATA { x:a x:b x:c }"}},
    {"method": "GET", "params": {"query": "delete where { ?s ?p ?o }"}},
])
def test_updates_are_refused_as_read_only(server, request_):
    r = httpx.request(request_.pop("method"), server.endpoint, **request_)
    assert r.status_code == 403 and "read-only" in r.text
    assert httpx.get(server.endpoint, params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { bind(<http://127.0.0.1:9/> as ?x) service ?x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://example.org/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<1)SERVICE?x#>\n{ ?a ?b ?c } }",
    "SELECT * WHERE { \\u0053ERVICE <http://example.org/> { ?s ?p ?o } }",
])
def test_service_is_refused_before_the_engine(server, query):
    r = httpx.post(server.endpoint, data={"query": query})
    assert r.status_code == 403 and "SERVICE" in r.text


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { BIND("SERVICE <http://x/> {}" AS ?s) }',
    "SELECT * WHERE { ?s <http://example.org/service> ?o } # SERVICE in a comment",
    "PREFIX service: <http://example.org/> SELECT ?service WHERE { ?service a service:SERVICE }",
])
def test_service_in_strings_iris_names_and_comments_is_fine(server, query):
    assert not analyse(query).uses_service
    assert httpx.post(server.endpoint, data={"query": query}).status_code == 200


@pytest.mark.parametrize("query, limit", [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 20", 20),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s limit 5 OFFSET 10", 5),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } }", None),  # a subquery's LIMIT caps nothing
    ('SELECT * WHERE { ?s ?p "LIMIT 3" }', None),
    ("SELECT * WHERE { ?s ?p ?o } # LIMIT 3", None),
    ("SELECT * WHERE { ?s ?p ?o }", None),
])
def test_the_outermost_limit_is_found(query, limit):
    assert analyse(query).limit == limit


def test_service_description_and_browser_redirect(server):
    r = httpx.get(server.endpoint)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    sd = Graph().parse(data=r.text, format="turtle")
    ns = "http://www.w3.org/ns/sparql-service-description#"
    assert (URIRef(server.endpoint), URIRef(ns + "endpoint"), URIRef(server.endpoint)) in sd
    assert len(r.content) < 4000
    r = httpx.get(server.endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["location"] == "/query"


def test_cors_for_browser_clients_elsewhere(server):
    r = httpx.options(server.endpoint, headers={"Origin": "https://elsewhere.example",
                                                "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and "POST" in r.headers["access-control-allow-methods"]
    r = httpx.get(server.endpoint, params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_large_post_body(server, dataset):
    subjects = sorted({str(s) for s in dataset.subjects() if isinstance(s, URIRef)})
    values = " ".join(f"<{s}>" for s in subjects) + " " + " ".join(f"<http://example.org/x{i}>" for i in range(30000))
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }} }}"
    assert len(query) > 800_000
    r = httpx.post(server.endpoint, content=query, headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 200
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(dataset)


def test_cross_product_ends_with_an_error_within_the_limit(limited):
    start = time.monotonic()
    r = httpx.post(limited.endpoint, data={"query": CROSS}, timeout=60)
    assert r.status_code in (500, 503) and ("more than 100 solutions" in r.text or "time limit" in r.text)
    assert time.monotonic() - start < 2.5


def test_slow_query_is_stopped_while_others_are_served(limited):
    """Counting the cross product would run for days: it is stopped at 2 s with 503, and a second
    client's ASK meanwhile answers in under a second."""
    outcome: dict = {}

    def slow() -> None:
        start = time.monotonic()
        r = httpx.post(limited.endpoint, data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {CROSS_PATTERN} }}"},
                       timeout=60)
        outcome.update(status=r.status_code, text=r.text, seconds=time.monotonic() - start)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    ask = httpx.get(limited.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    assert time.monotonic() - start < 1.0
    thread.join(30)
    assert outcome["status"] == 503 and "time limit of 2 s" in outcome["text"]
    assert 1.9 < outcome["seconds"] < 4.0
    # the server keeps answering, repeatedly, while its process is replaced (test_serve_limits)
    for _ in range(4):
        assert httpx.get(limited.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=10).status_code == 200


def test_result_cap(limited, dataset):
    r = httpx.get(limited.endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 500 and "more than 100 solutions" in r.text
    r = httpx.get(limited.endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert r.status_code == 500 and "more than 100 triples" in r.text
    r = httpx.get(limited.endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 100"})
    assert len(r.json()["results"]["bindings"]) == 100


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("rows", [99, 100, 101])
def test_the_cap_is_exact_without_a_limit_in_every_format(limited, fmt, rows):
    """No LIMIT: Oxigraph's writer answers, its rows counted from the bytes (literals holding the JSON
    separator and line breaks make that count an overestimate, so it is checked row by row near the cap)."""
    values = " ".join(f'("}},{{ {n}\\n{n}")' for n in range(rows))  # the SPARQL escape \n: a line break
    client = wrapper(limited, fmt)
    client.setQuery(f"SELECT ?v WHERE {{ VALUES (?v) {{ {values} }} }}")
    if rows > 100:
        with pytest.raises(Exception, match="more than 100 solutions"):
            client.query().response.read()
        return
    body = client.query().response.read()
    parser = {JSON: "json", XML: "xml", CSV: "csv", TSV: "tsv"}[fmt]
    got = sorted(str(row[0]) for row in Result.parse(io.BytesIO(body), format=parser))
    assert got == sorted(f"}},{{ {n}\n{n}" for n in range(rows))


@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
@pytest.mark.parametrize("query", ["SELECT * WHERE {}", "SELECT * WHERE { FILTER(false) }",
                                   "SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF 1 } }",
                                   'SELECT ?x ?y WHERE { VALUES (?x ?y) { ("},{" "a\\nb") (1 2) } }'])
def test_the_byte_count_never_undercounts(fmt, query):
    from pyoxigraph import QueryResultsFormat, Store

    from kg.serve.engine import _solutions_at_most

    store = Store()
    fmt_ = getattr(QueryResultsFormat, fmt)
    body = store.query(query).serialize(format=fmt_)
    assert _solutions_at_most(body, fmt_) >= len(list(store.query(query)))


def test_select_json_shapes_terms_like_the_spec(server):
    """Language tags, datatypes and plain strings as SPARQL 1.1 JSON results write them."""
    query = 'SELECT ?a ?b ?c ?d WHERE { BIND("x"@en AS ?a) BIND(1 AS ?b) BIND("y" AS ?c) }'
    binding = httpx.get(server.endpoint, params={"query": query}).json()["results"]["bindings"][0]
    assert binding == {"a": {"type": "literal", "value": "x", "xml:lang": "en"},
                       "b": {"type": "literal", "value": "1",
                             "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
                       "c": {"type": "literal", "value": "y"}}
    assert json.loads(httpx.get(server.endpoint, params={"query": query}).text)["head"]["vars"] == ["a", "b", "c", "d"]


def test_a_folder_of_rdf_files_is_served_and_a_bad_file_skipped_with_one_line(start_server, tmp_path):
    (tmp_path / "good.ttl").write_text('<http://e/s> <http://e/p> "fine" .\n', encoding="utf-8")
    (tmp_path / "more.trig").write_text('<http://e/g> { <http://e/s> <http://e/p> "named" . }\n', encoding="utf-8")
    (tmp_path / "bad.nt").write_text("<http://e/s> <http://e/p\n", encoding="utf-8")
    files = start_server(tmp_path)
    r = httpx.get(files.endpoint, params={"query": "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o"})
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["fine", "named"]
    skipped = [line for line in files.log.read_text().splitlines() if "skipped" in line]
    assert len(skipped) == 1 and skipped[0].startswith("kg serve: skipped bad.nt: ")
    assert httpx.get(files.url + "/health", timeout=10).json()["store"] == "memory"  # files are loaded, never on disk
