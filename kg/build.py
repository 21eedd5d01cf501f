"""``kg build``: ingest → extract → map → validate → publish, swapped atomically into the output folder.

A page the previous build's cache (``kg.buildcache``) holds under the same fingerprint is taken from it.
The others are processed in chunks of ``CHUNK`` by worker processes (``--jobs``): each chunk is
extracted, mapped, and validated as one graph; only a chunk that fails is re-validated release by
release, so each violating release is named and left out on its own; each accepted release is then
rendered as its own segment of every dump (``kg.publish``) in the worker. The parent gathers the
segments (copying unchanged ones from the previous build's dumps), feeds the store loader, writes every
file into a temporary folder beside the output, and swaps it into place (``kg.atomic.replace_dir``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import import_module
from json.encoder import encode_basestring  # json.dumps' own string encoder (ensure_ascii=False)
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg import __version__, buildcache, search
from kg.atomic import replace_dir
from kg.gazetteer import Gazetteer
from kg.ingest import MAX_BYTES, IngestError, expand, read_page
from kg.iris import OSCE, SCHEMA, Minter
from kg.map import Mapper, Triple, line, ntriples
from kg.paths import ONTOLOGY_DIR, SHAPES_DIR
from kg.buildcache import Entry
from kg.publish import (DatasetInfo, Layout, Piece, PublishError, Segment, Spill, Stats, canonical, measure_nt, render,
                        hash_early, render_final, sign, to_oxigraph, turtle, void_graph, write_atomic, write_checksums,
                        write_dumps)
from kg.record import ExtractionError, Release, SourceRef
from kg.linkset import accepted as accepted_links
from kg.reference import ontology_graph, reference_graph, shared_reference
from kg.shaclfast import FastValidator, ForkedAfterUse, UnsupportedShapes
from kg.store import STORE_NAME, Loader, is_current, update_store
from kg.validate import Violation, default_shapes, validate

CHUNK = 100
STAGES = ("ingest", "extract", "map", "validate")
DUMPS = ("osce-kg.ttl", "osce-kg.trig", "osce-kg.jsonld", "osce-kg.nt.gz")
RELEASE_SHAPES = SHAPES_DIR / "release.ttl"  # what each release is validated against
PUBLISHER = "Organization for Security and Co-operation in Europe"  # source of pages with no Source field


@dataclass
class PageResult:
    """What one page became: an accepted release (its N-Triples) or a rejection with its reason."""

    path: str
    sha256: str = ""
    record: dict[str, Any] | None = None
    reused: bool = False
    stage: str | None = None          # the stage that rejected it, None when accepted
    reason: str | None = None
    violations: list[dict[str, str]] = field(default_factory=list)
    nt: str = ""                      # the release's triples (accepted) ...
    report_nt: str = ""               # ... or its SHACL results (rejected by validation)


VALIDATORS = ("fast", "pyshacl")


@dataclass
class Context:
    """Per-build state the workers share (set before forking)."""

    root: Path
    mapper: Mapper
    gazetteer: Any
    shapes: Graph
    typing: dict[str | None, str]     # see _typing
    cache: dict[str, dict[str, Any]]  # sha256 → record from the previous build
    extract: Any
    reference_lines: frozenset[str] = frozenset()  # what the reference graph already says: not repeated
    fast: FastValidator | None = None  # the screening validator; None: pySHACL validates every chunk


_CTX: Context | None = None


def _relpath(path: str, root: Path) -> str:
    """The page's path relative to the seeds folder (its file name when the seeds are one file)."""
    prefix = os.path.join(root, "")
    if path.startswith(prefix):
        return path[len(prefix):].replace(os.sep, "/")
    return os.path.basename(path)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if isinstance(e, (ExtractionError, IngestError)) else f"{type(e).__name__}: {text}"


def _context(ctx: Context, triples: list[Triple]) -> str:
    """What validation adds to the releases' triples: the reference types of the IRIs they point to (so
    ``sh:class`` can check them, while reference nodes are not validated as release data) and the
    ontology's subclass axioms, as N-Triples."""
    typing = ctx.typing
    objects = {t[2] for t in triples}
    return "".join((*(typing[o] for o in objects if o in typing), typing.get(None, "")))


def _data(ctx: Context, triples: list[Triple]) -> str:
    """The N-Triples one validation runs on: the releases' triples and their ``_context``."""
    return ntriples(triples) + _context(ctx, triples)


def _graph(ctx: Context, triples: list[Triple]) -> Graph:
    """``_data`` as an rdflib graph, for pySHACL."""
    return Graph().parse(data=_data(ctx, triples), format="nt")


def _work(paths: list[str]) -> tuple[list[PageResult], Counter[str]]:
    """Extract, map and validate one chunk of pages (runs in a worker); the stage times are CPU seconds."""
    ctx = _CTX
    assert ctx is not None
    timing: Counter[str] = Counter()
    results: list[PageResult] = []
    mapped: list[tuple[PageResult, list[Triple]]] = []
    known = ctx.reference_lines
    for path in paths:
        res = PageResult(_relpath(path, ctx.root))
        t0 = time.process_time()
        try:
            page = read_page(path)
        except IngestError as e:
            res.stage, res.reason = "ingest", _one_line(e)
            results.append(res)
            continue
        res.sha256 = page.sha256
        t1 = time.process_time()
        timing["ingest"] += t1 - t0
        try:
            if page.sha256 in ctx.cache:
                rec, res.reused = Release.from_json(ctx.cache[page.sha256]), True
            else:
                rec = ctx.extract(page, ctx.gazetteer)
            rec = replace(rec, source=SourceRef(res.path, page.sha256))
        except Exception as e:  # one bad page never stops the others
            res.stage, res.reason = "extract", _one_line(e)
            results.append(res)
            continue
        t2 = time.process_time()
        timing["extract"] += t2 - t1
        try:
            triples = ctx.mapper.triples(rec)
            res.record = rec.to_json()
            res.nt = "".join(text for text in map(line, triples) if text not in known)
            mapped.append((res, triples))
        except Exception as e:
            res.stage, res.reason = "map", _one_line(e)
        timing["map"] += time.process_time() - t2
        results.append(res)
    t3 = time.process_time()
    _validate_chunk(ctx, mapped)
    timing["validate"] += time.process_time() - t3
    return results, timing


def _failing(ctx: Context, triples: list[Triple]) -> set[str] | None:
    """The focus nodes (N-Triples terms) the chunk's validation flags, or None when the chunk conforms.
    The fast validator screens when there is one (pySHACL when it cannot read the data or cannot run in
    this process)."""
    if ctx.fast is not None:
        try:
            return ctx.fast.focus_nodes(triples, _context(ctx, triples)) or None
        except (ValueError, ForkedAfterUse):
            pass
    batch = validate(_graph(ctx, triples), ctx.shapes)
    return None if batch.conforms else {f"<{v.focus}>" for v in batch.violations}


def _validate_chunk(ctx: Context, mapped: list[tuple[PageResult, list[Triple]]]) -> None:
    """Validate the chunk as one graph. If it fails, validate alone with pySHACL only the releases that
    emitted a triple about a failing focus node, so each violating release is named (and the others kept)
    exactly, with pySHACL's results."""
    if not mapped:
        return
    failing = _failing(ctx, [t for _, ts in mapped for t in ts])
    if failing is None:
        return
    suspects = [(res, ts) for res, ts in mapped if any(t[0] in failing for t in ts)]
    for res, triples in suspects or mapped:
        outcome = validate(_graph(ctx, triples), ctx.shapes)
        if not outcome.conforms:
            res.stage = "validate"
            res.violations = [v.__dict__ for v in outcome.violations]
            res.reason = _reason(outcome.violations)
            if any(v.path == str(SCHEMA.sourceOrganization) for v in outcome.violations) and res.record:
                res.reason += f" (Source field: {', '.join(res.record['sources']) or 'empty'})"
            res.report_nt = outcome.report.serialize(format="nt")
            res.nt = ""


def _reason(violations: list[Violation]) -> str:
    """One line: each distinct (path, constraint, value), with a count where it repeats."""
    counts = Counter(f"{_short(v.path)} {_short(v.constraint)}" + (f" (value {v.value})" if v.value else "")
                     for v in violations)
    return "; ".join(k if n == 1 else f"{k} x{n}" for k, n in counts.items())


def _short(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1].removesuffix("ConstraintComponent")


def _typing(reference: Graph, ontology: Graph) -> dict[str | None, str]:
    """N-Triples lines of the reference entities' rdf:type triples by IRI term (``<iri>``); the ontology's
    subclass axioms under None."""
    out: dict[str | None, str] = {}
    for s, o in sorted(reference.subject_objects(RDF.type)):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            out[f"<{s}>"] = out.get(f"<{s}>", "") + f"<{s}> <{RDF.type}> <{o}> .\n"
    out[None] = "".join(f"<{s}> <{RDFS.subClassOf}> <{o}> .\n"
                        for s, o in sorted(ontology.subject_objects(RDFS.subClassOf))
                        if isinstance(s, URIRef) and isinstance(o, URIRef))
    return out


def _reference_lines(reference: Graph) -> frozenset[str]:
    """The reference graph's N-Triples lines without blank nodes, as pyoxigraph writes them."""
    nt = ox.serialize(to_oxigraph(reference), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return frozenset(text for text in nt.splitlines(keepends=True) if "_:" not in text)


def _fast(shapes: Graph, validator: str) -> FastValidator | None:
    """The screening validator for ``--validator fast``; None (pySHACL throughout, with a note on stderr)
    for ``pyshacl`` or shapes the fast validator does not support."""
    if validator not in VALIDATORS:
        raise ValueError(f"unknown validator {validator!r} (choose from {', '.join(VALIDATORS)})")
    if validator == "pyshacl":
        return None
    try:
        return FastValidator.of(shapes)
    except UnsupportedShapes as e:
        print(f"kg build: {e}; validating with pySHACL", file=sys.stderr)
        return None


def _labels(entities: Any) -> dict[str, str]:
    """Case-folded label (and alias) → IRI for the gazetteer's concept lists."""
    items = entities.values() if isinstance(entities, dict) else entities
    out: dict[str, str] = {}
    for e in items:
        for name in (e.label, *getattr(e, "aliases", ())):
            out.setdefault(name.casefold(), str(e.iri))
    return out


def _iri(entity: Any) -> str | None:
    return None if entity is None else str(entity.iri)


def source_date(dates: Iterable[str]) -> str:
    """The build's date: SOURCE_DATE_EPOCH when set, else the latest release date (never the wall clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), timezone.utc).date().isoformat()
    return max(dates, default="1990-01-01")


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _record_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _published(r: PageResult, minter: Minter) -> tuple[Entry, Piece | None]:
    """A worker's page result as the cache keeps it and, for a release that passed validation, its
    rendered segment (or a rejection at stage ``publish`` when it cannot be one)."""
    rec = r.record
    entry = Entry(r.path, r.sha256, r.stage, r.reason, r.violations, r.report_nt,
                  _record_json(rec) if rec is not None and r.stage != "extract" else b"null",
                  rec["id"] if rec else None, rec["date"] if rec else None)
    if r.stage is not None or rec is None:
        return entry, None
    iri = str(minter.id("release", rec["id"]))
    try:
        piece = render(iri, r.nt, minter.base)
    except PublishError as e:
        entry.stage, entry.reason = "publish", str(e)
        return entry, None
    entry.iri, entry.shared = iri, piece.shared
    return entry, piece


def _work_published(paths: list[str]) -> tuple[list[tuple[Entry, Piece | None]], Counter[str]]:
    """``_work`` on one chunk, then each accepted release rendered as its segment (runs in a worker)."""
    ctx = _CTX
    assert ctx is not None
    results, timing = _work(paths)
    t = time.process_time()
    done = [_published(r, ctx.mapper.minter) for r in results]
    timing["render"] += time.process_time() - t
    return done, timing


def _run(ctx: Context, paths: list[str], jobs: int, progress: bool,
         timing: Counter[str]) -> Iterator[tuple[Entry, Piece | None]]:
    """Each page's entry and segment, in the order of ``paths``, as the workers finish them."""
    global _CTX
    _CTX = ctx
    chunks = list(_chunks(paths, CHUNK))
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(paths), unit="page", file=sys.stderr, desc="build")
    pool = None
    try:
        if jobs <= 1 or len(chunks) <= 1:
            done = map(_work_published, chunks)
        else:
            gc.freeze()  # the workers' garbage collector then never walks (and copies) the inherited heap
            pool = mp.get_context("fork").Pool(min(jobs, len(chunks)))
            done = pool.imap(_work_published, chunks)
        for chunk, chunk_timing in done:
            timing += chunk_timing
            if bar is not None:
                bar.update(len(chunk))
            yield from chunk
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
            gc.unfreeze()
        if bar is not None:
            bar.close()
        _CTX = None


def _shared(minter: Minter) -> dict[str, Any]:
    """What every build needs of the reference and ontology graphs: their N-Triples (blank nodes labelled
    canonically over both) and the reference graph's validation against all of ``shapes/``."""
    ontology, reference = ontology_graph(), reference_graph(minter)
    names = {minter.graph("reference"): reference, minter.graph("ontology"): ontology}
    quads = canonical(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(str(g)))
                      for g, graph in names.items() for t in to_oxigraph(graph))
    nt = {str(g): ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads
                                if q.graph_name.value == str(g)], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
          for g in names}
    check = validate(reference + ontology, default_shapes())
    return {"graphs": nt, "conforms": check.conforms, "violations": len(check.violations),
            "report_nt": check.report.serialize(format="nt")}


def _keys(paths: list[str], root: Path, known: dict[str, buildcache.Stat]) -> tuple[list[str | None], dict[str, buildcache.Stat]]:
    """Each page's cache key (sha256 of its bytes and its relative path; None when it cannot be read) and
    its file signature. A page whose signature ``known`` holds is not read again (``buildcache.Stat``)."""
    def some(chunk: list[str]) -> list[tuple[str, buildcache.Stat, bool] | None]:
        out: list[tuple[str, buildcache.Stat, bool] | None] = []
        for path in chunk:
            read_at = time.time_ns()
            rel = _relpath(path, root)
            try:
                st = os.stat(path)
                sig = buildcache.signature(st)
                old = known.get(rel)
                if old is None or old[:-1] != sig:
                    with open(path, "rb") as f:
                        old = (*sig, hashlib.sha256(f.read(MAX_BYTES + 1)).hexdigest())
                out.append((rel, old, buildcache.settled(old, read_at)))
            except OSError:
                out.append(None)
        return out

    with ThreadPoolExecutor(4) as pool:  # reads and hashlib release the GIL
        found = [x for some_found in pool.map(some, _chunks(paths, 1024)) for x in some_found]
    keys = [None if x is None else buildcache.key(x[1][-1], x[0]) for x in found]
    return keys, {x[0]: x[1] for x in found if x is not None and x[2]}


def _reusable(entry: Entry | None, key: str, layout: Layout | None) -> bool:
    """Whether a cached entry stands for its page: a rejection, or a release whose segment the previous
    dumps hold or whose lines the cache kept."""
    return entry is not None and (entry.iri is None or bool(entry.nt) or (layout is not None and key in layout.segments))


def _in_order(found: dict[int, Entry], fresh: Iterator[tuple[Entry, Piece | None]],
              n: int) -> Iterator[tuple[Entry, Piece | None]]:
    """The cached and the fresh entries merged in page order (the fresh ones come in page order)."""
    for i in range(n):
        yield (found[i], None) if i in found else next(fresh)
    if next(fresh, None) is not None:  # also lets ``_run`` finish: its workers hold the loader's pipe
        raise RuntimeError("more page results than pages")


def _nquads(nt: bytes, graph: str) -> bytes:
    """N-Triples lines (pyoxigraph's form: a line ends with `` .``) as N-Quads in ``graph``."""
    return nt.replace(b" .\n", b" <%s> .\n" % graph.encode())


def _quads(nt: bytes, graph: str) -> list[ox.Quad]:
    return list(ox.parse(_nquads(nt, graph), format=ox.RdfFormat.N_QUADS))


def _report(entries: list[Entry], reference_report: Graph, base: str) -> Graph:
    """One SHACL report over everything validated: the reference graph and every rejected release."""
    g = Graph()
    node = URIRef(f"{base}validation")
    g.add((node, RDF.type, SH.ValidationReport))
    for e in entries:
        if e.report_nt:
            g.parse(data=e.report_nt, format="nt")
    g += reference_report
    for rep in list(g.subjects(RDF.type, SH.ValidationReport)):
        if rep != node:
            for res in list(g.objects(rep, SH.result)):
                g.add((node, SH.result, res))
            g.remove((rep, None, None))
    g.add((node, SH.conforms, Literal(not any(g.objects(node, SH.result)))))
    return g


def _build_json(base: str, entries: list[Entry], counts: dict[str, int], date: str) -> bytes:
    """build.json: sorted keys, no indent; each page's release record is already JSON (from the cache)."""
    def enc(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    by_sha = {e.sha256: e for e in sorted(entries, key=lambda e: e.path) if e.sha256}
    pages = b",".join(b'"%s":{"path":%s,"release":%s}' % (sha.encode(), encode_basestring(e.path).encode(), e.release)
                      for sha, e in sorted(by_sha.items()))  # a sha256 is hex: no escaping
    rejected = [{"path": e.path, "sha256": e.sha256, "stage": e.stage, "reason": e.reason,
                 "violations": e.violations} for e in entries if e.stage]
    return (b'{"base":%s,"counts":%s,"pages":{%s},"rejected":%s,"source_date":%s,"version":%s}\n'
            % (enc(base), enc(counts), pages, enc(rejected), enc(date), enc(__version__)))


def _start_index(path: Path, previous: Path, published: list[Entry], fingerprint: str, prepared: Prepared | None,
                 minter: Minter) -> tuple[Any, Any]:
    """Write the search index of the published releases (updated from the previous build's where it can
    be) in a forked child, while the parent writes the rest; ``_finish_index`` waits for it."""
    def names() -> search.Names:
        return search.Names.of(prepared.gazetteer if prepared else Gazetteer.load(minter), minter.base)

    def child(send: Any) -> None:
        keep = send.fileno()  # close what else the parent had open: the store loader must see its pipe's end
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        try:
            t = time.perf_counter()
            releases = ((buildcache.key(e.sha256, e.path), e.iri, e.release) for e in published if e.iri)
            written = search.write(path, releases, fingerprint, names, previous)  # type: ignore[misc]
            send.send(replace(written, seconds=time.perf_counter() - t))
        except BaseException as e:  # noqa: BLE001 - reported by the parent
            send.send(f"{type(e).__name__}: {e}")

    fork = mp.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    process = fork.Process(target=child, args=(send,), name="kg-build-search-index")
    process.start()
    send.close()
    return process, receive


def _finish_index(process: Any, receive: Any) -> search.Written:
    try:
        outcome = receive.recv()
    except EOFError:
        outcome = "the indexing process died"
    process.join()
    if isinstance(outcome, str) and process.exitcode:
        outcome += f" (exit code {process.exitcode})"
    if isinstance(outcome, str):
        raise RuntimeError(f"search index: {outcome}")
    return outcome


def _ontology_docs(folder: Path) -> str | None:
    """Write the ontology's HTML docs when ``kg.docs`` provides them; a note when it does not."""
    try:
        docs = import_module("kg.docs")
    except ImportError:
        return "kg.docs not available: ontology docs not written"
    folder.mkdir(parents=True, exist_ok=True)
    docs.write_ontology_docs(folder)
    return None


def _clean_stale(out: Path) -> None:
    """Remove temporary folders left by builds that were killed."""
    for p in out.parent.glob(f".{out.name}.*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


@dataclass
class Summary:
    pages: int
    published: int
    reused: int
    rejected: list[Entry]
    triples: int
    times: dict[str, float]
    notes: list[str]

    def text(self) -> str:
        lines = [f"kg build: {self.pages} pages read, {self.published} releases published "
                 f"({self.reused} reused unchanged), {len(self.rejected)} rejected, {self.triples} triples"]
        lines += [f"  rejected {r.path} [{r.stage}]: {r.reason}" for r in self.rejected]
        lines.append("  time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.times.items()))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class Prepared:
    """What a context derives from the reference and ontology graphs (~1 s): kept in the build cache."""

    gazetteer: Gazetteer
    article_classes: dict[str, str]
    typing: dict[str | None, str]
    reference_lines: frozenset[str]


def prepare(minter: Minter, ontology: Graph, reference: Graph) -> Prepared:
    return Prepared(Gazetteer.load(minter),
                    {str(s): str(o) for g in (ontology, reference) for s, o in g.subject_objects(OSCE.articleClass)},
                    _typing(reference, ontology), _reference_lines(reference))


def context(minter: Minter, ontology: Graph, reference: Graph, root: Path,
            cache: dict[str, dict[str, Any]], validator: str = "fast") -> Context:
    """The state the workers need: gazetteer, mapper, release shapes and their validator, reference typing
    and lines, reusable records."""
    return context_from(prepare(minter, ontology, reference), minter, root, cache, validator)


def context_from(prepared: Prepared, minter: Minter, root: Path, cache: dict[str, dict[str, Any]],
                 validator: str = "fast") -> Context:
    """``context`` from what ``prepare`` derived (here or in a previous build under the same fingerprint)."""
    gazetteer = prepared.gazetteer
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    mapper = Mapper(
        minter, gazetteer, topics=_labels(gazetteer.topics()), content_types=_labels(gazetteer.content_types()),
        article_classes=prepared.article_classes,
        publisher=_iri(gazetteer.lookup(PUBLISHER)), version=__version__,
        source_date=datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00") if epoch
        else None,
        links={f"<{minter.base}{key}>": qid for key, (qid, _) in accepted_links().items()})
    shapes = Graph().parse(RELEASE_SHAPES, format="turtle")
    return Context(root, mapper, gazetteer, shapes, prepared.typing, cache,
                   import_module("kg.extract").extract, prepared.reference_lines, _fast(shapes, validator))


def build(seeds: Path, out: Path, base: str, jobs: int = 0, progress: bool = False,
          validator: str = "fast") -> Summary:
    """Build ``seeds`` into ``out`` (replaced atomically) and return what happened.

    A page whose bytes and path the previous build's cache holds under the same fingerprint is taken
    from it (its rejection, or its release's segment, copied from the previous dumps); only the other
    pages are extracted, mapped, validated and rendered. The store is updated from the previous one
    when few pages changed, else bulk-loaded in a child process while the rest is written."""
    started = time.perf_counter()
    minter = Minter(base)
    base = minter.base
    prev = buildcache.load(out / buildcache.FOLDER, buildcache.fingerprint(base))
    layout = prev.layout
    root = seeds.resolve()
    paths = list(expand([str(root)]))
    keys, signatures = _keys(paths, root, prev.stats)
    found = {i: prev.entries[k] for i, k in enumerate(keys)
             if k is not None and _reusable(prev.entries.get(k), k, layout)}
    todo = [i for i in range(len(paths)) if i not in found]
    shared = prev.shared or _shared(minter)
    graph = str(minter.graph("releases"))
    gone = len(set(layout.segments) - set(keys)) if layout else 0
    update = layout is not None and is_current(out) and len(todo) + gone <= max(2, len(paths) // 4)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the published folder is not
    loader = None if update else Loader(tmp / STORE_NAME)
    times: dict[str, float] = {"setup": time.perf_counter() - started}
    stage_times: Counter[str] = Counter()
    notes: list[str] = []
    old_nt = out / buildcache.FOLDER / buildcache.NT
    old_files = (out / "osce-kg.ttl", out / "osce-kg.jsonld", old_nt)
    fresh: Iterator[tuple[Entry, Piece | None]] = iter(())
    hashing = ThreadPoolExecutor(2)  # the dumps' SHA256SUMS digests, while the rest is written
    prepared = prev.prepared
    indexing: tuple[Any, Any] | None = None
    swapped = False
    try:
        if todo:
            prepared = prepared or prepare(minter, ontology_graph(), shared_reference(minter))
            ctx = context_from(prepared, minter, root, buildcache.Records(prev.entries.values()),  # type: ignore[arg-type]
                               validator)
            fresh = _run(ctx, [paths[i] for i in todo], jobs or os.cpu_count() or 1, progress, stage_times)
        with (old_nt.open("rb") if layout else open(os.devnull, "rb")) as old:
            def previous(key: str) -> bytes:
                """A segment's local lines as the previous build published them."""
                assert layout is not None
                _, _, _, _, offset, length = layout.segments[key]
                return os.pread(old.fileno(), length, offset)

            spill = Spill(tmp / ".spill")
            objects = prev.objects if layout else Counter()  # object digest → published segments holding it
            totals = prev.totals if layout else Stats()  # the published segments' statistics
            added: list[bytes] = []  # the local lines of the segments rendered now (store update)
            seen: dict[str, str] = {}
            entries: list[Entry] = []
            segments: list[Segment] = []
            for entry, piece in _in_order(found, fresh, len(paths)):
                entries.append(entry)
                if entry.iri is None or entry.id is None:
                    continue
                key = buildcache.key(entry.sha256, entry.path)
                if entry.id in seen:  # an earlier page published this release id
                    if piece is not None:
                        entry.nt = piece.nt + piece.shared
                    elif not entry.nt:
                        entry.nt = previous(key) + entry.shared
                    entry.stage, entry.reason = "duplicate", f"release id {entry.id} already published from {seen[entry.id]}"
                    continue
                seen[entry.id] = entry.path
                entry.stage = entry.reason = None
                if piece is None and entry.nt:
                    piece, entry.nt = render(entry.iri, entry.nt, base), b""
                if piece is not None:
                    segments.append(spill.add(key, piece))
                    objects.update(piece.objects)
                    totals.add(piece.stats)
                    local = piece.nt
                    if update:
                        added.append(local)
                else:
                    segments.append(layout.segment(old_files, key, entry.iri))  # type: ignore[union-attr]
                    local = previous(key) if loader else b""
                if loader:
                    loader.send(_nquads(local, graph))
            spill.close()
            times.update({f"{k} (cpu)": stage_times[k] for k in (*STAGES, "render")})
            t = time.perf_counter()
            published = [e for e in entries if e.stage is None]
            missing = search.fts5_missing()
            indexing = None if missing else _start_index(tmp / search.INDEX, out / search.INDEX, published,
                                                         prev.fingerprint, prepared, minter)
            shared_lines = b"".join(sorted({line for e in published for line in e.shared.splitlines(keepends=True)}))
            final = render_final({graph: shared_lines, **{g: nt.encode() for g, nt in shared["graphs"].items()}}, base)
            if loader:
                for g, nt in (graph, shared_lines), *((g, nt.encode()) for g, nt in shared["graphs"].items()):
                    loader.send(_nquads(nt, g))
            segments.sort(key=lambda s: s.iri)
            (tmp / buildcache.FOLDER).mkdir()
            new_layout = write_dumps(segments, final, tmp, tmp / buildcache.FOLDER / buildcache.NT, graph, base,
                                     (layout, out / "osce-kg.nt.gz") if layout else None)
            sign(new_layout, tmp, ("osce-kg.ttl", "osce-kg.jsonld", "osce-kg.nt.gz", f"{buildcache.FOLDER}/{buildcache.NT}"))
            digests = hash_early(hashing, tmp, DUMPS)
            shutil.rmtree(tmp / ".spill")
            removed = [previous(k) for k in layout.segments if k not in new_layout.segments] if layout else []
        for nt in removed:
            stats, digests = measure_nt(nt, base)
            totals.add(stats, -1)
            for d in digests:
                objects[d] -= 1
                if not objects[d]:
                    del objects[d]
        dataset = Stats()
        dataset.add(totals)
        dataset.add(final.stats)
        date = source_date(e.date for e in published if e.date)
        description = Graph().parse(ONTOLOGY_DIR / "dataset.ttl", format="turtle", publicID=base)
        void = void_graph(dataset, len(objects) + len(final.objects - objects.keys()), tmp,
                          DatasetInfo(base, date, __version__), description)
        write_atomic(tmp / "void.ttl", turtle(void, base))
        reference_report = Graph().parse(data=shared["report_nt"], format="nt")
        write_atomic(tmp / "validation.ttl", turtle(_report(entries, reference_report, base), base))
        if not shared["conforms"]:
            notes.append(f"reference graph: {shared['violations']} SHACL violations (see validation.ttl)")
        counts = {"pages": len(entries), "published": len(published), "rejected": len(entries) - len(published),
                  "reused": len(found), "triples": dataset.triples}
        write_atomic(tmp / "build.json", _build_json(base, entries, counts, date))
        cache = buildcache.Cache(prev.fingerprint, {buildcache.key(e.sha256, e.path): e for e in entries if e.sha256},
                                 shared, new_layout, objects, totals, shared_lines, signatures, prepared)
        buildcache.save(cache, tmp / buildcache.FOLDER)
        write_checksums(tmp, digests)
        times["publish"] = time.perf_counter() - t
        t = time.perf_counter()
        if prev.shared is not None and (out / "ontology").is_dir():
            shutil.copytree(out / "ontology", tmp / "ontology")  # same fingerprint: same ontology and shapes
        else:
            note = _ontology_docs(tmp / "ontology")
            if note:
                notes.append(note)
        times["docs"] = time.perf_counter() - t
        t = time.perf_counter()
        if loader is not None:
            loader.close()
            loader = None
        else:
            before, after = set(prev.shared_lines.splitlines(keepends=True)), set(shared_lines.splitlines(keepends=True))
            gone_lines = b"".join(removed) + b"".join(sorted(before - after))
            new_lines = b"".join(added) + b"".join(sorted(after - before))
            update_store(out / STORE_NAME, tmp / STORE_NAME, _quads(gone_lines, graph), _quads(new_lines, graph))
            notes.append(f"store updated from the previous build's: {len(removed)} releases' triples removed, "
                         f"{len(added)} releases' added")
        times["store"] = time.perf_counter() - t
        t = time.perf_counter()
        if indexing is None:
            notes.append(f"search index not written: {missing}")
        else:
            indexed = _finish_index(*indexing)
            notes.append(f"search index {'written' if indexed.anew else 'updated'} in {indexed.seconds:.2f}s (alongside "
                         f"the rest): {indexed.added} releases added, {indexed.removed} removed, {indexed.kept} kept")
        times["search (wait)"] = time.perf_counter() - t
        replace_dir(tmp, out, detach=True)  # the previous output is deleted in the background
        swapped = True
    finally:
        getattr(fresh, "close", lambda: None)()  # stop the workers if the build failed midway
        hashing.shutdown(cancel_futures=True)
        if loader is not None:
            loader.kill()
        if indexing is not None and indexing[0].is_alive():
            indexing[0].kill()
            indexing[0].join()
        if not swapped:  # else ``tmp`` names the previous output, which ``replace_dir`` is deleting
            shutil.rmtree(tmp, ignore_errors=True)
    times["total"] = time.perf_counter() - started
    return Summary(len(entries), len(published), sum(e.stage is None for e in found.values()),
                   [e for e in entries if e.stage], dataset.triples, times, notes)


def main(args: Any) -> int:
    """CLI entry (``kg build``): exit 1 when a page was rejected, unless ``--keep-going``."""
    progress = sys.stderr.isatty() and not args.quiet
    summary = build(Path(args.seeds), Path(args.out), args.base, args.jobs, progress, args.validator)
    print(summary.text(), file=sys.stderr)
    return 1 if summary.rejected and not args.keep_going else 0
