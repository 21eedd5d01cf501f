"""Evidence a user can follow: no data file and no literal of the published graph cites a local path.

The reference tables cite osce.org pages, the shared tables' own evidence strings and
``github:owner/repo:path@commit``; a path on the machine that built the graph (``/work/...``, ``../shared``,
``file:``, a page of ``seeds/``) means nothing to a reader of the graph.
"""

from __future__ import annotations

import re

from rdflib import Literal

from kg.paths import ONTOLOGY_DIR, SHAPES_DIR

LOCAL = re.compile(r"(?:/work/|/home/|/tmp/|/root/|/Users/|file:|\.\./shared|(?<![\w.])seeds/\w)")


def _hits(text: str) -> list[str]:
    return [text[max(0, m.start() - 40):m.end() + 40] for m in LOCAL.finditer(text)]


def test_the_pattern_finds_what_it_should():
    cited = ["/work/shared/corpus/README.md (x)", "see ../shared/reference/people.tsv", "file:///tmp/a.ttl",
             "seeds/000_4d3567976e25b523.txt (menu)", "/home/me/notes"]
    assert all(_hits(t) for t in cited)
    fine = ["https://osce.org/it/secretariat", "github:every-politician-scrapers/world@4a3b394 html/holders21.csv",
            "shared reference table people.tsv, evidence: https://osce.org/x", "Fields of work / Elections"]
    assert not any(_hits(t) for t in fine)


def test_no_data_file_cites_a_local_path():
    files = sorted(p for d in (ONTOLOGY_DIR, SHAPES_DIR) for p in d.rglob("*") if p.is_file())
    assert any(p.name == "people.tsv" for p in files) and any(p.suffix == ".ttl" for p in files)
    found = {str(p.relative_to(ONTOLOGY_DIR.parent)): h for p in files if (h := _hits(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_no_literal_of_the_published_graph_holds_a_local_path(dump):
    literals = {str(o) for o in dump.objects() if isinstance(o, Literal)}
    assert any(s.startswith("https://osce.org") or " https://osce.org" in s for s in literals)  # evidence is there
    assert sorted(h for s in literals for h in _hits(s)) == []
