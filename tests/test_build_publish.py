"""kg.publish: dumps made of per-release segments, read as the same graph by rdflib, pyoxigraph and rapper,
byte-stable, in the documented order, rebuilt from the previous files byte-identically, VoID counts exact."""

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, VOID

from kg.publish import (DatasetInfo, PublishError, Spill, Stats, canonical, render, render_final, void_graph,
                        write_dumps)

BASE = "http://kg.test/"
REL, REF, ONT = BASE + "graph/releases", BASE + "graph/reference", BASE + "graph/ontology"
R = BASE + "id/release/"
PERSON = f"<{BASE}id/person/ian-borg>"
S = "https://schema.org/"
# r1's parts (r1/quote/1) sort after r1-x's lines globally ('-' < '/'): the segments keep each release together.
RELEASES = {
    R + "r1": f"""<{R}r1> <{RDF.type}> <{S}NewsArticle> .
<{R}r1> <{S}headline> "Line \\"one\\"\\nand two"@en .
<{R}r1> <{S}position> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{R}r1> <{S}text> "tab\\tand \\u0001 \\u007F, ünïcode \\\\ done" .
<{R}r1> <{S}mentions> <{BASE}id/country/malta> .
<{R}r1/quote/1> <{RDF.type}> <{S}Quotation> .
<{R}r1/quote/1> <{S}spokenByCharacter> {PERSON} .
{PERSON} <{RDF.type}> <{S}Person> .
{PERSON} <{S}name> "Ian Borg" .
""",
    R + "r1-x": f"""<{R}r1-x> <{RDF.type}> <{S}NewsArticle> .
<{R}r1-x> <{S}headline> "Another"@en .
<{R}r1-x> <{S}text> "smile \\U0001F600" .
<{R}r1-x> <{S}mentions> <{BASE}id/country/malta> .
{PERSON} <{RDF.type}> <{S}Person> .
{PERSON} <{S}name> "Ian Borg" .
""",
}
REFERENCE = f"""<{BASE}id/country/malta> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q233> .
<{BASE}id/country/malta> <{S}name> "Malta" .
<{BASE}id/country/malta> <{S}name> "Málta"@hu .
<{BASE}id/country/malta> <{S}address> _:a .
_:a <{S}name> "Valletta" .
_:a <{S}geo> _:g .
_:g <{S}x> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""
ONTOLOGY = f"<{BASE}ontology#Thing> <{RDF.type}> <http://www.w3.org/2002/07/owl#Class> .\n"
NAMES = ("osce-kg.ttl", "osce-kg.nt.gz", "osce-kg.jsonld", "osce-kg.trig")


def _canonical_nt(nt: str, graph: str) -> bytes:
    quads = canonical(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                      for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))  # fresh blank node ids each parse
    return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)


def _publish(out: Path, releases: dict[str, str] = RELEASES, previous=None, reuse: set[str] = frozenset()):
    """Publish ``releases``; those in ``reuse`` are copied from ``previous`` = (layout, folder) instead."""
    out.mkdir()
    spill = Spill(out / ".spill")
    segments, pieces = [], []
    for iri, nt in releases.items():
        piece = render(iri, nt, BASE)
        pieces.append(piece)
        key = f"{hashlib.sha256(nt.encode()).hexdigest()} {iri}"  # like a page's sha256 and path
        if iri in reuse:
            layout, folder = previous
            segments.append(layout.segment((folder / "osce-kg.ttl", folder / "osce-kg.jsonld", folder / "all.nt"), key, iri))
        else:
            segments.append(spill.add(key, piece))
    spill.close()
    final = render_final({REL: b"".join(p.shared for p in pieces), REF: _canonical_nt(REFERENCE, REF),
                          ONT: _canonical_nt(ONTOLOGY, ONT)}, BASE)
    prev = (previous[0], previous[1] / "osce-kg.nt.gz") if previous else None
    layout = write_dumps(sorted(segments, key=lambda s: s.iri), final, out, out / "all.nt", REL, BASE, prev)
    shutil.rmtree(out / ".spill")
    return layout, pieces, final


def _expected() -> Graph:
    return Graph().parse(data="".join(RELEASES.values()) + REFERENCE + ONTOLOGY, format="nt")


def _rdflib(path: Path) -> Graph:
    if path.suffix == ".gz":
        return Graph().parse(data=gzip.decompress(path.read_bytes()).decode(), format="nt")
    if path.suffix == ".trig":
        ds = Dataset()
        ds.parse(path, format="trig")
        g = Graph()
        for s, p, o, _ in ds.quads():
            g.add((s, p, o))
        return g
    return Graph().parse(path, format={".ttl": "turtle", ".jsonld": "json-ld"}[path.suffix])


def _oxigraph(path: Path) -> Graph:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data, fmt = gzip.decompress(data), ox.RdfFormat.N_TRIPLES
    else:
        fmt = ox.RdfFormat.from_extension(path.suffix[1:])
    nt = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in ox.parse(data, format=fmt))
    return Graph().parse(data=nt, format="nt")


def _rapper(path: Path) -> Graph:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    syntax = {".ttl": "turtle", ".gz": "ntriples", ".trig": "trig", ".jsonld": "json-ld"}[path.suffix]
    run = subprocess.run(["rapper", "-q", "-i", syntax, "-o", "ntriples", "-", "http://kg.test/"],
                         input=data, capture_output=True)
    if run.returncode != 0 and b"json-ld" in run.stderr.lower():
        pytest.skip("this rapper build has no JSON-LD parser")
    assert run.returncode == 0, run.stderr.decode()
    return Graph().parse(data=run.stdout.decode(), format="nt")


@pytest.mark.parametrize("name", NAMES)
def test_every_dump_reads_as_the_same_graph_in_rdflib_and_pyoxigraph(tmp_path, name):
    _publish(tmp_path / "out")
    expected = _expected()
    assert len(expected) == 21  # the shared person's two lines once
    assert isomorphic(_rdflib(tmp_path / "out" / name), expected)
    assert isomorphic(_oxigraph(tmp_path / "out" / name), expected)


@pytest.mark.parametrize("name", NAMES)
def test_every_dump_reads_as_the_same_graph_in_rapper(tmp_path, name):
    if shutil.which("rapper") is None:
        pytest.skip("rapper (raptor2-utils) is not on PATH: run scripts/install-extras")
    _publish(tmp_path / "out")
    assert isomorphic(_rapper(tmp_path / "out" / name), _expected())


def test_trig_keeps_each_graph_in_its_block(tmp_path):
    _publish(tmp_path / "out")
    ds = Dataset()
    ds.parse(tmp_path / "out" / "osce-kg.trig", format="trig")
    sizes = {str(c.identifier): len(c) for c in ds.contexts() if len(c)}
    assert sizes == {REL: 13, REF: 7, ONT: 1}


def test_dumps_are_byte_identical_across_runs_in_the_documented_order(tmp_path):
    _publish(tmp_path / "a")
    _publish(tmp_path / "b")
    for name in NAMES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "@prefix schema: <https://schema.org/> ." in (tmp_path / "a" / "osce-kg.ttl").read_text()
    doc = json.loads((tmp_path / "a" / "osce-kg.jsonld").read_text())
    assert doc["@context"]["schema"] == "https://schema.org/"
    assert any(node.get("@id") == "id:release/r1" for node in doc["@graph"])
    lines = gzip.decompress((tmp_path / "a" / "osce-kg.nt.gz").read_bytes()).decode().splitlines()
    r1 = [x for x in lines if x.startswith((f"<{R}r1> ", f"<{R}r1/"))]
    r1x = [x for x in lines if x.startswith(f"<{R}r1-x> ")]
    rest = [x for x in lines if not x.startswith(f"<{R}")]
    assert lines == sorted(r1) + sorted(r1x) + sorted(rest)  # releases in IRI order, then the final segment
    assert len(r1) == 7 and len(r1x) == 4 and len(rest) == 10 and lines != sorted(lines)


def _many(n: int, changed: int | None = None) -> dict[str, str]:
    out = {}
    for i in range(n):
        text = "changed" if i == changed else f"headline {i}"
        out[f"{R}a{i:03d}"] = (f'<{R}a{i:03d}> <{S}headline> "{text}" .\n<{R}a{i:03d}> <{RDF.type}> <{S}NewsArticle> .\n'
                               f"<{R}a{i:03d}> <{S}mentions> {PERSON} .\n{PERSON} <{S}name> \"Ian Borg\" .\n")
    return out


def test_rebuild_from_the_previous_files_equals_a_fresh_build(tmp_path):
    """Unchanged segments copied from the previous dumps (gzip members too) give the same bytes as a
    build that renders everything."""
    first, _, _ = _publish(tmp_path / "first", _many(80))
    changed = _many(80, changed=40)
    reused = {iri for iri in changed if iri != f"{R}a040"}
    again, _, _ = _publish(tmp_path / "again", changed, (first, tmp_path / "first"), reused)
    fresh, _, _ = _publish(tmp_path / "fresh", changed)
    for name in (*NAMES, "all.nt"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name
    kept = set(first.members) & set(again.members)
    assert len(first.members) > 3 and len(again.members) - len(kept) in (1, 2)  # a040's (split if it ends one)
    assert again.segments == fresh.segments
    assert isomorphic(_rdflib(tmp_path / "again" / "osce-kg.nt.gz"),
                      Graph().parse(data="".join(changed.values()) + REFERENCE + ONTOLOGY, format="nt"))


def test_a_triple_about_another_release_is_refused():
    with pytest.raises(PublishError, match="another release's node <http://kg.test/id/release/r2>"):
        render(R + "r1", f'<{R}r1> <{S}name> "x" .\n<{R}r2> <{S}name> "y" .\n', BASE)


def test_void_counts_are_those_of_the_published_graph(tmp_path):
    out = tmp_path / "out"
    _, pieces, final = _publish(out)
    totals = Stats()
    for p in (*pieces, final):
        totals.add(p.stats)
    objects = set().union(*(p.objects for p in pieces), final.objects)
    g = void_graph(totals, len(objects), out, DatasetInfo(BASE, "2024-06-26", "1"), Graph())
    ds = URIRef(BASE + "dataset")
    data = _expected()
    count = lambda p: int(g.value(ds, p))  # noqa: E731
    assert count(VOID.triples) == len(data) == 21
    assert count(VOID.distinctSubjects) == len(set(data.subjects()))
    assert count(VOID.distinctObjects) == len(set(data.objects()))
    typed = {s for s in data.subjects(RDF.type, None) if str(s).startswith(BASE + "id/")}
    assert count(VOID.entities) == len(typed) == 4
    classes = {str(g.value(p, VOID["class"])): int(g.value(p, VOID.entities)) for p in g.objects(ds, VOID.classPartition)}
    assert classes == {str(c): len(set(data.subjects(RDF.type, c))) for c in set(data.objects(None, RDF.type))}
    props = {str(g.value(p, VOID.property)): int(g.value(p, VOID.triples)) for p in g.objects(ds, VOID.propertyPartition)}
    assert props == {str(p): len(list(data.triples((None, p, None)))) for p in set(data.predicates())}
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    sizes = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]: int(g.value(d, DCAT.byteSize))
             for d in g.objects(ds, DCAT.distribution)}
    assert sizes == {name: (out / name).stat().st_size for name in NAMES}
    (linkset,) = g.subjects(VOID.linkPredicate, URIRef("http://www.w3.org/2002/07/owl#sameAs"))
    assert int(g.value(linkset, VOID.triples)) == 1
