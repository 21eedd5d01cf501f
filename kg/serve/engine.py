"""Query engines: the small ``Engine`` protocol the server talks to, and the embedded pyoxigraph engine.

The embedded engine runs every query in one of a few worker *processes*, each holding the store open
(the build's on-disk store read-only, or RDF files loaded into memory). A worker serialises its answer
to bytes itself. A query over its time limit has its worker killed — the work really stops — and a fresh
worker takes its place, while the other workers keep serving. The time limit counts from when a worker
takes the query; a request waiting for a free worker waits at most ``queue_timeout`` seconds, and when
``max_queued`` requests already wait a new one is turned away at once (``ServerBusy``: 503 with
``Retry-After``). The event loop only ever waits on pipes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, Protocol, Sequence

from pyoxigraph import (
    BlankNode,
    Literal as RdfLiteral,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from kg.serve.analysis import Shape, analyse
from kg.serve.negotiation import GRAPHS, RESULTS, choose

log = logging.getLogger("kg.serve")

Kind = Literal["select", "ask", "graph"]
JSON_RESULTS = "application/sparql-results+json"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_FILES = {".trig": RdfFormat.TRIG, ".nq": RdfFormat.N_QUADS, ".nt": RdfFormat.N_TRIPLES,
             ".ttl": RdfFormat.TURTLE}


class QueryError(Exception):
    """A query the engine could not answer; ``status`` is the HTTP status the server replies with."""

    status = 500


class QuerySyntaxError(QueryError):
    status = 400


class QueryTooComplex(QuerySyntaxError):
    """A query longer or more deeply nested than the server accepts (refused before any worker sees it)."""


def check_query(sparql: str, max_chars: int, max_depth: int) -> Shape:
    """``sparql``'s shape (``analyse``); ``QueryTooComplex`` when it is over ``max_chars`` characters or
    its brackets nest deeper than ``max_depth``."""
    if len(sparql) > max_chars:
        raise QueryTooComplex(f"the query has {len(sparql)} characters; this server accepts at most {max_chars}")
    shape = analyse(sparql)
    if shape.depth > max_depth:
        raise QueryTooComplex(f"the query nests brackets {shape.depth} deep; this server accepts at most {max_depth}")
    return shape


class QueryTimeout(QueryError):
    status = 503  # as Fuseki answers a query cancelled by its time limit


class ResultTooLarge(QueryError):
    status = 500


class ServerBusy(QueryError):
    """Every worker is busy and the queue is full (or the wait for a worker ran out): try again later."""

    status = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineError(QueryError):
    """The engine itself failed: data that cannot be loaded, a worker that died."""


@dataclass(frozen=True)
class EngineResult:
    """An answer serialised as ``media_type``; ``cache`` is ``"hit"`` or ``"miss"`` when a result cache
    answered (``None`` without one), ``etag`` the cache's validator for ``body`` when it has one."""

    kind: Kind
    media_type: str
    body: bytes
    cache: str | None = None
    etag: str | None = None


class Engine(Protocol):
    """What the server needs from a SPARQL engine (embedded here; remote engines implement the same).

    ``query`` answers one query serialised as ``accept`` (a media type or a whole Accept header, negotiated
    against the result's kind; nothing acceptable gets the kind's default: SPARQL JSON results or Turtle). ``default_graph_uris``
    and ``named_graph_uris`` are the SPARQL Protocol's dataset; without them the default graph is the
    union of all graphs (unless the query has FROM). Raises ``QueryError`` subclasses.
    """

    async def query(self, sparql: str, *, accept: str = JSON_RESULTS, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> EngineResult: ...

    async def select(self, sparql: str) -> list[dict[str, str | None]]: ...

    async def ask(self, sparql: str) -> bool: ...

    async def close(self) -> None: ...


class PlainResults:
    """``select`` and ``ask`` for any engine with ``query``: plain values for HTML pages."""

    async def query(self, sparql: str, **kwargs: Any) -> EngineResult:  # pragma: no cover - protocol
        raise NotImplementedError

    async def select(self, sparql: str) -> list[dict[str, str | None]]:
        data = json.loads((await self.query(sparql, accept=JSON_RESULTS)).body)
        names = data["head"]["vars"]
        return [{n: (row[n]["value"] if n in row else None) for n in names} for row in data["results"]["bindings"]]

    async def ask(self, sparql: str) -> bool:
        return bool(json.loads((await self.query(sparql, accept=JSON_RESULTS)).body)["boolean"])


# ---- the data a worker serves -------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """An on-disk store each worker opens read-only, or RDF files each worker loads into memory;
    ``skipped`` holds one line per file left out because it does not parse; ``fingerprint`` identifies
    the data loaded (the build's checksum list, else the files' names, sizes and times)."""

    store: Path | None = None
    files: tuple[Path, ...] = ()
    skipped: tuple[str, ...] = ()
    fingerprint: str = ""


CHECKSUMS = "SHA256SUMS"


def fingerprint(data_dir: Path, paths: Sequence[Path]) -> str:
    """A digest of the build in ``data_dir``: its ``SHA256SUMS`` when there is one, else the name, size
    and modification time of each of ``paths``."""
    digest = hashlib.sha256()
    sums = data_dir / CHECKSUMS
    if sums.is_file():
        digest.update(sums.read_bytes())
    else:
        for path in paths:
            st = path.stat()
            digest.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def resolve_source(data_dir: Path) -> Source:
    """The build's store (brought up to date from its TriG), else the folder's RDF files."""
    from kg.store import STAMP, STORE_NAME, TRIG_NAME, open_store

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise EngineError(f"{data_dir}: no such folder")
    if (data_dir / TRIG_NAME).is_file() or (data_dir / STORE_NAME / STAMP).is_file():
        try:
            open_store(data_dir)  # loads or refreshes the store; workers then open it read-only
        except (OSError, SyntaxError) as e:
            raise EngineError(f"{data_dir}: cannot open the store: {e}") from e
        store = data_dir / STORE_NAME
        return Source(store=store, fingerprint=fingerprint(data_dir, [store / STAMP]))
    files = sorted(p for p in data_dir.iterdir() if p.suffix in RDF_FILES and p.is_file())
    if not files:
        raise EngineError(f"{data_dir}: neither a build ({TRIG_NAME}) nor RDF files (*.trig, *.nq, *.nt, *.ttl)")
    good, skipped = [], []
    for path in files:
        try:
            _quads(path)
            good.append(path)
        except (SyntaxError, OSError, UnicodeDecodeError) as e:
            skipped.append(f"{path.name}: {e}")
    if not good:
        raise EngineError(f"{data_dir}: no RDF file parses ({'; '.join(skipped)})")
    return Source(files=tuple(good), skipped=tuple(skipped), fingerprint=fingerprint(data_dir, good))


def _quads(path: Path) -> list[Quad]:
    """Every quad of an RDF file (triples in the default graph); nothing unless the whole file parses."""
    return [t if isinstance(t, Quad) else Quad(t.subject, t.predicate, t.object)
            for t in parse(path=str(path), format=RDF_FILES[path.suffix])]


def _open(source: Source) -> Store:
    if source.store is not None:
        return Store.read_only(str(source.store))
    store = Store()
    for path in source.files:
        store.extend(_quads(path))
    return store


# ---- the worker process -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Request:
    sparql: str
    media_type: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    union: bool
    max_results: int
    base_iri: str | None


def _worker(conn: Connection, source: Source) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):  # the server stops its workers itself, after its last request
        signal.signal(sig, signal.SIG_IGN)
    try:
        store = _open(source)
    except Exception as e:  # noqa: BLE001 - reported to the parent as a load failure
        conn.send(("error", "engine", f"cannot load the data: {e}"))
        return
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        conn.send(_answer(store, request))


def _answer(store: Store, req: _Request) -> tuple:
    try:
        options: dict[str, Any] = {}
        if req.default_graphs is not None or req.named_graphs is not None:
            options["default_graph"] = [NamedNode(g) for g in req.default_graphs or ()]
            options["named_graphs"] = [NamedNode(g) for g in req.named_graphs or ()]
        elif req.union:
            options["use_default_graph_as_union"] = True
        result = store.query(req.sparql, base_iri=req.base_iri, **options)
        if isinstance(result, QueryBoolean):
            return ("ok", "ask", *_results({"head": {}, "boolean": bool(result)}, req.media_type))
        items = list(islice(result, req.max_results + 1))
        if len(items) > req.max_results:
            what = "solutions" if isinstance(result, QuerySolutions) else "triples"
            return ("error", "too_large", f"the result has more than {req.max_results} {what}, the server's limit: "
                                          "add a LIMIT or narrow the query")
        if isinstance(result, QuerySolutions):
            names = [v.value for v in result.variables]
            rows = [{n: _term(t) for n, v in zip(names, result.variables) if (t := s[v]) is not None} for s in items]
            return ("ok", "select", *_results({"head": {"vars": names}, "results": {"bindings": rows}},
                                              req.media_type))
        fmt = RdfFormat.from_media_type(choose(req.media_type, GRAPHS) or GRAPHS[0])
        return ("ok", "graph", fmt.media_type, serialize(items, format=fmt))
    except SyntaxError as e:
        return ("error", "syntax", str(e))
    except (RuntimeError, OSError, ValueError) as e:
        return ("error", "eval", str(e))


def _results(data: dict, media_type: str) -> tuple[str, bytes]:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    fmt = QueryResultsFormat.from_media_type(choose(media_type, RESULTS) or RESULTS[0])
    if fmt == QueryResultsFormat.JSON:
        return JSON_RESULTS, body
    return fmt.media_type, parse_query_results(body, format=QueryResultsFormat.JSON).serialize(format=fmt)


def _term(term: Any) -> dict[str, Any]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, RdfLiteral):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _term(term.subject), "predicate": _term(term.predicate),
                                        "object": _term(term.object)}}


# ---- the pool, on the server's side -----------------------------------------------------------------

_ERRORS: dict[str, type[QueryError]] = {"syntax": QuerySyntaxError, "too_large": ResultTooLarge,
                                        "eval": QueryError, "engine": EngineError}


class _Worker:
    def __init__(self, source: Source) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, source), name="kg-sparql-worker", daemon=True)
        self.process.start()
        child.close()

    async def receive(self) -> tuple:
        """The worker's next message, waited for on the event loop (never blocking it)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple] = loop.create_future()
        fd = self.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if not done.done():
                try:
                    os.set_blocking(fd, True)  # uvloop's add_reader made it non-blocking; a message is read whole
                    done.set_result(self.conn.recv())
                except (EOFError, OSError) as e:
                    log.error("kg serve: query worker %s died (exit code %s): %r", self.process.pid,
                              self.process.exitcode, e)
                    done.set_exception(EngineError("the query worker died (out of memory?)"))

        loop.add_reader(fd, readable)
        try:
            return await done
        finally:
            loop.remove_reader(fd)

    def send(self, request: _Request) -> None:
        os.set_blocking(self.conn.fileno(), True)
        self.conn.send(request)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


@dataclass
class EmbeddedEngine(PlainResults):
    """pyoxigraph in ``workers`` processes; ``timeout`` and ``max_results`` bound each query; relative IRIs
    in queries resolve against ``base_iri`` (the data's base, so ``<id/country/malta>`` works); at most
    ``max_queued`` requests wait for a worker, each at most ``queue_timeout`` seconds; a query over
    ``max_query`` characters or ``max_depth`` brackets deep is refused (``check_query``)."""

    source: Source
    workers: int = 2
    timeout: float = 10.0
    max_results: int = 100_000
    base_iri: str | None = None
    max_queued: int = 64
    queue_timeout: float = 30.0
    max_query: int = 2**20
    max_depth: int = 100
    _idle: asyncio.Queue[_Worker] = field(default_factory=asyncio.Queue, init=False)
    _waiting: int = field(default=0, init=False)
    _all: set[_Worker] = field(default_factory=set, init=False)
    _tasks: set[asyncio.Task] = field(default_factory=set, init=False)

    async def start(self) -> "EmbeddedEngine":
        """Start the workers and wait until each has the data open; ``EngineError`` if the data won't load."""
        try:
            await asyncio.gather(*(self._spawn() for _ in range(max(1, self.workers))))
        except BaseException:
            await self.close()
            raise
        return self

    async def _spawn(self) -> None:
        worker = _Worker(self.source)
        self._all.add(worker)
        try:
            reply = await worker.receive()
        except BaseException:
            self._discard(worker)
            raise
        if reply[0] != "ready":
            self._discard(worker)
            raise EngineError(reply[2])
        self._idle.put_nowait(worker)

    def _discard(self, worker: _Worker) -> None:
        self._all.discard(worker)
        worker.kill()

    def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        task = asyncio.get_running_loop().create_task(self._spawn())
        self._tasks.add(task)
        task.add_done_callback(self._respawned)

    def _respawned(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not restart a query worker: %s", task.exception())

    async def query(self, sparql: str, *, accept: str = JSON_RESULTS, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> EngineResult:
        shape = check_query(sparql, self.max_query, self.max_depth)
        given = bool(default_graph_uris or named_graph_uris)
        request = _Request(sparql, accept, tuple(default_graph_uris) if given else None,
                           tuple(named_graph_uris) if given else None,
                           union=not given and not shape.names_dataset, max_results=self.max_results,
                           base_iri=self.base_iri)
        limit = self.timeout if timeout is None else timeout
        worker = await self._acquire()
        try:
            async with asyncio.timeout(limit):  # counted from when a worker has the query
                worker.send(request)
                reply = await worker.receive()
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(f"the query was stopped at the server's time limit of {limit:g} s") from None
        except BaseException:
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        if reply[0] == "error":
            raise _ERRORS[reply[1]](reply[2])
        return EngineResult(kind=reply[1], media_type=reply[2], body=reply[3])

    async def _acquire(self) -> _Worker:
        """An idle worker, waited for in turn; ``ServerBusy`` when the queue is full or the wait too long."""
        if self._idle.empty() and self._waiting >= self.max_queued:
            raise ServerBusy(f"the server is busy: {self._waiting} queries are waiting for a worker; "
                             "try again shortly", retry_after=max(1, round(self.timeout)))
        self._waiting += 1
        try:
            async with asyncio.timeout(self.queue_timeout):
                return await self._idle.get()
        except TimeoutError:
            raise ServerBusy(f"the server is busy: no query worker became free within {self.queue_timeout:g} s; "
                             "try again shortly", retry_after=max(1, round(self.timeout))) from None
        finally:
            self._waiting -= 1

    def alive(self) -> int:
        """How many worker processes are running."""
        return sum(w.process.is_alive() for w in self._all)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._all):
            self._discard(worker)
