"""kg.map: a release record becomes the documented triples, written as the very N-Triples lines pyoxigraph
writes; release shapes accept it and catch breakage; the releases graph repeats nothing the reference says."""

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD

from kg import build
from kg.ingest import expand, read_page
from kg.iris import OSCE, SCHEMA, WD, Minter
from kg.map import Mapper, integer, iri, literal, ntriples
from kg.paths import SEEDS_DIR, SHAPES_DIR
from kg.record import ExtractionError, Mention, PersonRole, Quote, Release, SourceRef
from kg.reference import ontology_graph, reference_graph
from kg.validate import validate

M = Minter("http://kg.test/")


@dataclass(frozen=True)
class Ent:
    iri: str
    label: str
    wikidata: str | None = None


class TableGazetteer:
    """A two-entry gazetteer for the mapper's unit tests (the build tests use the real one)."""

    units = {"OSCE Programme Office in Dushanbe": Ent(str(M.id("field-operation", "osce-programme-office-in-dushanbe")),
                                                      "OSCE Programme Office in Dushanbe")}
    places = {"KABUL": Ent(str(M.id("place", "kabul")), "Kabul", "Q5838")}
    people = {"Marc Perrin de Brichambaut": Ent(str(M.id("person", "marc-perrin-de-brichambaut")),
                                                "Marc Perrin de Brichambaut", "Q3288270")}

    def resolve_source(self, value, date):
        return self.units.get(value)

    def place(self, name):
        return self.places.get(name)

    def person(self, name, on):
        return self.people.get(name)


TOPIC = str(M.id("topic", "border-management"))
PRESS = str(M.id("content-type", "press-release"))
MAPPER = Mapper(M, TableGazetteer(), topics={"border management": TOPIC}, content_types={"press release": PRESS},
                article_classes={PRESS: str(OSCE.PressRelease)}, version="9.9")

REC = Release(
    id="r1", source=SourceRef("seeds/a.txt", "ab" * 32), content_type="Press release", title="Head line",
    date="2008-09-10", place="KABUL", sources=["OSCE Programme Office in Dushanbe", "Nowhere Unit"],
    paragraphs=["First.", "Second."], quotes=[Quote("We help.", "Marc Perrin de Brichambaut"), Quote("Anon.", None)],
    people=[PersonRole("Marc Perrin de Brichambaut", "OSCE Secretary General"), PersonRole("Kai Eide", None)],
    mentions=[Mention("Afghan", "partner", str(M.id("country", "afghanistan")), "Q889")],
    fields_of_work=["Border management", "Unknown topic"], dateline="KABUL, 10 September 2008 -",
)


def _graph(rec=REC) -> Graph:
    return _graph_of(MAPPER, rec)


def test_release_maps_to_the_documented_model():
    g = _graph()
    rel = M.id("release", "r1")
    assert set(g.objects(rel, RDF.type)) == {SCHEMA.NewsArticle, OSCE.PressRelease}
    assert g.value(rel, SCHEMA.headline) == Literal("Head line")
    assert g.value(rel, SCHEMA.datePublished) == Literal("2008-09-10", datatype=XSD.date)
    assert g.value(rel, SCHEMA.genre) == URIRef(PRESS)
    # the unknown unit and topic are left out, not invented
    assert set(g.objects(rel, SCHEMA.sourceOrganization)) == {M.id("field-operation", "osce-programme-office-in-dushanbe")}
    assert set(g.objects(rel, SCHEMA.about)) == {URIRef(TOPIC)}
    place = g.value(rel, SCHEMA.locationCreated)
    assert place == M.id("place", "kabul") and g.value(place, OWL.sameAs) == WD.Q5838
    assert g.value(rel, SCHEMA.articleBody) == Literal("First.\n\nSecond.")
    paras = sorted((int(g.value(p, SCHEMA.position)), str(g.value(p, SCHEMA.text))) for p in g.objects(rel, SCHEMA.hasPart))
    assert paras == [(1, "First."), (2, "Second.")]

    q1, q2 = M.id("release", "r1/quote/1"), M.id("release", "r1/quote/2")
    marc = M.id("person", "marc-perrin-de-brichambaut")
    assert g.value(q1, SCHEMA.spokenByCharacter) == marc == g.value(q1, SCHEMA.creator)
    assert g.value(q1, SCHEMA.isPartOf) == rel and g.value(q2, SCHEMA.spokenByCharacter) is None
    assert g.value(marc, OWL.sameAs) == WD.Q3288270
    kai = M.id("person", "kai-eide")
    assert (kai, RDF.type, SCHEMA.Person) in g and g.value(kai, OWL.sameAs) is None  # no QID in the reference
    roles = {(g.value(r, SCHEMA.mainEntity), g.value(r, SCHEMA.roleName)) for r in g.subjects(RDF.type, SCHEMA.Role)}
    assert roles == {(marc, Literal("OSCE Secretary General")), (kai, None)}

    source = g.value(rel, PROV.wasDerivedFrom)
    assert g.value(source, SCHEMA.sha256) == Literal("ab" * 32) and g.value(source, RDFS.label) == Literal("a.txt")
    activity = g.value(rel, PROV.wasGeneratedBy)
    assert g.value(activity, PROV.endedAtTime) == Literal("2008-09-10T00:00:00Z", datatype=XSD.dateTime)
    software = g.value(activity, PROV.wasAssociatedWith)
    assert software == M.id("software", "osce-kg/9.9") == URIRef("http://kg.test/id/software/osce-kg/9-9")
    assert M.local_path(str(software)) == "/id/software/osce-kg/9-9"  # under the IRI scheme: the server answers it
    assert (software, RDF.type, PROV.SoftwareAgent) in g and g.value(software, SCHEMA.softwareVersion) == Literal("9.9")


def test_content_type_gives_genre_and_class_only_when_the_reference_knows_it():
    press = _graph()
    rel = M.id("release", "r1")
    assert press.value(rel, SCHEMA.genre) == URIRef(PRESS) and (rel, RDF.type, OSCE.PressRelease) in press
    story = _graph(replace(REC, content_type="Story"))  # what a newsroom page under "Stories" implies
    assert story.value(rel, SCHEMA.genre) is None and set(story.objects(rel, RDF.type)) == {SCHEMA.NewsArticle}


def test_mapping_is_deterministic_and_blank_node_free():
    first, second = ntriples(MAPPER.triples(REC)), ntriples(MAPPER.triples(REC))
    assert first == second and "_:" not in first
    assert Graph().parse(data=first, format="nt").isomorphic(_graph())


def _context(g: Graph) -> Graph:
    """The reference typing the release shapes rely on (what the build adds from the reference graph)."""
    g.add((M.id("field-operation", "osce-programme-office-in-dushanbe"), RDF.type, OSCE.FieldOperation))
    g.add((OSCE.FieldOperation, RDFS.subClassOf, OSCE.OSCEStructure))
    g.add((M.id("country", "afghanistan"), RDF.type, OSCE.Referent))
    return g


SHAPES = Graph().parse(SHAPES_DIR / "release.ttl")


def test_release_shapes_accept_the_mapped_release():
    result = validate(_context(_graph()), SHAPES)
    assert result.conforms, result.violations


def test_release_shapes_report_impossible_date_and_unknown_source():
    bad = replace(REC, date="1850-01-01", sources=["Nowhere Unit"])
    result = validate(_context(_graph(bad)), SHAPES)
    rel = str(M.id("release", "r1"))
    got = {(v.focus, v.path.rsplit("/", 1)[1], v.constraint.rsplit("#", 1)[1], v.value) for v in result.violations}
    assert got == {
        (rel, "datePublished", "MinInclusiveConstraintComponent", "1850-01-01"),
        (rel, "sourceOrganization", "MinCountConstraintComponent", ""),
    }


def test_mention_of_an_untyped_entity_is_reported():
    bad = replace(REC, mentions=[Mention("Atlantis", "state", "http://kg.test/id/country/atlantis", None)])
    result = validate(_context(_graph(bad)), SHAPES)
    assert [(v.path, v.value) for v in result.violations] == [
        (str(SCHEMA.mentions), "http://kg.test/id/country/atlantis")]


def test_page_without_source_field_is_attributed_to_the_publisher_only():
    osce = "http://kg.test/id/organisation/osce"
    mapper = replace(MAPPER, publisher=osce)
    rel = M.id("release", "r1")
    assert set(_graph_of(mapper, replace(REC, sources=[])).objects(rel, SCHEMA.sourceOrganization)) == {URIRef(osce)}
    # a Source field naming no known unit is not papered over with the publisher
    assert set(_graph_of(mapper, replace(REC, sources=["Nowhere Unit"])).objects(rel, SCHEMA.sourceOrganization)) == set()


def _graph_of(mapper: Mapper, rec: Release) -> Graph:
    return Graph().parse(data=ntriples(mapper.triples(rec)), format="nt")


# ---- the line writer is pyoxigraph's N-Triples, byte for byte ----

XSD_NS = "http://www.w3.org/2001/XMLSchema#"


def _oxigraph(obj: ox.Literal | ox.NamedNode) -> str:
    """The line pyoxigraph writes for <http://s/> <http://p/> obj."""
    triple = ox.Triple(ox.NamedNode("http://s/"), ox.NamedNode("http://p/"), obj)
    return ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def _ours(obj: str) -> str:
    return ntriples([(iri("http://s/"), iri("http://p/"), obj)])


# every code point except surrogates (they cannot be written as UTF-8), weighted towards the awkward ones
TEXT = st.text(st.one_of(st.sampled_from('\\"\n\r\t\b\f\x00\x1f\x7f\x80\u2028\ufeff\U0001F600\U0010FFFF'),
                         st.characters(exclude_categories=("Cs",))))


@settings(max_examples=500, deadline=None, database=None)
@given(TEXT)
def test_plain_literals_are_written_as_pyoxigraph_writes_them(text: str):
    assert _ours(literal(text)) == _oxigraph(ox.Literal(text))


@settings(max_examples=200, deadline=None, database=None)
@given(TEXT, st.sampled_from(["date", "dateTime", "integer", "string"]))
def test_typed_literals_are_written_as_pyoxigraph_writes_them(text: str, datatype: str):
    dt = XSD_NS + datatype
    ours = _ours(literal(text) if datatype == "string" else literal(text, dt))
    assert ours == _oxigraph(ox.Literal(text, datatype=ox.NamedNode(dt)))  # xsd:string is written plain


@settings(database=None)
@given(st.integers())
def test_integers_are_written_as_pyoxigraph_writes_them(n: int):
    assert _ours(integer(n)) == _oxigraph(ox.Literal(n))


def test_iri_writer_rejects_what_n_triples_cannot_carry():
    assert _ours(iri("https://w3id.org/osce-kg/id/place/kabul")) == _oxigraph(ox.NamedNode(
        "https://w3id.org/osce-kg/id/place/kabul"))
    for bad in ("", "relative/path", "http://a b/", "http://a/<b>", 'http://a/"', "http://a/\\b", "http://a/{x}"):
        with pytest.raises(ValueError, match="not an absolute IRI"):
            iri(bad)


def _pages(folder: Path) -> list[Path]:
    return [Path(p) for p in expand([str(folder)])]


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "docs"


@pytest.fixture(scope="module")
def real_context() -> build.Context:
    minter = Minter()
    return build.context(minter, ontology_graph(), reference_graph(minter), SEEDS_DIR, {})


@pytest.mark.parametrize("folder", [SEEDS_DIR, CORPUS], ids=["seeds", "corpus"])
def test_real_records_map_to_canonical_duplicate_free_lines(folder: Path, real_context: build.Context):
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the corpus lives in ../shared/corpus beside the repository")
    mapped = 0
    for path in _pages(folder):
        try:
            rec = real_context.extract(read_page(str(path)), real_context.gazetteer)
        except ExtractionError:
            continue
        assert rec.to_json() == asdict(rec)  # the record the build keeps, now without asdict's deep copies
        triples = real_context.mapper.triples(rec)
        assert len(set(triples)) == len(triples) and triples == real_context.mapper.triples(rec)
        text = ntriples(triples)
        canonical = ox.serialize(ox.parse(text, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
        assert text == canonical.decode("utf-8")  # no round trip needed: already pyoxigraph's lines
        mapped += 1
    assert mapped >= (2 if folder == SEEDS_DIR else 50)


def test_releases_graph_repeats_no_reference_triple(seeds_build: Path):
    """Known people and places are described once, in the reference graph (not again per release)."""
    store = ox.Store()
    store.load(path=str(seeds_build / "osce-kg.trig"), format=ox.RdfFormat.TRIG)
    both = list(store.query("""SELECT * WHERE { GRAPH <https://w3id.org/osce-kg/graph/reference> { ?s ?p ?o }
                                                GRAPH <https://w3id.org/osce-kg/graph/releases> { ?s ?p ?o } }"""))
    assert both == []
    # the releases still point at those entities, which the reference graph describes
    quoted = bool(store.query("""ASK { GRAPH <https://w3id.org/osce-kg/graph/releases> { ?q <https://schema.org/creator>
        <https://w3id.org/osce-kg/id/person/marc-perrin-de-brichambaut> }
        GRAPH <https://w3id.org/osce-kg/graph/reference> { <https://w3id.org/osce-kg/id/person/marc-perrin-de-brichambaut>
        <https://schema.org/name> ?name } }"""))
    assert quoted
