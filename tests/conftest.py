"""Shared fixtures: the seeds built once, and real ``kg serve`` processes on free loopback ports.

``server`` is the session's server over the seeds' build (``server.url``, ``server.endpoint``,
``server.data_dir``); ``start_server`` starts more (other data, other limits) and stops them at the end.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, parse, serialize
from rdflib import Dataset, Graph

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log: Path

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(data_dir: Path, log: Path, *options: str, ready_within: float = 60) -> Server:
    """``kg serve --data data_dir`` on a free port, returned once it answers a query."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--data", str(data_dir),
                                    "--port", str(port), *options], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", Path(data_dir), process, log)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(server.endpoint, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"kg serve did not answer within {ready_within} s:\n{log.read_text()}")


def shared(*parts: str) -> Path:
    """A path under ``../shared``, or a skip when the shared material is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the W3C suites live in ../shared/w3c-sparql11 beside the repository")
    return path


def write_dataset(graphs: dict[str, Path], out: Path) -> Path:
    """An N-Quads file holding each RDF file as the named graph given for it (blank nodes kept apart)."""
    formats = {".ttl": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES, ".rdf": RdfFormat.RDF_XML}
    quads = []
    for n, (graph, path) in enumerate(sorted(graphs.items())):
        def term(t, n=n):
            return BlankNode(f"g{n}x{t.value}") if isinstance(t, BlankNode) else t
        for t in parse(path=str(path), format=formats[path.suffix], base_iri=path.as_uri()):
            quads.append(Quad(term(t.subject), t.predicate, term(t.object), NamedNode(graph)))
    serialize(quads, str(out), format=RdfFormat.N_QUADS)
    return out


def build_seeds(out: Path, seeds: Path = ROOT / "seeds") -> Path:
    """``kg build`` of ``seeds`` (the project's by default) into ``out``; fails the test with the build's stderr
    when it does not publish."""
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(seeds), "--out", str(out),
                          "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if run.returncode != 0 or not (out / "osce-kg.trig").is_file():
        pytest.fail(f"kg build of the seeds failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
    return out


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory) -> Path:
    """The seeds built by ``kg build`` into a temporary output folder (read-only for the tests)."""
    return build_seeds(tmp_path_factory.mktemp("seeds-build") / "output")


@pytest.fixture(scope="session")
def dataset(seeds_build) -> Dataset:
    """The seeds' build's TriG, parsed by rdflib (default graph: the union of the named graphs)."""
    ds = Dataset(default_union=True)
    ds.parse(seeds_build / "osce-kg.trig", format="trig")
    return ds


@pytest.fixture(scope="session")
def dump(seeds_build) -> Graph:
    """The seeds' build's N-Triples dump, parsed by rdflib."""
    return Graph().parse(data=gzip.decompress((seeds_build / "osce-kg.nt.gz").read_bytes()).decode(), format="nt")


@pytest.fixture(scope="session")
def base(seeds_build) -> str:
    """The base IRI the seeds were built with."""
    return json.loads((seeds_build / "build.json").read_text())["base"]


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    """An HTTP client on the seeds' server."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def start_server(tmp_path_factory) -> Iterator[Callable[..., Server]]:
    """A factory: ``start_server(data_dir, "--timeout", "2")`` → a running ``Server``, stopped at session end."""
    started: list[Server] = []

    def start(data_dir: Path, *options: str) -> Server:
        log = tmp_path_factory.mktemp("serve-log") / "serve.log"
        started.append(launch(data_dir, log, *options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(seeds_build, start_server) -> Server:
    """The real server over the seeds' build (default limits)."""
    return start_server(seeds_build)


STAND_IN_SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } # stand-in"


@pytest.fixture
def stand_in_slow(monkeypatch) -> str:
    """A query that takes 5 s in the engine's query threads of *this* process, then answers as an empty count.

    pyoxigraph cannot stop a query, and a thread abandoned at the time limit runs on until its process
    ends (in ``kg serve``, the supervisor replaces the process: tested over HTTP with real runaway queries).
    A real days-long query abandoned inside the test process would keep a core busy for the rest of the
    run, so the engine-level tests of the time limit and the queue use this stand-in."""
    from dataclasses import replace

    from kg.serve import engine

    real = engine._answer

    def answer(store, request):
        if request.sparql != STAND_IN_SLOW:
            return real(store, request)
        time.sleep(5)
        return real(store, replace(request, sparql="SELECT (COUNT(*) AS ?n) WHERE { FILTER(false) }"))

    monkeypatch.setattr(engine, "_answer", answer)
    return STAND_IN_SLOW
