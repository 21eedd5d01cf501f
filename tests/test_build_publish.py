"""kg.publish: dumps in four syntaxes that rdflib, pyoxigraph and rapper read as the same graph, byte-stable."""

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, VOID

from kg.publish import DatasetInfo, canonical, void_graph, write_dumps

BASE = "http://kg.test/"
TRIG = """
@prefix schema: <https://schema.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<http://kg.test/graph/releases> {
  <http://kg.test/id/release/r1> a schema:NewsArticle ; schema:headline "Line \\"one\\"\\nand two"@en ;
      schema:position 3 ; schema:mentions <http://kg.test/id/country/malta> .
}
<http://kg.test/graph/reference> {
  <http://kg.test/id/country/malta> owl:sameAs <http://www.wikidata.org/entity/Q233> ;
      schema:name "Malta", "Málta"@hu ; schema:address [ schema:name "Valletta" ; schema:geo [ schema:x 1 ] ] .
}
"""
NAMES = ("osce-kg.ttl", "osce-kg.nt.gz", "osce-kg.jsonld", "osce-kg.trig")


def _publish(out: Path) -> None:
    out.mkdir()
    quads = canonical(ox.parse(TRIG, format=ox.RdfFormat.TRIG))  # fresh blank node ids on every parse
    write_dumps(quads, out, BASE)


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
    expected = _rdflib(tmp_path / "out" / "osce-kg.nt.gz")
    assert len(expected) == 11
    assert isomorphic(_rdflib(tmp_path / "out" / name), expected)
    assert isomorphic(_oxigraph(tmp_path / "out" / name), expected)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "osce-kg.jsonld"] + ["osce-kg.jsonld"])
def test_every_dump_reads_as_the_same_graph_in_rapper(tmp_path, name):
    if shutil.which("rapper") is None:
        pytest.skip("rapper (raptor2-utils) is not on PATH: run scripts/install-extras")
    _publish(tmp_path / "out")
    assert isomorphic(_rapper(tmp_path / "out" / name), _rdflib(tmp_path / "out" / "osce-kg.nt.gz"))


def test_dumps_are_byte_identical_across_runs_and_declare_prefixes(tmp_path):
    _publish(tmp_path / "a")
    _publish(tmp_path / "b")
    for name in NAMES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "@prefix schema: <https://schema.org/> ." in (tmp_path / "a" / "osce-kg.ttl").read_text()
    doc = json.loads((tmp_path / "a" / "osce-kg.jsonld").read_text())
    assert doc["@context"]["schema"] == "https://schema.org/"
    assert any(node.get("@id") == "id:release/r1" for node in doc["@graph"])
    lines = gzip.decompress((tmp_path / "a" / "osce-kg.nt.gz").read_bytes()).decode().splitlines()
    assert lines == sorted(lines) and len(lines) == 11
    trig = Dataset()
    trig.parse(tmp_path / "a" / "osce-kg.trig", format="trig")
    assert {str(c.identifier) for c in trig.contexts() if len(c)} == {BASE + "graph/releases", BASE + "graph/reference"}


def test_void_counts_and_sizes_match_the_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    triples = write_dumps(canonical(ox.parse(TRIG, format=ox.RdfFormat.TRIG)), out, BASE)
    g = void_graph(triples, out, DatasetInfo(BASE, "2024-06-26", "1"), Graph())
    ds = URIRef(BASE + "dataset")
    assert int(g.value(ds, VOID.triples)) == 11
    assert int(g.value(ds, VOID.entities)) == 1  # one typed IRI under {base}id/
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    sizes = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]: int(g.value(d, DCAT.byteSize))
             for d in g.objects(ds, DCAT.distribution)}
    assert sizes == {name: (out / name).stat().st_size for name in NAMES}
    (linkset,) = g.subjects(VOID.linkPredicate, URIRef("http://www.w3.org/2002/07/owl#sameAs"))
    assert int(g.value(linkset, VOID.triples)) == 1
