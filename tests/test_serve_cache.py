"""The result cache and the worker queue, over the seeds' build: through the real server over HTTP, and
through the real engine in-process where the cache's bound and the queue's limits are checked."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import AsyncIterator

import httpx
import pytest

from kg.serve.analysis import normalise
from kg.serve.cache import CachedEngine
from kg.serve.engine import EmbeddedEngine, QueryTimeout, ServerBusy, resolve_source

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # runs for days
NAMES = "SELECT ?name WHERE { ?x <https://schema.org/name> ?name } ORDER BY ?name"


@pytest.fixture(scope="module")
def cached(seeds_build, start_server):
    """A server with a 1 s time limit (and the default cache)."""
    return start_server(seeds_build, "--timeout", "1")


def get(server, query: str, **headers: str) -> httpx.Response:
    return httpx.get(server.endpoint, params={"query": query}, headers=headers, timeout=30)


def test_a_hit_is_byte_identical_to_the_miss_and_says_so(cached):
    query = NAMES + " LIMIT 7"
    miss, hit = get(cached, query), get(cached, query)
    assert miss.status_code == hit.status_code == 200
    assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
    assert hit.content == miss.content and len(miss.json()["results"]["bindings"]) == 7
    assert hit.headers["ETag"] == miss.headers["ETag"] and hit.headers["Content-Type"] == miss.headers["Content-Type"]
    assert hit.headers["Cache-Control"].startswith("public, max-age=")
    # white space and comments outside strings do not make another entry
    assert get(cached, f"# the names\n{query.replace(' ', '   ')}\n").headers["X-Cache"] == "hit"


def test_each_format_and_dataset_is_its_own_entry(cached):
    query = NAMES + " LIMIT 3"
    assert get(cached, query, Accept="text/csv").headers["X-Cache"] == "miss"
    tsv = get(cached, query, Accept="text/tab-separated-values")
    assert tsv.headers["X-Cache"] == "miss" and tsv.headers["Content-Type"].startswith("text/tab-separated-values")
    csv = get(cached, query, Accept="text/csv")
    assert csv.headers["X-Cache"] == "hit" and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "name" and csv.content != tsv.content
    graph = httpx.get(cached.endpoint, params={"query": query, "default-graph-uri": "http://example.org/empty"},
                      headers={"Accept": "text/csv"}, timeout=30)
    assert graph.headers["X-Cache"] == "miss" and graph.text.splitlines() == ["name"]


def test_if_none_match_gets_304_without_a_body(cached):
    query = NAMES + " LIMIT 2"
    etag = get(cached, query).headers["ETag"]
    again = get(cached, query, **{"If-None-Match": f'"other", {etag}'})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert get(cached, query, **{"If-None-Match": '"other"'}).status_code == 200


def test_timeouts_and_errors_are_never_cached(cached):
    for _ in range(2):
        start = time.monotonic()
        r = get(cached, SLOW)
        assert r.status_code == 503 and "time limit of 1 s" in r.text and "X-Cache" not in r.headers
        assert time.monotonic() - start > 0.9  # evaluated (and stopped) again, not replayed
    for _ in range(2):
        r = get(cached, "SELECT ?x WHERE { ?x <http://e/p> ?y FILTER(?y + ) }")
        assert r.status_code == 400 and "X-Cache" not in r.headers


def test_cache_size_zero_turns_the_cache_off(seeds_build, start_server):
    off = start_server(seeds_build, "--cache-size", "0")
    first, second = get(off, NAMES), get(off, NAMES)
    assert first.headers["X-Cache"] == second.headers["X-Cache"] == "off"
    assert first.content == second.content and first.headers["ETag"] == second.headers["ETag"]
    assert get(off, NAMES, **{"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_normalise_keeps_strings_and_iris_as_written():
    assert normalise("SELECT  *\n# c\nWHERE {?s ?p ?o}  ") == "SELECT * WHERE {?s ?p ?o}"
    assert normalise('ASK { ?s ?p "a  b" }') != normalise('ASK { ?s ?p "a b" }')
    assert normalise("ASK { <http://e/#x> ?p ?o }") == "ASK { <http://e/#x> ?p ?o }"
    assert normalise("ASK{?s ?p 1}") != normalise("ASK { ?s ?p 1 }")  # only existing white space is squeezed


# --- in-process: the real engine over the seeds' store ------------------------------------------------

def run(coro):
    return asyncio.run(coro)


def test_the_cap_holds_and_the_least_recent_answer_goes_first(seeds_build):
    async def scenario() -> None:
        engine = await EmbeddedEngine(resolve_source(seeds_build), workers=1).start()
        cache = CachedEngine(engine, "build", max_bytes=3_000)
        try:
            sizes = {}
            for n in range(1, 6):
                result = await cache.query(f"{NAMES} LIMIT {n * 4}")
                assert result.cache == "miss"
                sizes[n] = len(result.body)
                assert cache.lru.size <= 3_000
            assert len(cache.lru) < 5  # something was evicted to stay under the cap
            assert (await cache.query(f"{NAMES} LIMIT 20")).cache == "hit"  # the newest stays
            assert (await cache.query(f"{NAMES} LIMIT 4")).cache == "miss"  # the oldest went
            big = await cache.query("SELECT * WHERE { ?s ?p ?o } LIMIT 500")
            assert len(big.body) > 3_000 and cache.lru.size <= 3_000
            assert (await cache.query("SELECT * WHERE { ?s ?p ?o } LIMIT 500")).cache == "miss"  # too big to keep
        finally:
            await cache.close()

    run(scenario())


def test_concurrent_requests_for_one_answer_share_one_evaluation(seeds_build):
    async def scenario() -> None:
        engine = await EmbeddedEngine(resolve_source(seeds_build), workers=2).start()
        cache = CachedEngine(engine, "build", max_bytes=1 << 20)
        try:
            results = await asyncio.gather(*(cache.query(NAMES) for _ in range(6)))
            assert sorted(r.cache for r in results) == ["hit"] * 5 + ["miss"]
            assert len({r.body for r in results}) == 1
        finally:
            await cache.close()

    run(scenario())


@contextlib.asynccontextmanager
async def one_busy_worker(seeds_build, slow_query: str, **options) -> AsyncIterator[EmbeddedEngine]:
    """An engine with one query thread, busy with ``slow_query`` (which must end on its time limit) while
    the body runs."""
    engine = await EmbeddedEngine(resolve_source(seeds_build), workers=1, **options).start()
    try:
        slow = asyncio.create_task(engine.query(slow_query))
        await asyncio.sleep(0.2)
        yield engine
        with pytest.raises(QueryTimeout):
            await slow
    finally:
        await engine.close()


def test_the_time_limit_starts_when_a_worker_takes_the_query(seeds_build, stand_in_slow):
    """One worker, a 1.5 s limit: a query queued behind a slow one waits about 1.5 s, then gets its own
    full limit (it used to share the slow query's clock and time out with it)."""
    async def scenario() -> None:
        async with one_busy_worker(seeds_build, stand_in_slow, timeout=1.5) as engine:
            start = time.monotonic()
            answer = await engine.query("ASK { ?s ?p ?o }")
            assert b"true" in answer.body and time.monotonic() - start > 1.0

    run(scenario())


def test_a_full_queue_turns_requests_away_at_once_with_retry_after(seeds_build, stand_in_slow):
    async def scenario() -> None:
        async with one_busy_worker(seeds_build, stand_in_slow, timeout=2, max_queued=1, queue_timeout=5) as engine:
            queued = asyncio.create_task(engine.query("ASK { ?s ?p ?o }"))
            await asyncio.sleep(0.1)
            start = time.monotonic()
            with pytest.raises(ServerBusy) as busy:
                await engine.query("ASK { ?s ?p ?o }")
            assert time.monotonic() - start < 0.1 and busy.value.status == 503 and busy.value.retry_after >= 1
            assert b"true" in (await queued).body  # the queued one is still answered

    run(scenario())


def test_the_wait_for_a_worker_is_bounded(seeds_build, stand_in_slow):
    async def scenario() -> None:
        async with one_busy_worker(seeds_build, stand_in_slow, timeout=3, queue_timeout=0.5) as engine:
            with pytest.raises(ServerBusy, match="within 0.5 s"):
                await engine.query("ASK { ?s ?p ?o }")

    run(scenario())


def test_a_query_waits_for_the_one_busy_worker_over_http(seeds_build, start_server):
    """One worker busy with a slow query for its 2 s limit and the queue not full: a fast query waits and
    is answered; the slow one ends in a 503 for its time limit, without Retry-After (not a full queue)."""
    import threading

    server = start_server(seeds_build, "--workers", "1", "--timeout", "2", "--cache-size", "0")
    done: dict = {}
    thread = threading.Thread(target=lambda: done.update(r=get(server, SLOW)))
    thread.start()
    time.sleep(0.3)
    r = get(server, "ASK { ?s ?p ?o }")
    assert r.status_code == 200 and r.json()["boolean"] is True
    thread.join(30)
    assert done["r"].status_code == 503 and "Retry-After" not in done["r"].headers  # a timeout, not a full queue


def test_the_on_disk_store_answers_like_the_data_in_memory(seeds_build, start_server):
    """``--store disk`` (the build's RocksDB store, read-only) and the default (the TriG in memory)."""
    memory = start_server(seeds_build, "--cache-size", "0")
    disk = start_server(seeds_build, "--cache-size", "0", "--store", "disk")
    deadline = time.monotonic() + 30  # the build is answered from disk until it is loaded into memory
    while httpx.get(memory.url + "/health", timeout=10).json()["store"] != "memory" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert httpx.get(memory.url + "/health", timeout=10).json()["store"] == "memory"
    assert httpx.get(disk.url + "/health", timeout=10).json()["store"] == "disk"
    for query in (NAMES, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"):
        a, b = get(memory, query), get(disk, query)
        assert a.status_code == b.status_code == 200 and a.content == b.content
    graph = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://schema.org/NewsArticle> ; ?p ?o }"
    a, b = (get(s, graph, Accept="application/n-triples") for s in (memory, disk))
    assert a.status_code == b.status_code == 200
    assert sorted(a.text.splitlines()) == sorted(b.text.splitlines()) and len(a.text.splitlines()) > 50
