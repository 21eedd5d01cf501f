"""CPU per query of the no-repeat mix in one process, warm: the engine alone, with Oxigraph's own JSON
writer, and through ``kg serve``'s worker answer path (``kg.serve.engine._answer``: rows to JSON in Python).

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
from kg.serve.engine import _answer, _Request


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--queries", type=int, default=400)
    args = p.parse_args(argv)
    mix = norepeat.mix(args.data / "store", args.queries)
    store = ox.Store.read_only(str(args.data / "store"))

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

    def worker_path(q: str) -> None:
        accept = GRAPH_FORMAT if query_form(q) in ("CONSTRUCT", "DESCRIBE") else SELECT_JSON
        _answer(store, _Request(q, accept, None, None, True, 100_000, None))

    for run in (evaluate, native, worker_path):  # warm the caches
        for q in mix[:80]:
            run(q)
    for run in (evaluate, native, worker_path):
        start = time.process_time()
        for q in mix:
            run(q)
        print(f"{run.__name__}: {(time.process_time() - start) * 1000 / len(mix):.2f} ms CPU per query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
