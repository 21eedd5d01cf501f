"""Every office-holder of people.tsv, dated: post holdings, QIDs where evidenced, and quotations by post.

For every holder of every post a synthetic release dated inside the term attributes a quotation to the
post ("said the High Commissioner"); the extractor must name that holder. A release dated before the
post's first holder names no one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDFS, SKOS, XSD

from kg.extract import extract
from kg.gazetteer import Gazetteer
from kg.ingest import page_from_bytes
from kg.iris import OSCE, WD, Minter
from kg.reference import parse_date, read_table, reference_graph

from conftest import SHARED

M = Minter()
ROWS = read_table("people.tsv")
# how a release names each post when quoting its holder
PHRASES = {
    "secretary-general": "the Secretary General",
    "chairperson-in-office": "the Chairperson-in-Office",
    "hcnm": "the High Commissioner",
    "odihr-director": "the Director",
    "rfom": "the Representative",
    "pa-president": "the President of the Parliamentary Assembly",
}
Q = "We will continue to support the reform process in the whole region"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return reference_graph(M)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(M)


def test_the_table_is_the_shared_one():
    shared = SHARED / "reference" / "people.tsv"
    if not shared.exists():
        pytest.skip(f"{shared} is absent: the shared reference tables live in ../shared beside the repository")
    assert read_table("people.tsv") == read_table("people.tsv", shared.parent)


@pytest.mark.parametrize("post", ["odihr-director", "hcnm", "rfom", "pa-president"])
def test_every_row_of_a_post_is_a_dated_holding(graph: Graph, post: str):
    rows = [r for r in ROWS if r["post"].replace("_", "-") == post]
    holdings = set(graph.subjects(OSCE.post, M.id("post", post)))
    assert rows and len(holdings) == len(rows)
    for r in rows:
        node = M.id("post", f"{post}/{r['name']}/{r['term_start']}")
        assert node in holdings
        assert graph.value(graph.value(node, OSCE.holder), RDFS.label) == Literal(r["name"], lang="en")
        assert graph.value(node, OSCE.startDate) == Literal(parse_date(r["term_start"]), datatype=XSD.date)
        end = graph.value(node, OSCE.endDate)
        assert (end is None) == (r["term_end"] == "")
        assert graph.value(node, OSCE.verification) == Literal(r["verification"])
        assert graph.value(node, OSCE.evidence) == Literal(r["evidence"])


def test_a_term_known_to_the_month_or_year_spans_it_and_says_so(graph: Graph):
    """Stoudmann (ODIHR): 1997 to 2003-03 → 1997-01-01 to 2003-03-31, with a note; Strohal's full start date
    (2003-03-04) is kept as given, and in March 2003 both are holders (the sources cannot tell the day)."""
    node = M.id("post", "odihr-director/Gérard Stoudmann/1997")
    assert graph.value(node, OSCE.startDate).toPython() == date(1997, 1, 1)
    assert graph.value(node, OSCE.endDate).toPython() == date(2003, 3, 31)
    assert "start known to the year (1997); end known to the month (2003-03)" in str(graph.value(node, SKOS.note))
    strohal = M.id("post", "odihr-director/Christian Strohal/2003-03-04")
    assert graph.value(strohal, OSCE.startDate).toPython() == date(2003, 3, 4)
    assert "start known" not in str(graph.value(strohal, SKOS.note) or "")
    assert sorted(Gazetteer.load(M).holders("odihr-director", "2003-03-10")) == ["Christian Strohal", "Gérard Stoudmann"]


def test_qids_only_where_the_table_gives_one(graph: Graph):
    for r in ROWS:
        person = graph.value(predicate=RDFS.label, object=Literal(r["name"], lang="en"))
        assert person is not None, r["name"]
        same = set(graph.objects(person, OWL.sameAs))
        assert same == ({WD[r["qid"]]} if r["qid"] else set()), r["name"]
    borg = M.id("person", "ian-borg")
    assert set(graph.objects(borg, OWL.sameAs)) == {WD.Q38220741}
    assert set(graph.objects(M.id("person", "marc-perrin-de-brichambaut"), OWL.sameAs)) == set()


def test_one_person_per_qid_across_posts(graph: Graph):
    """Zannier: Secretary General and High Commissioner, one person; Putin's two terms as head of state too."""
    zannier = M.id("person", "lamberto-zannier")
    posts = {graph.value(h, OSCE.post) for h in graph.subjects(OSCE.holder, zannier)}
    assert posts == {M.id("post", "secretary-general"), M.id("post", "hcnm")}
    for qid in {r["qid"] for r in ROWS if r["qid"]}:
        assert len(set(graph.subjects(OWL.sameAs, WD[qid]))) == 1, qid


def _terms(post: str) -> list[tuple[str, date, date]]:
    """(holder, first day, last day) of each term of ``post`` that has a start."""
    out = []
    for r in ROWS:
        if r["post"].replace("_", "-") == post and r["term_start"]:
            start = parse_date(r["term_start"])
            end = parse_date(r["term_end"], end=True) if r["term_end"] else start + timedelta(days=60)
            out.append((r["name"], start, end))
    return out


def _release(day: date, phrase: str) -> bytes:
    dateline = f"VIENNA, {day.day} {day:%B} {day.year}"
    return (f"OSCE official addresses conference on the reform process\n\n"
            f"{dateline} – The conference on the reform process opened in Vienna today.\n\n"
            f"“{Q},” said {phrase}.\n").encode()


def _speaker(gazetteer: Gazetteer, day: date, phrase: str) -> str | None:
    release = extract(page_from_bytes(f"synthetic-{day}.txt", _release(day, phrase)), gazetteer)
    assert release.date == day.isoformat() and len(release.quotes) == 1, release
    return release.quotes[0].speaker


@pytest.mark.parametrize("post", sorted(PHRASES))
def test_a_quotation_by_the_post_goes_to_the_holder_on_the_release_date(gazetteer: Gazetteer, post: str):
    """For every term of the post: a release dated on a day that one holder alone covers (the middle of
    the term, else its last day, else its first) quotes that holder."""
    terms = _terms(post)
    assert terms
    checked = 0
    for name, start, end in terms:
        days = [start + (end - start) / 2, end, start]
        day = next((d for d in days if gazetteer.holders(post, d) == [name]), None)
        if day is None:
            continue  # a term entirely shared with another holder (no day only one covers)
        assert _speaker(gazetteer, day, PHRASES[post]) == name, (post, name, day)
        checked += 1
    assert checked >= len(terms) - 1


@pytest.mark.parametrize("post", sorted(PHRASES))
def test_a_quotation_by_the_post_outside_every_term_has_no_speaker(graph: Graph, gazetteer: Gazetteer, post: str):
    """The day before the post's first holding (of any table: Chairpersons-in-Office come from
    chairpersonships.tsv) has no holder, so no speaker."""
    starts = [graph.value(h, OSCE.startDate).toPython() for h in graph.subjects(OSCE.post, M.id("post", post))]
    day = min(starts) - timedelta(days=1)
    assert gazetteer.holders(post, day) == []
    assert _speaker(gazetteer, day, PHRASES[post]) is None


def test_other_posts_of_the_same_words_are_not_these(gazetteer: Gazetteer):
    """The UN High Commissioner for Refugees, a Special Representative and the Director of another office
    are not the OSCE posts."""
    day = date(2010, 6, 15)
    for phrase in ("the UN High Commissioner for Refugees", "the Special Representative",
                   "the Director of the Conflict Prevention Centre", "the Centre's Director", "the Deputy Director"):
        assert _speaker(gazetteer, day, phrase) is None, phrase


def test_holders_by_key_or_name(gazetteer: Gazetteer):
    day = date(2010, 6, 15)
    for key, name in (("hcnm", "High Commissioner on National Minorities"), ("odihr-director", "ODIHR Director"),
                      ("rfom", "OSCE Representative on Freedom of the Media"),
                      ("pa-president", "President of the Parliamentary Assembly")):
        assert gazetteer.holders(key, day) == gazetteer.holders(name, day) != []
