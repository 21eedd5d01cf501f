"""The W3C SPARQL 1.1 Protocol tests (``../shared/w3c-sparql11/protocol``), run over HTTP against ``kg serve``.

Each test's requests are sent as the manifest models them (``ht:`` vocabulary): method, path (``/sparql/``
mapped to ``/sparql``), headers, and body in its declared encoding. The 13 query and 7 bad-query tests
must pass; the 14 update tests must get the read-only refusal (403, or 415 where the request is not a
well-formed update request in the first place).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from conftest import shared, write_dataset

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")
READY_FORMS = ("application/sparql-update", "application/x-www-form-urlencoded")


def _manifest() -> Graph:
    return Graph().parse(shared("w3c-sparql11", "protocol", "manifest.ttl"), format="turtle")


def _tests() -> list[str]:
    try:
        g = _manifest()
    except pytest.skip.Exception:
        return []
    entries = g.value(next(g.subjects(RDF.type, MF.Manifest)), MF.entries)
    return [str(t).rsplit("#", 1)[1] for t in Collection(g, entries)]


@pytest.fixture(scope="module")
def manifest() -> Graph:
    return _manifest()


@pytest.fixture(scope="module")
def protocol_server(manifest, start_server, tmp_path_factory):
    """One server over every graph the manifest's tests name (``ut:graphData``, named by their labels)."""
    folder = shared("w3c-sparql11", "protocol")
    graphs = {str(manifest.value(d, RDFS.label)): folder / str(manifest.value(d, UT.graph)).rsplit("/", 1)[1]
              for d in manifest.objects(None, UT.graphData)}
    data = tmp_path_factory.mktemp("w3c-protocol")
    write_dataset(graphs, data / "protocol.nq")
    return start_server(data)


def _requests(g: Graph, test: URIRef) -> list:
    action = g.value(test, MF.action)
    return list(Collection(g, g.value(action, HT.requests)))


def _send(g: Graph, request, server) -> httpx.Response:
    path = str(g.value(request, HT.absolutePath))
    assert path.startswith("/sparql/")
    headers = {}
    header_list = g.value(request, HT.headers)
    if header_list is not None:
        for h in Collection(g, header_list):
            headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
    body = g.value(request, HT.body)
    content = None
    if body is not None:
        content = str(g.value(body, CNT.chars)).encode(str(g.value(body, CNT.characterEncoding)))
    return httpx.request(str(g.value(request, HT.methodName)), server.url + "/sparql" + path[len("/sparql/"):],
                         headers=headers, content=content, timeout=30)


def _boolean(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        return json.loads(response.text)["boolean"]
    assert media == "application/sparql-results+xml", media
    return ET.fromstring(response.content).find(f"{SRX}boolean").text.strip() == "true"


def _status_ok(status: int, expected: list[str]) -> bool:
    return any(e.endswith(f"StatusCode{status // 100}xx") for e in expected)


@pytest.mark.parametrize("name", _tests())
def test_protocol(name, manifest, protocol_server):
    test = next(t for t in manifest.subjects(RDF.type, MF.ProtocolTest) if str(t).endswith("#" + name))
    requests = _requests(manifest, test)
    if "update" in name:
        first = requests[0]
        response = _send(manifest, first, protocol_server)
        header_list = manifest.value(first, HT.headers)
        types = [str(manifest.value(h, HT.fieldValue)).split(";")[0] for h in Collection(manifest, header_list)] \
            if header_list is not None else []
        if str(manifest.value(first, HT.methodName)) == "POST" and not set(types) & set(READY_FORMS):
            assert response.status_code == 415, response.text
        else:
            assert response.status_code == 403 and "read-only" in response.text, response.text
        return
    for request in requests:
        response = _send(manifest, request, protocol_server)
        expected = manifest.value(request, HT.resp)
        statuses = [str(s) for s in manifest.objects(expected, MF.expectedStatus)]
        assert _status_ok(response.status_code, statuses), (response.status_code, response.text)
        fmt = manifest.value(expected, MF.expectedFormat)
        media = response.headers.get("content-type", "").split(";")[0]
        if fmt is not None:
            allowed = {"boolean": BOOLEAN_TYPES, "tabular": TABULAR_TYPES, "RDF": RDF_TYPES}[str(fmt)]
            assert media in allowed, media
        boolean = manifest.value(expected, MF.expectedBoolean)
        if boolean is not None:
            assert _boolean(response) is boolean.toPython()


def test_all_query_and_bad_query_tests_are_run():
    names = _tests()
    if not names:
        pytest.skip("../shared/w3c-sparql11 is absent")
    queries = [n for n in names if "update" not in n]
    assert len(queries) == 20 and len(names) - len(queries) == 14
