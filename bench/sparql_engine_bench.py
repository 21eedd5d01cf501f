"""Per-query overhead of the SPARQL endpoint: pyoxigraph in-process vs the worker-pool engine vs HTTP.

    .venv/bin/python bench/sparql_engine_bench.py --data /tmp/kgbench/out-2000 --replicate 10 \
        --work /tmp/kgbench/sparql-20000 [--queries DIR] [--runs 20] [--json bench/results/sparql-engine.json]

``--replicate N`` writes a dataset N times the size of ``--data`` (the releases graph copied with renamed
release IRIs; ontology and reference graphs once) into ``--work`` and measures over that; without it the
build in ``--data`` is measured as is. Queries: ``--queries DIR/*.rq``, by default ``bench/queries-typical``
(entity lookups, a State's latest releases, the latest releases overall, class labels).
For each: the median and p95 of ``--runs`` runs (after one warm-up) (1) straight on a read-only store in
this process, (2) through ``EmbeddedEngine.query`` (pipe to a worker process, JSON serialised there),
(3) over HTTP to a ``kg serve`` subprocess with one keep-alive client.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from pyoxigraph import NamedNode, Quad, QueryBoolean, RdfFormat, Store, parse, serialize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import free_port, wait_http  # noqa: E402
from kg.serve.engine import EmbeddedEngine, resolve_source  # noqa: E402
from kg.store import TRIG_NAME  # noqa: E402
from results import save  # noqa: E402


def replicate(data: Path, copies: int, work: Path) -> Path:
    """``work/osce-kg.trig``: the releases of ``data`` ``copies`` times over, other graphs once."""
    work.mkdir(parents=True, exist_ok=True)
    target = work / TRIG_NAME
    if target.is_file():
        return work
    quads = list(parse(path=str(data / TRIG_NAME), format=RdfFormat.TRIG))
    out = []
    for q in quads:
        out.append(q)
        if not (q.graph_name.value if isinstance(q.graph_name, NamedNode) else "").endswith("graph/releases"):
            continue
        for k in range(1, copies):
            def rename(t, k=k):
                return NamedNode(t.value.replace("/id/release/", f"/id/release/c{k}-")) \
                    if isinstance(t, NamedNode) and "/id/release/" in t.value else t
            out.append(Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name))
    serialize(out, str(target), format=RdfFormat.TRIG)
    return work


def _consume(result) -> None:
    if not isinstance(result, QueryBoolean):
        list(result)


def stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples) * 1e3, 3),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))] * 1e3, 3)}


def timed(fn, runs: int) -> dict[str, float]:
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return stats(out)


async def timed_async(fn, runs: int) -> dict[str, float]:
    await fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - start)
    return stats(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--replicate", type=int, default=1)
    p.add_argument("--work", type=Path, default=Path("/tmp/kgbench/sparql-bench"))
    p.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries-typical")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--json", type=Path)
    args = p.parse_args()

    data = replicate(args.data, args.replicate, args.work) if args.replicate > 1 else args.data
    source = resolve_source(data)  # builds the store when needed
    store = Store.read_only(str(source.store))
    triples = len(store)
    queries = {q.stem: q.read_text(encoding="utf-8") for q in sorted(args.queries.glob("*.rq"))}
    results: dict[str, dict] = {name: {} for name in queries}

    for name, q in queries.items():
        results[name]["direct"] = timed(lambda q=q: _consume(store.query(q, use_default_graph_as_union=True)),
                                        args.runs)
    del store

    async def engine_runs() -> None:
        engine = await EmbeddedEngine(source, workers=2).start()
        try:
            for name, q in queries.items():
                results[name]["engine"] = await timed_async(lambda q=q: engine.query(q), args.runs)
        finally:
            await engine.close()

    asyncio.run(engine_runs())

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--data", str(data), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}/sparql"
        wait_http(endpoint, proc, 120)
        with httpx.Client(timeout=60) as client:
            for name, q in queries.items():
                results[name]["http"] = timed(lambda q=q: client.post(endpoint, data={"query": q}).raise_for_status(),
                                              args.runs)
    finally:
        proc.terminate()
        proc.wait(10)

    print(f"{triples} quads, {args.runs} runs per query; median / p95 in ms")
    print(f"{'query':40} {'direct':>15} {'engine':>15} {'http':>15}")
    for name, r in results.items():
        cells = [f"{r[k]['p50_ms']:7.2f} /{r[k]['p95_ms']:7.2f}" for k in ("direct", "engine", "http")]
        print(f"{name:40} " + " ".join(f"{c:>15}" for c in cells))
    for k in ("direct", "engine", "http"):
        print(f"median of the per-query medians, {k}: {statistics.median(r[k]['p50_ms'] for r in results.values()):.2f} ms")
    save({"quads": triples, "runs": args.runs, "queries": results}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
