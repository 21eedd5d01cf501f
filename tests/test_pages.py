"""The pages a person sees, over the real server on the seeds' build.

Figures on the pages are checked against the build's own dump (parsed with rdflib), every local link
on the landing page and on entity pages is followed, and every example query is run against /sparql.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.serve.pages import examples

SCHEMA = Namespace("https://schema.org/")
OSCE = Namespace("https://w3id.org/osce-kg/ontology#")


def page_path(iri: URIRef, base: str) -> str:
    return "/page/" + str(iri)[len(base) + 3:]


def soup(client: httpx.Client, path: str) -> BeautifulSoup:
    r = client.get(path)
    assert r.status_code == 200, path
    return BeautifulSoup(r.text, "html.parser")


def releases(dump: Graph) -> list[URIRef]:
    return sorted(dump.subjects(RDF.type, SCHEMA.NewsArticle))


def test_landing_page_figures_match_the_dump(client, dump):
    page = soup(client, "/")
    figures = {dt.get_text(strip=True): int(dd.get_text(strip=True).replace(",", ""))
               for dt, dd in zip(page.select(".counts dt"), page.select(".counts dd"))}
    assert figures == {
        "releases": len(releases(dump)),
        "participating States": len(set(dump.subjects(RDF.type, OSCE.ParticipatingState))),
        "people": len(set(dump.subjects(RDF.type, SCHEMA.Person))),
        "quotations": len(set(dump.subjects(RDF.type, SCHEMA.Quotation))),
    }
    assert figures["releases"] > 0 and figures["participating States"] > 0


def test_landing_chart_has_a_bar_per_year(client, dump):
    per_year = Counter(str(dump.value(r, SCHEMA.datePublished))[:4] for r in releases(dump))
    bars = soup(client, "/").select("svg.chart g")
    shown = {g.select_one("title").get_text().split(":")[0]: int(g.select_one("title").get_text().split(": ")[1].split()[0])
             for g in bars}
    first, last = int(min(per_year)), int(max(per_year))
    assert list(shown) == [str(y) for y in range(first, last + 1)]
    assert {y: n for y, n in shown.items() if n} == dict(per_year)


def participating_on(dump: Graph, state: URIRef, day: Literal) -> bool:
    """Whether ``state`` was a participating State on ``day`` (its dated osce:Participation)."""
    return any(dump.value(p, OSCE.startDate).toPython() <= day.toPython()
               and (dump.value(p, OSCE.endDate) is None or day.toPython() <= dump.value(p, OSCE.endDate).toPython())
               for p in dump.objects(state, OSCE.hasParticipation))


def test_landing_top_states_are_the_most_mentioned(client, dump, base):
    mentions = Counter(s for r in releases(dump) for s in set(dump.objects(r, SCHEMA.mentions))
                       if participating_on(dump, s, dump.value(r, SCHEMA.datePublished)))
    mongolia = URIRef(base + "id/country/mongolia")  # a Partner in 2008, a participating State from 2012
    assert (mongolia, RDF.type, OSCE.ParticipatingState) in dump and any(dump.subjects(SCHEMA.mentions, mongolia))
    assert mongolia not in mentions
    links = soup(client, "/").select("ol.top a")
    assert mentions and [a["href"] for a in links] == [
        page_path(s, base) for s, _ in sorted(mentions.items(), key=lambda kv: (-kv[1], str(kv[0])))][:10]
    assert [a.get_text() for a in links] == [str(dump.value(URIRef(base + "id/" + a["href"][6:]), RDFS.label))
                                            for a in links]


def local_links(page: BeautifulSoup, at: str) -> set[str]:
    out = set()
    for tag in page.select("a[href], link[href]"):
        url = urljoin("http://x" + at, tag["href"])
        if urlsplit(url).netloc == "x":
            out.add(urlsplit(url)._replace(scheme="", netloc="", fragment="").geturl())
    return out


def entity_pages(dump: Graph, base: str) -> list[str]:
    release = releases(dump)[0]
    state = sorted(s for s in dump.objects(release, SCHEMA.mentions) if (s, RDF.type, OSCE.ParticipatingState) in dump)[0]
    person = sorted(p for p in dump.subjects(RDF.type, SCHEMA.Person) if str(p).startswith(base))[0]
    return [page_path(i, base) for i in (release, state, person)]


def test_every_link_on_landing_and_entity_pages_resolves(client, dump, base):
    for start in ["/", *entity_pages(dump, base)]:
        links = local_links(soup(client, start), start)
        assert links, start
        for link in sorted(links):
            r = client.get(link, follow_redirects=True)
            assert r.status_code == 200, f"{link} (linked from {start}) answered {r.status_code}"


def test_release_page_shows_labels_types_and_links(client, dump, base):
    release = releases(dump)[0]
    page = soup(client, page_path(release, base))
    assert page.h1.get_text() == str(dump.value(release, SCHEMA.headline))
    types = set(dump.objects(release, RDF.type))
    supers = {s for t in types for s in dump.transitive_objects(t, RDFS.subClassOf) if s != t}
    expected = {str(dump.value(t, RDFS.label) or dump.namespace_manager.curie(t)) for t in types - supers}
    assert len(expected) < len(types) and {b.get_text() for b in page.select(".badge")} == expected
    mentioned = {page_path(s, base): str(dump.value(s, RDFS.label)) for s in dump.objects(release, SCHEMA.mentions)}
    shown = {a["href"]: a.get_text() for a in page.select("table.props a")}
    assert mentioned and all(shown.get(href) == label for href, label in mentioned.items())
    assert not any(a.get_text().startswith("http") for a in page.select("table.props a")
                   if a["href"].startswith("/page/"))


def test_state_page_shows_incoming_releases_field_operations_and_wikidata(client, dump, base):
    release = releases(dump)[0]
    state = sorted(s for s in dump.objects(release, SCHEMA.mentions) if (s, RDF.type, OSCE.ParticipatingState) in dump)[0]
    page = soup(client, page_path(state, base))
    assert page.h1.get_text() == str(dump.value(state, RDFS.label))
    incoming = {a["href"]: a.get_text() for a in page.select("ul.incoming a, ol.releases a")}
    for r in dump.subjects(SCHEMA.mentions, state):
        assert incoming[page_path(r, base)] == str(dump.value(r, SCHEMA.headline))
    for op in dump.subjects(OSCE.hostState, state):
        assert incoming[page_path(op, base)] == str(dump.value(op, RDFS.label))
    qids = {str(o) for o in dump.objects(state, OWL.sameAs)}
    assert qids and {a["href"] for a in page.select(".wikidata a")} == qids


def test_person_page_lists_their_quotations(client, dump, base):
    quoted = sorted(set(dump.objects(None, SCHEMA.spokenByCharacter)))
    if not quoted:
        pytest.skip("no quotation in this build has a speaker")
    person = quoted[0]
    page = soup(client, page_path(person, base))
    incoming = {a["href"] for a in page.select("ul.incoming a, ol.quotations blockquote a")}
    assert {page_path(q, base) for q in dump.subjects(SCHEMA.spokenByCharacter, person)} <= incoming


def test_query_page_offers_the_examples(client):
    page = soup(client, "/query")
    listed = [a["href"] for a in page.select(".examples a")]
    assert len(listed) >= 8 and listed == [f"/query?example={e.name}" for e in examples()]
    assert page.select_one("#yasgui") is not None or page.select_one("form textarea[name=query]") is not None


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_every_example_query_returns_rows(client, example):
    r = client.post("/sparql", data={"query": example.query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert rows, f"{example.name}: no rows on the seeds' graph"
    assert set(rows[0]) <= set(r.json()["head"]["vars"])


def test_plain_form_runs_a_query_without_javascript(client):
    example = examples()[0]
    page = soup(client, f"/query?example={example.name}&editor=plain")
    assert page.select_one("form textarea[name=query]").get_text() == example.query
    assert page.select_one("#yasgui") is None and not page.select("script[src]")
    expected = client.post("/sparql", data={"query": example.query},
                           headers={"Accept": "application/sparql-results+json"}).json()
    table = page.select_one("table.results-table")
    assert [th.get_text() for th in table.select("thead th")] == expected["head"]["vars"]
    assert len(table.select("tbody tr")) == len(expected["results"]["bindings"]) > 0
    assert all(a["href"].startswith("/page/") for a in table.select("a") if "/id/" in a.get_text())


def test_plain_form_reports_a_broken_query(client):
    page = soup(client, "/query?editor=plain&query=SELECT+%3Fx+WHERE+%7B")
    assert page.select_one(".error[role=alert]").get_text().strip()
