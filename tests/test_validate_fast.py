"""The fast validator (shacl-rust) against pySHACL: the same (focus node, path, constraint component) results.

For every constraint of every shape in ``shapes/release.ttl`` (and of a few extra shapes covering the rest
of what ``kg.shaclfast.SUPPORTED`` admits), a real release is mutated to violate it and, where the
constraint has a boundary, to sit exactly on it; both engines must report the same set. Then a 100-release
batch mixing good and bad releases, the worker's rejections, the fallback to pySHACL for unsupported shapes,
and byte-identical builds under ``--validator fast`` and ``--validator pyshacl``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pytest
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from kg import build
from kg.ingest import expand, read_page
from kg.iris import Minter
from kg.map import Triple, iri, literal
from kg.paths import SEEDS_DIR
from kg.record import ExtractionError
from kg.reference import ontology_graph, reference_graph
from kg.shaclfast import SUPPORTED, FastValidator, UnsupportedShapes, check_supported
from kg.validate import validate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "docs"
TYPE = f"<{RDF.type}>"
HAS_PART = "<https://schema.org/hasPart>"

Result = tuple[str, str, str]  # focus node term, path IRI ("" for a node shape), constraint component IRI


@pytest.fixture(scope="module")
def ctx() -> build.Context:
    minter = Minter()
    return build.context(minter, ontology_graph(), reference_graph(minter), SEEDS_DIR, {})


@pytest.fixture(scope="module")
def releases(ctx: build.Context) -> list[list[Triple]]:
    """The mapped releases of the seeds and (when present) the shared corpus."""
    folders = [SEEDS_DIR] + ([CORPUS] if CORPUS.is_dir() else [])
    out = []
    for path in expand([str(f) for f in folders]):
        try:
            out.append(ctx.mapper.triples(ctx.extract(read_page(path), ctx.gazetteer)))
        except ExtractionError:
            continue
    return out


def pyshacl_results(ctx: build.Context, triples: list[Triple], shapes: Graph) -> set[Result]:
    """pySHACL's results; a blank focus node (its label is the parser's) written ``_:``."""
    return {(f"<{v.focus}>" if v.focus.startswith("http") else "_:", v.path, v.constraint)
            for v in validate(build._graph(ctx, triples), shapes).violations}


def fast_results(ctx: build.Context, triples: list[Triple], shapes: Graph) -> set[Result]:
    return {("_:" if r["focusNode"].startswith("_:") else r["focusNode"], (r.get("resultPath") or "").strip("<>"),
             r["sourceConstraintComponent"].strip("<>"))
            for r in FastValidator.of(shapes).report(triples, build._context(ctx, triples))}


# ---- mutations derived from the shapes ----

@dataclass(frozen=True)
class Shape:
    node: URIRef
    path: str | None        # predicate term, None for a node shape
    focus: Callable[[list[Triple]], list[str]]


def _shapes(shapes: Graph) -> list[Shape]:
    out = []
    for node in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))):
        path = shapes.value(node, SH.path)
        targets = [(kind, f"<{o}>") for kind in (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)
                   for o in shapes.objects(node, kind)]

        def focus(ts: list[Triple], targets=targets) -> list[str]:
            found: list[str] = []
            for kind, term in targets:
                if kind == SH.targetClass:
                    found += [s for s, p, o in ts if p == TYPE and o == term]
                elif kind == SH.targetObjectsOf:
                    found += [o for s, p, o in ts if p == term]
                elif kind == SH.targetSubjectsOf:
                    found += [s for s, p, o in ts if p == term]
                elif any(term in t for t in ts):
                    found.append(term)
            return list(dict.fromkeys(found))
        out.append(Shape(node, None if path is None else f"<{path}>", focus))
    return out


def _lexical(term: str) -> str:
    return term[1:term.rindex('"')]


def _shift(value: str, datatype: str, step: int) -> str:
    """The typed literal ``step`` days or units away from ``value``."""
    if datatype == str(XSD.date):
        return literal((date.fromisoformat(value) + timedelta(days=step)).isoformat(), datatype)
    return literal(str(int(value) + step), datatype)


def _replace_values(ts: list[Triple], focus: str, path: str, value: str) -> list[Triple]:
    kept = [t for t in ts if not (t[0] == focus and t[1] == path)]
    return kept + [(focus, path, value)]


def mutations(shapes: Graph, shape: Shape, ts: list[Triple], focus: str) -> list[tuple[str, list[Triple], bool]]:
    """(label, mutated triples, violates?) for each constraint of ``shape`` on ``focus``."""
    out: list[tuple[str, list[Triple], bool]] = []
    g, path = shapes, shape.path
    if path is None:  # node shape: sh:nodeKind sh:IRI on the focus node itself
        if g.value(shape.node, SH.nodeKind) == SH.IRI:
            blank = "_:b0"
            out.append(("nodeKind", [tuple(blank if x == focus else x for x in t) for t in ts], True))
        return out
    for constraint, param in g.predicate_objects(shape.node):
        name = constraint.removeprefix(str(SH))
        if constraint == SH.minCount:
            out.append(("minCount", [t for t in ts if not (t[0] == focus and t[1] == path)], int(param) > 0))
        elif constraint == SH.maxCount:
            extra = [(focus, path, literal(f"extra {k}")) for k in range(int(param) + 1)]
            out.append(("maxCount", ts + extra, True))
        elif constraint == SH.datatype:
            out.append(("datatype other", _replace_values(ts, focus, path, literal("x", "https://example.org/dt")), True))
            out.append(("datatype langString", _replace_values(ts, focus, path, '"x"@en'), True))
            if param != XSD.string:
                out.append(("datatype ill-formed", _replace_values(ts, focus, path, literal("not valid", str(param))),
                            True))
        elif constraint == SH["class"]:
            out.append(("class", _replace_values(ts, focus, path, iri("https://example.org/untyped")), True))
        elif constraint == SH.nodeKind:
            out.append(("nodeKind", _replace_values(ts, focus, path, literal("a literal")), True))
        elif constraint in (SH.minLength, SH.maxLength):
            n = int(param)
            short, long_ = "a" * max(n - 1, 0), "a" * (n + 1)
            bad, edge = (short, "a" * n) if constraint == SH.minLength else (long_, "a" * n)
            out.append((f"{name} violated", _replace_values(ts, focus, path, literal(bad)), n > 0 or
                        constraint == SH.maxLength))
            out.append((f"{name} boundary", _replace_values(ts, focus, path, literal(edge)), False))
        elif constraint in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            dt, v = str(param.datatype), str(param)
            below = constraint in (SH.minInclusive, SH.minExclusive)
            inclusive = constraint in (SH.minInclusive, SH.maxInclusive)
            step = -1 if below else 1
            out.append((f"{name} violated", _replace_values(ts, focus, path, _shift(v, dt, step if inclusive else 0)),
                        True))
            out.append((f"{name} boundary", _replace_values(ts, focus, path, _shift(v, dt, 0 if inclusive else -step)),
                        False))
        elif constraint == SH.pattern:
            out.append(("pattern", _replace_values(ts, focus, path, iri("https://example.org/no-match")), True))
        elif constraint == SH["in"]:
            members = list(Collection(g, param))
            out.append(("in violated", _replace_values(ts, focus, path, literal("not a member")), True))
            out.append(("in boundary", _replace_values(ts, focus, path, literal(str(members[0]))), False))
        elif constraint == SH.hasValue:
            out.append(("hasValue", [t for t in ts if not (t[0] == focus and t[1] == path)], True))
    return out


def _cases(ctx: build.Context, shapes: Graph, releases: list[list[Triple]]):
    """(label, triples, violates?, focus) for every (shape, constraint) mutation, on the first release that has
    a focus node with values for the shape."""
    for shape in _shapes(shapes):
        with_values = ((ts, f) for ts in releases for f in shape.focus(ts)
                       if shape.path is None or any(s == f and p == shape.path for s, p, _ in ts))
        base = next(with_values, None) or next(((ts, f) for ts in releases for f in shape.focus(ts)), None)
        assert base is not None, f"no release has a focus node for {shape.node}"
        ts, focus = base
        for label, mutated, violates in mutations(shapes, shape, ts, focus):
            yield f"{shape.node.rsplit('#', 1)[-1]} {label}", mutated, violates, focus


RANGES = {f"{SH}{name}ConstraintComponent" for name in ("MinInclusive", "MaxInclusive", "MinExclusive", "MaxExclusive")}
DATATYPE = f"{SH}DatatypeConstraintComponent"


def _settled(results: set[Result]) -> set[Result]:
    """The results without range results on a (focus, path) that also fails its datatype: whether a value of
    the wrong datatype fails a range too is where the engines differ (see ``kg.shaclfast``)."""
    mistyped = {(f, p) for f, p, c in results if c == DATATYPE}
    return {(f, p, c) for f, p, c in results if not (c in RANGES and (f, p) in mistyped)}


def assert_same(fast: set[Result], expected: set[Result], label: str) -> None:
    assert {f for f, _, _ in fast} == {f for f, _, _ in expected}, label  # the same focus nodes flagged
    assert _settled(fast) == _settled(expected), label


def _check_each_constraint(ctx: build.Context, shapes: Graph, releases: list[list[Triple]]) -> int:
    checked = 0
    for label, mutated, violates, _ in _cases(ctx, shapes, releases):
        expected = pyshacl_results(ctx, mutated, shapes)
        assert bool(expected) == violates, f"{label}: pySHACL reported {expected}"
        assert_same(fast_results(ctx, mutated, shapes), expected, label)
        checked += 1
    return checked


def test_releases_conform_under_both_engines(ctx: build.Context, releases: list[list[Triple]]):
    assert len(releases) >= 2
    for ts in releases:
        assert pyshacl_results(ctx, ts, ctx.shapes) == set() == fast_results(ctx, ts, ctx.shapes)


def test_each_release_constraint_is_flagged_as_pyshacl_flags_it(ctx: build.Context, releases: list[list[Triple]]):
    assert _check_each_constraint(ctx, ctx.shapes, releases) >= 80  # about 90 mutations over shapes/release.ttl


EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix schema: <https://schema.org/> . @prefix ex: <https://example.org/shapes#> .
ex:In a sh:PropertyShape ; sh:targetClass schema:NewsArticle ; sh:path schema:identifier ;
    sh:in ( "2008-09-10-osce-secretary-general-meets-president-karzai-discusses-assistance-to-56305dd5" "other" ) .
ex:HasValue a sh:PropertyShape ; sh:targetSubjectsOf schema:headline ; sh:path schema:identifier ;
    sh:hasValue "2008-09-10-osce-secretary-general-meets-president-karzai-discusses-assistance-to-56305dd5" .
ex:MaxLength a sh:PropertyShape ; sh:targetSubjectsOf schema:headline ; sh:path schema:headline ; sh:maxLength 90 .
ex:Exclusive a sh:PropertyShape ; sh:targetObjectsOf schema:hasPart ; sh:path schema:position ;
    sh:datatype xsd:integer ; sh:minExclusive 0 ; sh:maxExclusive 1000 .
ex:Node a sh:PropertyShape ;
    sh:targetNode <https://w3id.org/osce-kg/id/release/2008-09-10-osce-secretary-general-meets-president-karzai-discusses-assistance-to-56305dd5> ;
    sh:path schema:datePublished ; sh:minCount 1 ; sh:datatype xsd:date ; sh:maxExclusive "2030-01-01"^^xsd:date ;
    sh:message "the seed release has a date" ; sh:name "seed date" ; sh:description "targetNode" .
"""


def test_other_supported_constraints_are_flagged_as_pyshacl_flags_them(ctx: build.Context,
                                                                        releases: list[list[Triple]]):
    shapes = Graph().parse(data=EXTRA_SHAPES, format="turtle")
    used = {p for p in shapes.predicates() if p.startswith(str(SH))}
    assert used | {p for p in ctx.shapes.predicates() if p.startswith(str(SH))} >= SUPPORTED  # all are tested
    assert _check_each_constraint(ctx, shapes, releases[:1]) >= 10


def test_mixed_batch_of_100_releases(ctx: build.Context, releases: list[list[Triple]]):
    """Good and bad releases in one chunk: the same results, and the worker rejects exactly the bad ones."""
    # mutations of the release's own nodes (a person or place is shared with the other releases of a batch,
    # and a blank node label would be too)
    cases = [(label, mutated) for label, mutated, violates, focus in _cases(ctx, ctx.shapes, releases)
             if violates and focus.startswith(_release(mutated)[:-1]) and not any("_:" in x for t in mutated for x in t)]
    batch: list[tuple[str, list[Triple]]] = []
    for i in range(100):  # every third release a mutated one; each renamed apart from its unmutated copies
        ts = cases.pop(0)[1] if i % 3 == 0 and cases else releases[i % len(releases)]
        batch.append((str(i), _renamed(ts, _release(ts), f"{_release(ts)[:-1]}-{i}>")))
    triples = [t for _, ts in batch for t in ts]
    assert_same(fast_results(ctx, triples, ctx.shapes), pyshacl_results(ctx, triples, ctx.shapes), "batch")

    def rejected(fast: FastValidator | None) -> list[str]:
        results = [build.PageResult(path=str(i)) for i in range(len(batch))]
        build._validate_chunk(_with(ctx, fast), [(r, ts) for r, (_, ts) in zip(results, batch)])
        return [r.path for r in results if r.stage == "validate"]

    alone = [str(i) for i, (_, ts) in enumerate(batch) if not validate(build._graph(ctx, ts), ctx.shapes).conforms]
    assert len(alone) >= 25
    assert rejected(ctx.fast) == alone == rejected(None)


def _release(ts: list[Triple]) -> str:
    return next(s for s, p, o in ts if p == TYPE and o == "<https://schema.org/NewsArticle>")


def _renamed(ts: list[Triple], old: str, new: str) -> list[Triple]:
    """The release's triples with its IRI and the IRIs of its parts under ``new``."""
    prefix, to = old[:-1], new[:-1]
    return [tuple(to + x[len(prefix):] if x.startswith(prefix) and x.endswith(">") else x for x in t) for t in ts]


def _with(ctx: build.Context, fast: FastValidator | None) -> build.Context:
    from dataclasses import replace
    return replace(ctx, fast=fast)


def _reject_in_child(ctx: build.Context, triples: list[Triple]) -> str | None:
    res = build.PageResult("child")
    build._validate_chunk(ctx, [(res, triples)])
    return res.reason


def test_forked_child_of_a_process_that_screened_falls_back_to_pyshacl(ctx: build.Context,
                                                                       releases: list[list[Triple]]):
    """shacl-rust's thread pool does not survive fork(): the child validates with pySHACL instead of hanging."""
    bad = [t for t in releases[0] if t[1] != "<https://schema.org/sourceOrganization>"]
    assert ctx.fast is not None and ctx.fast.focus_nodes(bad, build._context(ctx, bad))  # used here, then fork
    build._CTX = ctx
    try:
        with mp.get_context("fork").Pool(1) as pool:
            reason = pool.apply_async(_reject_in_child, (ctx, bad)).get(timeout=120)
    finally:
        build._CTX = None
    assert reason is not None and reason.startswith("sourceOrganization MinCount")


# ---- unsupported shapes: a clear error, and pySHACL for everything ----

UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> .
@prefix ex: <https://example.org/shapes#> .
ex:Either a sh:NodeShape ; sh:targetClass schema:NewsArticle ;
    sh:or ( [ sh:path schema:headline ; sh:minCount 1 ] [ sh:path schema:name ; sh:minCount 1 ] ) .
"""


def test_unsupported_shapes_raise_a_clear_error():
    with pytest.raises(UnsupportedShapes, match="does not support sh:or"):
        check_supported(Graph().parse(data=UNSUPPORTED, format="turtle"))
    prefix = "@prefix sh: <http://www.w3.org/ns/shacl#> . "
    sequence = prefix + "<x:s> sh:targetNode <x:n> ; sh:path ( <x:p> <x:q> ) ."
    with pytest.raises(UnsupportedShapes, match="only predicate paths"):
        check_supported(Graph().parse(data=sequence, format="turtle"))
    untyped_range = prefix + "<x:s> sh:targetNode <x:n> ; sh:path <x:p> ; sh:minInclusive 1 ."
    with pytest.raises(UnsupportedShapes, match="minInclusive only beside sh:datatype"):
        check_supported(Graph().parse(data=untyped_range, format="turtle"))


def test_build_falls_back_to_pyshacl_for_unsupported_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]):
    shapes = tmp_path / "release.ttl"
    shapes.write_text(UNSUPPORTED)
    monkeypatch.setattr(build, "RELEASE_SHAPES", shapes)
    minter = Minter()
    ctx = build.context(minter, ontology_graph(), reference_graph(minter), SEEDS_DIR, {})
    assert ctx.fast is None
    assert "fast validator does not support sh:or; validating with pySHACL" in capsys.readouterr().err
    # pySHACL now decides: a release whose headline is gone violates the sh:or
    ts = ctx.mapper.triples(ctx.extract(read_page(str(next(iter(expand([str(SEEDS_DIR)]))))), ctx.gazetteer))
    res = build.PageResult("seed")
    build._validate_chunk(ctx, [(res, [t for t in ts if t[1] != "<https://schema.org/headline>"])])
    assert res.stage == "validate" and "OrConstraintComponent" in res.violations[0]["constraint"]


def test_unknown_validator_name_is_refused():
    with pytest.raises(ValueError, match="unknown validator 'turbo'"):
        build._fast(Graph(), "turbo")


# ---- whole builds: byte-identical under both validators ----

def _kg_build(seeds: Path, out: Path, validator: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(seeds), "--out", str(out), "--quiet",
                           "--keep-going", "--jobs", "1", "--validator", validator],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


def test_builds_are_byte_identical_under_both_validators(tmp_path: Path):
    """The corpus and the seeds plus a page whose Source names no OSCE structure (rejected by validation)."""
    pages = tmp_path / "pages"
    shutil.copytree(SEEDS_DIR, pages)
    if CORPUS.is_dir():
        shutil.copytree(CORPUS, pages / "corpus")
    seed = sorted(p for p in SEEDS_DIR.iterdir() if p.suffix == ".txt")[-1]
    text = seed.read_text(encoding="utf-8")
    assert "OSCE Chairpersonship, OSCE Programme Office in Dushanbe" in text
    (pages / "zz_unknown_source.txt").write_text(
        text.replace("OSCE Chairpersonship, OSCE Programme Office in Dushanbe", "Ministry of Silly Walks")
            .replace("concludes visit", "concludes visit zz"), encoding="utf-8")
    outs = {}
    for validator in ("pyshacl", "fast"):
        run = _kg_build(pages, tmp_path / validator, validator)
        assert run.returncode == 0, run.stderr
        assert "rejected zz_unknown_source.txt [validate]: sourceOrganization MinCount" in run.stderr, run.stderr
        outs[validator] = tmp_path / validator
    for name in ("osce-kg.nt.gz", "osce-kg.trig", "osce-kg.ttl", "osce-kg.jsonld", "validation.ttl", "build.json",
                 "void.ttl", "SHA256SUMS"):
        assert (outs["fast"] / name).read_bytes() == (outs["pyshacl"] / name).read_bytes(), name
