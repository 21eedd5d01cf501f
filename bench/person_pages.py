"""A person's page at first request (no cached answer) on this checkout's ``kg serve`` and another checkout's.

``python bench/person_pages.py --data DIR --baseline CHECKOUT [--people 8] [--json FILE]`` starts two
servers on the same build (this checkout's code and ``CHECKOUT``'s, e.g. the main branch before person pages
had roles and quotations), then GETs the pages of the most quoted people once on each, which server goes
first alternating per person (the first to touch the store's files pays the disk reads), and reports the
medians and their ratio: what the roles and quotations sections cost on a cold page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import conftest  # noqa: E402  the tests' launcher: real kg serve, ready when it answers
from results import save  # noqa: E402

MOST_QUOTED = ("SELECT ?p (COUNT(?q) AS ?n) WHERE {{ ?q <https://schema.org/spokenByCharacter> ?p }} "
               "GROUP BY ?p ORDER BY DESC(?n) LIMIT {limit}")


def start(checkout: Path, data: Path) -> conftest.Server:
    """``kg serve`` run from ``checkout`` (``python -m kg.cli`` imports the code of its working folder)."""
    conftest.ROOT = checkout
    return conftest.launch(data, Path(tempfile.mkstemp(suffix=".log")[1]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--baseline", type=Path, required=True, help="another checkout of the project to compare with")
    p.add_argument("--people", type=int, default=8)
    p.add_argument("--json", type=Path, help="write the results here as JSON")
    args = p.parse_args()
    servers = {"this": start(Path(__file__).resolve().parents[1], args.data), "baseline": start(args.baseline, args.data)}
    rows, times = [], {name: [] for name in servers}
    try:
        people = httpx.post(servers["this"].endpoint, data={"query": MOST_QUOTED.format(limit=args.people)},
                            headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
        for i, person in enumerate(people):
            path = "/page/" + person["p"]["value"].split("/id/", 1)[1]
            row = {"path": path, "quotations": int(person["n"]["value"])}
            for name in (list(servers) if i % 2 == 0 else list(reversed(servers))):
                start_at = time.perf_counter()
                assert httpx.get(servers[name].url + path, timeout=120).status_code == 200, path
                row[name + "_ms"] = round((time.perf_counter() - start_at) * 1000, 1)
                times[name].append(row[name + "_ms"])
            rows.append(row)
            print(f"{path:48} {row['quotations']:6} quotations  this {row['this_ms']:8.1f} ms  "
                  f"baseline {row['baseline_ms']:8.1f} ms")
    finally:
        for server in servers.values():
            server.stop()
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["this"] / medians["baseline"]
    print(f"median: this {medians['this']:.0f} ms, baseline {medians['baseline']:.0f} ms, ratio {ratio:.2f}")
    save({"data": str(args.data), "people": rows, "medians_ms": medians, "ratio": round(ratio, 2)}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
