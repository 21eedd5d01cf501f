"""Linked data over the real server on the seeds' build: /id conneg, /data, /ontology, /void, /dumps.

What each response should hold is read independently from the build's own dump (rdflib parses
``osce-kg.nt.gz``), so the tests check the server against the published data, not against itself.
"""

from __future__ import annotations

import html
import re
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, VOID

SCHEMA = Namespace("https://schema.org/")
OSCE = Namespace("https://w3id.org/osce-kg/ontology#")
RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"}


def local(iri: str, base: str) -> str:
    assert iri.startswith(base + "id/"), iri
    return iri[len(base) - 1:]


def samples(dump: Graph, base: str) -> dict[str, URIRef]:
    """A release, a participating State it mentions, and a person quoted or named in a release."""
    release = sorted(dump.subjects(RDF.type, SCHEMA.NewsArticle))[0]
    state = sorted(s for s in dump.objects(release, SCHEMA.mentions) if (s, RDF.type, OSCE.ParticipatingState) in dump)[0]
    person = sorted(p for p in dump.subjects(RDF.type, SCHEMA.Person) if str(p).startswith(base))[0]
    return {"release": release, "state": state, "person": person}


@pytest.mark.parametrize("kind", ["release", "state", "person"])
@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/n-triples"])
def test_id_redirects_to_rdf_that_holds_the_entitys_triples(client, dump, base, kind, accept):
    iri = samples(dump, base)[kind]
    assert client.head(local(str(iri), base), headers={"Accept": accept}).status_code == 303
    r = client.get(local(str(iri), base), headers={"Accept": accept})
    assert r.status_code == 303
    assert r.headers["vary"] == "Accept"
    assert 'rel="alternate"' in r.headers["link"] and "/page/" in r.headers["link"]
    target = r.headers["location"]
    assert target.startswith("/data/") and target.endswith({"text/turtle": ".ttl", "application/ld+json": ".jsonld",
                                                            "application/n-triples": ".nt"}[accept])
    data = client.get(target)
    assert data.status_code == 200 and data.headers["content-type"].startswith(accept)
    g = Graph().parse(data=data.content, format=RDF_TYPES[accept])
    expected = set(dump.triples((iri, None, None)))
    assert expected and expected <= set(g)


def test_id_redirects_browsers_to_the_page(client, dump, base):
    iri = samples(dump, base)["state"]
    r = client.get(local(str(iri), base), headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["location"] == "/page/" + local(str(iri), base)[4:]
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert str(dump.value(iri, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) in page.text


def test_data_negotiates_without_extension(client, dump, base):
    iri = samples(dump, base)["release"]
    path = "/data/" + local(str(iri), base)[4:]
    r = client.get(path, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    assert set(dump.triples((iri, None, None))) <= set(Graph().parse(data=r.text, format="nt"))
    assert client.get(path, headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("path", ["/id/country/atlantis", "/page/person/nobody-at-all", "/data/place/nowhere.ttl"])
def test_unknown_iri_is_a_helpful_404(client, path):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Not found" in r.text and "/query?" in r.text and 'href="/"' in r.text


def test_ontology_serves_docs_and_rdf(client, server):
    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    g = Graph().parse(data=r.text, format="turtle")
    assert (URIRef("https://w3id.org/osce-kg/ontology"), RDF.type, OWL.Ontology) in g
    assert (OSCE.ParticipatingState, RDF.type, OWL.Class) in g
    nt = client.get("/ontology.nt")
    assert set(Graph().parse(data=nt.text, format="nt")) == set(g)
    html = client.get("/ontology", headers={"Accept": "text/html"})
    docs = Path(server.data_dir) / "ontology" / "index.html"
    assert html.status_code == (200 if docs.is_file() else 404)
    assert html.headers["content-type"].startswith("text/html")
    if docs.is_file():  # every class and property has an anchor: /ontology#Term lands on its section
        kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        terms = {str(s).split("#", 1)[1] for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(str(OSCE))}
        assert terms and all(f'id="{t}"' in html.text for t in terms)
        assert f'href="{OSCE}' not in html.text


@pytest.mark.parametrize("path", ["/void", "/.well-known/void", "/catalog"])
@pytest.mark.parametrize("accept", list(RDF_TYPES))
def test_void_by_accept(client, server, base, path, accept):
    r = client.get(path, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    g = Graph().parse(data=r.content, format=RDF_TYPES[accept])
    published = Graph().parse(Path(server.data_dir) / "void.ttl", format="turtle")
    version = (URIRef(base + "dataset"), URIRef("https://schema.org/version"), Literal(r.headers["X-Build"]))
    assert set(g) == set(published) | {version}  # the build answering is named, as in X-Build
    assert (URIRef(base + "dataset"), RDF.type, VOID.Dataset) in g


def test_dumps_list_and_serve_files_with_validators(client, server):
    listing = client.get("/dumps/")
    assert listing.status_code == 200
    files = sorted(p for p in Path(server.data_dir).iterdir() if p.is_file() and not p.name.startswith("."))
    assert {"osce-kg.ttl", "osce-kg.nt.gz", "osce-kg.jsonld", "osce-kg.trig", "void.ttl"} <= {p.name for p in files}
    types = {".ttl": "text/turtle", ".gz": "application/gzip", ".jsonld": "application/ld+json",
             ".trig": "application/trig", ".json": "application/json"}
    for path in files:
        assert f'href="/dumps/{path.name}"' in listing.text
        r = client.get(f"/dumps/{path.name}")
        assert r.status_code == 200, path.name
        assert r.headers["content-type"].split(";")[0] == types.get(path.suffix, "text/plain")
        assert int(r.headers["content-length"]) == path.stat().st_size and r.content == path.read_bytes()
        etag, modified = r.headers["etag"], r.headers["last-modified"]
        head = client.head(f"/dumps/{path.name}")
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
        assert client.get(f"/dumps/{path.name}", headers={"If-None-Match": etag}).status_code == 304
        assert client.get(f"/dumps/{path.name}", headers={"If-Modified-Since": modified}).status_code == 304
        stale = formatdate(path.stat().st_mtime - 3600, usegmt=True)
        assert client.get(f"/dumps/{path.name}", headers={"If-Modified-Since": stale}).status_code == 200
        assert client.get(f"/dumps/{path.name}", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("path", ["/dumps/store", "/dumps/..%2Fpyproject.toml", "/dumps/missing.ttl"])
def test_dumps_serve_nothing_else(client, path):
    assert client.get(path).status_code == 404


def test_the_404_pages_listing_finds_things_of_the_same_kind(client):
    page = client.get("/page/country/atlantis", headers={"Accept": "text/html"}).text
    href = html.unescape(re.search(r'href="(/query\?[^"]+)"', page).group(1))
    query = parse_qs(urlsplit(href).query)["query"][0]
    rows = client.post("/sparql", data={"query": query},
                       headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    assert rows and all("/id/country/" in row["thing"]["value"] and row["label"]["value"] for row in rows)
