"""Extraction benchmark: milliseconds per page for ``kg.extract.extract`` on one core.

``python bench/extract_bench.py [N] [--work DIR]`` generates N synthetic pages (``generate.py``, all
page forms; reused when DIR/pages-N is complete), reads them, then times ``extract`` page by page
(the gazetteer loaded once, outside the timing) and per stage. The shared sample corpus
(``../shared/corpus``) is timed too when present. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import generate

import kg.extract as X
from kg.gazetteer import Gazetteer
from kg.ingest import expand, read_page

STAGES = ("layout_of", "parse_dateline", "find_people", "find_quotes", "find_mentions", "find_topics",
          "join_sources", "release_place")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "docs"


def timed(paths: list[str], gazetteer: Gazetteer) -> dict[str, object]:
    pages = [read_page(p) for p in paths]
    X.extract(pages[0], gazetteer)  # warm the per-gazetteer caches
    per_stage: dict[str, float] = defaultdict(float)
    originals = {name: getattr(X, name) for name in STAGES}

    def wrap(name: str):
        f = originals[name]

        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                per_stage[name] += time.perf_counter() - t
        return run

    times, failed = [], 0
    try:
        for name in STAGES:
            setattr(X, name, wrap(name))
        for page in pages:
            t = time.perf_counter()
            try:
                X.extract(page, gazetteer)
            except X.ExtractionError:
                failed += 1
            times.append(time.perf_counter() - t)
    finally:
        for name, f in originals.items():
            setattr(X, name, f)
    n = len(pages)
    return {"pages": n, "rejected": failed, "mean_ms": round(1000 * sum(times) / n, 3),
            "median_ms": round(1000 * statistics.median(times), 3),
            "p99_ms": round(1000 * sorted(times)[int(0.99 * (n - 1))], 3),
            "mean_bytes": round(sum(len(p.text) for p in pages) / n),
            "stages_ms": {k: round(1000 * v / n, 3) for k, v in per_stage.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=2000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/osce-kg-bench"))
    args = ap.parse_args()
    pages = args.work / f"pages-{args.n}"
    if len(list(pages.glob("*.txt"))) != args.n:
        generate.write(args.n, pages)
    gazetteer = Gazetteer.load()
    result = {"generated": timed(sorted(map(str, pages.glob("*.txt"))), gazetteer)}
    if CORPUS.is_dir():
        result["corpus"] = timed(list(expand([str(CORPUS)])), gazetteer)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
