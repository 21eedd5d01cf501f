"""``/reconcile`` on a real ``kg serve`` over a build: the first request (the index is read from the store),
then batches of queries as OpenRefine sends them (10 names per batch by default), and the `kg link`
graph side (``kg.link.subjects``: what it would ask Wikidata about) in-process.

    .venv/bin/python bench/reconcile_bench.py --data /tmp/kgbench/out-20000 [--batches 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import kg_serve  # noqa: E402
from results import save  # noqa: E402

NAMES = ("Ian Borg", "Marc Perrin de Brichambaut", "Lamberto Zannier", "OSCE Mission to Skopje", "ODIHR",
         "Tajikistan", "Vienna", "Thomas Greminger", "UNHCR", "Kosovo", "Sinirlioglu", "High Commissioner")


def run(data: Path, batches: int, size: int) -> dict:
    from kg.link import subjects  # the graph side of kg link, in this process

    out: dict = {"data": str(data)}
    started = time.perf_counter()
    kinds = {k: 0 for k in ("person", "organisation", "place")}
    for s in subjects(ox.Store.read_only(str(data / "store"))):
        kinds[s.kind] += 1
    out["kg_link_subjects_s"], out["kg_link_subjects"] = round(time.perf_counter() - started, 2), kinds
    with tempfile.TemporaryDirectory() as work, kg_serve(data, Path(work) / "serve.log") as (base, _):
        with httpx.Client(base_url=base, timeout=120) as client:
            started = time.perf_counter()
            assert client.get("/reconcile").status_code == 200
            out["first_request_s"] = round(time.perf_counter() - started, 3)
            times = []
            for n in range(batches):
                batch = {f"q{i}": {"query": NAMES[(n + i) % len(NAMES)]} for i in range(size)}
                started = time.perf_counter()
                r = client.post("/reconcile", data={"queries": json.dumps(batch)})
                times.append(time.perf_counter() - started)
                assert r.status_code == 200 and len(r.json()) == size
            out["batch_size"] = size
            out["batch_ms"] = {"p50": round(1000 * statistics.median(times), 1),
                               "max": round(1000 * max(times), 1), "n": batches}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--size", type=int, default=10, help="queries per batch")
    p.add_argument("--json", type=Path, help="write the figures here too")
    args = p.parse_args()
    figures = run(args.data, args.batches, args.size)
    print(json.dumps(figures, indent=1))
    save(figures, args.json)


if __name__ == "__main__":
    main()
