"""A person's page on the real server: their roles over time and their quotations, newest first, paged.

On the seeds' build the page is checked against the build's own dump; a second build adds synthetic
releases in the seeds' text form (Ian Borg quoted on 25 later days of his term) to check the order across
releases and the pagination.
"""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, URIRef

from conftest import ROOT, build_seeds
from test_pages import OSCE, SCHEMA, page_path as page_of, soup

BORG = "/page/person/ian-borg"
SEED = ROOT / "seeds" / "003_973450243c3cbebb.txt"  # Ian Borg in Tajikistan, 26 June 2024, quoted three times
ROLE = "OSCE Chair-in-Office, Minister for Foreign and European Affairs and Trade of Malta"
DAYS = range(1, 26)  # synthetic releases on 1 to 25 July 2024, one quotation each


def shown_quotations(page: BeautifulSoup) -> list[tuple[str, str, str, str]]:
    """(quotation link, date, release link, headline) of each quotation listed, in order."""
    return [(li.blockquote.a["href"], li.time["datetime"], li.p.a["href"], li.p.a.get_text())
            for li in page.select("ol.quotations li")]


def shown_roles(page: BeautifulSoup) -> list[tuple[str, str, str, list[str]]]:
    """(from, to, role, its links: the post's and where it is stated) of each row of the roles table."""
    rows = []
    for tr in page.select("table.roles tbody tr"):
        cells = tr.select("td")
        rows.append((cells[0].get_text(strip=True), cells[1].get_text(strip=True), cells[2].get_text(strip=True),
                     [a["href"] for cell in cells[2:] for a in cell.select("a")]))
    return rows


def test_ian_borg_page_on_the_seeds_shows_roles_and_quotations(client, dump: Graph, base):
    borg = URIRef(base + "id/person/ian-borg")
    page = soup(client, BORG)
    holdings = [(str(dump.value(h, OSCE.startDate)), str(dump.value(h, OSCE.endDate)),
                 str(dump.value(dump.value(h, OSCE.post), URIRef("http://www.w3.org/2000/01/rdf-schema#label"))),
                 [page_of(dump.value(h, OSCE.post), base), page_of(h, base)])
                for h in dump.subjects(OSCE.holder, borg)]
    named = {(str(dump.value(role, SCHEMA.roleName)), dump.value(role, SCHEMA.isPartOf))
             for role in dump.subjects(SCHEMA.mainEntity, borg)}
    assert holdings and named
    releases_named = [(str(dump.value(r, SCHEMA.datePublished)),) * 2 + (name, [page_of(r, base)]) for name, r in named]
    assert sorted(shown_roles(page)) == sorted(holdings + releases_named)
    assert ("2024-01-01", "2024-12-31", "Chairperson-in-Office") in {row[:3] for row in shown_roles(page)}

    expected = []
    for q in dump.subjects(SCHEMA.spokenByCharacter, borg):
        release = dump.value(q, SCHEMA.isPartOf)
        expected.append((page_of(q, base), str(dump.value(release, SCHEMA.datePublished)), page_of(release, base),
                         str(dump.value(release, SCHEMA.headline))))
    shown = shown_quotations(page)
    assert len(expected) == 3 and sorted(shown) == sorted(expected)
    assert [q[0] for q in shown] == sorted(q[0] for q in expected)  # one release: in reading order
    texts = [li.blockquote.get_text(strip=True) for li in page.select("ol.quotations li")]
    assert texts == [f"“{dump.value(URIRef(base + 'id/' + q[0][6:]), SCHEMA.text)}”" for q in shown]
    assert f"({len(expected)})" in page.select_one("#quotations").get_text()
    assert not page.select("nav[aria-label='Quotation pages']")  # one page only
    for link in {q[0] for q in shown} | {q[2] for q in shown}:
        assert client.get(link).status_code == 200, link
    assert not {q[0] for q in shown} & {a["href"] for a in page.select("ul.incoming a")}  # not listed twice


def test_a_page_without_roles_or_quotations_has_no_such_section(client):
    page = soup(client, "/page/country/tajikistan")
    assert page.select_one("#releases") and not page.select_one("#roles") and not page.select_one("#quotations")


def synthetic(day: int) -> str:
    """A release in the seeds' text form: Ian Borg quoted in Valletta on ``day`` July 2024."""
    seed = SEED.read_text(encoding="utf-8")
    return seed[:seed.index("Press release\n")] + f"""Press release
OSCE Chair-in-Office Borg meets students in Valletta, visit {day}
- Date:
- Place:
- VALLETTA
- Source:
- OSCE Chairpersonship
VALLETTA, {day} July 2024 — Today, {ROLE} Ian Borg, met students of the University of Malta.
“Young people carry the OSCE's commitments forward, as I said on visit number {day},” said Chair-in-Office Borg.
"""


@pytest.fixture(scope="module")
def quoted(tmp_path_factory, start_server):
    """A build of the seeds and 25 synthetic releases quoting Ian Borg after the seeds' release."""
    pages = tmp_path_factory.mktemp("person-pages")
    for seed in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(seed, pages / seed.name)
    for day in DAYS:
        (pages / f"synthetic-{day:02d}.txt").write_text(synthetic(day), encoding="utf-8")
    return start_server(build_seeds(tmp_path_factory.mktemp("person-build") / "output", pages))


def sparql(server, query: str) -> list[dict]:
    r = httpx.post(server.endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def test_quotations_newest_first_across_releases_and_paged(quoted):
    rows = sparql(quoted, """PREFIX schema: <https://schema.org/>
        SELECT ?q ?date WHERE { ?q schema:spokenByCharacter <https://w3id.org/osce-kg/id/person/ian-borg> ;
                                   schema:isPartOf/schema:datePublished ?date }""")
    assert len(rows) == 3 + len(DAYS)
    with httpx.Client(base_url=quoted.url, timeout=30) as http:
        seen, url, pages = [], BORG, 0
        while url:
            page = soup(http, url)
            items = shown_quotations(page)
            assert 0 < len(items) <= 20
            seen += items
            pages += 1
            following = page.select_one("nav[aria-label='Quotation pages'] a[rel=next]")
            url = BORG + following["href"].split("#")[0] if following else None
        assert pages == 2 and f"({len(rows)})" in page.select_one("#quotations").get_text()
        back = page.select_one("nav[aria-label='Quotation pages'] a[rel=prev]")
        assert shown_quotations(soup(http, BORG + back["href"].split("#")[0])) == seen[:20]
    dates = [q[1] for q in seen]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2024-07-25" and dates[-3:] == ["2024-06-26"] * 3  # the newer release first
    assert seen[0][3] == "OSCE Chair-in-Office Borg meets students in Valletta, visit 25"
    assert {"https://w3id.org/osce-kg/id/" + q[0][6:] for q in seen} == {r["q"]["value"] for r in rows}
    assert sorted(dates) == sorted(r["date"]["value"] for r in rows)


def test_roles_span_the_releases_naming_them(quoted):
    page = soup(httpx.Client(base_url=quoted.url, timeout=30), BORG)
    row = next(r for r in shown_roles(page) if r[2] == ROLE)
    assert row[:2] == ("2024-06-26", "2024-07-25")
    first, latest = row[3]
    assert first.startswith("/page/release/2024-06-26-") and latest.startswith("/page/release/2024-07-25-")
    assert f"{1 + len(DAYS)} releases" in page.select("table.roles tbody tr")[
        [r[2] for r in shown_roles(page)].index(ROLE)].get_text()


def test_paging_one_section_keeps_the_other_sections_page(quoted):
    with httpx.Client(base_url=quoted.url, timeout=30) as http:
        releases_page_2 = soup(http, BORG + "?page=2")
        following = releases_page_2.select_one("nav[aria-label='Quotation pages'] a[rel=next]")["href"]
        assert parse_qs(urlsplit(following).query) == {"page": ["2"], "quotes": ["2"]}
        both = soup(http, BORG + following.split("#")[0])
        assert [a["href"] for a in both.select("ol.releases a")] == [a["href"] for a in releases_page_2.select("ol.releases a")]
        assert both.select_one("nav[aria-label='Quotation pages'] span").get_text() == "Page 2 of 2"
