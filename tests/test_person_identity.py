"""One IRI per person: every spelling of a person gets the same IRI across releases, keyed by the reference
tables where they know the person (with the QID they evidence), and two people sharing a surname stay apart.

Built end to end: ``kg build`` of the seeds plus synthetic releases naming the same people differently,
then SPARQL over the published TriG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.gazetteer import Gazetteer
from kg.iris import Minter, fold
from kg.map import Mapper
from kg.paths import ROOT, SEEDS_DIR
from kg.record import PersonRole, Quote, Release, SourceRef

from conftest import SHARED

BASE = "http://kg.test/"
M = Minter(BASE)
PREFIXES = "PREFIX schema: <https://schema.org/> PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
Q = "We will continue to support the reform process in the whole region"
PAGES = {
    "100_sg_visit.txt": f"""OSCE Secretary General Sinirlioglu visits Malta

VALLETTA, 10 March 2025 – OSCE Secretary General Feridun Sinirlioglu met Maltese Foreign Minister Ian Borg in Valletta today.

“{Q},” said Sinirlioglu.
""",
    "101_sg_vienna.txt": f"""OSCE Secretary General addresses Permanent Council

VIENNA, 12 March 2025 – OSCE Secretary General Feridun Sinirlioğlu addressed the Permanent Council in Vienna today.

“{Q},” said Mr. Sinirlioğlu.
""",
    "102_two_borgs.txt": """Chairperson-in-Office meets Maltese Ambassador in Vienna

VIENNA, 2 July 2024 – OSCE Chairperson-in-Office Ian Borg met Ambassador Anton Borg, Permanent Representative of Malta to the OSCE, in Vienna today.

“Our Chairpersonship will keep dialogue open in difficult times,” said Ian Borg.
""",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ox.Store:
    pages = tmp_path_factory.mktemp("pages")
    for seed in SEEDS_DIR.glob("*.txt"):
        shutil.copy(seed, pages / seed.name)
    for name, text in PAGES.items():
        (pages / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("build") / "output"
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(pages), "--out", str(out), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "KG_BASE": BASE})
    assert run.returncode == 0, run.stderr
    assert f"{len(PAGES) + 2} releases published" in run.stderr, run.stderr
    s = ox.Store()
    s.load(path=str(out / "osce-kg.trig"), format=ox.RdfFormat.TRIG)
    return s


def ask(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(t.value if t is not None else None for t in row)
            for row in store.query(PREFIXES + query, use_default_graph_as_union=True)]


def test_one_iri_per_person_across_releases(store: ox.Store):
    """Every person named in a release: no two IRIs whose names are the same name once diacritics and
    case are set aside."""
    rows = ask(store, """SELECT DISTINCT ?p ?name WHERE {
        ?role a schema:Role ; schema:mainEntity ?p . ?p schema:name ?name }""")
    iris = defaultdict(set)
    for person, name in rows:
        iris[fold(name).casefold()].add(person)
    assert len(iris) >= 10
    assert {k: v for k, v in iris.items() if len(v) > 1} == {}


def test_one_iri_per_person_across_the_seeds_and_the_corpora(tmp_path: Path):
    """The same query over a build of the seeds, the 60-page sample corpus and the real snapshots."""
    corpora = [SHARED / "corpus" / "docs", SHARED / "corpus" / "real" / "docs"]
    if not all(c.is_dir() for c in corpora):
        pytest.skip(f"{corpora} absent: the corpora live in ../shared/corpus beside the repository")
    pages = tmp_path / "pages"
    pages.mkdir()
    for n, page in enumerate(p for c in [SEEDS_DIR, *corpora] for p in sorted(c.glob("*.txt"))):
        (pages / f"{n:03d}_{page.name}").symlink_to(page)
    out = tmp_path / "output"
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(pages), "--out", str(out), "--quiet",
                          "--keep-going"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "KG_BASE": BASE})
    assert run.returncode == 0, run.stderr
    s = ox.Store()
    s.load(path=str(out / "osce-kg.trig"), format=ox.RdfFormat.TRIG)
    test_one_iri_per_person_across_releases(s)


def test_spellings_with_and_without_diacritics_are_one_person_with_the_qid(store: ox.Store):
    rows = ask(store, """SELECT ?p (COUNT(DISTINCT ?r) AS ?releases) (SAMPLE(?name) AS ?n) (SAMPLE(?wd) AS ?w) WHERE {
        ?role schema:mainEntity ?p ; schema:isPartOf ?r . ?p schema:name ?name .
        OPTIONAL { ?p owl:sameAs ?wd }
        FILTER(CONTAINS(LCASE(STR(?name)), "sinirlio")) } GROUP BY ?p""")
    assert rows == [(BASE + "id/person/feridun-sinirlioglu", "2", "Feridun Sinirlioğlu",
                     "http://www.wikidata.org/entity/Q6082854")]
    speakers = ask(store, """SELECT DISTINCT ?p WHERE { ?q a schema:Quotation ; schema:spokenByCharacter ?p ;
        schema:isPartOf ?r . ?r schema:datePublished ?d FILTER(?d >= "2025-01-01"^^<http://www.w3.org/2001/XMLSchema#date>) }""")
    assert speakers == [(BASE + "id/person/feridun-sinirlioglu",)]


def test_seed_people_carry_the_qids_the_table_evidences(store: ox.Store):
    rows = dict(ask(store, """SELECT ?name ?wd WHERE { ?role a schema:Role ; schema:mainEntity ?p .
        ?p schema:name ?name . OPTIONAL { ?p owl:sameAs ?wd } }"""))
    assert rows["Ian Borg"] == "http://www.wikidata.org/entity/Q38220741"   # people.tsv: qid=twice
    assert rows["Marc Perrin de Brichambaut"] is None                        # people.tsv: qid=none
    borg = ask(store, """SELECT (COUNT(DISTINCT ?p) AS ?iris) (COUNT(DISTINCT ?r) AS ?releases) WHERE {
        ?role schema:mainEntity ?p ; schema:isPartOf ?r . ?p schema:name "Ian Borg" }""")
    assert borg == [("1", "3")]


def test_two_people_sharing_a_surname_in_one_release_stay_apart(store: ox.Store):
    rows = ask(store, """SELECT DISTINCT ?p ?name WHERE { ?r schema:headline ?h .
        FILTER(CONTAINS(?h, "Maltese Ambassador"))
        ?role schema:isPartOf ?r ; schema:mainEntity ?p . ?p schema:name ?name } ORDER BY ?name""")
    assert rows == [(BASE + "id/person/anton-borg", "Anton Borg"), (BASE + "id/person/ian-borg", "Ian Borg")]


@pytest.mark.parametrize("written", ["Ian Borg", "Minister Borg", "Mr. Borg", "Borg", "IAN BORG"])
def test_every_way_of_naming_a_holder_maps_to_the_reference_person(written: str):
    """What the extractor hands over ("Minister Borg" where a release names him so) maps to the person of
    the reference tables: a surname alone only because Ian Borg held a post on the release's date."""
    gazetteer = Gazetteer.load(M)
    mapper = Mapper(M, gazetteer, topics={}, content_types={})
    rec = Release(id="x", source=SourceRef("x.txt", "0" * 64), content_type="Press release", title="T",
                  date="2024-06-26", place=None, sources=[], paragraphs=[f"“{Q},” said {written}."],
                  quotes=[Quote(Q, written)], people=[PersonRole(written, None)], mentions=[], fields_of_work=[])
    triples = mapper.triples(rec)
    borg = f"<{BASE}id/person/ian-borg>"
    assert (borg, "<http://www.w3.org/2002/07/owl#sameAs>", "<http://www.wikidata.org/entity/Q38220741>") in triples
    assert {o for s, p, o in triples if p.endswith("spokenByCharacter>")} == {borg}


def test_a_surname_maps_only_when_one_holder_fits_the_date():
    gazetteer = Gazetteer.load(M)
    assert gazetteer.person("Borg", "2024-06-26").label == "Ian Borg"    # Chairperson-in-Office in 2024
    assert gazetteer.person("Borg", "2010-06-26") is None                # no Borg held a post then
    assert gazetteer.person("Anton Borg", "2024-06-26") is None          # another Borg
    assert gazetteer.person("Sinirlioglu", "2025-03-10").wikidata == "Q6082854"


@pytest.mark.parametrize("written, canonical", [("Helga Schmid", "Helga Maria Schmid"), ("Ben Bot", "Bernard Bot"),
                                                ("Gigi Tsereteli", "George Tsereteli"),
                                                ("Knut Vollebaek", "Knut Vollebæk"), ("JAN KUBIS", "Ján Kubiš")])
def test_other_spellings_the_tables_evidence_are_the_same_person(written: str, canonical: str):
    found = Gazetteer.load(M).person(written)
    assert found is not None and found.label == canonical
    assert found.iri == str(M.id("person", canonical)) == str(M.id("person", fold(canonical)))
