"""The reference graph answers the issue's questions in SPARQL, straight from the TSV tables."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.iris import OSCE, SCHEMA, WD, Minter
from kg.linkset import accepted as accepted_links
from kg.paths import REFERENCE_DIR
from kg.reference import ReferenceDataError, compile_reference, ontology_graph, parse_date, read_table, reference_graph

PREFIXES = """
PREFIX osce: <https://w3id.org/osce-kg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@pytest.fixture(scope="module")
def graph() -> Graph:
    return reference_graph() + ontology_graph()


def ask(g: Graph, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) if v is not None else None for v in row) for row in g.query(PREFIXES + query))


def test_57_states_with_their_qids(graph: Graph) -> None:
    rows = ask(graph, """SELECT ?label ?qid WHERE {
        ?s a osce:ParticipatingState ; rdfs:label ?label ; owl:sameAs ?qid ; osce:hasParticipation ?p .
        FILTER NOT EXISTS { ?p osce:endDate ?end } }""")
    table = sorted((r["name"], str(WD[r["qid"]])) for r in read_table("wikidata.tsv") if r["kind"] == "state")
    assert len(rows) == 57
    assert sorted(qid for _, qid in rows) == sorted(qid for _, qid in table)
    by_label = dict(rows)
    assert by_label["Türkiye"] == str(WD.Q43) and by_label["The Netherlands"] == str(WD.Q29999)


PARTNERS_IN = """SELECT ?label WHERE {
    ?c rdfs:label ?label ; osce:hasPartnership ?p .
    ?p osce:partnerGroup/rdfs:label "Asian Partners for Co-operation"@en ; osce:startDate ?start .
    OPTIONAL { ?p osce:endDate ?end }
    FILTER (?start <= "%d-12-31"^^xsd:date && (!BOUND(?end) || ?end >= "%d-01-01"^^xsd:date)) }"""


def test_asian_partners_by_year(graph: Graph) -> None:
    assert [r[0] for r in ask(graph, PARTNERS_IN % (2008, 2008))] == [
        "Afghanistan", "Japan", "Mongolia", "Republic of Korea", "Thailand"]
    assert [r[0] for r in ask(graph, PARTNERS_IN % (2020, 2020))] == [
        "Afghanistan", "Australia", "Japan", "Republic of Korea", "Thailand"]


def test_mongolia_partner_then_state(graph: Graph) -> None:
    rows = ask(graph, """SELECT ?pstart ?pend ?sstart WHERE {
        ?c rdfs:label "Mongolia"@en ; osce:hasPartnership [ osce:startDate ?pstart ; osce:endDate ?pend ] ;
           osce:hasParticipation [ osce:startDate ?sstart ] }""")
    assert rows == [("2004-01-01", "2012-11-20", "2012-11-21")]


def test_current_field_operations_with_hosts(graph: Graph) -> None:
    rows = ask(graph, """SELECT ?op ?host ?territory WHERE {
        ?f a osce:FieldOperation ; rdfs:label ?op ; osce:openingDate ?opened .
        FILTER NOT EXISTS { ?f osce:closingDate ?closed }
        OPTIONAL { ?f osce:hostState/rdfs:label ?host }
        OPTIONAL { ?f osce:hostTerritory/rdfs:label ?territory } }""")
    current = {r["name"]: r["host_country"] for r in read_table("field_operations.tsv") if r["status"] == "current"}
    assert len(rows) == len(current) == 12
    for op, host, territory in rows:
        assert (host or territory) == current[op], op
    assert ("OSCE Mission in Kosovo", None, "Kosovo") in rows  # Kosovo hosts, but is not a State
    assert ("OSCE Programme Office in Dushanbe", "Tajikistan", None) in rows


CIO_IN = """SELECT ?name ?start ?end WHERE {
    ?c osce:year "%d"^^xsd:gYear .
    ?h osce:duringChairpersonship ?c ; osce:holder/rdfs:label ?name ; osce:startDate ?start ; osce:endDate ?end }"""


def test_chairperson_in_office_by_year(graph: Graph) -> None:
    assert ask(graph, CIO_IN % 2008) == [("Alexander Stubb", "2008-04-05", "2008-12-31"),
                                         ("Ilkka Kanerva", "2008-01-01", "2008-04-04")]
    assert ask(graph, CIO_IN % 2024) == [("Ian Borg", "2024-01-01", "2024-12-31")]
    assert ask(graph, """SELECT ?state WHERE { ?c osce:year "1992"^^xsd:gYear ; osce:chairState/rdfs:label ?state .
                         ?state_iri rdfs:label ?state ; a osce:FormerParticipatingState }""") == [("Czechoslovakia",)]


def test_secretaries_general(graph: Graph) -> None:
    rows = ask(graph, """SELECT ?name ?start ?end WHERE {
        ?h osce:post ?post ; osce:holder/rdfs:label ?name ; osce:startDate ?start .
        ?post rdfs:label "Secretary General"@en . OPTIONAL { ?h osce:endDate ?end } }""")
    assert len(rows) == len(read_table("secretaries_general.tsv")) == 8
    assert ("Feridun Sinirlioğlu", "2024-12-06", None) in rows
    assert ("Wilhelm Höynck", "1993-06-15", "1996-06-30") in rows  # a month end is that month's last day


def test_close_matches_and_kosovo(graph: Graph) -> None:
    for name, exact, close in (("The Netherlands", "Q29999", "Q55"), ("Denmark", "Q756617", "Q35"),
                               ("Holy See", "Q159583", "Q237")):
        rows = ask(graph, f'SELECT ?same ?close WHERE {{ ?s rdfs:label "{name}"@en ; owl:sameAs ?same ; '
                          f'skos:closeMatch ?close }}')
        assert rows == [(str(WD[exact]), str(WD[close]))]
    assert ask(graph, 'SELECT ?t WHERE { ?k rdfs:label "Kosovo"@en ; a ?t }') == sorted(
        [(str(OSCE.Territory),), (str(OSCE.Referent),), ("https://schema.org/AdministrativeArea",),
         ("https://schema.org/Thing",)])


def test_every_qid_of_the_tables_is_linked_and_no_other(graph: Graph) -> None:
    linked = {str(o) for o in graph.objects(None, OWL.sameAs)}
    table = {str(WD[r["qid"]]) for name in ("wikidata.tsv", "people.tsv", "organisations.tsv")
             for r in read_table(name) if r["qid"]} | {str(WD[qid]) for qid, _ in accepted_links().values()}
    assert linked == table


def test_organisations_carry_their_evidenced_qids_only(graph: Graph) -> None:
    """organisations.tsv: UNHCR and IOM are linked (qid=twice), UNMIK (qid=none) is not; acronyms and
    other names are labels the gazetteer finds."""
    rows = dict(ask(graph, """SELECT ?acronym ?same WHERE { ?o a osce:InternationalOrganisation ;
        osce:acronym ?acronym . OPTIONAL { ?o owl:sameAs ?same } }"""))
    assert rows["UNHCR"] == str(WD["Q132551"]) and rows["IOM"] == str(WD["Q472311"])
    assert rows["UNMIK"] is None and rows["UN"] == str(WD["Q1065"])
    assert ask(graph, """SELECT ?e WHERE { ?o osce:acronym "UNHCR" ; osce:evidence ?e ; osce:verification ?v }""")


def test_alt_labels(graph: Graph) -> None:
    for label, alt in (("Czechia", "Czech Republic"), ("Türkiye", "Turkey"),
                       ("North Macedonia", "the former Yugoslav Republic of Macedonia"),
                       ("OSCE Programme Office in Dushanbe", "OSCE Office in Tajikistan")):
        assert graph.query(PREFIXES + f'ASK {{ ?s rdfs:label "{label}"@en ; skos:altLabel "{alt}"@en }}').askAnswer


def test_ontology_header_and_schema_alignment() -> None:
    onto = ontology_graph()
    header = URIRef("https://w3id.org/osce-kg/ontology")
    assert (header, RDF.type, OWL.Ontology) in onto
    assert onto.value(header, OWL.versionInfo) is not None and onto.value(header, DCTERMS.license) is not None
    for cls, schema_cls in ((OSCE.ParticipatingState, SCHEMA.Country), (OSCE.FieldOperation, SCHEMA.GovernmentOrganization),
                            (OSCE.DailyReport, SCHEMA.NewsArticle), (OSCE.PressRelease, SCHEMA.NewsArticle)):
        assert schema_cls in set(onto.transitive_objects(cls, RDFS.subClassOf)), cls


def test_deterministic_and_no_blank_nodes() -> None:
    a, b = compile_reference(), compile_reference()
    assert sorted(a.serialize(format="nt").splitlines()) == sorted(b.serialize(format="nt").splitlines())
    assert not any(isinstance(t, BNode) for triple in a for t in triple)


def test_base_is_configurable() -> None:
    g = reference_graph(Minter("http://example.org/kg/"))
    assert (URIRef("http://example.org/kg/id/country/japan"), OWL.sameAs, WD.Q17) in g
    assert not any(str(s).startswith("https://w3id.org/osce-kg/id/") for s in g.subjects())


def test_every_state_keeps_its_evidence(graph: Graph) -> None:
    missing = ask(graph, """SELECT ?s WHERE { ?s a osce:ParticipatingState .
                            FILTER NOT EXISTS { ?s osce:evidence ?e } }""")
    assert missing == []


def test_parse_date_precision() -> None:
    assert parse_date("1994-02") == date(1994, 2, 1) and parse_date("1994-02", end=True) == date(1994, 2, 28)
    assert parse_date("2012") == date(2012, 1, 1) and parse_date("2012", end=True) == date(2012, 12, 31)
    assert parse_date("unverified") is None and parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("spring 1991")


@pytest.fixture()
def tables(tmp_path: Path) -> Path:
    shutil.copytree(REFERENCE_DIR, tmp_path / "reference")
    return tmp_path / "reference"


def test_ragged_row_is_a_one_line_error(tables: Path) -> None:
    path = tables / "partners.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "Narnia\tAsian\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"^partners\.tsv:14: 2 cells, header has 7$"):
        compile_reference(directory=tables)


def test_unknown_host_state_is_reported(tables: Path) -> None:
    path = tables / "field_operation_kinds.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\tAlbania\t", "\tAlbanie\t"), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="field_operation_kinds.tsv: unknown country 'Albanie'"):
        compile_reference(directory=tables)


def test_bad_date_is_reported(tables: Path) -> None:
    path = tables / "secretaries_general.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("1993-06-15", "15 June 1993"), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="secretaries_general.tsv: not a date: '15 June 1993'"):
        compile_reference(directory=tables)


def test_ontology_docs(tmp_path: Path) -> None:
    from kg.docs import write_ontology_docs
    from kg.validate import load_shapes

    pages = write_ontology_docs(tmp_path / "ontology")
    assert pages == [tmp_path / "ontology" / "index.html", tmp_path / "ontology" / "shapes.html"]
    assert sorted(p.name for p in (tmp_path / "ontology").iterdir()) == ["index.html", "shapes.html"]  # no temp files
    index, shapes = (p.read_text(encoding="utf-8") for p in pages)
    onto = ontology_graph()
    for cls in (OSCE.ParticipatingState, OSCE.FieldOperation, OSCE.PressRelease, OSCE.Chairpersonship):
        assert str(onto.value(cls, RDFS.label)) in index
    for label in load_shapes().objects(None, RDFS.label):
        assert f">{label}</h2>" in shapes
