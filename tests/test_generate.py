"""bench/generate.py: deterministic synthetic pages that the real pipeline publishes, every one."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.paths import REFERENCE_DIR, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

DATE = re.compile(r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
                  r"November|December) (\d{4})\b")


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_corpus_and_small_corpus_is_a_prefix(tmp_path):
    assert generate.main(["40", "--out", str(tmp_path / "a")]) == 0
    generate.write(40, tmp_path / "b")
    generate.write(60, tmp_path / "c")
    generate.write(40, tmp_path / "d", seed=1)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "c").iterdir())[:40] == sorted(p.name for p in (tmp_path / "a").iterdir())
    assert digest(tmp_path / "d") != digest(tmp_path / "a")
    assert not list(tmp_path.glob("*/.*.tmp")), "no temp files left behind"


def test_a_run_in_a_fresh_interpreter_gives_the_same_bytes(tmp_path):
    """Hash randomisation must not leak into the output."""
    for name, hashseed in (("x", "1"), ("y", "2")):
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "25", "--out", str(tmp_path / name)],
                       check=True, env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"})
    assert digest(tmp_path / "x") == digest(tmp_path / "y")


def test_pages_cover_every_form_and_speak_with_office_holders_of_their_date():
    sgs = list(csv.DictReader(open(REFERENCE_DIR / "secretaries_general.tsv", encoding="utf-8"), delimiter="\t"))
    chairs = {r["year"]: r["chairperson_in_office"]
              for r in csv.DictReader(open(REFERENCE_DIR / "chairpersonships.tsv", encoding="utf-8"), delimiter="\t")}
    firsts, years, checked = set(), set(), 0
    for _, text in generate.generate(300):
        lines = text.splitlines()
        firsts.add("seed" if lines[0] == "-" else lines[0] if lines[0] in ("Skip Links", "Newsroom", "Stories", "Resources") else "bare")
        day, month, year = DATE.search(text).groups()
        years.add(int(year))
        said = re.search(r"said the OSCE (Secretary General|Chair\w+-in-Office) ([^.,]+)\.", text)
        if said:
            role, name = said.groups()
            if role == "Secretary General":
                row = next(r for r in sgs if r["name"] == name)
                assert row["term_start"][:4] <= year <= (row["term_end"] or "9999")[:4], (name, year)
            else:
                assert chairs[year] == name, (name, year)
            checked += 1
    assert firsts >= {"seed", "Skip Links", "bare"} and firsts & {"Newsroom", "Stories", "Resources"}
    assert min(years) >= 1995 and max(years) <= 2025 and len(years) > 20
    assert checked > 10


def test_fifty_generated_pages_all_publish_through_kg_build(tmp_path):
    pages, out = tmp_path / "pages", tmp_path / "out"
    generate.write(50, pages)
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(pages), "--out", str(out),
                          "--quiet", "--keep-going"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    build = json.loads((out / "build.json").read_text(encoding="utf-8"))
    rejected = [f"{r['path']} [{r['stage']}]: {r['reason'][:120]}" for r in build["rejected"]]
    assert build["counts"]["pages"] == 50
    assert not rejected, "\n".join(rejected)
    assert build["counts"]["published"] == 50
    store = ox.Store()
    with gzip.open(out / "osce-kg.nt.gz") as dump:
        store.bulk_load(dump, format=ox.RdfFormat.N_TRIPLES)
    articles = list(store.query("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <https://schema.org/NewsArticle> }"))
    assert int(articles[0]["n"].value) == 50
