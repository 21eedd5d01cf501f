"""`kg publish` against a real store: Oxigraph's server on a free loopback port."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from kg import cli, remote
from kg.paths import ROOT
from kg.remote import PublishError, publish, skolemize, update_endpoint_for

sys.path.insert(0, str(ROOT / "bench"))
from servers import oxigraph_server, select  # noqa: E402

GRAPH = "https://example.org/graph/test"
EX = "https://example.org/"


def write_dump(folder: Path, n: int, tag: str = "a") -> Path:
    """A build-like folder whose dump has ``n`` plain triples plus one blank node spanning the file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["_:b0 <https://example.org/p> \"first\" ."]
    lines += [f'<{EX}{tag}/{i}> <{EX}p> "{tag} {i}"@en .' for i in range(n)]
    lines += [f"<{EX}{tag}/0> <{EX}q> _:b0 ."]
    with gzip.open(folder / remote.DUMP, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    (folder / "build.json").write_text(json.dumps({"base": EX}), encoding="utf-8")
    return folder


def graph_rows(base: str, graph: str = GRAPH) -> list[dict[str, str]]:
    return select(base + "/query", f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def graphs(base: str) -> set[str]:
    return {r["g"] for r in select(base + "/query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}


@pytest.fixture
def store(tmp_path):
    with oxigraph_server(tmp_path / "store") as base:
        yield base


def test_skolemize_rewrites_subject_and_object_blank_nodes_only():
    genid = b"https://example.org/.well-known/genid/x-"
    assert skolemize(b'_:a <p> "_:not a node" .', genid) == b'<https://example.org/.well-known/genid/x-a> <p> "_:not a node" .'
    assert skolemize(b"<s> <p> _:b1 .", genid) == b"<s> <p> <https://example.org/.well-known/genid/x-b1> ."
    assert skolemize(b'<s> <p> "x" .', genid) == b'<s> <p> "x" .'


def test_update_endpoint_is_found_beside_known_graph_store_paths():
    assert update_endpoint_for("http://h:7878/store") == "http://h:7878/update"
    assert update_endpoint_for("http://h:8890/sparql-graph-crud-auth") == "http://h:8890/sparql-auth"
    assert update_endpoint_for("http://h:3030/ds/data") == "http://h:3030/ds/update"
    assert update_endpoint_for("http://h/unknown") is None


def test_chunked_upload_loads_every_triple_and_keeps_blank_nodes_joined(store, tmp_path):
    data = write_dump(tmp_path / "out", 50)
    assert publish(data, store + "/store", GRAPH, chunk_triples=7, progress=False) == 52
    rows = graph_rows(store)
    assert len(rows) == 52
    first = [r["s"] for r in rows if r["o"] == "first"]
    joined = [r["o"] for r in rows if r["p"] == f"{EX}q"]
    assert first == joined and first[0].startswith("https://example.org/.well-known/genid/")
    assert graphs(store) == {GRAPH}, "the staging graph must be gone after the swap"
    assert not list((data / ".publish").glob("*.json")), "state file removed after success"


def test_republish_replaces_the_graph(store, tmp_path):
    publish(write_dump(tmp_path / "a", 30, "a"), store + "/store", GRAPH, chunk_triples=8, progress=False)
    publish(write_dump(tmp_path / "b", 5, "b"), store + "/store", GRAPH, chunk_triples=8, progress=False)
    objects = [r["o"] for r in graph_rows(store)]
    assert len(objects) == 7 and {"b 0", "b 4", "first"} <= set(objects)
    assert not any(o.startswith("a ") for o in objects)


def test_interrupted_upload_resumes_and_readers_never_see_half_a_graph(store, tmp_path, monkeypatch):
    publish(write_dump(tmp_path / "old", 3, "old"), store + "/store", GRAPH, progress=False)
    data = write_dump(tmp_path / "new", 40, "new")
    sent: list[int] = []
    real_send = remote._Store.send

    def flaky(self, method, graph, body):
        if len(sent) == 3:
            raise PublishError("simulated network failure")
        sent.append(body.count(b"\n"))
        real_send(self, method, graph, body)

    monkeypatch.setattr(remote._Store, "send", flaky)
    with pytest.raises(PublishError, match="simulated"):
        publish(data, store + "/store", GRAPH, chunk_triples=5, progress=False)
    state = json.loads(next((data / ".publish").glob("*.json")).read_text())
    assert state["done"] == [0, 1, 2]
    assert {r["o"] for r in graph_rows(store)} >= {"old 0", "old 1", "old 2"}
    assert len(graph_rows(store)) == 5, "the live graph still holds the old version"

    sent.clear()
    monkeypatch.setattr(remote._Store, "send", lambda self, m, g, b: (sent.append(b.count(b"\n")), real_send(self, m, g, b)))
    assert publish(data, store + "/store", GRAPH, chunk_triples=5, progress=False) == 42
    assert sum(sent) == 42 - 15, "only the chunks not yet done are sent again"
    assert len(graph_rows(store)) == 42 and graphs(store) == {GRAPH}


def test_without_an_update_endpoint_the_graph_is_put_then_posted(store, tmp_path):
    publish(write_dump(tmp_path / "a", 10, "a"), store + "/store", GRAPH, progress=False)
    data = write_dump(tmp_path / "b", 12, "b")
    assert publish(data, store + "/store", GRAPH, update=store + "/no-such-endpoint",
                   chunk_triples=5, progress=False) == 14
    assert len(graph_rows(store)) == 14 and not any(r["o"].startswith("a ") for r in graph_rows(store))


def test_cli_publishes_into_the_dataset_graph_by_default(store, tmp_path, capsys):
    data = write_dump(tmp_path / "out", 4)
    assert cli.main(["publish", "--to", store + "/store", "--data", str(data)]) == 0
    assert len(graph_rows(store, EX + "dataset")) == 6
    assert "6 triples" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["no-dump", "unreachable", "bad-endpoint"])
def test_cli_failures_are_one_line_and_exit_1(case, store, tmp_path, capsys):
    data = tmp_path / "empty" if case == "no-dump" else write_dump(tmp_path / "out", 2)
    data.mkdir(exist_ok=True)
    url = {"no-dump": store + "/store", "unreachable": "http://127.0.0.1:9/store",
           "bad-endpoint": store + "/query"}[case]
    assert cli.main(["publish", "--to", url, "--data", str(data), "--update", store + "/nowhere"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("kg publish: ") and "\n" not in err


def test_graph_parameter_is_added_to_an_endpoint_that_has_its_own_query(tmp_path):
    """QLever takes its access token in the query string: it must survive next to ``graph``."""
    import httpx

    seen: list[httpx.URL] = []
    transport = httpx.MockTransport(lambda req: (seen.append(req.url), httpx.Response(204))[1])
    with httpx.Client(transport=transport) as client:
        remote._Store(client, "http://q:7001/?access-token=t", None, None).send("POST", GRAPH, b"")
    assert seen[0].params["access-token"] == "t" and seen[0].params["graph"] == GRAPH


# ---- kg serve --backend: the remote engine over a real Oxigraph server ------------------------------

@pytest.fixture(scope="module")
def seeds_on_oxigraph(tmp_path_factory):
    """The seeds' build, published by ``kg publish`` into an Oxigraph server (union default graph)."""
    import subprocess

    from kg.paths import SEEDS_DIR

    root = tmp_path_factory.mktemp("backend")
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(SEEDS_DIR), "--out",
                          str(root / "out"), "--quiet"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with oxigraph_server(root / "store", union=True) as base:
        assert cli.main(["publish", "--to", base + "/store", "--data", str(root / "out")]) == 0
        yield root / "out", base + "/query"


@pytest.fixture(scope="module")
def served(seeds_on_oxigraph, tmp_path_factory):
    from servers import kg_serve

    data, backend = seeds_on_oxigraph
    logs = tmp_path_factory.mktemp("logs")
    with kg_serve(data, logs / "embedded.log") as (embedded, _), \
            kg_serve(data, logs / "remote.log", backend, ("--timeout", "2", "--max-results", "500")) as (remote, _):
        yield embedded, remote


QUERY = ("SELECT ?r ?d WHERE { ?r a <https://schema.org/NewsArticle> ; <https://schema.org/datePublished> ?d } "
         "ORDER BY ?r")


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values"])
def test_backend_answers_in_every_format_like_the_embedded_store(served, accept):
    import httpx

    embedded, remote = served
    mine, theirs = (httpx.post(s + "/sparql", data={"query": QUERY}, headers={"Accept": accept}, timeout=30)
                    for s in (embedded, remote))
    assert mine.status_code == theirs.status_code == 200
    assert mine.headers["content-type"] == theirs.headers["content-type"]
    assert mine.content == theirs.content and len(mine.content) > 100


def test_backend_graph_results_and_ask(served):
    import httpx

    embedded, remote = served
    construct = ("CONSTRUCT { ?r <https://schema.org/headline> ?h } WHERE { ?r a <https://schema.org/NewsArticle> ; "
                 "<https://schema.org/headline> ?h }")
    for accept in ("text/turtle", "application/n-triples"):
        mine, theirs = (httpx.post(s + "/sparql", data={"query": construct}, headers={"Accept": accept}, timeout=30)
                        for s in (embedded, remote))
        assert theirs.status_code == 200 and mine.headers["content-type"] == theirs.headers["content-type"]
        assert sorted(mine.text.splitlines()) == sorted(theirs.text.splitlines()) and "headline" in mine.text
    ask = httpx.post(remote + "/sparql", data={"query": "ASK { ?r a <https://schema.org/NewsArticle> }"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert ask.json()["boolean"] is True


def test_backend_queries_stop_at_the_time_limit(served):
    import time

    import httpx

    _, remote = served
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    t0 = time.monotonic()
    r = httpx.post(remote + "/sparql", data={"query": endless}, timeout=60)
    assert r.status_code == 503 and time.monotonic() - t0 < 10


def test_backend_results_are_capped(served):
    import httpx

    _, remote = served
    r = httpx.post(remote + "/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=30)
    assert r.status_code == 500 and "500" in r.text


def test_unreachable_backend_is_a_one_line_error(tmp_path):
    import subprocess

    run = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--data", str(tmp_path), "--backend",
                          "http://127.0.0.1:9/query", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().startswith("kg serve: ") and "\n" not in run.stderr.strip()
