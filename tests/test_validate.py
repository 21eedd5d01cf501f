"""kg.validate: SHACL Core validation with a typed report; a broken graph must be reported."""

from rdflib import Graph

from kg.validate import validate

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
"""

SHAPES = PREFIXES + """
ex:ArticleShape a sh:NodeShape ;
  sh:targetClass schema:NewsArticle ;
  sh:property [ sh:path schema:headline ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ] ;
  sh:property [ sh:path schema:datePublished ; sh:datatype xsd:date ;
                sh:minInclusive "1990-01-01"^^xsd:date ] .
"""


def _graph(ttl: str) -> Graph:
    return Graph().parse(data=PREFIXES + ttl, format="turtle")


def test_conforming_graph_has_no_violations():
    data = _graph('ex:a a schema:NewsArticle ; schema:headline "H" ; schema:datePublished "2008-02-28"^^xsd:date .')
    result = validate(data, Graph().parse(data=SHAPES, format="turtle"))
    assert result.conforms
    assert result.violations == []
    assert len(result.report) > 0  # the report itself says sh:conforms true


def test_broken_graph_is_reported_with_focus_path_constraint_value():
    data = _graph("""
        ex:ok a schema:NewsArticle ; schema:headline "H" ; schema:datePublished "2008-02-28"^^xsd:date .
        ex:old a schema:NewsArticle ; schema:headline "H" ; schema:datePublished "1850-01-01"^^xsd:date .
        ex:twice a schema:NewsArticle ; schema:headline "A", "B" .
    """)
    result = validate(data, Graph().parse(data=SHAPES, format="turtle"))
    assert not result.conforms
    got = {(v.focus, v.path, v.constraint.rsplit("#", 1)[1], v.value) for v in result.violations}
    assert got == {
        ("http://example.org/old", "https://schema.org/datePublished", "MinInclusiveConstraintComponent",
         "1850-01-01"),
        ("http://example.org/twice", "https://schema.org/headline", "MaxCountConstraintComponent", ""),
    }
    assert all(v.severity.endswith("#Violation") and v.message for v in result.violations)
