"""Full-text search: ``/search.json`` latency against the same question as a SPARQL ``CONTAINS`` scan,
and what the index costs a build.

``python bench/search_bench.py --data DIR [--rounds N] [--baseline-rounds M] [--json FILE]`` starts
``kg serve --cache-size 0`` on the build in ``DIR`` (a separate process; no result cache, so every
SPARQL answer is computed), then, one request at a time over one keep-alive connection, asks
``/search.json`` (results and facet counts) for one-word, two-word and phrase queries ``N`` times each,
and the same questions ("the 20 newest releases whose headline or body contains the words") as SPARQL
``FILTER(CONTAINS(LCASE(...)))`` scans ``M`` times each. Reports p50/p99 per kind and the ratio of the
medians. With ``--index-cost``, it also times ``kg.search.write`` on the build's published releases (from
its ``build.json``) in this process: a new index, then one release changed (the previous index copied and
updated), as ``kg build`` does in its forked child.
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

from servers import kg_serve

from kg import search
from kg.gazetteer import Gazetteer
from kg.iris import Minter
from results import save

QUERIES = {
    "one word": ["border", "elections", "trafficking", "Tajikistan", "police", "media", "youth", "tolerance",
                 "gender", "Mongolia"],
    "two words": ["border police", "election observation", "human rights", "media freedom", "Roma Sinti",
                  "Kazakhstan elections", "Tajikistan border", "youth tolerance"],
    "phrase": ['"border management"', '"human rights"', '"rule of law"', '"freedom of the media"',
               '"civil society"', '"election observation"'],
}
SPARQL = """PREFIX schema: <https://schema.org/>
SELECT ?r ?date ?title WHERE {{
  ?r schema:headline ?title ; schema:articleBody ?body ; schema:datePublished ?date .
  FILTER({tests})
}} ORDER BY DESC(?date) LIMIT 20"""


def contains_query(q: str) -> str:
    """The search query as a SPARQL scan: every word (or the phrase) in the headline or the body."""
    words = [q.strip('"').lower()] if q.startswith('"') else q.lower().split()
    tests = " && ".join(f'(CONTAINS(LCASE(?title), "{w}") || CONTAINS(LCASE(?body), "{w}"))' for w in words)
    return SPARQL.format(tests=tests)


def timed(client: httpx.Client, method: str, url: str, **kwargs) -> tuple[float, httpx.Response]:
    t = time.perf_counter()
    response = client.request(method, url, **kwargs)
    elapsed = time.perf_counter() - t
    response.raise_for_status()
    return elapsed, response


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"n": len(times), "p50_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
            "max_ms": round(times[-1] * 1000, 2)}


def index_cost(data: Path) -> dict[str, float]:
    """Seconds ``search.write`` takes for every release of the build, then for one changed release."""
    info = json.loads((data / "build.json").read_text(encoding="utf-8"))
    rejected = {r["path"] for r in info["rejected"]}
    releases = [(f"{sha} {p['path']}", f"{info['base']}id/release/{p['release']['id']}",
                 json.dumps(p["release"]).encode()) for sha, p in sorted(info["pages"].items())
                if p["path"] not in rejected and p["release"]]
    minter = Minter(info["base"])

    def names() -> search.Names:
        return search.Names.of(Gazetteer.load(minter), minter.base)

    names()  # the gazetteer is the build's already: not timed
    out: dict[str, float] = {"releases": len(releases)}
    with tempfile.TemporaryDirectory() as tmp:
        full, changed = Path(tmp) / "full.sqlite", Path(tmp) / "changed.sqlite"
        t = time.perf_counter()
        search.write(full, releases, "bench", names)
        out["full_s"] = round(time.perf_counter() - t, 3)
        key, iri, record = releases[len(releases) // 2]
        edited = json.loads(record)
        edited["paragraphs"].append("The benchmark changed this paragraph.")
        releases[len(releases) // 2] = (key + "-changed", iri, json.dumps(edited).encode())
        t = time.perf_counter()
        written = search.write(changed, releases, "bench", names, previous=full)
        out["one_changed_s"] = round(time.perf_counter() - t, 3)
        assert (written.added, written.removed) == (1, 1), written
        out["size_mb"] = round(full.stat().st_size / 1e6, 1)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a kg build's output folder")
    p.add_argument("--rounds", type=int, default=30, help="times each /search.json query is asked")
    p.add_argument("--baseline-rounds", type=int, default=2, help="times each SPARQL scan is asked")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--index-cost", action="store_true", help="also time writing the index (new, one change)")
    args = p.parse_args()
    out: dict = {"data": str(args.data), "search": {}, "sparql_contains": {}, "hits": {}}
    if args.index_cost:
        out["index_cost"] = index_cost(args.data)
        print(f"index: {out['index_cost']}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, \
            kg_serve(args.data, Path(tmp) / "serve.log", options=("--cache-size", "0", "--timeout", "120")) as (url, _), \
            httpx.Client(base_url=url, timeout=300) as client:
        for kind, queries in QUERIES.items():
            for q in queries:  # warm-up: the index's catalogue, the OS cache
                out["hits"][q] = timed(client, "GET", "/search.json", params={"q": q})[1].json()["total"]
            times = [timed(client, "GET", "/search.json", params={"q": q})[0]
                     for _ in range(args.rounds) for q in queries]
            out["search"][kind] = summary(times)
            scans = [timed(client, "POST", "/sparql", data={"query": contains_query(q)},
                           headers={"Accept": "application/sparql-results+json"})[0]
                     for _ in range(args.baseline_rounds) for q in queries]
            out["sparql_contains"][kind] = summary(scans)
            ratio = out["sparql_contains"][kind]["p50_ms"] / out["search"][kind]["p50_ms"]
            out["search"][kind]["speed-up_p50"] = round(ratio, 1)
            print(f"{kind:10} /search.json p50 {out['search'][kind]['p50_ms']:7.2f} ms  p99 "
                  f"{out['search'][kind]['p99_ms']:7.2f} ms | SPARQL CONTAINS p50 "
                  f"{out['sparql_contains'][kind]['p50_ms']:9.1f} ms | {ratio:,.0f}x", file=sys.stderr)
    print(json.dumps(out, indent=1))
    save(out, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
