"""shapes/reference.ttl accepts the reference graph and reports broken entities with the constraint broken."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from kg.gazetteer import Gazetteer
from kg.iris import OSCE
from kg.paths import SHAPES_DIR
from kg.reference import ontology_graph, reference_graph
from kg.validate import load_shapes, validate

SHAPES = SHAPES_DIR / "reference.ttl"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return reference_graph() + ontology_graph()


def test_reference_graph_conforms(graph: Graph) -> None:
    result = validate(graph)
    assert result.conforms, [(v.focus, v.path, v.constraint, v.message) for v in result.violations]


def _iri(name: str) -> URIRef:
    return URIRef(Gazetteer.load().lookup(name).iri)


def test_broken_entities_are_reported(graph: Graph) -> None:
    g = Graph() + graph
    denmark, malta, bih, georgia, mission = (_iri("Denmark"), _iri("Malta"), _iri("OSCE Mission to Bosnia and Herzegovina"),
                                             _iri("OSCE Mission to Georgia"), _iri("OSCE Mission to Skopje"))
    g.remove((denmark, RDFS.label, None))                                          # no label
    g.set((malta, OWL.sameAs, URIRef("https://www.wikidata.org/wiki/Q233")))      # a page, not an entity IRI
    g.remove((malta, OSCE.isoAlpha2, None))
    g.add((malta, OSCE.isoAlpha2, Literal("mt")))                                  # not ^[A-Z]{2}$
    g.set((bih, OSCE.hostState, _iri("Japan")))                                    # a partner, not a State
    g.set((georgia, OSCE.closingDate, Literal("1990-01-01", datatype=XSD.date)))   # before its opening
    g.remove((mission, OSCE.hostState, None))                                      # no host at all
    participation = g.value(_iri("Iceland"), OSCE.hasParticipation)
    g.remove((participation, OSCE.startDate, None))                                # participation without start
    g.add((OSCE.Mystery, RDF.type, OWL.Class))                                     # term without label/definition

    found = {(v.focus, v.path, v.constraint.rsplit("#", 1)[-1]) for v in validate(g).violations}
    expected = {
        (str(denmark), str(RDFS.label), "MinCountConstraintComponent"),
        (str(malta), str(OWL.sameAs), "PatternConstraintComponent"),
        (str(malta), str(OSCE.isoAlpha2), "PatternConstraintComponent"),
        (str(bih), str(OSCE.hostState), "ClassConstraintComponent"),
        (str(georgia), str(OSCE.openingDate), "LessThanOrEqualsConstraintComponent"),
        (str(mission), "", "OrConstraintComponent"),
        (str(participation), str(OSCE.startDate), "MinCountConstraintComponent"),
        (str(OSCE.Mystery), str(RDFS.label), "MinCountConstraintComponent"),
    }
    assert expected <= found, expected - found
    assert {f for f, _, _ in found} == {f for f, _, _ in expected}  # nothing else is reported


def test_every_class_is_covered_by_a_shape() -> None:
    """Each ontology class is targeted by a shape (here or in the release shapes), or inherits one."""
    ontology, shapes = ontology_graph(), load_shapes()
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in set(ontology.subjects(RDF.type, OWL.Class)):
        assert targeted & set(ontology.transitive_objects(cls, RDFS.subClassOf)), cls


def test_shapes_are_shacl_core() -> None:
    """No SPARQL-based constraints or targets in the reference shapes."""
    g = Graph().parse(SHAPES, format="turtle")
    assert not set(g.subjects(SH.sparql, None)) and not set(g.subjects(SH.select, None))
    assert len(list(g.subjects(SH["or"], None))) == 1  # only the field operation's host, on reference data


def test_an_external_organisation_without_evidence_or_inside_the_osce_is_reported(graph: Graph) -> None:
    g = Graph() + graph
    unhcr, iom = _iri("UNHCR"), _iri("IOM")
    g.remove((unhcr, OSCE.evidence, None))                                         # no evidence
    g.add((iom, URIRef("https://schema.org/parentOrganization"), _iri("OSCE")))    # made an OSCE structure
    found = {(v.focus, v.path, v.constraint.rsplit("#", 1)[-1]) for v in validate(g).violations}
    assert found == {(str(unhcr), str(OSCE.evidence), "MinCountConstraintComponent"),
                     (str(iom), "https://schema.org/parentOrganization", "MaxCountConstraintComponent")}
