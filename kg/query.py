"""``kg query``: run one SPARQL query against an endpoint (SPARQLWrapper) and print the answer.

The query is a string, ``@file`` or ``-`` (stdin); it is POSTed form-encoded, so long queries work.
SELECT and ASK print as an aligned table, SPARQL JSON results or CSV; CONSTRUCT and DESCRIBE print as
Turtle (table), JSON-LD (json) or N-Triples (csv). Any failure is one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import urllib.error
from pathlib import Path
from typing import Sequence

from SPARQLWrapper import CSV, JSON, JSONLD, POST, SPARQLWrapper, TURTLE, URLENCODED
from SPARQLWrapper.SPARQLExceptions import EndPointNotFound, SPARQLWrapperException

# --format → (SELECT/ASK return format, CONSTRUCT/DESCRIBE return format or Accept type)
FORMATS = {"table": (JSON, TURTLE), "json": (JSON, JSONLD), "csv": (CSV, "application/n-triples")}
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


class QueryFailed(Exception):
    """The one-line reason a query gave no answer."""


def main(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(run(read_query(args.query), args.endpoint, args.format))
    except QueryFailed as e:
        print(f"kg query: {e}", file=sys.stderr)
        return 1
    return 0


def read_query(source: str) -> str:
    """The query text of ``source``: itself, ``@file`` or ``-`` for stdin."""
    try:
        if source == "-":
            text = sys.stdin.read()
        elif source.startswith("@"):
            text = Path(source[1:]).read_text(encoding="utf-8")
        else:
            text = source
    except (OSError, UnicodeDecodeError) as e:
        raise QueryFailed(f"cannot read the query from {source}: {getattr(e, 'strerror', None) or e}") from None
    if not text.strip():
        raise QueryFailed("the query is empty")
    return text


def run(query: str, endpoint: str, output: str) -> str:
    """The printed answer to ``query`` at ``endpoint`` in ``output`` (table, json or csv)."""
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setMethod(POST)
    client.setRequestMethod(URLENCODED)
    client.setOnlyConneg(True)
    results_format, graph_format = FORMATS[output]
    graph = client.queryType in GRAPH_FORMS
    if graph and "/" in graph_format:
        client.setReturnFormat(TURTLE)  # replaced by the explicit Accept below
        client.addCustomHttpHeader("Accept", graph_format)
    else:
        client.setReturnFormat(graph_format if graph else results_format)
    try:
        body = client.query().response.read()
    except EndPointNotFound:
        raise QueryFailed(f"no SPARQL endpoint at {endpoint} (HTTP 404)") from None
    except SPARQLWrapperException as e:
        raise QueryFailed(_server_reason(str(e)) or type(e).__name__) from None
    except urllib.error.HTTPError as e:
        raise QueryFailed(f"HTTP {e.code}: {_first_line(e.read()) or e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise QueryFailed(f"cannot reach {endpoint}: {getattr(e, 'reason', e)}") from None
    text = body.decode("utf-8", errors="replace")
    if output == "table" and not graph:
        return table(json.loads(text))
    return text if text.endswith("\n") else text + "\n"


def aligned(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """``head``, a rule and ``rows`` as lines of left-aligned columns two spaces apart."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def table(results: dict) -> str:
    """SPARQL JSON results as an aligned text table (``true``/``false`` for ASK)."""
    if "boolean" in results:
        return ("true" if results["boolean"] else "false") + "\n"
    names = results["head"]["vars"]
    rows = [[row.get(n, {}).get("value", "") for n in names] for row in results["results"]["bindings"]]
    lines = aligned(names, rows)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _server_reason(message: str) -> str | None:
    """The server's own message inside a SPARQLWrapper exception ("...Response:\\nb'...'")."""
    m = re.search(r"Response:\n(b(['\"]).*\2)\s*$", message, re.DOTALL)
    if not m:
        return None
    try:
        return _first_line(ast.literal_eval(m.group(1)))
    except (ValueError, SyntaxError):
        return None


def _first_line(body: bytes) -> str:
    return next((line.strip() for line in body.decode("utf-8", errors="replace").splitlines() if line.strip()), "")
