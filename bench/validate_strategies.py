"""Compare SHACL validation strategies for kg build: whole graph, one release at a time, batches.

``python bench/validate_strategies.py N [--batch 100]`` generates N synthetic pages (bench/generate.py),
extracts and maps them with the real pipeline, then validates the mapped releases against
``shapes/release.ttl`` or ``--shapes`` (plus the reference typing the build adds) three ways, one core, and prints
seconds and ms per release. Figures are recorded in docs/build.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from rdflib import Graph

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402  (bench/generate.py)

from kg import build  # noqa: E402
from kg.ingest import page_from_bytes  # noqa: E402
from kg.iris import DEFAULT_BASE, Minter  # noqa: E402
from kg.reference import ontology_graph, reference_graph  # noqa: E402
from kg.validate import validate  # noqa: E402


def _mapped(n: int, shapes: Path) -> tuple[list[list[build.Triple]], build.Context]:
    minter = Minter(DEFAULT_BASE)
    ctx = build.context(minter, ontology_graph(), reference_graph(minter), Path("."), {})
    ctx = replace(ctx, shapes=Graph().parse(shapes))
    releases = []
    for name, text in generate.generate(n):
        try:
            rec = ctx.extract(page_from_bytes(name, text.encode()), ctx.gazetteer)
        except Exception:  # pages the extractor refuses are not part of this measurement
            continue
        releases.append(ctx.mapper.triples(rec))
    return releases, ctx


def _time(label: str, n: int, fn) -> None:
    t = time.perf_counter()
    failing = fn()
    dt = time.perf_counter() - t
    print(f"{label:<28} {dt:8.2f} s  {1000 * dt / n:6.2f} ms/release  ({failing} failing)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--batch", type=int, default=build.CHUNK)
    ap.add_argument("--shapes", type=Path, default=build.RELEASE_SHAPES, help="shapes file (default: shapes/release.ttl)")
    args = ap.parse_args()
    releases, ctx = _mapped(args.n, args.shapes)
    n = len(releases)
    print(f"{n} releases, {sum(map(len, releases))} triples")

    def flat(group: list[list[build.Triple]]) -> list[build.Triple]:
        return [t for ts in group for t in ts]

    def whole() -> int:
        return len({v.focus for v in validate(build._graph(ctx, flat(releases)), ctx.shapes).violations})

    def each() -> int:
        return sum(not validate(build._graph(ctx, ts), ctx.shapes).conforms for ts in releases)

    def batched() -> int:
        return sum(not validate(build._graph(ctx, flat(releases[i:i + args.batch])), ctx.shapes).conforms
                   for i in range(0, n, args.batch))

    _time("whole graph", n, whole)
    _time("per release", n, each)
    _time(f"batches of {args.batch}", n, batched)


if __name__ == "__main__":
    main()
