"""The serve ``Engine`` over an external SPARQL 1.1 endpoint: ``kg serve --backend URL``.

The server's own checks (read-only, no ``SERVICE``, the dataset rules) run before ``query`` is
called, exactly as for the embedded engine. Here the query goes to the backend over HTTP (httpx,
async, kept-alive connections) in one canonical format — SPARQL JSON results, or N-Triples for
graphs — and the answer is re-serialised by the same code as the embedded engine's, so clients get
the same media types and term forms whatever the backend (Virtuoso's ``typed-literal`` included).
The time limit and result cap are the server's: at the limit the request is dropped and the client
gets the same 503 as from the embedded engine (the backend may go on working; stores have their own
limits: Virtuoso ``MaxQueryExecutionTime``, Oxigraph ``--timeout-s``, Fuseki ``arq:queryTimeout``).
The backend's default graph should be the union of its graphs, as the embedded store's is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from itertools import islice
from typing import Sequence

import httpx
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from kg.serve.engine import (
    JSON_RESULTS,
    EngineError,
    EngineResult,
    PlainResults,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    _results,
    check_query,
    _term,
)

NTRIPLES = "application/n-triples"
CONNECTIONS = 16


def _too_large(limit: int, what: str) -> ResultTooLarge:
    return ResultTooLarge(f"the result has more than {limit} {what}, the server's limit: "
                          "add a LIMIT or narrow the query")


def convert(kind: str, body: bytes, accept: str, max_results: int) -> EngineResult:
    """The backend's canonical answer (SPARQL JSON or N-Triples) re-serialised as ``accept``."""
    if kind == "graph":
        triples = list(islice(parse(body, format=RdfFormat.N_TRIPLES), max_results + 1))
        if len(triples) > max_results:
            raise _too_large(max_results, "triples")
        fmt = RdfFormat.from_media_type(accept) or RdfFormat.TURTLE
        return EngineResult("graph", fmt.media_type, serialize(triples, format=fmt))
    result = parse_query_results(body, format=QueryResultsFormat.JSON)
    if kind == "ask":
        return EngineResult("ask", *_results({"head": {}, "boolean": _truth(result)}, accept))
    names = [v.value for v in result.variables]
    rows = [{n: _term(t) for n, v in zip(names, result.variables) if (t := s[v]) is not None}
            for s in islice(result, max_results + 1)]
    if len(rows) > max_results:
        raise _too_large(max_results, "solutions")
    return EngineResult("select", *_results({"head": {"vars": names}, "results": {"bindings": rows}}, accept))


def _truth(result: QueryBoolean | QuerySolutions) -> bool:
    """An ASK answer. Virtuoso 7 answers ASK as a SELECT of ``?__ASK_RETVAL``: one row of 1, or none."""
    if isinstance(result, QueryBoolean):
        return bool(result)
    row = next(iter(result), None)
    return row is not None and (row[0] is None or row[0].value not in ("0", "false"))


@dataclass
class RemoteEngine(PlainResults):
    """Queries answered by ``endpoint``; ``timeout`` and ``max_results`` are the defaults per query; a
    query over ``max_query`` characters or ``max_depth`` brackets deep is refused (``check_query``)."""

    endpoint: str
    timeout: float = 10.0
    max_results: int = 100_000
    max_query: int = 2**20
    max_depth: int = 100
    _client: httpx.AsyncClient | None = field(default=None, init=False)

    async def start(self) -> "RemoteEngine":
        """Open the connection pool and check that the endpoint answers; ``EngineError`` if not."""
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        self._client = httpx.AsyncClient(limits=limits, timeout=self.timeout)
        try:
            await self.ask("ASK { }")
        except QueryError as e:
            await self.close()
            raise EngineError(f"the backend {self.endpoint} does not answer SPARQL: {e}") from e
        return self

    async def query(self, sparql: str, *, accept: str = JSON_RESULTS, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> EngineResult:
        if self._client is None:
            raise EngineError("the remote engine is not started")
        form = check_query(sparql, self.max_query, self.max_depth).form
        kind = "graph" if form in ("CONSTRUCT", "DESCRIBE") else "ask" if form == "ASK" else "select"
        data: dict[str, str | list[str]] = {"query": sparql}
        if default_graph_uris:
            data["default-graph-uri"] = list(default_graph_uris)
        if named_graph_uris:
            data["named-graph-uri"] = list(named_graph_uris)
        limit = self.timeout if timeout is None else timeout
        try:
            r = await self._client.post(self.endpoint, data=data, timeout=limit,
                                        headers={"Accept": NTRIPLES if kind == "graph" else JSON_RESULTS})
        except httpx.TimeoutException:
            raise QueryTimeout(f"the query was stopped at the server's time limit of {limit:g} s") from None
        except httpx.HTTPError as e:
            raise EngineError(f"the backend {self.endpoint} failed: {type(e).__name__}: {e}") from None
        if r.status_code >= 300:
            detail = " ".join(r.text.split())[:300]
            error = QuerySyntaxError if r.status_code == 400 else QueryError
            raise error(f"the backend answered {r.status_code}: {detail}")
        try:
            return await asyncio.to_thread(convert, kind, r.content, accept, self.max_results)
        except (SyntaxError, ValueError) as e:
            raise EngineError(f"the backend's answer could not be read: {e}") from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
