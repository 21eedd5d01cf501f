"""Ingest + extraction benchmark: CPU seconds of ``kg.ingest.read_page`` and ``kg.extract.extract``.

``python bench/extract_bench.py [N ...] [--work DIR] [--baseline REV] [--rounds R]`` generates N
synthetic pages per N (``generate.py``; reused when DIR/pages-N is complete), then, in a fresh
process per measurement, reads every page (ingest) and extracts it (the gazetteer loaded once, outside
the timing), timing both in CPU seconds and each extraction stage. With ``--baseline REV`` the same
measurement runs on the code of git revision REV (exported to a temporary folder) alternately with the
working tree's, R rounds each, so both see the same machine load; the best round of each is reported.
The shared sample corpus (``../shared/corpus``) is measured too when present. Quality figures come with
the times: pages rejected, release ids published by more than one page, quotes with a speaker.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "docs"
STAGES = ("layout_of", "parse_dateline", "find_people", "find_quotes", "find_mentions", "find_topics",
          "join_sources", "release_place")


def measure(folder: str) -> dict[str, object]:
    """Ingest and extract every page under ``folder`` with the ``kg`` package on ``sys.path``."""
    import kg.extract as X
    from kg.gazetteer import Gazetteer
    from kg.ingest import expand, read_page

    paths = list(expand([folder]))
    gazetteer = Gazetteer.load()
    t = time.process_time()
    pages = [read_page(p) for p in paths]
    ingest_cpu = time.process_time() - t
    X.extract(pages[0], gazetteer)  # warm the per-gazetteer caches
    per_stage: dict[str, float] = defaultdict(float)
    originals = {name: getattr(X, name) for name in STAGES if hasattr(X, name)}

    def wrap(name: str):
        f = originals[name]

        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                per_stage[name] += time.perf_counter() - t0
        return run

    def extract_all() -> tuple[list[float], list, int]:
        times, records, failed = [], [], 0
        for page in pages:
            t0 = time.perf_counter()
            try:
                records.append(X.extract(page, gazetteer))
            except X.ExtractionError:
                failed += 1
            times.append(time.perf_counter() - t0)
        return times, records, failed

    t = time.process_time()
    times, records, failed = extract_all()  # unwrapped: the CPU figure
    extract_cpu = time.process_time() - t
    try:
        for name in originals:
            setattr(X, name, wrap(name))
        extract_all()
    finally:
        for name, f in originals.items():
            setattr(X, name, f)
    n = len(pages)
    ids = Counter(r.id for r in records)
    quotes = [q for r in records for q in r.quotes]
    return {"pages": n, "ingest_cpu_s": round(ingest_cpu, 3), "extract_cpu_s": round(extract_cpu, 3),
            "total_cpu_s": round(ingest_cpu + extract_cpu, 3),
            "extract_ms": {"mean": round(1000 * sum(times) / n, 3), "median": round(1000 * statistics.median(times), 3),
                           "p99": round(1000 * sorted(times)[int(0.99 * (n - 1))], 3),
                           "max": round(1000 * max(times), 3)},
            "stages_ms": {k: round(1000 * v / n, 3) for k, v in per_stage.items()},
            "rejected": failed, "duplicate_ids": sum(c - 1 for c in ids.values() if c > 1),
            "quotes": len(quotes), "quotes_with_speaker": sum(1 for q in quotes if q.speaker),
            "mean_chars": round(sum(len(p.text) for p in pages) / n)}


def run(code: Path, folder: Path) -> dict[str, object]:
    """``measure(folder)`` in a fresh process importing ``kg`` from ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, __file__, "--measure", str(folder)], env=env, cwd=code,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def export(rev: str, into: Path) -> Path:
    """The tree of git revision ``rev`` written under ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def best(rounds: list[dict[str, object]]) -> dict[str, object]:
    """The round with the least ingest + extract CPU, with every round's total listed."""
    top = min(rounds, key=lambda r: r["total_cpu_s"])
    return {**top, "total_cpu_s_rounds": [r["total_cpu_s"] for r in rounds]}


def compare(folder: Path, codes: dict[str, Path], rounds: int) -> dict[str, object]:
    results: dict[str, list] = {name: [] for name in codes}
    for _ in range(rounds):
        for name, code in codes.items():
            results[name].append(run(code, folder))
    return {name: best(r) for name, r in results.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="*", default=[2000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/osce-kg-bench"))
    ap.add_argument("--baseline", metavar="REV", help="git revision to compare the working tree with")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    with tempfile.TemporaryDirectory(prefix="extract-bench-") as tmp:
        codes = {"new": ROOT}
        if args.baseline:
            codes = {f"baseline {args.baseline}": export(args.baseline, Path(tmp)), **codes}
        result: dict[str, object] = {}
        for n in args.n:
            pages = args.work / f"pages-{n}"
            if sum(1 for _ in pages.glob("*.txt")) != n:
                generate.write(n, pages)
            result[f"generated-{n}"] = compare(pages, codes, args.rounds)
        if CORPUS.is_dir():
            result["corpus"] = compare(CORPUS, codes, args.rounds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
