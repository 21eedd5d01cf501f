"""Write a build's dumps from per-release segments, its VoID/DCAT description, validation report and checksums.

Every dump is a concatenation of *segments*: one per published release, in release-IRI order, holding
its release-local triples (those whose subject is the release IRI or one of its ``{release}/...``
parts), then one *final* segment: the nodes releases share (people, places, the software agent;
de-duplicated), the reference graph and the ontology graph. A release's segment depends on nothing
but its own triples, so a rebuild copies the unchanged segments' bytes from the previous build's files
(``os.copy_file_range``) and renders only the changed ones; the layout of each build's files is kept
(``Layout``) for the next one. VoID statistics are sums of per-segment statistics.

- Turtle: the prefix header, each segment's statements, the final segment's three graphs' statements.
- TriG: the same statements, the releases' and shared nodes' in the releases graph's block.
- JSON-LD: ``{"@context": prefixes, "@graph": [each segment's node objects, then the final ones]}``.
- N-Triples (gzip): each release's lines sorted, then the final segment's distinct lines sorted; the
  releases are compressed in gzip members of about 16 (cut where a page key's hash says, so a change
  only recompresses its member), which any gzip reader reads as one stream.

Everything is deterministic: segments sorted by IRI, blank nodes (reference and ontology only)
canonical, gzip without timestamp, dates from the build's source date. The same input always gives
byte-identical files, whether rendered afresh or copied from a previous build.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import pyoxigraph as ox
import xxhash
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
    "osce-kg.nt.gz": ("application/n-triples", "N-Triples, gzip-compressed: each release's lines sorted, releases "
                                               "in IRI order, then the shared, reference and ontology lines sorted"),
    "osce-kg.jsonld": ("application/ld+json", "JSON-LD with a prefix context"),
    "osce-kg.trig": ("application/trig", "TriG, one named graph each for releases, reference and ontology"),
}
MEMBER_EVERY = 16  # releases per gzip member, on average


class PublishError(ValueError):
    """A release's triples cannot be published as its own segment (the message is the one-line reason)."""


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


# --- writing N-Triples lines as Turtle and JSON-LD -------------------------------------------------------
# The lines are pyoxigraph's (or kg.map's identical) N-Triples: ``<s> <p> object .``; a literal's quoted
# part uses only the escapes JSON shares (\" \\ \n \r \t \b \f \uXXXX), so it is copied into JSON as is
# (other forms are decoded and re-encoded). IRIs become prefixed names where the syntax allows.

_RDF_TYPE = f"<{RDF.type}>".encode()
_WIKIDATA = f"<{WD}".encode()
_TURTLE_LOCAL = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?\Z")  # a safe subset of PN_LOCAL
_NOT_JSON = re.compile(rb"\\U|[\x00-\x1f]")

Row = list[bytes]  # subject, predicate, object of one line


class _Names:
    """``<iri>`` → its prefixed name under one context: Turtle's (plain local names only) and JSON-LD's."""

    def __init__(self, context: tuple[tuple[str, str], ...]) -> None:
        self._ns = sorted(((n.encode(), ns.encode()) for n, ns in context), key=lambda kv: -len(kv[1]))
        self.turtle = lru_cache(maxsize=1 << 14)(self._turtle)
        self.json = lru_cache(maxsize=1 << 14)(self._json)

    def _turtle(self, term: bytes) -> bytes:
        iri = term[1:-1]
        for name, ns in self._ns:
            if iri.startswith(ns):
                return name + b":" + iri[len(ns):] if _TURTLE_LOCAL.match(iri, len(ns)) else term
        return term

    def _json(self, term: bytes) -> bytes:
        if term[:1] != b"<":
            return term  # a blank node
        iri = term[1:-1]
        for name, ns in self._ns:
            rest = iri[len(ns):]
            if iri.startswith(ns) and not rest.startswith(b"//") and b":" not in rest.split(b"/")[0]:
                return name + b":" + rest
        return iri


@lru_cache(maxsize=8)
def _names(context: tuple[tuple[str, str], ...]) -> _Names:
    return _Names(context)


def _rows(lines: Iterable[bytes]) -> list[Row]:
    return [text[:-3].split(b" ", 2) for text in lines]


def _literal(o: bytes) -> tuple[bytes, bytes]:
    """A literal term → its quoted lexical form and what follows (``@lang``, ``^^<datatype>`` or nothing)."""
    end = o.rindex(b'"') + 1
    return o[:end], o[end:]


def _turtle_term(term: bytes, names: _Names) -> bytes:
    if term[:1] == b"<":
        return names.turtle(term)
    if term[:1] == b'"':
        quoted, rest = _literal(term)
        return quoted + b"^^" + names.turtle(rest[2:]) if rest[:2] == b"^^" else term
    return term


def turtle_statements(rows: list[Row], names: _Names) -> bytes:
    """Turtle statements of rows sorted by subject: one statement per subject, ``;`` and ``,`` lists."""
    out: list[bytes] = []
    last_s = last_p = None
    for s, p, o in rows:
        obj = _turtle_term(o, names)
        if s != last_s:
            if last_s is not None:
                out.append(b" .\n")
            out += [_turtle_term(s, names), b" ", b"a" if p == _RDF_TYPE else names.turtle(p), b" ", obj]
        elif p != last_p:
            out += [b" ;\n\t", b"a" if p == _RDF_TYPE else names.turtle(p), b" ", obj]
        else:
            out += [b" , ", obj]
        last_s, last_p = s, p
    if last_s is not None:
        out.append(b" .\n")
    return b"".join(out)


def _json_string(quoted: bytes) -> bytes:
    if not _NOT_JSON.search(quoted):
        return quoted
    (t,) = ox.parse(b"<x:s> <x:p> " + quoted + b" .\n", format=ox.RdfFormat.N_TRIPLES)
    return json.dumps(t.object.value, ensure_ascii=False).encode("utf-8")


def _json_value(o: bytes, names: _Names) -> bytes:
    if o[:1] != b'"':
        return b'{"@id":"%s"}' % names.json(o)
    quoted, rest = _literal(o)
    value = _json_string(quoted)
    if rest[:1] == b"@":
        return b'{"@language":"%s","@value":%s}' % (rest[1:], value)
    if rest[:2] == b"^^":
        return b'{"@type":"%s","@value":%s}' % (names.json(rest[2:]), value)
    return b'{"@value":%s}' % value


def jsonld_nodes(rows: list[Row], names: _Names) -> bytes:
    """JSON-LD node objects (each followed by a comma) of rows sorted by subject, in expanded form
    with prefixed names: ``{"@id":..., "property":[values]}``."""
    out: list[bytes] = []
    last_s = last_p = None
    for s, p, o in rows:
        value = _json_value(o, names)
        if s != last_s:
            if last_s is not None:
                out.append(b"]},")
            out += [b'{"@id":"', names.json(s), b'","', names.json(p), b'":[', value]
        elif p != last_p:
            out += [b'],"', names.json(p), b'":[', value]
        else:
            out += [b",", value]
        last_s, last_p = s, p
    if last_s is not None:
        out.append(b"]},")
    return b"".join(out)


def _jsonld_head(context: dict[str, str]) -> bytes:
    return b'{"@context":%s,"@graph":[' % json.dumps(context, ensure_ascii=False, separators=(",", ":")).encode()


def jsonld(triples: Iterable[ox.Triple | ox.Quad], context: dict[str, str]) -> bytes:
    """JSON-LD of triples (sorted by subject: one node object each) with ``context`` as its ``@context``
    and prefixed names in the body."""
    nt = ox.serialize((ox.Triple(t.subject, t.predicate, t.object) for t in triples), format=ox.RdfFormat.N_TRIPLES)
    nodes = jsonld_nodes(_rows(nt.splitlines(keepends=True)), _names(tuple(context.items())))
    return _jsonld_head(context) + nodes[:-1] + b"]}\n"


def _part(ds: URIRef, kind: str, iri: str) -> URIRef:
    """A partition's IRI from the prefixed name of its class or property: ``{dataset}/class/schema-person``."""
    for name, ns in PREFIXES.items():
        if iri.startswith(ns):
            return URIRef(f"{ds}/{kind}/{slug(name + '-' + iri[len(ns):])}")
    return URIRef(f"{ds}/{kind}/{slug(iri)}")


# --- statistics ---------------------------------------------------------------------------------------

@dataclass
class Stats:
    """VoID counts of a set of distinct N-Triples lines; segments' stats add up (their subjects are
    disjoint), except distinct objects, which ``objects`` digests count across segments."""

    triples: int = 0
    subjects: int = 0
    entities: int = 0                                            # typed IRIs under {base}id/
    classes: Counter[str] = field(default_factory=Counter)       # class → typed subjects
    properties: Counter[str] = field(default_factory=Counter)    # property → triples
    links: Counter[str] = field(default_factory=Counter)         # property → triples to a Wikidata item

    def add(self, other: "Stats", sign: int = 1) -> None:
        self.triples += sign * other.triples
        self.subjects += sign * other.subjects
        self.entities += sign * other.entities
        for mine, theirs in ((self.classes, other.classes), (self.properties, other.properties),
                             (self.links, other.links)):
            for k, n in theirs.items():
                mine[k] += sign * n
                if not mine[k]:
                    del mine[k]


digest = xxhash.xxh3_64_intdigest  # 64 bits of an N-Triples term: distinct objects are counted by digest


def measure(rows: list[Row], base: str) -> tuple[Stats, set[int]]:
    """The stats of distinct rows and the digests of their objects."""
    entity = f"<{base}id/".encode()
    typed = [r for r in rows if r[1] == _RDF_TYPE]
    st = Stats(len(rows), len({r[0] for r in rows}), len({r[0] for r in typed if r[0].startswith(entity)}),
               Counter({k[1:-1].decode(): n for k, n in Counter(r[2] for r in typed if r[2][:1] == b"<").items()}),
               Counter({k[1:-1].decode(): n for k, n in Counter(r[1] for r in rows).items()}),
               Counter({k[1:-1].decode(): n for k, n in Counter(r[1] for r in rows if r[2].startswith(_WIKIDATA)).items()}))
    return st, {digest(r[2]) for r in rows}


def measure_nt(nt: bytes, base: str) -> tuple[Stats, set[int]]:
    """``measure`` of distinct N-Triples lines."""
    return measure(_rows(nt.splitlines(keepends=True)), base)


# --- segments -----------------------------------------------------------------------------------------

@dataclass
class Piece:
    """One release's segment, rendered: its Turtle statements, JSON-LD node objects (each followed by a
    comma), sorted local N-Triples lines, the lines about shared nodes it emitted, and their statistics."""

    iri: str
    ttl: bytes
    jsonld: bytes
    nt: bytes
    shared: bytes
    stats: Stats
    objects: set[int]


@lru_cache(maxsize=8)
def header(base: str) -> bytes:
    """The ``@prefix`` lines every Turtle and TriG dump starts with."""
    return b"".join(b"@prefix %s: <%s> .\n" % (n.encode(), ns.encode()) for n, ns in sorted(prefixes(base).items()))


def render(iri: str, nt: str | bytes, base: str) -> Piece:
    """A release's segment from its N-Triples lines. Raises ``PublishError`` when a triple is about
    another release's node (it would belong to that release's segment)."""
    data = nt.encode("utf-8") if isinstance(nt, str) else nt
    own, parts, releases = f"<{iri}> ".encode(), f"<{iri}/".encode(), f"<{base}id/release/".encode()
    local: list[bytes] = []
    shared: list[bytes] = []
    for text in sorted(set(data.splitlines(keepends=True))):
        if text.startswith(own) or text.startswith(parts):
            local.append(text)
        elif text.startswith(releases):
            raise PublishError(f"triple about another release's node {text.split(b' ', 1)[0].decode()}")
        else:
            shared.append(text)
    rows, names = _rows(local), _names(tuple(prefixes(base).items()))
    stats, objects = measure(rows, base)
    return Piece(iri, turtle_statements(rows, names), jsonld_nodes(rows, names), b"".join(local), b"".join(shared),
                 stats, objects)


@dataclass
class Final:
    """The last segment: named graph → Turtle statements (the releases graph's shared nodes, reference,
    ontology), their merged JSON-LD node objects and sorted distinct N-Triples, and its statistics."""

    ttl: dict[str, bytes]
    jsonld: bytes
    nt: bytes
    stats: Stats
    objects: set[int]


def render_final(graphs: dict[str, bytes], base: str) -> Final:
    """The final segment of N-Triples by graph (in order; lines may repeat, blank nodes canonical)."""
    names = _names(tuple(prefixes(base).items()))
    per_graph = {g: sorted(set(nt.splitlines(keepends=True))) for g, nt in graphs.items()}
    union = sorted(set().union(*per_graph.values()))
    rows = _rows(union)
    stats, objects = measure(rows, base)
    return Final({g: turtle_statements(_rows(ls), names) for g, ls in per_graph.items()},
                 jsonld_nodes(rows, names)[:-1] or b"{}", b"".join(union), stats, objects)


# --- files --------------------------------------------------------------------------------------------

class Ref(NamedTuple):
    """A byte range of a file: a segment rendered earlier (a spill file, or a previous build's dump)."""

    path: Path
    offset: int
    length: int


Part = bytes | Ref


def assemble(path: Path, parts: Sequence[Part]) -> list[int]:
    """Write ``parts`` one after another into ``path``: bytes as given, each ``Ref`` copied inside the kernel
    (adjacent ranges of one file in one call). Returns each part's offset in ``path``."""
    offsets: list[int] = []
    sources: dict[Path, int] = {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def copy(source: Path | None, start: int, length: int) -> None:
        if source is None:
            return
        src = sources.get(source)
        if src is None:
            src = sources[source] = os.open(source, os.O_RDONLY)
        done = 0
        while done < length:
            n = os.copy_file_range(src, fd, length - done, start + done)
            if n == 0:
                raise OSError(f"{source}: shorter than the recorded segment")
            done += n

    try:
        at = 0
        source, start, length = None, 0, 0  # the range to copy next (adjacent refs joined)
        for part in parts:
            offsets.append(at)
            if type(part) is Ref:
                if (part.path is source or part.path == source) and start + length == part.offset:
                    length += part.length
                else:
                    copy(source, start, length)
                    source, start, length = part
                at += part.length
            else:
                copy(source, start, length)
                source = None
                os.write(fd, part)  # type: ignore[arg-type]
                at += len(part)
        copy(source, start, length)
    finally:
        os.close(fd)
        for src in sources.values():
            os.close(src)
    return offsets


class Spill:
    """Append-only files in ``folder`` that hold freshly rendered segments until the dumps copy them."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = {k: folder / f"spill.{k}" for k in ("ttl", "jsonld", "nt")}
        self._files = {k: p.open("wb") for k, p in self.paths.items()}

    def add(self, key: str, piece: Piece) -> "Segment":
        refs = {}
        for k, f in self._files.items():
            data = getattr(piece, k)
            refs[k] = Ref(self.paths[k], f.tell(), len(data))
            f.write(data)
        return Segment(key, piece.iri, refs["ttl"], refs["jsonld"], refs["nt"])

    def close(self) -> None:
        for f in self._files.values():
            f.close()


class Segment(NamedTuple):
    """Where a release's segment is: its page's cache key, its IRI (the sort key), its three renderings."""

    key: str
    iri: str
    ttl: Ref
    jsonld: Ref
    nt: Ref


@dataclass
class Layout:
    """Where a build put each release's segment and gzip member, so the next build can copy them."""

    segments: dict[str, tuple[int, int, int, int, int, int]] = field(default_factory=dict)  # ttl, jsonld, nt
    members: dict[str, tuple[int, int]] = field(default_factory=dict)     # member key → offset, length
    files: dict[str, tuple[int, int]] = field(default_factory=dict)       # relative path → size, mtime_ns

    def segment(self, files: tuple[Path, Path, Path], key: str, iri: str) -> Segment:
        """Where ``key``'s segment is in ``files``: the Turtle, JSON-LD and N-Triples this layout describes."""
        at = self.segments[key]
        return Segment(key, iri, Ref(files[0], at[0], at[1]), Ref(files[1], at[2], at[3]), Ref(files[2], at[4], at[5]))

    def intact(self, out: Path) -> bool:
        """True when the files this layout describes are still as written."""
        try:
            return all(((st := (out / name).stat()).st_size, st.st_mtime_ns) == tuple(sig)
                       for name, sig in self.files.items()) and bool(self.files)
        except OSError:
            return False


def _members(segments: list[Segment]) -> list[list[Segment]]:
    """Consecutive runs of segments, each ending at a segment whose key hashes to a multiple of MEMBER_EVERY."""
    runs: list[list[Segment]] = [[]]
    for s in segments:
        runs[-1].append(s)
        if hashlib.blake2b(s.key.encode(), digest_size=4).digest()[0] % MEMBER_EVERY == 0:
            runs.append([])
    return [r for r in runs if r]


def _member_key(run: list[Segment]) -> str:
    return hashlib.blake2b("\n".join(s.key for s in run).encode(), digest_size=16).hexdigest()


def write_dumps(segments: list[Segment], final: Final, out: Path, nt_path: Path, releases_graph: str,
                base: str, previous: tuple[Layout, Path] | None = None) -> Layout:
    """Write the four dumps into ``out`` (and the uncompressed N-Triples to ``nt_path``, which the gzip
    members are compressed from) from segments sorted by IRI and the final segment. A gzip member the
    ``previous`` layout holds (with its build's ``nt.gz``) is copied from there. Returns the new layout."""
    px = prefixes(base)
    head = header(base)
    ttl = [head, *(s.ttl for s in segments), *final.ttl.values()]
    at = assemble(out / "osce-kg.ttl", ttl)
    trig: list[Part] = [head]
    blocks = [(releases_graph, [*(s.ttl for s in segments), final.ttl[releases_graph]])]
    blocks += [(g, [body]) for g, body in final.ttl.items() if g != releases_graph]
    for g, parts in blocks:
        if any(p.length if isinstance(p, Ref) else len(p) for p in parts):
            trig += [b"<%s> {\n" % g.encode(), *parts, b"}\n"]
    assemble(out / "osce-kg.trig", trig)
    js = assemble(out / "osce-kg.jsonld", [_jsonld_head(px), *(s.jsonld for s in segments), final.jsonld, b"]}\n"])
    nt = assemble(nt_path, [*(s.nt for s in segments), final.nt])
    layout = Layout({s.key: (at[i + 1], s.ttl.length, js[i + 1], s.jsonld.length, nt[i], s.nt.length)
                     for i, s in enumerate(segments)})

    runs = _members(segments)
    spans: list[tuple[int, int]] = []
    start = 0
    for run in runs:
        length = sum(s.nt.length for s in run)
        spans.append((start, length))
        start += length
    spans.append((start, len(final.nt)))
    keys = [_member_key(run) for run in runs] + [hashlib.blake2b(final.nt, digest_size=16).hexdigest()]
    old_layout, old_gz = previous if previous else (Layout(), out)
    with open(nt_path, "rb") as f, ThreadPoolExecutor(2) as pool:
        def member(i: int) -> Part:
            if keys[i] in old_layout.members:
                off, length = old_layout.members[keys[i]]
                return Ref(old_gz, off, length)
            return gzip.compress(os.pread(f.fileno(), spans[i][1], spans[i][0]), compresslevel=6, mtime=0)
        parts = list(pool.map(member, range(len(keys))))
    gz = assemble(out / "osce-kg.nt.gz", parts)
    layout.members = {k: (gz[i], p.length if isinstance(p, Ref) else len(p)) for i, (k, p) in enumerate(zip(keys, parts))}
    return layout


def sign(layout: Layout, out: Path, names: Iterable[str]) -> None:
    """Record the size and mtime of the files a layout points into (relative to ``out``)."""
    for name in names:
        st = (out / name).stat()
        layout.files[name] = (st.st_size, st.st_mtime_ns)


# --- description --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetInfo:
    """What VoID/DCAT says about the dataset beyond counts (read from ``ontology/dataset.ttl``)."""

    base: str
    issued: str      # ISO date: the build's source date
    version: str


def _lit(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def void_graph(stats: Stats, objects: int, out: Path, info: DatasetInfo, description: Graph) -> Graph:
    """VoID + DCAT from the dataset's ``stats`` and count of distinct ``objects``, for the dump files
    present in ``out`` (so their byte sizes are the published ones)."""
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
    g.add((ds, VOID.triples, _lit(stats.triples)))
    g.add((ds, VOID.entities, _lit(stats.entities)))
    g.add((ds, VOID.distinctSubjects, _lit(stats.subjects)))
    g.add((ds, VOID.distinctObjects, _lit(objects)))

    g.add((ds, VOID.classes, _lit(len(stats.classes))))
    for cls, n in sorted(stats.classes.items()):
        part = _part(ds, "class", cls)
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, _lit(n)))

    g.add((ds, VOID.properties, _lit(len(stats.properties))))
    for prop, n in sorted(stats.properties.items()):
        part = _part(ds, "property", prop)
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, _lit(n)))

    for prop, n in sorted(stats.links.items()):
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)  # hashlib releases the GIL on large buffers
    return h.hexdigest()


def write_checksums(out: Path, early: dict[str, Future[str]] | None = None) -> None:
    """``SHA256SUMS`` over the top-level files of ``out`` (sha256sum -c format), hashed in two threads;
    ``early`` holds digests already under way (``hash_early``) of files not written since."""
    early = early or {}
    paths = sorted(p for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    with ThreadPoolExecutor(2) as pool:
        digests = [early[p.name] if p.name in early else pool.submit(_sha256, p) for p in paths]
        lines = "".join(f"{d.result()}  {p.name}\n" for d, p in zip(digests, paths))
    write_atomic(out / "SHA256SUMS", lines.encode())


def hash_early(pool: ThreadPoolExecutor, out: Path, names: Iterable[str]) -> dict[str, Future[str]]:
    """Start hashing finished files of ``out`` in ``pool`` (hashlib releases the GIL: it overlaps with the
    rest of the build), for ``write_checksums``."""
    return {name: pool.submit(_sha256, out / name) for name in names}
