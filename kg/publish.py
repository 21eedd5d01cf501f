"""Write a build's dumps, VoID/DCAT description, validation report and checksums.

Everything here is deterministic: quads are canonicalised (blank nodes relabelled) and sorted before
pyoxigraph writes them, gzip carries no timestamp, and dates come from the build's source date, never
the wall clock. So the same input always gives byte-identical files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing as mp
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, SH, VOID, XSD

from kg.iris import OSCE, WD, slug

PREFIXES = {
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "osce": str(OSCE),
    "owl": str(OWL),
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": str(SH),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "void": str(VOID),
    "wd": str(WD),
    "xsd": str(XSD),
}

DUMPS = {  # file name → (media type, description)
    "osce-kg.ttl": ("text/turtle", "Turtle, all graphs merged"),
    "osce-kg.nt.gz": ("application/n-triples", "N-Triples, sorted, gzip-compressed"),
    "osce-kg.jsonld": ("application/ld+json", "JSON-LD with a prefix context"),
    "osce-kg.trig": ("application/trig", "TriG, one named graph each for releases, reference and ontology"),
}


def prefixes(base: str) -> dict[str, str]:
    return {**PREFIXES, "id": f"{base}id/"}


def _key(q: ox.Quad | ox.Triple) -> tuple[str, str, str]:
    return (str(q.subject), str(q.predicate), str(q.object))


def canonical(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads deduplicated, blank nodes relabelled canonically, sorted by graph, subject, predicate, object."""
    ds = ox.Dataset(quads)
    if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in ds):
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(ds, key=lambda q: (str(q.graph_name), *_key(q)))


def merged(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The union of the graphs as sorted, distinct triples."""
    return sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=_key)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# In pyoxigraph's compact JSON output, an IRI sits in "@id"/"@type" values or is a property key; JSON
# escapes every quote inside a literal, so these patterns never match inside a value.
_IRI_SLOT = re.compile(r'"(@id|@type)":"([^"\\]*)"|([{,])"([^"@\\][^"\\]*)":\[')


def jsonld(triples: Iterable[ox.Triple | ox.Quad], context: dict[str, str]) -> bytes:
    """JSON-LD of sorted triples with ``context`` as its ``@context`` and prefixed names in the body."""
    ordered = sorted(context.items(), key=lambda kv: -len(kv[1]))

    @lru_cache(maxsize=1 << 16)
    def curie(iri: str) -> str:
        for name, ns in ordered:
            rest = iri[len(ns):]
            if iri.startswith(ns) and not rest.startswith("//") and ":" not in rest.split("/")[0]:
                return f"{name}:{rest}"
        return iri

    def compact(m: re.Match[str]) -> str:
        if m[1]:
            return f'"{m[1]}":"{curie(m[2])}"'
        return f'{m[3]}"{curie(m[4])}":['

    body = _IRI_SLOT.sub(compact, ox.serialize(triples, format=ox.RdfFormat.JSON_LD).decode("utf-8"))
    head = json.dumps(context, ensure_ascii=False, separators=(",", ":"))
    return f'{{"@context":{head},"@graph":{body}}}\n'.encode("utf-8")


def _part(ds: URIRef, kind: str, iri: str) -> URIRef:
    """A partition's IRI from the prefixed name of its class or property: ``{dataset}/class/schema-person``."""
    for name, ns in PREFIXES.items():
        if iri.startswith(ns):
            return URIRef(f"{ds}/{kind}/{slug(name + '-' + iri[len(ns):])}")
    return URIRef(f"{ds}/{kind}/{slug(iri)}")


def write_dumps(quads: Iterable[ox.Quad], out: Path, base: str) -> list[ox.Quad]:
    """Write the four dumps of canonical ``quads`` into ``out``; returns the merged triples."""
    graphs: dict[str, list[ox.Triple]] = {}
    for q in quads:
        graphs.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    return write_graph_dumps({g: ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES) for g, ts in graphs.items()},
                             out, base)


def _gzip(lines: list[bytes], parts: int = 2) -> bytes:
    """gzip of the lines, compressed in ``parts`` members at once (zlib runs outside the GIL); no timestamp."""
    size = -(-len(lines) // parts) or 1
    chunks = [b"".join(lines[i:i + size]) for i in range(0, len(lines), size)] or [b""]
    with ThreadPoolExecutor(parts) as pool:
        return b"".join(pool.map(lambda c: gzip.compress(c, compresslevel=6, mtime=0), chunks))


def _split_header(turtle: bytes) -> tuple[bytes, bytes]:
    """pyoxigraph Turtle → its ``@prefix`` lines and the statements after them."""
    end = 0
    while turtle.startswith(b"@prefix ", end):
        end = turtle.index(b"\n", end) + 1
    return turtle[:end], turtle[end:]


def _write_jsonld(path: Path, graphs: list[list[ox.Quad]], context: dict[str, str]) -> None:
    write_atomic(path, jsonld((t for ts in graphs for t in ts), context))


def write_graph_dumps(graphs: Mapping[str, bytes], out: Path, base: str) -> list[ox.Quad]:
    """Write the four dumps of named graphs, each given as pyoxigraph N-Triples (IRI → lines, duplicate
    lines allowed, blank nodes already canonical) into ``out``; returns the distinct triples of their union.

    Each graph's lines are de-duplicated and sorted as bytes, parsed once and written as Turtle once: the
    TriG wraps each graph's statements in its block, the Turtle file concatenates them (a triple two graphs
    share appears twice there, which is still the same RDF graph). The N-Triples dump is the sorted,
    distinct lines of the union. JSON-LD is written by a forked process and the gzip by threads, beside
    the rest, so the build uses both cores."""
    px = prefixes(base)
    lines = {g: sorted(set(graphs[g].splitlines(keepends=True))) for g in sorted(graphs)}
    parsed = {g: list(ox.parse(b"".join(ls), format=ox.RdfFormat.N_TRIPLES)) for g, ls in lines.items()}
    writer = mp.get_context("fork").Process(target=_write_jsonld, args=(out / "osce-kg.jsonld",
                                                                         list(parsed.values()), px))
    writer.start()
    try:
        union = sorted(set().union(*lines.values()))
        with ThreadPoolExecutor(1) as pool:
            nt_gz = pool.submit(_gzip, union)
            header, bodies = b"", {}
            for g, triples in parsed.items():
                head, bodies[g] = _split_header(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=px))
                header = header or head  # the same prefixes in each; an empty graph has none
            write_atomic(out / "osce-kg.trig", header + b"".join(b"<%s> {\n%s}\n" % (g.encode(), body)
                                                                for g, body in bodies.items() if body))
            write_atomic(out / "osce-kg.ttl", header + b"".join(bodies.values()))
            write_atomic(out / "osce-kg.nt.gz", nt_gz.result())
        seen: set[bytes] = set()
        distinct: list[ox.Quad] = []
        order = sorted(lines, key=lambda g: len(lines[g]))  # the small graphs first: few lines to remember
        for g in order:
            distinct += [t for line, t in zip(lines[g], parsed[g]) if line not in seen]
            if g != order[-1]:
                seen.update(lines[g])
    finally:
        writer.join()
    if writer.exitcode != 0:
        raise RuntimeError(f"writing {out / 'osce-kg.jsonld'} failed (exit code {writer.exitcode})")
    return distinct


@dataclass(frozen=True)
class DatasetInfo:
    """What VoID/DCAT says about the dataset beyond counts (read from ``ontology/dataset.ttl``)."""

    base: str
    issued: str      # ISO date: the build's source date
    version: str


def _lit(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def void_graph(triples: list[ox.Triple], out: Path, info: DatasetInfo, description: Graph) -> Graph:
    """VoID + DCAT for the dump files present in ``out`` (so their byte sizes are the published ones)."""
    base = info.base
    ds = URIRef(f"{base}dataset")
    sparql = URIRef(f"{base}sparql")
    g = Graph()
    g += description
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.issued, Literal(info.issued, datatype=XSD.date)))
    g.add((ds, DCTERMS.modified, Literal(info.issued, datatype=XSD.date)))
    g.add((ds, OWL.versionInfo, Literal(info.version)))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.sparqlEndpoint, sparql))
    g.add((ds, VOID.triples, _lit(len(triples))))

    rdf_type = ox.NamedNode(str(RDF.type))  # terms are compared and hashed as terms, not as strings
    typed = [t for t in triples if t.predicate == rdf_type]
    entities = {t.subject.value for t in typed if isinstance(t.subject, ox.NamedNode)
                and t.subject.value.startswith(f"{base}id/")}
    g.add((ds, VOID.entities, _lit(len(entities))))
    g.add((ds, VOID.distinctSubjects, _lit(len({t.subject for t in triples}))))
    g.add((ds, VOID.distinctObjects, _lit(len({t.object for t in triples}))))

    class_counts = Counter(t.object.value for t in typed if isinstance(t.object, ox.NamedNode))
    g.add((ds, VOID.classes, _lit(len(class_counts))))
    for cls, n in sorted(class_counts.items()):
        part = _part(ds, "class", cls)
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, _lit(n)))

    prop_counts = {p.value: n for p, n in Counter(t.predicate for t in triples).items()}
    g.add((ds, VOID.properties, _lit(len(prop_counts))))
    for prop, n in sorted(prop_counts.items()):
        part = _part(ds, "property", prop)
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, _lit(n)))

    links = Counter(t.predicate.value for t in triples
                    if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(str(WD)))
    for prop, n in sorted(links.items()):
        ls = _part(ds, "linkset/wikidata", prop)
        g.add((ds, VOID.subset, ls))
        g.add((ls, RDF.type, VOID.Linkset))
        g.add((ls, VOID.subjectsTarget, ds))
        g.add((ls, VOID.objectsTarget, URIRef("http://www.wikidata.org/")))
        g.add((ls, VOID.linkPredicate, URIRef(prop)))
        g.add((ls, VOID.triples, _lit(n)))

    for name, (media, what) in DUMPS.items():
        dump = URIRef(f"{base}dumps/{name}")
        dist = URIRef(f"{ds}/distribution/{slug(name)}")
        g.add((ds, VOID.dataDump, dump))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(name)))
        g.add((dist, DCTERMS.description, Literal(what)))
        g.add((dist, DCAT.downloadURL, dump))
        g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add((dist, DCAT.byteSize, Literal((out / name).stat().st_size, datatype=XSD.nonNegativeInteger)))
        if name.endswith(".gz"):
            g.add((dist, DCAT.compressFormat, URIRef("https://www.iana.org/assignments/media-types/application/gzip")))

    g.add((sparql, RDF.type, DCAT.DataService))
    g.add((sparql, DCAT.endpointURL, sparql))
    g.add((sparql, DCAT.servesDataset, ds))
    g.add((sparql, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    return g


def to_oxigraph(g: Graph) -> list[ox.Triple]:
    """An rdflib graph's triples as pyoxigraph triples (via N-Triples)."""
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(g.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)]


def turtle(g: Graph, base: str) -> bytes:
    """Deterministic Turtle of a small rdflib graph (canonical blank nodes, sorted, pyoxigraph writer)."""
    quads = canonical(ox.Quad(t.subject, t.predicate, t.object) for t in to_oxigraph(g))
    return ox.serialize(merged(quads), format=ox.RdfFormat.TURTLE, prefixes=prefixes(base))


def write_checksums(out: Path) -> None:
    """``SHA256SUMS`` over the top-level files of ``out`` (sha256sum -c format)."""
    lines = []
    for path in sorted(p for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS"):
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        lines.append(f"{h.hexdigest()}  {path.name}\n")
    write_atomic(out / "SHA256SUMS", "".join(lines).encode())
