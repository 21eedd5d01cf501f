"""CPU per query of the no-repeat mix in one process, warm: the engine alone (rows iterated in Python),
with Oxigraph's own writers, and through ``kg serve``'s answer path (``kg.serve.engine._answer``), over the
build's data in memory and over its on-disk store.

``python bench/answer_cost.py --data OUT [--queries 400]`` — the floor ``bench/overhead.py``'s CPU per
request is compared with.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

import norepeat
from results import GRAPH_FORMAT, SELECT_JSON, query_form
from kg.serve.analysis import analyse
from kg.serve.engine import _answer, _Request, open_data, resolve_source


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--queries", type=int, default=400)
    args = p.parse_args(argv)
    mix = norepeat.mix(args.data / "store", args.queries)
    source = resolve_source(args.data)
    for kind in ("memory", "disk"):
        store = open_data(source, kind)
        for name, ms in cost(store, mix).items():
            print(f"{kind}: {name}: {ms:.2f} ms CPU per query")
    return 0


def cost(store: ox.Store, mix: list[str]) -> dict[str, float]:
    """CPU ms per query of ``mix`` on ``store``: each way of answering, after one warming pass."""

    def evaluate(q: str) -> None:
        r = store.query(q, use_default_graph_as_union=True)
        if not isinstance(r, ox.QueryBoolean):
            list(r)

    def native(q: str) -> None:
        r = store.query(q, use_default_graph_as_union=True)
        if isinstance(r, ox.QuerySolutions):
            r.serialize(format=ox.QueryResultsFormat.JSON)
        elif isinstance(r, ox.QueryTriples):
            r.serialize(format=ox.RdfFormat.N_TRIPLES)

    def server_path(q: str) -> None:
        accept = GRAPH_FORMAT if query_form(q) in ("CONSTRUCT", "DESCRIBE") else SELECT_JSON
        limit = analyse(q).limit
        _answer(store, _Request(q, accept, None, None, True, 100_000, None, limit is not None and limit <= 100_000))

    out = {}
    for run in (evaluate, native, server_path):
        for q in mix[:80]:  # warm the caches
            run(q)
        start = time.process_time()
        for q in mix:
            run(q)
        out[run.__name__] = (time.process_time() - start) * 1000 / len(mix)
    return out


if __name__ == "__main__":
    sys.exit(main())
