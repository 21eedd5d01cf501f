"""The shared sample corpus: title, content type, date, place and sources each right on ≥ 98 % of pages."""

import json
from pathlib import Path

import pytest

from kg.extract import extract
from kg.ingest import read_page

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KEYS = ("title", "content_type", "date", "place", "sources")


@pytest.fixture(scope="module")
def results():
    if not (CORPUS / "expected.jsonl").exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (../shared/corpus from the repository root)")
    gazetteer = pytest.importorskip("kg.gazetteer").Gazetteer.load()
    out = []
    for line in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        expected = json.loads(line)
        out.append((expected, extract(read_page(str(CORPUS / "docs" / expected["file"])), gazetteer), gazetteer))
    return out


def _right(key, expected, release, gazetteer) -> bool:
    if key == "date":
        return release.date in expected["date_any_of"]
    if key == "place" and expected["place"] and release.place:
        # spellings vary in the source (Prishtine/Pristina, Kharkov/Kharkiv): either is right
        known = gazetteer.place(expected["place"])
        return release.place in {expected["place"], known.label if known else None}
    return getattr(release, key) == expected[key]


@pytest.mark.parametrize("key", KEYS)
def test_field_accuracy(results, key):
    wrong = [(e["file"], getattr(r, key), e.get(key, e.get("date_any_of"))) for e, r, g in results
             if not _right(key, e, r, g)]
    accuracy = 1 - len(wrong) / len(results)
    assert len(results) == 60
    assert accuracy >= 0.98, f"{key}: {accuracy:.1%} right; wrong: {wrong}"


def test_topic_tagging_is_mostly_precise(results):
    """The site's own tags are a hint, not a target: most tags we give should be among them."""
    given = [(set(r.fields_of_work), set(e["fields_of_work"])) for e, r, _ in results if e["fields_of_work"]]
    hits = sum(len(ours & theirs) for ours, theirs in given)
    total = sum(len(ours) for ours, _ in given)
    assert total and hits / total >= 0.6, f"precision {hits}/{total}"
