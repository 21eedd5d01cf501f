"""``kg query`` as a user runs it (a subprocess) against the real server on the seeds' build."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from rdflib import Dataset, Graph, Literal

from kg.paths import ROOT

SCHEMA = "https://schema.org/"
QUERY = f"SELECT ?s ?date WHERE {{ ?s a <{SCHEMA}NewsArticle> ; <{SCHEMA}datePublished> ?date }} ORDER BY ?s"


def kg_query(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", "query", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def expected_rows(dataset: Dataset) -> list[tuple[str, str]]:
    rows = [(str(s), str(d)) for s, d in dataset.query(QUERY)]
    assert len(rows) >= 2
    return rows


def test_table(server, dataset):
    run = kg_query(QUERY, "--endpoint", server.endpoint)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["s", "date"] and set(lines[1]) <= {"-", " "}
    assert [tuple(line.split()) for line in lines[2:-1]] == expected_rows(dataset)
    assert lines[-1] == f"({len(expected_rows(dataset))} rows)"


def test_json_from_a_file(server, dataset, tmp_path):
    (tmp_path / "q.rq").write_text(QUERY, encoding="utf-8")
    run = kg_query(f"@{tmp_path / 'q.rq'}", "--endpoint", server.endpoint, "--format", "json")
    assert run.returncode == 0, run.stderr
    bindings = json.loads(run.stdout)["results"]["bindings"]
    assert [(b["s"]["value"], b["date"]["value"]) for b in bindings] == expected_rows(dataset)


def test_csv_from_stdin(server, dataset):
    run = kg_query("-", "--endpoint", server.endpoint, "--format", "csv", stdin=QUERY)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["s", "date"] and [tuple(r) for r in rows[1:]] == expected_rows(dataset)


def test_ask_and_construct(server, dataset):
    run = kg_query(f"ASK {{ ?s a <{SCHEMA}NewsArticle> }}", "--endpoint", server.endpoint)
    assert (run.returncode, run.stdout) == (0, "true\n")
    construct = f"CONSTRUCT WHERE {{ ?s a <{SCHEMA}NewsArticle> ; <{SCHEMA}headline> ?h }}"
    expected = dataset.query(construct).graph
    for fmt, parser in [("table", "turtle"), ("json", "json-ld"), ("csv", "nt")]:
        run = kg_query(construct, "--endpoint", server.endpoint, "--format", fmt)
        assert run.returncode == 0, run.stderr
        got = Graph().parse(data=run.stdout, format=parser)
        assert set(got) == set(expected) and any(isinstance(o, Literal) for o in got.objects())


@pytest.mark.parametrize("args, message", [
    (["SELECT ?s WHERE { ?s a }"], "error at"),
    (["INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"], "read-only"),
    (["@/no/such/file.rq"], "cannot read the query"),
    (["   "], "empty"),
])
def test_errors_are_one_line_and_exit_1(server, args, message):
    run = kg_query(*args, "--endpoint", server.endpoint)
    assert run.returncode == 1 and run.stdout == ""
    assert message in run.stderr and run.stderr.count("\n") == 1 and run.stderr.startswith("kg query: ")


def test_unreachable_endpoint(server):
    run = kg_query("ASK {}", "--endpoint", "http://127.0.0.1:9/sparql")
    assert run.returncode == 1 and "cannot reach" in run.stderr and run.stderr.count("\n") == 1
    run = kg_query("ASK {}", "--endpoint", server.url + "/not-sparql")
    assert run.returncode == 1 and "no SPARQL endpoint" in run.stderr
