"""Map and validate a build's release records, old way and new way, in one run (CPU seconds, one core).

``python bench/map_validate_bench.py BUILD_JSON [--old-rev REV] [--json OUT]`` reads the release records
of a ``kg build`` output's ``build.json`` (so extraction is not part of the measurement) and times:

- mapping: the mapper of git revision ``--old-rev`` (rdflib terms, rdflib's N-Triples writer, then a
  pyoxigraph parse and serialise to canonicalise each release) against today's ``kg.map`` (canonical
  N-Triples lines written directly, reference-held lines left out); and ``Release.to_json``, which the
  build's map stage also runs;
- validation, in chunks of ``kg.build.CHUNK`` releases as the build's workers do: pySHACL on each chunk
  (``--validator pyshacl``) against shacl-rust screening each chunk with pySHACL on the flagged releases
  only (``--validator fast``); both must reject the same releases. ``--bad-every K`` gives every K-th
  record a Source field that names no OSCE structure, so that it is rejected (the generated pages all
  conform), to include the cost of reporting flagged releases.

Figures: bench/README.md and docs/validate.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable

import pyoxigraph as ox

from kg import build
from kg.iris import Minter
from kg.map import line
from kg.paths import ROOT
from kg.record import Release
from kg.reference import ontology_graph, reference_graph
from results import save


def _old_map(rev: str) -> types.ModuleType:
    """``kg/map.py`` as it was at ``rev``, loaded as a module of its own."""
    source = subprocess.run(["git", "show", f"{rev}:kg/map.py"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    module = types.ModuleType("kg_map_old")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:kg/map.py", "exec"), module.__dict__)
    return module


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_json", type=Path, help="build.json of a kg build output")
    ap.add_argument("--old-rev", default="e52793c", help="git revision of the old mapper (default: %(default)s)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--bad-every", type=int, default=0, metavar="K", help="make every K-th release invalid")
    args = ap.parse_args()

    doc = json.loads(args.build_json.read_text())
    minter = Minter(doc["base"])
    ctx = build.context(minter, ontology_graph(), reference_graph(minter), ROOT, {})
    records = [Release.from_json(p["release"]) for p in doc["pages"].values() if p["release"]]
    if args.bad_every:
        records = [replace(r, sources=["Ministry of Silly Walks"]) if i % args.bad_every == 0 else r
                   for i, r in enumerate(records)]
    n = len(records)
    print(f"{n} release records from {args.build_json}")

    old = _old_map(args.old_rev)
    old_mapper = old.Mapper(**{f.name: getattr(ctx.mapper, f.name) for f in fields(old.Mapper)})

    def map_old() -> list[str]:
        return [ox.serialize(ox.parse(old.ntriples(old_mapper.triples(r)), format=ox.RdfFormat.N_TRIPLES),
                             format=ox.RdfFormat.N_TRIPLES).decode("utf-8") for r in records]

    known = ctx.reference_lines

    def map_new() -> list[list[build.Triple]]:
        out = []
        for r in records:
            triples = ctx.mapper.triples(r)
            "".join(text for text in map(line, triples) if text not in known)
            out.append(triples)
        return out

    figures: dict[str, float] = {}
    figures["map old"], _ = _cpu(map_old)
    figures["map new"], mapped = _cpu(map_new)
    figures["to_json"], _ = _cpu(lambda: [r.to_json() for r in records])

    def validate_with(fast: Any) -> list[int]:
        c = replace(ctx, fast=fast)
        results = [build.PageResult(str(i)) for i in range(n)]
        pairs = list(zip(results, mapped))
        for i in range(0, n, build.CHUNK):
            build._validate_chunk(c, pairs[i:i + build.CHUNK])
        return [i for i, r in enumerate(results) if r.stage == "validate"]

    figures["validate pyshacl"], rejected_pyshacl = _cpu(lambda: validate_with(None))
    figures["validate fast"], rejected_fast = _cpu(lambda: validate_with(ctx.fast))
    assert rejected_fast == rejected_pyshacl, "the validators rejected different releases"

    for key, seconds in figures.items():
        print(f"{key:<18} {seconds:8.2f} s CPU  {1000 * seconds / n:6.3f} ms/release")
    print(f"mapping {figures['map old'] / figures['map new']:.1f}x faster, "
          f"validation {figures['validate pyshacl'] / figures['validate fast']:.1f}x faster; "
          f"map + validate {figures['map new'] + figures['validate fast']:.2f} s "
          f"(+ to_json {figures['to_json']:.2f} s); {len(rejected_fast)} releases rejected by both")
    save({"releases": n, "old_rev": args.old_rev, "bad_every": args.bad_every,
         "cpu_seconds": figures, "rejected": len(rejected_fast)}, args.json)


if __name__ == "__main__":
    sys.exit(main())
