"""Real snapshots of older site versions (``../shared/corpus/real``): every release read, every other page
rejected with its reason; title, date and place right on ≥ 98 % of the releases."""

import json
import unicodedata
from pathlib import Path

import pytest

from kg.extract import extract
from kg.ingest import read_page
from kg.record import ExtractionError

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
FLOOR = 0.98


@pytest.fixture(scope="module")
def results():
    if not (REAL / "expected.jsonl").exists():
        pytest.skip(f"real corpus not found at {REAL} (../shared/corpus/real from the repository root)")
    gazetteer = pytest.importorskip("kg.gazetteer").Gazetteer.load()
    out = []
    for line in (REAL / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        expected = json.loads(line)
        try:
            got = extract(read_page(str(REAL / "docs" / expected["file"])), gazetteer)
        except ExtractionError as e:
            got = e
        out.append((expected, got, gazetteer))
    return out


def _fold(name: str | None) -> str:
    return unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().casefold()


def _place_right(expected, release, gazetteer) -> bool:
    """The expected city in any case and with or without diacritics, or its gazetteer spelling."""
    if expected["place"] is None:
        return release.place is None
    known = gazetteer.place(expected["place"])
    return _fold(release.place) in {_fold(expected["place"]), _fold(known[0] if known else None)}


def _releases(results):
    return [(e, r, g) for e, r, g in results if not e.get("error_ok")]


def test_the_corpus_is_all_there(results):
    assert len(results) == 52 and len(_releases(results)) == 44


def test_every_release_yields_a_record(results):
    lost = [(e["file"], str(r)) for e, r, _ in _releases(results) if isinstance(r, ExtractionError)]
    assert not lost, f"{len(lost)} releases without a record: {lost}"


@pytest.mark.parametrize("key", ["title", "date", "place"])
def test_field_accuracy(results, key):
    right = {"title": lambda e, r, g: r.title == e["title"],
             "date": lambda e, r, g: r.date in e["date_any_of"],
             "place": _place_right}[key]
    read = [(e, r, g) for e, r, g in _releases(results) if not isinstance(r, ExtractionError)]
    wrong = [(e["file"], getattr(r, key), e["date_any_of"] if key == "date" else e[key])
             for e, r, g in read if not right(e, r, g)]
    accuracy = 1 - len(wrong) / len(_releases(results))
    assert accuracy >= FLOOR, f"{key}: {accuracy:.1%} right; wrong: {wrong}"


def test_labelled_content_types_are_read(results):
    wrong = [(e["file"], r.content_type, e["content_type"]) for e, r, _ in _releases(results)
             if e["content_type"] and not isinstance(r, ExtractionError) and r.content_type != e["content_type"]]
    assert not wrong


def test_pages_that_are_not_releases_are_rejected_with_a_reason(results):
    others = [(e, r) for e, r, _ in results if e.get("error_ok")]
    assert len(others) == 8
    accepted = [e["file"] for e, r in others if not isinstance(r, ExtractionError)]
    assert not accepted, f"read as releases: {accepted}"
    for e, r in others:
        reason = str(r)
        assert reason and "\n" not in reason, e["file"]
        # the reason names what was found and what was missing, or what the page is
        assert "listing" in reason or "found" in reason, (e["file"], reason)


def test_listings_are_named_as_such(results):
    reasons = {e["file"]: str(r) for e, r, _ in results if "negative_listing" in e.get("tags", [])}
    assert reasons and all("listing of" in reason for reason in reasons.values()), reasons


def test_a_date_in_running_text_is_not_a_release_date(results):
    """Pages whose only dates are those of the events they report: rejected, not dated by a body sentence."""
    undated = [(e["file"], r) for e, r, _ in results if "date_only_in_body" in e.get("tags", [])]
    assert undated
    for name, r in undated:
        assert isinstance(r, ExtractionError) and "no dateline, date line or date field" in str(r), (name, r)


def test_captions_are_kept_apart(results):
    """`… Photo details` captions (one or two lines) and photographer credits: never paragraphs or quotes."""
    tagged = [(e, r) for e, r, _ in _releases(results) if "photo_details" in e.get("tags", [])]
    assert tagged
    for e, r in tagged:
        assert r.captions and all(c.endswith("Photo details") for c in r.captions), e["file"]
        assert not any("Photo details" in p or "(OSCE/" in p or "/OSCE)" in p for p in r.paragraphs), e["file"]
        assert not any("Photo details" in q.text for q in r.quotes), e["file"]
    two_lines = [r for e, r in tagged if "multiline_caption" in e.get("tags", [])]
    assert two_lines and all(len(r.captions) == 1 and "together with the Chairman" in r.captions[0]
                             for r in two_lines)
