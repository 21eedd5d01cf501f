"""The real snapshots rearranged: does the finder read unseen arrangements of known parts?

``python bench/real_variants.py`` takes the releases of ``../shared/corpus/real`` and rewrites each page in
memory (never saved) in one way per variant — the dateline's city in mixed case, its month abbreviated, its
day with a leading zero or an ordinal, a standfirst under the title, a date line above the title with the
dateline removed, a label in capitals, CRLF line ends — then counts the pages whose title, date and place
are still right (as ``tests/test_extract_real.py`` judges them), and checks the pages that are not releases
are still rejected. Prints one line per variant.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"
sys.path.insert(0, str(ROOT))

from kg.extract import extract  # noqa: E402
from kg.extract.dateline import Dateline, parse_dateline  # noqa: E402
from kg.ingest import page_from_bytes  # noqa: E402
from kg.record import ExtractionError  # noqa: E402

STANDFIRST = ("Representatives of the authorities, civil society and international organizations from the region "
              "discuss the next steps")


def _on_dateline(text: str, rewrite: Callable[[str, Dateline], str]) -> str | None:
    """``text`` with its first dated dateline's raw text rewritten, or None when it has none."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        d = parse_dateline(line.strip()) if line.strip() else None
        if d and d.date and d.date.year:
            lines[i] = line.replace(d.raw, rewrite(d.raw, d), 1)
            return "\n".join(lines)
    return None


def _under_title(text: str, expected: dict, extra: str) -> str | None:
    lines = text.split("\n")
    if expected["title"] not in lines:
        return None
    lines.insert(lines.index(expected["title"]) + 1, extra)
    return "\n".join(lines)


def _date_above(text: str, expected: dict) -> str | None:
    """A ``Place, d Month yyyy`` line above the title, and no dateline."""
    lines = text.split("\n")
    if expected["title"] not in lines or not expected["place"]:
        return None
    for i, line in enumerate(lines):
        if line.strip() and (d := parse_dateline(line.strip())):
            lines[i] = d.rest
            day = date.fromisoformat(expected["date_any_of"][0])
            lines.insert(lines.index(expected["title"]),
                         f"{expected['place'].title()}, {day.day} {day:%B} {day.year}")
            return "\n".join(lines)
    return None


def _month(raw: str, d: Dateline) -> str:
    name = f"{date(2000, d.date.month, 1):%B}"
    return re.sub(name, "Sept." if name == "September" else name if len(name) <= 4 else name[:3] + ".", raw,
                  flags=re.IGNORECASE)


VARIANTS: dict[str, Callable[[str, dict], str | None]] = {
    "city in mixed case": lambda t, e: _on_dateline(t, lambda raw, d: raw.replace(d.places[0], d.places[0].title(), 1)),
    "month abbreviated": lambda t, e: _on_dateline(t, _month),
    "day with a leading zero": lambda t, e: _on_dateline(
        t, lambda raw, d: re.sub(rf"\b{d.date.day}\b", f"{d.date.day:02d}", raw, count=1)),
    "day as an ordinal": lambda t, e: _on_dateline(
        t, lambda raw, d: re.sub(rf"\b{d.date.day}\b", f"{d.date.day}th", raw, count=1)),
    "standfirst (a sentence)": lambda t, e: _under_title(t, e, STANDFIRST + "."),
    "standfirst (no full stop)": lambda t, e: _under_title(t, e, STANDFIRST),
    "date line above the title, no dateline": _date_above,
    "label in capitals above": lambda t, e: "PRESS RELEASE\n\n" + t,
    "CRLF": lambda t, e: t.replace("\n", "\r\n"),
}


def _fold(name: str | None) -> str:
    return unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().casefold()


def _right(expected: dict, text: str, gazetteer) -> bool:
    try:
        r = extract(page_from_bytes(expected["file"], text.encode()), gazetteer)
    except ExtractionError:
        return False
    known = gazetteer.place(expected["place"]) if expected["place"] else None
    place = r.place is None if expected["place"] is None else _fold(r.place) in {
        _fold(expected["place"]), _fold(known[0] if known else None)}
    return r.title == expected["title"] and r.date in expected["date_any_of"] and place


def main() -> int:
    if not (REAL / "expected.jsonl").exists():
        print(f"real corpus not found at {REAL}", file=sys.stderr)
        return 2
    from kg.gazetteer import Gazetteer

    gazetteer = Gazetteer.load()
    pages = [(e, (REAL / "docs" / e["file"]).read_text(encoding="utf-8"))
             for e in map(json.loads, (REAL / "expected.jsonl").read_text(encoding="utf-8").splitlines())]
    for name, variant in VARIANTS.items():
        texts = [(e, variant(text, e)) for e, text in pages if not e.get("error_ok")]
        texts = [(e, t) for e, t in texts if t is not None]
        right = sum(_right(e, t, gazetteer) for e, t in texts)
        others = [(e, variant(text, e)) for e, text in pages if e.get("error_ok")]
        accepted = sum(_accepted(e, t, gazetteer) for e, t in others if t is not None)
        print(f"{name}: {right}/{len(texts)} releases right; {accepted} of {len(others)} other pages accepted")
    return 0


def _accepted(expected: dict, text: str, gazetteer) -> bool:
    try:
        extract(page_from_bytes(expected["file"], text.encode()), gazetteer)
    except ExtractionError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
