"""Latency of the pages and linked-data responses of ``kg serve`` over a build.

``python bench/pages_bench.py --data DIR [--rounds N] [--json FILE]`` starts ``kg serve`` on a free
port, warms it up, then GETs each path ``N`` times one after another (one client) and reports the
median and 95th percentile. The paths are the landing page, the most mentioned State's page and
data, the latest release's page, the most quoted person's page (first and last page of quotations), a 303
from ``/id``, the query page and the dumps listing.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import launch  # noqa: E402  the tests' launcher: real kg serve, ready when it answers
from results import save  # noqa: E402

TOP_STATE = ("SELECT ?s (COUNT(?r) AS ?n) WHERE { ?r a <https://schema.org/NewsArticle> ; "
             "<https://schema.org/mentions> ?s . ?s a <https://w3id.org/osce-kg/ontology#ParticipatingState> } "
             "GROUP BY ?s ORDER BY DESC(?n) LIMIT 1")
LATEST = ("SELECT ?r WHERE { ?r a <https://schema.org/NewsArticle> ; <https://schema.org/datePublished> ?d } "
          "ORDER BY DESC(?d) LIMIT 1")
MOST_QUOTED = ("SELECT ?p (COUNT(?q) AS ?n) WHERE { ?q <https://schema.org/spokenByCharacter> ?p } "
               "GROUP BY ?p ORDER BY DESC(?n) LIMIT 1")


def first(client: httpx.Client, query: str) -> str:
    rows = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    return next(iter(rows.json()["results"]["bindings"][0].values()))["value"]


def paths(client: httpx.Client) -> dict[str, tuple[str, dict[str, str]]]:
    state, release, person = first(client, TOP_STATE), first(client, LATEST), first(client, MOST_QUOTED)
    quoted = int(client.post("/sparql", data={"query": MOST_QUOTED}, headers={"Accept": "application/sparql-results+json"})
                 .json()["results"]["bindings"][0]["n"]["value"])
    local = lambda iri: iri.split("/id/", 1)[1]  # noqa: E731
    return {
        "landing /": ("/", {}),
        "State page (most mentioned)": (f"/page/{local(state)}", {}),
        "State data .ttl": (f"/data/{local(state)}.ttl", {}),
        "release page (latest)": (f"/page/{local(release)}", {}),
        "person page (most quoted)": (f"/page/{local(person)}", {}),
        "person page, last quotations": (f"/page/{local(person)}?quotes={-(-quoted // 20)}", {}),
        "/id 303 (Accept: text/turtle)": (f"/id/{local(release)}", {"Accept": "text/turtle"}),
        "/query": ("/query", {}),
        "/dumps/": ("/dumps/", {}),
    }


def measure(client: httpx.Client, path: str, headers: dict[str, str], rounds: int) -> dict[str, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code in (200, 303), (path, r.status_code)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
            "bytes": len(r.content)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a build's output folder")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--json", type=Path, help="write the results here as JSON")
    args = p.parse_args()
    server = launch(args.data, Path(tempfile.mkstemp(suffix=".log")[1]))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            targets = paths(client)
            for path, headers in targets.values():
                measure(client, path, headers, 3)  # warm-up
            results = {name: measure(client, path, headers, args.rounds) for name, (path, headers) in targets.items()}
    finally:
        server.stop()
    releases = json.loads((args.data / "build.json").read_text())["counts"]
    report = {"data": str(args.data), "counts": releases, "rounds": args.rounds, "results": results}
    for name, r in results.items():
        print(f"{name:32} median {r['median_ms']:8.2f} ms   p95 {r['p95_ms']:8.2f} ms   {r['bytes']:>8} bytes")
    save(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
