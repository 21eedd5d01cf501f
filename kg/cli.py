"""The ``kg`` command: one subcommand per job. Each delegates to its stage module."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path

from kg import __version__
from kg.iris import base_from_env
from kg.paths import OUTPUT_DIR, REFERENCE_DIR, SEEDS_DIR
from kg.serve.settings import DEFAULT_WORKERS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="OSCE press releases as a linked-data knowledge graph.")
    p.add_argument("--version", action="version", version=f"osce-kg {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    x = sub.add_parser("extract", help="extract release records from pages (JSON Lines on stdout)",
                       description="Read release pages (text snapshots or HTML; files, folders or - for stdin) "
                                   "and print one JSON record per release. Errors go to stderr, one line per input. "
                                   "Exit 0 when every input was read, 1 when some failed.")
    x.add_argument("paths", nargs="+", metavar="PATH", help="a page, a folder (read recursively) or - for stdin")
    x.set_defaults(handler="kg.extract:main")

    b = sub.add_parser("build", help="build, validate and publish the graph",
                       description="ingest → extract → map → validate → publish: dumps, VoID/DCAT, validation "
                                   "report and ontology docs into the output folder (swapped in atomically).")
    b.add_argument("--seeds", type=Path, default=SEEDS_DIR, help="folder of input pages (default: seeds/)")
    b.add_argument("--out", type=Path, default=OUTPUT_DIR, help="output folder (default: output/)")
    b.add_argument("--base", default=base_from_env(), help="base IRI of the data (default: $KG_BASE or %(default)s)")
    b.add_argument("--keep-going", action="store_true", help="exit 0 even when some releases were rejected")
    b.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--validator", choices=["fast", "pyshacl"], default="fast",
                   help="screen releases with the fast SHACL engine and report with pySHACL (fast, default), "
                        "or validate everything with pySHACL")
    b.set_defaults(handler="kg.build:main")

    s = sub.add_parser("serve", help="serve the published graph: SPARQL endpoint, linked data, query page",
                       description="Serve the graph built into --data over HTTP (FastAPI on uvicorn).")
    s.add_argument("--data", type=Path, default=OUTPUT_DIR, help="a build's output folder (default: output/)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    s.add_argument("--timeout", type=float, default=10.0, help="per-query time limit in seconds (default: 10)")
    s.add_argument("--max-results", type=int, default=100_000, help="result cap per query (default: 100000)")
    s.add_argument("--backend", default=None, metavar="URL",
                   help="answer from this external SPARQL endpoint instead of the embedded store")
    s.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="query threads (default: %(default)s)")
    s.add_argument("--store", choices=["memory", "disk"], default="memory",
                   help="hold the data in memory (fastest), or query the build's on-disk store (least memory) "
                        "(default: memory)")
    s.add_argument("--cache-size", default="128M", metavar="SIZE",
                   help="result cache bound, e.g. 64M or 1G; 0 disables it (default: 128M)")
    s.add_argument("--poll", type=float, default=0.5, metavar="SECONDS",
                   help="check the data folder for a new build this often; 0: never, only at SIGHUP (default: 0.5)")
    s.add_argument("--max-body", default="2M", metavar="SIZE", help="largest request body, else 413 (default: 2M)")
    s.add_argument("--max-url", default="16k", metavar="SIZE", help="longest request URL, else 414 (default: 16k)")
    s.add_argument("--max-head", default="64k", metavar="SIZE",
                   help="largest request line + headers, else 431 (default: 64k)")
    s.add_argument("--max-query", default="1M", metavar="SIZE",
                   help="longest query in characters, else 400 (default: 1M)")
    s.add_argument("--max-depth", type=int, default=100,
                   help="deepest nesting of brackets in a query, else 400 (default: 100)")
    s.add_argument("--client-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="time a client has to send a request's head, and its body (default: 30)")
    s.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True,
                   help="log each request (default: on; --no-access-log saves CPU under heavy load)")
    s.add_argument("--shutdown-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="at SIGTERM, time running requests have to finish (default: 60)")
    s.set_defaults(handler="kg.serve:main")

    q = sub.add_parser("query", help="run a SPARQL query against an endpoint (SPARQLWrapper)",
                       description="Run a SPARQL query (a string, @file, or - for stdin) and print the result.")
    q.add_argument("query", help="the query text, @FILE, or - to read it from stdin")
    q.add_argument("--endpoint", default="http://127.0.0.1:8000/sparql", help="SPARQL endpoint (default: %(default)s)")
    q.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="table (aligned text), json (SPARQL JSON / JSON-LD) or csv (default: table)")
    q.set_defaults(handler="kg.query:main")

    k = sub.add_parser("link", help="reconcile people, organisations and places with Wikidata into a table to review",
                       description="Ask a Wikidata SPARQL endpoint for candidates for the built graph's people, "
                                   "organisations and places that have no QID, score them and write "
                                   "ontology/reference/wikidata_links.tsv (accepted/review/rejected; decisions "
                                   "already in the table are kept). kg build reads only that table.")
    k.add_argument("--data", type=Path, default=OUTPUT_DIR, help="a build's output folder (default: output/)")
    k.add_argument("--endpoint", default="https://query.wikidata.org/sparql",
                   help="Wikidata SPARQL endpoint or a mirror (default: %(default)s)")
    k.add_argument("--table", type=Path, default=REFERENCE_DIR / "wikidata_links.tsv",
                   help="the links table to update (default: ontology/reference/wikidata_links.tsv)")
    k.add_argument("--kinds", nargs="+", choices=["person", "organisation", "place"],
                   default=["person", "organisation", "place"], help="what to link (default: all three)")
    k.add_argument("--batch", type=int, default=40, help="names per query (VALUES; default: %(default)s)")
    k.add_argument("--retries", type=int, default=5, help="retries after 429/503 (default: %(default)s)")
    k.add_argument("--contact", default=None, metavar="EMAIL_OR_URL",
                   help="your contact, added to the User-Agent as the query service's policy asks")
    k.add_argument("--base", default=base_from_env(), help="base IRI the build was made with (default: %(default)s)")
    k.set_defaults(handler="kg.link:main")

    f = sub.add_parser("search", help="full-text search of the releases (a build's index or a server)",
                       description="Search the releases' titles, bodies, quotations and names: words (all must "
                                   "match), \"phrases\", prefix*, AND/OR/NOT, title:word. Reads the build's "
                                   "search index (--data) or asks a server (--endpoint).")
    f.add_argument("query", help='the query, e.g. \'"border police" Tajikistan\' (empty: every release)')
    f.add_argument("--data", type=Path, default=OUTPUT_DIR, help="a build's output folder (default: output/)")
    f.add_argument("--endpoint", default=None, metavar="URL",
                   help="a kg serve server (e.g. http://127.0.0.1:8000) to ask instead of --data")
    f.add_argument("--filter", action="append", default=[], metavar="FACET=VALUE",
                   help="keep releases with this facet value (year, type, source, country, field, entity); repeatable")
    f.add_argument("--sort", choices=["relevance", "newest", "oldest"], default="relevance",
                   help="order of the results (default: relevance)")
    f.add_argument("--page", type=int, default=1, help="page of results (default: 1)")
    f.add_argument("--size", type=int, default=10, help="results per page (default: 10)")
    f.add_argument("--format", choices=["table", "json"], default="table", help="table or JSON (default: table)")
    f.set_defaults(handler="kg.search_cli:main")

    u = sub.add_parser("publish", help="load the built graph into an external SPARQL store (Graph Store Protocol)",
                       description="Upload the built graph to a SPARQL 1.1 Graph Store HTTP Protocol endpoint, "
                                   "in chunks, resumably, replacing the named graph where the store allows.")
    u.add_argument("--to", required=True, metavar="URL", help="the store's Graph Store Protocol endpoint")
    u.add_argument("--graph", default=None, metavar="IRI", help="target named graph (default: the dataset IRI)")
    u.add_argument("--data", type=Path, default=OUTPUT_DIR, help="a build's output folder (default: output/)")
    u.add_argument("--user", default=None, help="user:password for HTTP digest/basic auth")
    u.add_argument("--update", default=None, metavar="URL",
                   help="the store's SPARQL Update endpoint (default: guessed beside --to) for an atomic swap")
    u.set_defaults(handler="kg.remote:publish_main")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for a command that re-runs itself (kg serve)
    module, func = args.handler.split(":")
    try:
        return int(getattr(import_module(module), func)(args) or 0)
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
