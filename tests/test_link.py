"""``kg link`` against a local Oxigraph holding a Wikidata-shaped test fixture (fake QIDs; no network), the
reviewed table it writes, and the build's ``owl:sameAs`` that follow the table."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kg.link import Client, Facts, LinkFailed, Subject, decide, reconcile, retry_after, score_place, subjects
from kg.linkset import read_links, write_links

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "wikidata" / "fixture.ttl"
sys.path.insert(0, str(ROOT / "bench"))
from servers import OXIGRAPH, oxigraph_read_only  # noqa: E402

SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory):
    """The SPARQL query URL of a read-only Oxigraph over the fixture."""
    root = tmp_path_factory.mktemp("wikidata")
    subprocess.run([str(OXIGRAPH), "load", "--location", str(root / "store"), "--file", str(FIXTURE)],
                   check=True, capture_output=True)
    with oxigraph_read_only(root / "store", root / "oxigraph.log") as (url, _):
        yield url


def kg_link(data: Path, endpoint: str, table: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", "link", "--data", str(data), "--endpoint", endpoint,
                           "--table", str(table)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def kg_build(project: Path, out: str) -> Path:
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", "seeds", "--out", out, "--quiet"],
                         cwd=project, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return project / out


def decisions(table: Path) -> dict[tuple[str, str], str]:
    return {(k.entity.rsplit("/", 1)[-1], k.qid): k.status for k in read_links(table)}


# People whose QIDs people.tsv evidences: blanked in the project copy below, so that the graph built there
# is one where they have no QID yet (as before the table listed them) and kg link has them to reconcile.
UNEVIDENCED = ("Ian Borg", "Emomali Rahmon")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project (code, ontology, shapes, seeds) built into ``out/``, run by ``python -m kg.cli``
    from the copy, so its own ``ontology/reference/wikidata_links.tsv`` is the table its builds read."""
    project = tmp_path_factory.mktemp("project")
    for part in ("kg", "ontology", "shapes", "seeds"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    people = project / "ontology" / "reference" / "people.tsv"
    if people.is_file():
        lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
        header = lines[0].rstrip("\n").split("\t")
        name, qid = header.index("name"), header.index("qid")
        for n, line in enumerate(lines[1:], 1):
            cells = line.rstrip("\n").split("\t")
            if cells[name] in UNEVIDENCED:
                cells[qid] = ""
                lines[n] = "\t".join(cells) + "\n"
        people.write_text("".join(lines), encoding="utf-8")
    kg_build(project, "out")
    return project


@pytest.fixture(scope="module")
def linked(project, wikidata, tmp_path_factory) -> Path:
    table = tmp_path_factory.mktemp("links") / "wikidata_links.tsv"
    run = kg_link(project / "out", wikidata, table)
    assert run.returncode == 0, run.stderr
    assert "9 candidates" in run.stderr
    return table


def test_only_entities_without_a_qid_are_asked_for(seeds_build):
    """On the project's own build, people with an evidenced QID are not reconciled again."""
    import pyoxigraph as ox
    names = {s.name for s in subjects(ox.Store.read_only(str(seeds_build / "store")), ["person"])}
    assert "Marc Perrin de Brichambaut" in names  # people.tsv finds no QID for him
    evidenced = [r.split("\t")[0] for r in (ROOT / "ontology/reference/people.tsv").read_text().splitlines()[1:]
                 if r.split("\t")[1]] if (ROOT / "ontology/reference/people.tsv").is_file() else []
    assert evidenced and not names & set(evidenced)


def test_right_candidates_accepted_decoys_not(linked):
    got = decisions(linked)
    # homonyms: the Maltese minister in office on the release date, not the footballer
    assert got[("ian-borg", "Q999000001")] == "accepted"
    assert got[("ian-borg", "Q999000002")] == "rejected"
    assert got[("marc-perrin-de-brichambaut", "Q999000003")] == "accepted"
    # the right post, but held 2006-2008, not on the release date (2024)
    assert got[("sirojiddin-muhriddin", "Q999000004")] == "rejected"
    # an alias, in office on the date, but the graph's role ("President") says too little
    assert got[("emomali-rahmon", "Q999000005")] == "review"
    # a diplomat only a release names, in the post the release gives him on its date
    assert got[("willy-kempel", "Q999000006")] == "accepted"
    # one acronym, two organisations: the OSCE's institution is accepted, the namesake rejected
    assert got[("high-commissioner-on-national-minorities", "Q999000201")] == "accepted"
    assert got[("high-commissioner-on-national-minorities", "Q999000202")] == "rejected"
    assert got[("office-for-democratic-institutions-and-human-rights", "Q999000203")] == "accepted"
    assert not any(qid == "Q999000204" for _, qid in got)  # not an organisation: never a candidate


def test_rows_carry_evidence(linked, wikidata):
    row = next(k for k in read_links(linked) if k.qid == "Q999000001")
    assert (row.wikidata_label, row.wikidata_description) == ("Ian Borg", "TEST DATA: fake item, Maltese politician")
    assert row.endpoint == wikidata and len(row.query_date) == 10 and row.score >= 80
    assert "P39 Q999000101" in row.statements and "P27 Q233" in row.statements
    assert "fits its role" in row.reason
    decoy = next(k for k in read_links(linked) if k.qid == "Q999000004")
    assert "not the dates" in decoy.reason


def test_rerun_keeps_human_decisions(linked, project, wikidata, tmp_path):
    table = tmp_path / "wikidata_links.tsv"
    rows = read_links(linked)
    edited = [k.__class__(**{**k.__dict__, "status": {"Q999000005": "accepted", "Q999000203": "rejected"}
                              .get(k.qid, k.status)}) for k in rows]
    write_links(edited, table)
    run = kg_link(project / "out", wikidata, table)
    assert run.returncode == 0, run.stderr
    after = decisions(table)
    assert len(read_links(table)) == len(rows)  # nothing duplicated
    assert after[("emomali-rahmon", "Q999000005")] == "accepted"
    assert after[("office-for-democratic-institutions-and-human-rights", "Q999000203")] == "rejected"
    assert after[("ian-borg", "Q999000001")] == "accepted"


def test_build_follows_the_table(linked, project):
    """``kg build`` with the table kg link wrote, one row of it accepted by a reviewer: accepted rows become
    owl:sameAs on reference people (Ian Borg, Marc Perrin de Brichambaut, Emomali Rahmon) and institutions
    (reference graph) and on a person only a release names (Willy Kempel); review and rejected rows do not."""
    reviewed = [k.__class__(**{**k.__dict__, "status": "accepted"}) if k.qid == "Q999000005" else k
                for k in read_links(linked)]
    write_links(reviewed, project / "ontology" / "reference" / "wikidata_links.tsv")
    out = kg_build(project, "out-linked")
    nt = gzip.decompress((out / "osce-kg.nt.gz").read_bytes()).decode()
    same = {}
    for s, p, o in (line.split(" ", 2) for line in nt.splitlines()):
        if p == SAME_AS and ("/id/person/" in s or "/id/institution/" in s):
            same[s.rsplit("/", 1)[-1][:-1]] = o.removesuffix(" .")
    assert same["ian-borg"] == "<http://www.wikidata.org/entity/Q999000001>"
    assert same["marc-perrin-de-brichambaut"] == "<http://www.wikidata.org/entity/Q999000003>"
    assert same["high-commissioner-on-national-minorities"] == "<http://www.wikidata.org/entity/Q999000201>"
    assert same["emomali-rahmon"] == "<http://www.wikidata.org/entity/Q999000005>"
    assert same["willy-kempel"] == "<http://www.wikidata.org/entity/Q999000006>"
    assert "sirojiddin-muhriddin" not in same
    for decoy in ("Q999000002", "Q999000004", "Q999000202"):
        assert f"/entity/{decoy}>" not in nt
    assert "wikidata_links.tsv: accepted Q999000201" in nt  # the evidence travels with the link


class _Throttled(BaseHTTPRequestHandler):
    """Answers the first POST with ``status`` and ``Retry-After: retry()``, then forwards to the endpoint."""

    seen: list[tuple[float, str, int]] = []
    target = ""
    status = 429
    retry = staticmethod(lambda: "1")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        first = not self.seen
        self.seen.append((time.monotonic(), self.headers["User-Agent"], self.status if first else 200))
        if first:
            self.send_response(self.status)
            self.send_header("Retry-After", self.retry())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        r = httpx.post(self.target, content=body, headers={"Content-Type": self.headers["Content-Type"],
                                                            "Accept": self.headers["Accept"]})
        self.send_response(r.status_code)
        self.send_header("Content-Type", r.headers["Content-Type"])
        self.send_header("Content-Length", str(len(r.content)))
        self.end_headers()
        self.wfile.write(r.content)

    def log_message(self, *args) -> None:
        pass


def _http_date_in(seconds: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + seconds))


@pytest.mark.parametrize("status, retry, least", [(429, lambda: "1", 1.0), (503, lambda: _http_date_in(2), 1.0)],
                         ids=["429-seconds", "503-http-date"])
def test_retry_after_is_honoured(wikidata, status, retry, least):
    _Throttled.target, _Throttled.seen, _Throttled.status, _Throttled.retry = wikidata, [], status, staticmethod(retry)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttled)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}/sparql")
        rows = client.select('SELECT ?item WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> "Ian Borg"@en }')
    finally:
        server.shutdown()
    assert sorted(r["item"] for r in rows) == ["http://www.wikidata.org/entity/Q999000001",
                                               "http://www.wikidata.org/entity/Q999000002"]
    (t1, agent, s1), (t2, _, s2) = _Throttled.seen
    assert (s1, s2) == (status, 200) and client.requests == 2
    assert t2 - t1 >= least  # waited as Retry-After said
    assert agent.startswith("osce-kg/") and "kg link" in agent


def test_other_errors_fail_clearly(wikidata):
    with pytest.raises(LinkFailed, match=r"badly formed.*expected DISTINCT"):
        Client(wikidata, retries=0).select("SELECT nonsense")
    assert retry_after("7", 2.0) == 7.0 and retry_after(None, 2.0) == 2.0
    assert 0 < retry_after(_http_date_in(30), 2.0) <= 30


def test_a_place_needs_the_right_country():
    """Places: the namesake city in the country of the releases datelined there is accepted, the other
    rejected; with no country to tell them apart, both are left for review."""
    def city(qid: str, country: str) -> Facts:
        return Facts(qid, "Kruševac", "TEST DATA", matched={"Kruševac": "label"}, countries={country})

    def statuses(subject: Subject) -> list[tuple[str, str]]:
        scored = sorted(((f, score_place(subject, f)) for f in (city("Q999000401", "Q403"), city("Q999000402", "Q225"))),
                        key=lambda p: -p[1].points)
        return [(f.qid, status) for (f, _), (status, _) in zip(scored, decide(scored))]

    known = Subject("https://w3id.org/osce-kg/id/place/krusevac", "place", "Kruševac", {"Kruševac"}, countries={"Q403"})
    assert statuses(known) == [("Q999000401", "accepted"), ("Q999000402", "rejected")]
    unknown = Subject(known.iri, "place", "Kruševac", {"Kruševac"})
    assert sorted(statuses(unknown)) == [("Q999000401", "review"), ("Q999000402", "review")]


def test_a_qid_another_entity_has_is_rejected(wikidata):
    """A candidate whose QID the graph already gives another entity is rejected, and the next candidate is
    decided without it (the footballer alone is no longer outscored, so he is left for review)."""
    borg = Subject("https://w3id.org/osce-kg/id/person/borg", "person", "Ian Borg", {"Ian Borg"},
                   roles={"Minister for Foreign and European Affairs and Trade of Malta"},
                   dates={date(2024, 6, 26)}, countries={"Q233"})
    other = "https://w3id.org/osce-kg/id/person/ian-borg"
    rows = {k.qid: k for k in reconcile([borg], Client(wikidata), "2026-01-01", taken={"Q999000001": other})}
    assert rows["Q999000001"].status == "rejected" and rows["Q999000001"].reason.endswith(f"already the QID of {other}")
    assert rows["Q999000001"].score == 100 and rows["Q999000002"].status == "review"
