"""Query benchmark: the query page's example queries against three servers of the same build.

``python bench/query_bench.py --data OUT [--queries DIR | --mix norepeat] [--duration S] [--servers kg,kg-nocache,oxigraph,rdflib]``
starts, one after the other, ``kg serve`` over ``OUT`` (as users get it, and with ``--cache-size 0``: the
engine's own speed), ``oxigraph serve-read-only`` over ``OUT/store``
(union default graph) and rdflib-endpoint over ``OUT/osce-kg.trig``. For each it records start-up
time (spawn to first answer) and memory, checks every query's answer against ``kg serve``'s
(differential check), then drives the mix from this separate process at concurrency 1 and 16
(wrk, ``bench/loadgen.py``) and reports p50/p99 latency, requests/s and the ratios between servers.

``--mix norepeat`` drives ``--mix-size`` distinct queries instead (``bench/norepeat.py``: eight shapes,
each with a random State, year, date or word; ``--seed``), so that no result cache can answer; the
differential check then covers the first ``--check`` of them (the same number of each shape).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

import loadgen
import norepeat
import servers
from results import answer, diff, save

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIRS = ("ontology/queries", "kg/serve/examples", "queries")
KG_VARIANTS = {"kg": (), "kg-nocache": ("--cache-size", "0")}  # kg serve as users get it, and without its cache
FIRST_ANSWER_LIMIT = 60.0  # seconds the differential check waits for one answer (rdflib-endpoint has no limit)


def find_queries(folder: Path | None) -> dict[str, str]:
    """The example queries (``*.rq``), by file stem, from ``folder`` or the first known folder that has them."""
    for d in ([folder] if folder else [ROOT / q for q in QUERY_DIRS]):
        files = sorted(d.glob("*.rq")) if d and d.is_dir() else []
        if files:
            return {f.stem: f.read_text(encoding="utf-8") for f in files}
    raise SystemExit(f"query_bench: no *.rq queries in {folder or ', '.join(QUERY_DIRS)}")


def launch(name: str, data: Path, stack: ExitStack, logs: Path, kg_options: tuple[str, ...] = ()) -> tuple[str, int]:
    """Start one server (``kg serve`` with ``kg_options``); returns its query URL and pid."""
    if name in KG_VARIANTS:
        options = kg_options + KG_VARIANTS[name]
        base, proc = stack.enter_context(servers.kg_serve(data, logs / f"{name}.log", options=options))
        return base + "/sparql", proc.pid
    if name == "oxigraph":
        url, proc = stack.enter_context(servers.oxigraph_read_only(data / "store", logs / "oxigraph.log"))
        return url, proc.pid
    if name == "rdflib":
        url, proc = stack.enter_context(servers.rdflib_endpoint(data / "osce-kg.trig", logs / "rdflib-endpoint.log"))
        return url, proc.pid
    raise SystemExit(f"query_bench: unknown server {name!r}")


def measure(name: str, data: Path, queries: dict[str, str], duration: float, logs: Path,
            reference: dict[str, object] | None, kg_options: tuple[str, ...] = (),
            checked: int | None = None) -> tuple[dict, dict[str, object]]:
    """Start ``name``, check the answers to the first ``checked`` queries (all by default) against
    ``reference``, then drive every query at c=1 and c=16."""
    with ExitStack() as stack:
        t0 = time.perf_counter()
        url, pid = launch(name, data, stack, logs, kg_options)
        startup = time.perf_counter() - t0
        rss_start = servers.tree_rss_mib(pid)
        answers, mismatches, per_query = {}, {}, {}
        with httpx.Client(timeout=FIRST_ANSWER_LIMIT) as client:
            for qname, q in list(queries.items())[:checked]:
                t = time.perf_counter()
                try:
                    answers[qname] = answer(client, url, q)
                except httpx.HTTPError as e:
                    answers[qname] = f"error: {e}"
                per_query[qname] = round((time.perf_counter() - t) * 1000, 2)
                if reference is not None and (d := diff(reference[qname], answers[qname])):
                    mismatches[qname] = d
        if len(per_query) <= 20:
            print(f"query_bench: {name} first answers (ms): {per_query}", file=sys.stderr)
        mix = list(queries.values())
        loads = [loadgen.run(url, mix, c, duration, timeout=FIRST_ANSWER_LIMIT).summary() for c in (1, 16)]
        result = {"server": name + (f" {' '.join(kg_options)}" if name in KG_VARIANTS and kg_options else ""),
                  "startup_s": round(startup, 2), "rss_after_start_mib": round(rss_start),
                  "peak_rss_mib": round(servers.tree_rss_mib(pid, "VmHWM")), "first_answer_ms": per_query,
                  "load": loads, "mismatches": mismatches}
    return result, answers


def table(results: list[dict]) -> str:
    """A markdown table of ``results``, with each kg serve variant's c=16 requests/s divided by each server's."""
    kgs = [r for r in results if r["server"].split()[0] in KG_VARIANTS]
    head = "| server | start (s) | RSS (MiB) | c=1 p50 / p99 (ms) | c=1 req/s | c=16 p50 / p99 (ms) | c=16 req/s "
    head += "".join(f"| {k['server'].split()[0]} ÷ this at c=16 " for k in kgs) + "| differential |"
    lines = [head, "|---" * (8 + len(kgs)) + "|"]
    for r in results:
        one, many = r["load"]
        ratios = "".join(f"| {k['load'][1]['rps'] / many['rps']:.2f}× " if many["rps"] else "| – " for k in kgs)
        lines.append(f"| {r['server']} | {r['startup_s']} | {r['peak_rss_mib']} | {one['p50_ms']} / {one['p99_ms']} "
                     f"| {one['rps']} | {many['p50_ms']} / {many['p99_ms']} | {many['rps']} {ratios}"
                     f"| {len(r['mismatches']) or 'identical'}{' differ' if r['mismatches'] else ''} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--queries", type=Path, help="folder of *.rq files (default: the query page's examples)")
    p.add_argument("--mix", choices=("examples", "norepeat"), default="examples",
                   help="the example queries (default), or distinct queries no cache can answer (bench/norepeat.py)")
    p.add_argument("--mix-size", type=int, default=4000, help="how many distinct queries --mix norepeat makes")
    p.add_argument("--seed", type=int, default=13, help="random seed of --mix norepeat (default: 13)")
    p.add_argument("--check", type=int, default=80, help="--mix norepeat: how many answers the differential "
                                                         "check compares (default: 80, ten of each shape)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per concurrency level (default: 10)")
    p.add_argument("--servers", default="kg,kg-nocache,oxigraph,rdflib",
                   help="of kg, kg-nocache (kg serve --cache-size 0), oxigraph, rdflib (default: all)")
    p.add_argument("--exclude", default="", help="comma-separated query names to leave out of the mix")
    p.add_argument("--kg-options", default="", help="more kg serve options, e.g. '--workers 3 --cache-size 0'")
    p.add_argument("--logs", type=Path, default=Path("/tmp"), help="where server logs go")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    if args.mix == "norepeat":
        queries = {f"q{i:05d}": q for i, q in enumerate(norepeat.mix(args.data / "store", args.mix_size, args.seed))}
    else:
        queries = find_queries(args.queries)
    excluded = set(filter(None, args.exclude.split(",")))
    if excluded - set(queries):
        p.error(f"unknown queries in --exclude: {sorted(excluded - set(queries))}")
    queries = {k: v for k, v in queries.items() if k not in excluded}
    names = args.servers.split(",")
    if "kg" in names:  # the reference answers come from kg serve (else from the first server)
        names = ["kg"] + [n for n in names if n != "kg"]
    results, reference = [], None
    for name in names:
        print(f"query_bench: {name} ...", file=sys.stderr)
        result, answers = measure(name, args.data, queries, args.duration, args.logs, reference,
                                  tuple(args.kg_options.split()), args.check if args.mix == "norepeat" else None)
        reference = reference or answers
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    print(table(results))
    for r in results:
        for q, d in r["mismatches"].items():
            print(f"- {r['server']} differs from {names[0]} on {q}: {d}")
    save({"mix": args.mix, "queries": len(queries) if args.mix == "norepeat" else list(queries), "results": results},
         args.json)
    return 1 if any(r["mismatches"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
