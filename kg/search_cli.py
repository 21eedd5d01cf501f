"""``kg search``: the text index asked from the command line, in a build folder or on a server.

``--data DIR`` reads ``DIR/search/index.sqlite`` directly; ``--endpoint URL`` asks a ``kg serve``'s
``/search.json``. Both print the same: an aligned table (date, title, place, source, the matching
passage) or the JSON of ``/search.json``. A bad query or an unreachable index is one line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kg import search
from kg.query import aligned


def main(args: argparse.Namespace) -> int:
    try:
        filters = tuple(_filter(f) for f in args.filter)
        query = search.Query(args.query, filters, args.sort, args.page, args.size)
        data = _remote(args.endpoint, query) if args.endpoint else _local(Path(args.data), query)
    except search.SearchError as e:
        print(f"kg search: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n" if args.format == "json" else table(data))
    return 0


def _filter(text: str) -> tuple[str, str]:
    facet, sep, value = text.partition("=")
    if not sep or not value:
        raise search.SearchError(f"--filter takes FACET=VALUE (e.g. year=2024, country=country/tajikistan), not {text!r}")
    return facet, value


def _local(data: Path, query: search.Query) -> dict[str, Any]:
    con, cat = search.open_index(data / search.INDEX)
    try:
        return search.as_json(search.search(con, cat, query))
    finally:
        con.close()


def _remote(endpoint: str, query: search.Query) -> dict[str, Any]:
    import httpx

    url = endpoint.rstrip("/").removesuffix("/sparql").removesuffix("/search.json") + "/search.json"
    params = [("q", query.q), *query.filters, ("sort", query.sort), ("page", str(query.page)), ("size", str(query.size))]
    try:
        response = httpx.get(url, params=params, timeout=30)
    except httpx.HTTPError as e:
        raise search.SearchError(f"cannot reach {url}: {e}") from None
    if response.status_code != 200:
        raise search.SearchError(f"HTTP {response.status_code} from {url}: {response.text.strip()[:300]}")
    return response.json()


def table(data: dict[str, Any]) -> str:
    """Results as aligned text: one line per release, its matching passage indented below it."""
    rows = [(r["date"], _cut(r["title"], 80), r["place"] or "", _cut(r["sources"], 40)) for r in data["results"]]
    header, rule, *body = aligned(("date", "title", "place", "source"), rows)
    lines = [header, rule]
    for line, r in zip(body, data["results"]):
        lines.append(line)
        snippet = _plain(r["snippet"])
        if snippet:
            lines.append("    " + _cut(snippet, 150))
    q = data["query"]
    lines.append(f"({data['total']} release{'s' if data['total'] != 1 else ''}; page {q['page']} of {data['pages']})")
    return "\n".join(lines) + "\n"


def _plain(html: str) -> str:
    from html import unescape
    return unescape(html.replace("<mark>", "*").replace("</mark>", "*"))


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
