"""``kg serve`` against the Oxigraph server on the same store, both running at once, in alternating rounds.

``python bench/overhead.py --data OUT [--rounds 6] [--seconds 5] [--kg-options '--cache-size 0'] [--json F]``

On a machine shared with other work the load changes from one minute to the next, so servers measured one
after the other (``query_bench.py``) are not measured under the same conditions. Here both servers run
for the whole run and take turns: each round drives the no-repeat mix (``bench/norepeat.py``) at
concurrency 1, then 16, against each server in turn (wrk, ``bench/loadgen.py``); the answers to a sample
of the mix are compared first. Reported: per round and over all rounds, requests/s and p50 of each, and
kg serve's ratios (requests/s ÷ Oxigraph's, p50 ÷ Oxigraph's); the median over rounds is the figure. Also
the CPU each server's process tree used (from ``/proc``): per request, and in cores while it was driven.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx

import loadgen
import norepeat
import servers
from results import answer, diff, save


def load(url: str, pid: int, mix: list[str], concurrency: int, seconds: float) -> dict[str, float]:
    """One wrk run, with the CPU the server's process tree used: per request, and in cores (CPU s ÷ wall s)."""
    cpu = servers.tree_cpu_s(pid)
    result = loadgen.run(url, mix, concurrency, seconds)
    cpu = servers.tree_cpu_s(pid) - cpu
    return {**result.summary(), "cpu_ms_per_request": round(1000 * cpu / max(1, result.requests), 2),
            "cores": round(cpu / result.seconds, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--rounds", type=int, default=6, help="alternating rounds (default: 6)")
    p.add_argument("--seconds", type=float, default=5.0, help="seconds per server and concurrency in a round")
    p.add_argument("--mix-size", type=int, default=4000, help="distinct queries in the mix (default: 4000)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--check", type=int, default=80, help="answers compared before measuring (default: 80)")
    p.add_argument("--kg-options", default="--cache-size 0", help="kg serve options (default: --cache-size 0)")
    p.add_argument("--logs", type=Path, default=Path("/tmp"))
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    mix = norepeat.mix(args.data / "store", args.mix_size, args.seed)
    with ExitStack() as stack:
        kg_base, kg_proc = stack.enter_context(servers.kg_serve(args.data, args.logs / "overhead-kg.log",
                                                                options=tuple(args.kg_options.split())))
        ox_url, ox_proc = stack.enter_context(servers.oxigraph_read_only(args.data / "store",
                                                                         args.logs / "overhead-ox.log"))
        urls = {"kg": kg_base + "/sparql", "oxigraph": ox_url}
        pids = {"kg": kg_proc.pid, "oxigraph": ox_proc.pid}
        with httpx.Client(timeout=60) as client:
            differ = {i: d for i, q in enumerate(mix[:args.check])
                      if (d := diff(answer(client, urls["kg"], q), answer(client, urls["oxigraph"], q)))}
        rounds = []
        for r in range(args.rounds):
            row = {c: {name: load(url, pids[name], mix, c, args.seconds) for name, url in urls.items()} for c in (1, 16)}
            rounds.append(row)
            print(f"round {r + 1}: " + ", ".join(
                f"c={c} " + ", ".join(f"{n} {row[c][n]['rps']} req/s p50 {row[c][n]['p50_ms']} ms "
                                      f"{row[c][n]['cpu_ms_per_request']} ms CPU/req {row[c][n]['cores']} cores"
                                      for n in urls) for c in (1, 16)),
                file=sys.stderr)
    ratio = {c: {"rps": statistics.median(r[c]["kg"]["rps"] / r[c]["oxigraph"]["rps"] for r in rounds),
                 "p50": statistics.median(r[c]["kg"]["p50_ms"] / r[c]["oxigraph"]["p50_ms"] for r in rounds)}
             for c in (1, 16)}
    errors = sum(r[c][n]["errors"] for r in rounds for c in (1, 16) for n in urls)
    cost = {c: {n: {k: statistics.median(r[c][n][k] for r in rounds) for k in ("cpu_ms_per_request", "cores")}
                for n in urls} for c in (1, 16)}
    print(f"| concurrency | kg serve req/s ÷ Oxigraph (median of {args.rounds} rounds) | kg serve p50 ÷ Oxigraph "
          "| CPU ms per request, kg / Oxigraph | cores used, kg / Oxigraph |")
    print("|---|---|---|---|---|")
    for c in (1, 16):
        print(f"| {c} | {ratio[c]['rps']:.2f}× | {ratio[c]['p50']:.2f}× | {cost[c]['kg']['cpu_ms_per_request']:.1f} / "
              f"{cost[c]['oxigraph']['cpu_ms_per_request']:.1f} | {cost[c]['kg']['cores']:.2f} / "
              f"{cost[c]['oxigraph']['cores']:.2f} |")
    print(f"differential ({args.check} answers): {'identical' if not differ else f'{len(differ)} differ'}; "
          f"failed requests: {errors}")
    save({"kg_options": args.kg_options, "mix_size": len(mix), "rounds": rounds, "ratio": ratio, "cpu": cost,
          "differ": differ, "errors": errors}, args.json)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
