"""``kg build``: ingest → extract → map → validate → publish, swapped atomically into the output folder.

A page the previous build's cache (``kg.buildcache``) holds under the same fingerprint is taken from it.
The others are processed in chunks of ``CHUNK`` by worker processes (``--jobs``): each chunk is
extracted, mapped, and validated as one graph; only a chunk that fails is re-validated release by
release, so each violating release is named and left out on its own. The parent merges the accepted
releases' N-Triples with the reference and ontology graphs, writes every file into a temporary folder
beside the output, and swaps it into place (``kg.atomic.replace_dir``).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path
from typing import Any, Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg import __version__, buildcache
from kg.atomic import replace_dir
from kg.gazetteer import Gazetteer
from kg.ingest import MAX_BYTES, IngestError, expand, read_page
from kg.iris import OSCE, SCHEMA, Minter
from kg.map import Mapper, Triple, line, ntriples
from kg.paths import ONTOLOGY_DIR, SHAPES_DIR
from kg.publish import (DatasetInfo, canonical, to_oxigraph, turtle, void_graph, write_atomic, write_checksums,
                        write_graph_dumps)
from kg.record import ExtractionError, Release, SourceRef
from kg.reference import ontology_graph, reference_graph
from kg.shaclfast import FastValidator, UnsupportedShapes
from kg.store import STORE_NAME, is_current, update_store, write_store
from kg.validate import Violation, default_shapes, validate

CHUNK = 100
STAGES = ("ingest", "extract", "map", "validate")
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


def _data(ctx: Context, triples: list[Triple]) -> str:
    """The N-Triples one validation runs on: the releases' triples, the reference types of the IRIs they
    point to (so ``sh:class`` can check them, while reference nodes are not validated as release data)
    and the ontology's subclass axioms."""
    typing = ctx.typing
    objects = {t[2] for t in triples}
    return "".join((ntriples(triples), *(typing[o] for o in objects if o in typing), typing.get(None, "")))


def _graph(ctx: Context, triples: list[Triple]) -> Graph:
    """``_data`` as an rdflib graph, for pySHACL."""
    return Graph().parse(data=_data(ctx, triples), format="nt")


def _work(paths: list[str]) -> tuple[list[PageResult], Counter[str]]:
    """Extract, map and validate one chunk of pages (runs in a worker)."""
    ctx = _CTX
    assert ctx is not None
    timing: Counter[str] = Counter()
    results: list[PageResult] = []
    mapped: list[tuple[PageResult, list[Triple]]] = []
    known = ctx.reference_lines
    for path in paths:
        res = PageResult(_relpath(path, ctx.root))
        t0 = time.perf_counter()
        try:
            page = read_page(path)
        except IngestError as e:
            res.stage, res.reason = "ingest", _one_line(e)
            results.append(res)
            continue
        res.sha256 = page.sha256
        t1 = time.perf_counter()
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
        t2 = time.perf_counter()
        timing["extract"] += t2 - t1
        try:
            triples = ctx.mapper.triples(rec)
            res.record = rec.to_json()
            res.nt = "".join(text for text in map(line, triples) if text not in known)
            mapped.append((res, triples))
        except Exception as e:
            res.stage, res.reason = "map", _one_line(e)
        timing["map"] += time.perf_counter() - t2
        results.append(res)
    t3 = time.perf_counter()
    _validate_chunk(ctx, mapped)
    timing["validate"] += time.perf_counter() - t3
    return results, timing


def _failing(ctx: Context, triples: list[Triple]) -> set[str] | None:
    """The focus nodes (N-Triples terms) the chunk's validation flags, or None when the chunk conforms.
    The fast validator screens when there is one (pySHACL when it cannot read the data)."""
    if ctx.fast is not None:
        try:
            return ctx.fast.focus_nodes(_data(ctx, triples)) or None
        except ValueError:
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


def source_date(records: list[dict[str, Any]]) -> str:
    """The build's date: SOURCE_DATE_EPOCH when set, else the latest release date (never the wall clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), timezone.utc).date().isoformat()
    return max((r["date"] for r in records), default="1990-01-01")


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _run(ctx: Context, paths: list[str], jobs: int, progress: bool) -> tuple[list[PageResult], Counter[str]]:
    global _CTX
    _CTX = ctx
    chunks = list(_chunks(paths, CHUNK))
    timing: Counter[str] = Counter()
    results: list[PageResult] = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(paths), unit="page", file=sys.stderr, desc="build")
    try:
        if jobs <= 1 or len(chunks) <= 1:
            done = map(_work, chunks)
            pool = None
        else:
            pool = mp.get_context("fork").Pool(min(jobs, len(chunks)))
            done = pool.imap(_work, chunks)
        try:
            for chunk_results, chunk_timing in done:
                results += chunk_results
                timing += chunk_timing
                if bar is not None:
                    bar.update(len(chunk_results))
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    finally:
        if bar is not None:
            bar.close()
        _CTX = None
    return results, timing


def _dedupe(results: list[PageResult]) -> None:
    """A release id published by an earlier page rejects the later page."""
    seen: dict[str, str] = {}
    for r in results:
        if r.stage is None and r.record is not None:
            rid = r.record["id"]
            if rid in seen:
                r.stage, r.reason, r.nt = "duplicate", f"release id {rid} already published from {seen[rid]}", ""
            else:
                seen[rid] = r.path


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


def _lookup(cache: buildcache.Cache, paths: list[str], root: Path) -> tuple[dict[int, PageResult], list[int]]:
    """Pages whose result the cache holds (by index), and the indexes of the others."""
    found: dict[int, PageResult] = {}
    todo: list[int] = []
    for i, path in enumerate(paths):
        try:
            with open(path, "rb") as f:
                sha = hashlib.sha256(f.read(MAX_BYTES + 1)).hexdigest()
        except OSError:
            todo.append(i)
            continue
        entry = cache.pages.get(buildcache.key(sha, _relpath(path, root)))
        if entry is None:
            todo.append(i)
        else:
            found[i] = PageResult(**entry, reused=True)
    return found, todo


def _entry(r: PageResult) -> dict[str, Any]:
    """What the cache keeps of a page's result (shallow: the values are only read)."""
    return {f.name: getattr(r, f.name) for f in fields(r) if f.name != "reused"}


def _store(out: Path, tmp: Path, cache: buildcache.Cache, releases: bytes, graph: str) -> str | None:
    """Write the new store: from the previous one plus the changed release triples when the previous
    build had the same fingerprint and few lines changed (then says so), else by bulk-loading the TriG."""
    previous = out / STORE_NAME
    if cache.shared is not None and cache.published and is_current(out):
        old, new = cache.release_lines(), set(releases.splitlines(keepends=True))
        removed, added = old - new, new - old
        if len(removed) + len(added) <= len(new) // 10:
            tag = f" <{graph}> .\n".encode()

            def quads(lines: set[bytes]) -> list[ox.Quad]:
                return list(ox.parse(b"".join(sorted(lines)).replace(b" .\n", tag), format=ox.RdfFormat.N_QUADS))

            update_store(previous, tmp / STORE_NAME, quads(removed), quads(added))
            return f"store updated from the previous build's: {len(removed)} triples removed, {len(added)} added"
    write_store(tmp / "osce-kg.trig", tmp / STORE_NAME)
    return None


def _report(results: list[PageResult], reference_report: Graph, base: str) -> Graph:
    """One SHACL report over everything validated: the reference graph and every rejected release."""
    g = Graph()
    node = URIRef(f"{base}validation")
    g.add((node, RDF.type, SH.ValidationReport))
    for r in results:
        if r.report_nt:
            g.parse(data=r.report_nt, format="nt")
    g += reference_report
    for rep in list(g.subjects(RDF.type, SH.ValidationReport)):
        if rep != node:
            for res in list(g.objects(rep, SH.result)):
                g.add((node, SH.result, res))
            g.remove((rep, None, None))
    g.add((node, SH.conforms, Literal(not any(g.objects(node, SH.result)))))
    return g


def _build_json(base: str, results: list[PageResult], counts: dict[str, int], date: str) -> bytes:
    pages = {r.sha256: {"path": r.path, "release": r.record if r.stage != "extract" else None}
             for r in sorted(results, key=lambda r: r.path) if r.sha256}
    rejected = [{"path": r.path, "sha256": r.sha256, "stage": r.stage, "reason": r.reason,
                 "violations": r.violations} for r in results if r.stage]
    doc = {"base": base, "version": __version__, "source_date": date, "counts": counts,
           "pages": pages, "rejected": rejected}
    # no indent: only then does json use its C encoder (the file is 60 MB at 20,000 pages)
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


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
    rejected: list[PageResult]
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


def context(minter: Minter, ontology: Graph, reference: Graph, root: Path,
            cache: dict[str, dict[str, Any]], validator: str = "fast") -> Context:
    """The state the workers need: gazetteer, mapper, release shapes and their validator, reference typing
    and lines, reusable records."""
    gazetteer = Gazetteer.load(minter)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    mapper = Mapper(
        minter, gazetteer, topics=_labels(gazetteer.topics()), content_types=_labels(gazetteer.content_types()),
        article_classes={str(s): str(o) for g in (ontology, reference) for s, o in g.subject_objects(OSCE.articleClass)},
        publisher=_iri(gazetteer.lookup(PUBLISHER)), version=__version__,
        source_date=datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00") if epoch
        else None)
    shapes = Graph().parse(RELEASE_SHAPES, format="turtle")
    return Context(root, mapper, gazetteer, shapes, _typing(reference, ontology), cache,
                   import_module("kg.extract").extract, _reference_lines(reference), _fast(shapes, validator))


def build(seeds: Path, out: Path, base: str, jobs: int = 0, progress: bool = False,
          validator: str = "fast") -> Summary:
    """Build ``seeds`` into ``out`` (replaced atomically) and return what happened.

    A page whose bytes and path the previous build's cache holds under the same fingerprint is taken
    from it (its validated N-Triples or its rejection); only the other pages are extracted, mapped and
    validated."""
    started = time.perf_counter()
    minter = Minter(base)
    base = minter.base
    cache = buildcache.load(out / buildcache.FOLDER, buildcache.fingerprint(base))
    root = seeds.resolve()
    paths = list(expand([str(root)]))
    found, todo = _lookup(cache, paths, root)
    shared = cache.shared or _shared(minter)
    times: dict[str, float] = {"setup": time.perf_counter() - started}
    stage_times: Counter[str] = Counter()
    done: list[PageResult] = []
    if todo:
        records = {e["sha256"]: e["record"] for e in cache.pages.values() if e["record"]}
        ctx = context(minter, ontology_graph(), reference_graph(minter), root, records, validator)
        done, stage_times = _run(ctx, [paths[i] for i in todo], jobs or os.cpu_count() or 1, progress)
    times.update({f"{k} (cpu)": stage_times[k] for k in STAGES})
    fresh = dict(zip(todo, done))
    results = [found[i] if i in found else fresh[i] for i in range(len(paths))]
    next_cache = buildcache.Cache(cache.fingerprint, {buildcache.key(r.sha256, r.path): _entry(r)
                                                      for r in results if r.sha256}, shared)
    _dedupe(results)
    accepted = [r for r in results if r.stage is None]
    next_cache.published = [buildcache.key(r.sha256, r.path) for r in accepted if r.sha256]

    t = time.perf_counter()
    date = source_date([r.record for r in accepted if r.record])
    releases = "".join(r.nt for r in accepted).encode("utf-8")
    graphs = {str(minter.graph("releases")): releases, **{g: nt.encode("utf-8") for g, nt in shared["graphs"].items()}}
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the published folder is not
    notes: list[str] = []
    try:
        triples = write_graph_dumps(graphs, tmp, base)
        del graphs
        description = Graph().parse(ONTOLOGY_DIR / "dataset.ttl", format="turtle", publicID=base)
        void = void_graph(triples, tmp, DatasetInfo(base, date, __version__), description)
        write_atomic(tmp / "void.ttl", turtle(void, base))
        reference_report = Graph().parse(data=shared["report_nt"], format="nt")
        write_atomic(tmp / "validation.ttl", turtle(_report(results, reference_report, base), base))
        if not shared["conforms"]:
            notes.append(f"reference graph: {shared['violations']} SHACL violations (see validation.ttl)")
        counts = {"pages": len(results), "published": len(accepted), "rejected": len(results) - len(accepted),
                  "reused": sum(r.reused for r in results), "triples": len(triples)}
        write_atomic(tmp / "build.json", _build_json(base, results, counts, date))
        write_checksums(tmp)
        buildcache.save(next_cache, tmp / buildcache.FOLDER)
        times["publish"] = time.perf_counter() - t
        t = time.perf_counter()
        if cache.shared is not None and (out / "ontology").is_dir():
            shutil.copytree(out / "ontology", tmp / "ontology")  # same fingerprint: same ontology and shapes
        else:
            note = _ontology_docs(tmp / "ontology")
            if note:
                notes.append(note)
        times["docs"] = time.perf_counter() - t
        t = time.perf_counter()
        how = _store(out, tmp, cache, releases, str(minter.graph("releases")))
        if how:
            notes.append(how)
        times["store"] = time.perf_counter() - t
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    times["total"] = time.perf_counter() - started
    return Summary(len(results), len(accepted), sum(r.reused for r in accepted),
                   [r for r in results if r.stage], len(triples), times, notes)


def main(args: Any) -> int:
    """CLI entry (``kg build``): exit 1 when a page was rejected, unless ``--keep-going``."""
    progress = sys.stderr.isatty() and not args.quiet
    summary = build(Path(args.seeds), Path(args.out), args.base, args.jobs, progress, args.validator)
    print(summary.text(), file=sys.stderr)
    return 1 if summary.rejected and not args.keep_going else 0
