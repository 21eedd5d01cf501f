"""The limits that protect ``kg serve``, each against a real server over loopback: body size (413), URL
length (414), head size (431), query size and nesting (400 before any worker sees the query), slow or stalled clients
(408 and disconnect), and SIGTERM letting a running request finish."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from kg.serve.settings import DEFAULT_WORKERS

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # seconds on the seeds' build, then an answer


@pytest.fixture(scope="module")
def strict(seeds_build, start_server):
    """A server with small limits, to test them cheaply."""
    return start_server(seeds_build, "--max-body", "64k", "--max-url", "2k", "--max-head", "64k", "--max-query",
                        "4k", "--max-depth", "20", "--client-timeout", "1")


def test_a_body_over_the_limit_gets_413_unread(strict):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5_000_000
    r = httpx.post(strict.endpoint, content=big, headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 413 and "65536" in r.text


def test_a_chunked_body_over_the_limit_gets_413(strict):
    def chunks():
        yield b"query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%23"
        for _ in range(100):
            yield b"x" * 1000

    r = httpx.post(strict.endpoint, content=chunks(), timeout=30,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "request body" in r.text


def test_a_long_url_gets_414(strict):
    r = httpx.get(strict.endpoint, params={"query": "ASK { }" + " " * 3000}, timeout=30)
    assert r.status_code == 414 and "POST" in r.text


def test_a_head_over_the_limit_gets_431(strict):
    r = httpx.get(strict.endpoint, params={"query": "ASK {}"}, headers={"X-Padding": "x" * 70_000}, timeout=30)
    assert r.status_code == 431 and "65536" in r.text


def test_an_over_deep_query_gets_400_and_no_worker_dies(seeds_build, start_server):
    server = start_server(seeds_build)  # default limits: 100 deep
    deep = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
    r = httpx.post(server.endpoint, data={"query": deep}, timeout=30)
    assert r.status_code == 400 and "5000 deep" in r.text and "at most 100" in r.text
    health = httpx.get(server.url + "/health", timeout=10).json()
    assert health["workers_alive"] == health["workers"] == DEFAULT_WORKERS
    assert httpx.post(server.endpoint, data={"query": "ASK { }"}, timeout=30).json()["boolean"] is True


def test_an_over_long_or_deep_query_gets_400_with_the_reason(strict):
    long = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    r = httpx.post(strict.endpoint, data={"query": long}, timeout=30)
    assert r.status_code == 400 and "at most 4096" in r.text
    deep = "SELECT * WHERE { FILTER(" + "(" * 25 + "1" + ")" * 25 + ") }"
    r = httpx.post(strict.endpoint, data={"query": deep}, timeout=30)
    assert r.status_code == 400 and "27 deep" in r.text  # { FILTER( and 25 more
    ok = "SELECT * WHERE { FILTER(" + "(" * 10 + "1" + ")" * 10 + ") }"
    assert httpx.post(strict.endpoint, data={"query": ok}, timeout=30).status_code == 200


def _connect(server) -> socket.socket:
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_a_stalled_head_gets_408_and_is_disconnected(strict):
    with _connect(strict) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        reply = _read_all(sock)
        waited = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408 ") and 0.9 < waited < 5


def test_a_stalled_body_gets_408(strict):
    with _connect(strict) as sock:
        start = time.monotonic()
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100\r\n\r\nASK")
        reply = _read_all(sock)
        waited = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in reply and 0.9 < waited < 5


def test_sigterm_lets_a_running_request_finish(seeds_build, start_server):
    server = start_server(seeds_build, "--timeout", "60", "--cache-size", "0")
    pid = httpx.get(server.url + "/health", timeout=10).json()["pid"]  # the server process under the supervisor
    triples = httpx.post(server.endpoint, data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c }"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    triples = int(triples.json()["results"]["bindings"][0]["n"]["value"])
    answers: list[httpx.Response] = []
    client = threading.Thread(target=lambda: answers.append(
        httpx.post(server.endpoint, data={"query": CROSS}, timeout=120)))
    client.start()
    time.sleep(0.7)  # the query is running in a query thread
    server.process.send_signal(signal.SIGTERM)
    client.join(120)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["results"]["bindings"][0]["n"]["value"] == str(triples * triples)
    assert server.process.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM once it is done
    assert "Application shutdown complete" in server.log.read_text()
    snapshots = seeds_build.parent / f".kg-serve-{seeds_build.name}"
    left = list(snapshots.iterdir()) if snapshots.exists() else []  # other servers' snapshots may be there
    assert not any(p.name.startswith(f"{pid}-") for p in left)  # closed cleanly
    assert not _alive(pid)
    with pytest.raises(httpx.TransportError):
        httpx.get(server.endpoint, params={"query": "ASK {}"}, timeout=5)


ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # runs for days


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_query_past_its_time_limit_really_stops(seeds_build, start_server):
    """pyoxigraph cannot stop a running query: the query gets 503 at its limit, a new server process takes
    over the socket, and the old one, with the query still running, exits; no request fails meanwhile."""
    server = start_server(seeds_build, "--timeout", "1", "--cache-size", "0")
    old = httpx.get(server.url + "/health", timeout=10).json()["pid"]
    r = httpx.post(server.endpoint, data={"query": ENDLESS}, timeout=30)
    assert r.status_code == 503 and "time limit of 1 s" in r.text
    statuses, pids = [], set()
    deadline = time.monotonic() + 60
    while _alive(old) and time.monotonic() < deadline:
        ask = httpx.get(server.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
        statuses.append(ask.status_code)
        pids.add(httpx.get(server.url + "/health", timeout=10).json()["pid"])
        time.sleep(0.05)
    assert not _alive(old), "the process running the abandoned query is still alive after 60 s"
    health = httpx.get(server.url + "/health", timeout=10).json()
    assert health["pid"] != old and health["runaway_queries"] == 0 and health["status"] == "ok"
    assert set(statuses) <= {200} and len(statuses) > 0
    assert "replacing server process" in server.log.read_text()


def test_a_server_process_that_dies_is_replaced(seeds_build, start_server):
    server = start_server(seeds_build)
    first = httpx.get(server.url + "/health", timeout=10).json()["pid"]
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 60
    health = None
    while time.monotonic() < deadline:
        try:
            health = httpx.get(server.url + "/health", timeout=10).json()
            break
        except httpx.TransportError:  # the connection the dead process had accepted, or none yet
            time.sleep(0.1)
    assert health is not None and health["pid"] != first and health["status"] == "ok"
    assert httpx.get(server.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=10).json()["boolean"] is True
    assert "starting another" in server.log.read_text()


def test_without_its_supervisor_the_server_process_shuts_down(seeds_build, start_server):
    server = start_server(seeds_build)
    child = httpx.get(server.url + "/health", timeout=10).json()["pid"]
    server.process.kill()
    server.process.wait(10)
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the server process kept running after its supervisor was killed"
