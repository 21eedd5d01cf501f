"""Query engines: the small ``Engine`` protocol the server talks to, and the embedded pyoxigraph engine.

The embedded engine holds the build's data in memory (loaded from the build's TriG; ``store="disk"``
opens the build's on-disk store read-only instead, for less memory and slower queries) and answers each
query in one of a few query *threads* of the server's process; pyoxigraph releases the GIL while it
evaluates, so they use every core, and nothing is copied between processes. A query over its time limit
gets ``QueryTimeout`` at once and its thread is abandoned: a fresh thread takes its place, and
``on_runaway`` is called so that the process can be replaced (``kg.serve.supervisor`` starts a new server
process, and the old one, with the query still running, exits once its other requests are answered:
that is when the work really stops). The time limit counts from when a thread takes the query; a
request waiting for a free thread waits at most ``queue_timeout`` seconds, and when ``max_queued``
requests already wait a new one is turned away at once (``ServerBusy``: 503 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Literal, Protocol, Sequence

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
    """A query longer or more deeply nested than the server accepts (refused before the engine sees it)."""


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
    """Every query thread is busy and the queue is full (or the wait for one ran out): try again later."""

    status = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineError(QueryError):
    """The engine itself failed: data that cannot be loaded."""


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


# ---- the data the engine serves -----------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """A build (its on-disk ``store`` and its ``dump``, the TriG the store was loaded from), or RDF
    ``files``; ``skipped`` holds one line per file left out because it does not parse; ``fingerprint``
    identifies the data loaded (the build's checksum list, else the files' names, sizes and times)."""

    store: Path | None = None
    dump: Path | None = None
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
            open_store(data_dir)  # loads or refreshes the store from the TriG
        except (OSError, SyntaxError) as e:
            raise EngineError(f"{data_dir}: cannot open the store: {e}") from e
        store, dump = data_dir / STORE_NAME, data_dir / TRIG_NAME
        return Source(store=store, dump=dump if dump.is_file() else None,
                      fingerprint=fingerprint(data_dir, [store / STAMP]))
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


StoreKind = Literal["memory", "disk"]


def open_data(source: Source, kind: StoreKind = "memory") -> Store:
    """The data of ``source`` as a pyoxigraph store: in memory (from the build's TriG, or its files), or
    the build's on-disk store opened read-only (``kind="disk"``)."""
    if source.store is not None and (kind == "disk" or source.dump is None):
        return Store.read_only(str(source.store))
    store = Store()
    if source.dump is not None:
        store.bulk_load(path=str(source.dump), format=RdfFormat.TRIG)
    for path in source.files:
        store.extend(_quads(path))
    return store


@dataclass(frozen=True)
class _Request:
    sparql: str
    media_type: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    union: bool
    max_results: int
    base_iri: str | None
    within_cap: bool = False  # the query's own LIMIT keeps it within max_results: no count needed


NATIVE_BUDGET = 64 * 2**20  # bytes of an answer Oxigraph's writers may produce before it is counted row by row
ROW_BUDGET = 2048  # ... and no more than this many bytes a row of the result cap


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
        if isinstance(result, QuerySolutions):
            fmt = QueryResultsFormat.from_media_type(choose(req.media_type, RESULTS) or RESULTS[0])
            body = _written(result, fmt, None if req.within_cap else min(NATIVE_BUDGET, ROW_BUDGET * req.max_results))
            if body is not None and (req.within_cap or _solutions_at_most(body, fmt) <= req.max_results):
                return ("ok", "select", JSON_RESULTS if fmt == QueryResultsFormat.JSON else fmt.media_type, body)
            result = store.query(req.sparql, base_iri=req.base_iri, **options)  # near the cap: count the rows
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


class _Sink:
    """Where Oxigraph's writer puts an answer: refuses to grow past ``budget`` bytes (``None``: no bound)."""

    def __init__(self, budget: int | None) -> None:
        self.parts: list[bytes] = []
        self.size, self.budget, self.over = 0, budget, False

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        if self.budget is not None and self.size > self.budget:
            self.over = True
            raise OverflowError("over the budget")
        self.parts.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass


def _written(result: QuerySolutions, fmt: QueryResultsFormat, budget: int | None) -> bytes | None:
    """``result`` written by Oxigraph's own writer in ``fmt``; None once it grows past ``budget`` bytes
    (then the work stops there)."""
    sink = _Sink(budget)
    try:
        result.serialize(sink, format=fmt)
    except Exception:
        if sink.over:
            return None
        raise
    return b"".join(sink.parts)


def _solutions_at_most(body: bytes, fmt: QueryResultsFormat) -> int:
    """No fewer than the solutions in ``body`` (as Oxigraph writes ``fmt``), counted in C: in JSON a
    solution follows ``[`` or ``},{`` (which a string may hold too), in XML each is one ``<result>`` (text
    is escaped), in CSV and TSV one line after the header (a CSV value may hold more)."""
    if fmt == QueryResultsFormat.JSON:
        return 0 if body.endswith(b'"bindings":[]}}') else body.count(b"},{") + 1
    if fmt == QueryResultsFormat.XML:
        return body.count(b"<result>")
    return body.count(b"\n")


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


# ---- the query threads ----------------------------------------------------------------------------

_ERRORS: dict[str, type[QueryError]] = {"syntax": QuerySyntaxError, "too_large": ResultTooLarge,
                                        "eval": QueryError}


class _Thread:
    """One query thread, answering one query at a time. A daemon: a query abandoned at its time limit
    never holds the process open."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="kg-query", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            store, request, loop, done = job
            reply = _answer(store, request)
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits for the answer
                loop.call_soon_threadsafe(_settle, done, reply)

    def ask(self, store: Store, request: _Request) -> asyncio.Future[tuple]:
        """The answer to ``request`` over ``store``, computed on this thread."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple] = loop.create_future()
        self._jobs.put((store, request, loop, done))
        return done

    def stop(self) -> None:
        """End the thread once its current query (if any) is over."""
        self._jobs.put(None)


def _settle(done: asyncio.Future, reply: tuple) -> None:
    if not done.done():
        done.set_result(reply)


@dataclass
class EmbeddedEngine(PlainResults):
    """pyoxigraph over ``source`` (in memory, or ``store="disk"``) in ``workers`` query threads;
    ``timeout`` and ``max_results`` bound each query; relative IRIs in queries resolve against ``base_iri``
    (the data's base, so ``<id/country/malta>`` works); at most ``max_queued`` requests wait for a thread,
    each at most ``queue_timeout`` seconds; a query over ``max_query`` characters or ``max_depth``
    brackets deep is refused (``check_query``). ``on_runaway`` is called with the query of each thread
    abandoned at the time limit (still running: only the process's end stops it)."""

    source: Source
    workers: int = 4
    timeout: float = 10.0
    max_results: int = 100_000
    base_iri: str | None = None
    max_queued: int = 64
    queue_timeout: float = 30.0
    max_query: int = 2**20
    max_depth: int = 100
    store: StoreKind = "memory"
    on_runaway: Callable[[str], None] | None = None
    _data: Store | None = field(default=None, init=False)
    _held: StoreKind = field(default="disk", init=False)
    _loading: asyncio.Task | None = field(default=None, init=False)
    _idle: asyncio.Queue[_Thread] = field(default_factory=asyncio.Queue, init=False)
    _waiting: int = field(default=0, init=False)
    _all: set[_Thread] = field(default_factory=set, init=False)
    _runaways: set[_Thread] = field(default_factory=set, init=False)

    async def start(self) -> "EmbeddedEngine":
        """Open the data and start the threads; ``EngineError`` if the data won't open. A build to be held
        in memory is answered from its on-disk store meanwhile (opened at once; the same data): the
        server starts, and follows a new build, without waiting for the load."""
        first: StoreKind = "disk" if self.source.store is not None else "memory"  # RDF files: memory only
        try:
            self._data = await asyncio.to_thread(open_data, self.source, first)
        except (OSError, SyntaxError, ValueError) as e:
            raise EngineError(f"cannot load the data: {e}") from e
        self._held = first
        for _ in range(max(1, self.workers)):
            self._add_thread()
        if self.store == "memory" and first == "disk" and self.source.dump is not None:
            self._loading = asyncio.get_running_loop().create_task(self._load_into_memory())
        return self

    async def _load_into_memory(self) -> None:
        try:
            data = await asyncio.to_thread(open_data, self.source, "memory")
        except (OSError, SyntaxError, ValueError) as e:
            log.warning("kg serve: the data stays on disk: it cannot be loaded into memory (%s)", e)
            return
        if self._data is not None:  # not closed meanwhile
            self._data, self._held = data, "memory"

    def holds(self) -> StoreKind:
        """Where the data answering queries now is: ``memory`` or ``disk`` (a build still loading)."""
        return self._held

    def _add_thread(self) -> None:
        thread = _Thread()
        self._all.add(thread)
        self._idle.put_nowait(thread)

    def _abandon(self, thread: _Thread, sparql: str, limit: float) -> None:
        """Leave ``thread`` to its query, put a fresh thread in its place, and report the runaway."""
        self._all.discard(thread)
        thread.stop()
        self._runaways.add(thread)
        self._add_thread()
        log.warning("kg serve: a query ran past the time limit of %g s; its thread is abandoned", limit)
        if self.on_runaway is not None:
            self.on_runaway(sparql)

    async def query(self, sparql: str, *, accept: str = JSON_RESULTS, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> EngineResult:
        shape = check_query(sparql, self.max_query, self.max_depth)
        given = bool(default_graph_uris or named_graph_uris)
        within_cap = shape.limit is not None and shape.limit <= self.max_results
        request = _Request(sparql, accept, tuple(default_graph_uris) if given else None,
                           tuple(named_graph_uris) if given else None,
                           union=not given and not shape.names_dataset, max_results=self.max_results,
                           base_iri=self.base_iri, within_cap=within_cap)
        limit = self.timeout if timeout is None else timeout
        thread = await self._acquire()
        assert self._data is not None, "the engine is closed"
        done = thread.ask(self._data, request)
        try:
            async with asyncio.timeout(limit):  # counted from when a thread has the query
                reply = await asyncio.shield(done)
        except TimeoutError:
            self._abandon(thread, sparql, limit)
            raise QueryTimeout(f"the query was stopped at the server's time limit of {limit:g} s") from None
        except BaseException:  # the request was cancelled: the thread is free once its query ends
            done.add_done_callback(lambda _: self._release(thread))
            raise
        self._release(thread)
        if reply[0] == "error":
            raise _ERRORS[reply[1]](reply[2])
        return EngineResult(kind=reply[1], media_type=reply[2], body=reply[3])

    def _release(self, thread: _Thread) -> None:
        if thread in self._all:
            self._idle.put_nowait(thread)

    async def _acquire(self) -> _Thread:
        """An idle thread, waited for in turn; ``ServerBusy`` when the queue is full or the wait too long."""
        if self._idle.empty() and self._waiting >= self.max_queued:
            raise ServerBusy(f"the server is busy: {self._waiting} queries are waiting for a query thread; "
                             "try again shortly", retry_after=max(1, round(self.timeout)))
        self._waiting += 1
        try:
            async with asyncio.timeout(self.queue_timeout):
                return await self._idle.get()
        except TimeoutError:
            raise ServerBusy(f"the server is busy: no query thread became free within {self.queue_timeout:g} s; "
                             "try again shortly", retry_after=max(1, round(self.timeout))) from None
        finally:
            self._waiting -= 1

    def alive(self) -> int:
        """How many query threads are serving (threads abandoned to a runaway query not counted)."""
        return sum(t.thread.is_alive() for t in self._all)

    def runaways(self) -> int:
        """How many abandoned queries are still running."""
        self._runaways = {t for t in self._runaways if t.thread.is_alive()}
        return len(self._runaways)

    async def close(self) -> None:
        """Stop the threads; the data is freed once the last running query (if any) ends."""
        if self._loading is not None:
            self._loading.cancel()
        threads = list(self._all)
        for thread in threads:
            thread.stop()
        self._all.clear()
        self._data = None
        for thread in threads:  # idle ones end at once, and let go of the data
            await asyncio.to_thread(thread.thread.join, 1.0)
        while not self._idle.empty():
            self._idle.get_nowait()
