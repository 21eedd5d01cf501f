"""Score extraction against the hand annotations of real pages (``../shared/corpus/real/annotations.jsonl``).

``python bench/annotations_score.py [--corpus DIR] [--pages] [--json]`` extracts every annotated page and
prints precision, recall and F1 of mentions and people, and quotations: how many annotated quotations were
found (recall) and how many got the annotated speaker (speaker accuracy, over all annotated quotations, a
missed quotation counting as wrong). With ``--pages`` each page's misses follow.

Scoring, as the corpus README says: a mention's canonical name resolves to its IRI through the reference
graph's labels (``rdfs:label`` and ``skos:altLabel``, matched by ``kg.reference.normalise``), and sets of
IRIs are compared per page; people are compared by name (normalised: case, diacritics); a quotation matches
an extracted one whose text starts with the annotated first words. A page that yields no record scores as
all misses. The OSCE itself, which the extractor reports as a mention of every release, is left out: the
annotation rules never list it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib.namespace import RDFS, SKOS

from kg.extract import extract
from kg.gazetteer import Gazetteer
from kg.ingest import read_page
from kg.record import ExtractionError, Release
from kg.reference import normalise, shared_reference

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
KINDS = ("mentions", "people")


@dataclass
class Tally:
    """True positives, false positives and false negatives of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, ours: set[str], theirs: set[str]) -> tuple[set[str], set[str]]:
        """Count one page; returns (spurious, missed)."""
        self.tp += len(ours & theirs)
        self.fp += len(ours - theirs)
        self.fn += len(theirs - ours)
        return ours - theirs, theirs - ours

    def figures(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {"precision": round(p, 3), "recall": round(r, 3),
                "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0, "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class PageScore:
    file: str
    error: str | None = None
    misses: dict[str, list[str]] = field(default_factory=dict)


def label_index() -> dict[str, str]:
    """Normalised label or alternative label → IRI, over the reference graph."""
    g = shared_reference()
    index: dict[str, str] = {}
    for prop in (RDFS.label, SKOS.altLabel):
        for s, o in sorted(g.subject_objects(prop)):
            index.setdefault(normalise(str(o)), str(s))
    return index


def _words(text: str) -> str:
    return " ".join(normalise(text).replace("’", "'").split())


def score_quotes(release: Release | None, expected: list[dict]) -> tuple[int, int, int, list[str]]:
    """(found, speaker right, extracted quotations, notes on the wrong ones) for one page."""
    ours = [(_words(q.text), q.speaker) for q in release.quotes] if release else []
    found = right = 0
    notes = []
    used: set[int] = set()
    for q in expected:
        start = _words(q["start"])
        k = next((k for k, (text, _) in enumerate(ours) if k not in used and text.startswith(start)), None)
        if k is None:
            notes.append(f"missed quotation “{q['start']}…” ({q['speaker'] or 'no speaker'})")
            continue
        used.add(k)
        found += 1
        if normalise(ours[k][1] or "") == normalise(q["speaker"] or ""):
            right += 1
        else:
            notes.append(f"“{q['start']}…”: speaker {ours[k][1]!r}, annotated {q['speaker']!r}")
    notes += [f"extra quotation “{ours[k][0][:50]}…”" for k in range(len(ours)) if k not in used]
    return found, right, len(ours), notes


def score(corpus: Path = CORPUS) -> tuple[dict[str, object], list[PageScore]]:
    """Overall figures and per-page misses for every annotated page of ``corpus``."""
    gazetteer = Gazetteer.load()
    labels = label_index()
    osce = labels[normalise("Organization for Security and Co-operation in Europe")]  # never annotated (the rules: "The OSCE itself is never listed")
    tallies = {kind: Tally() for kind in KINDS}
    quotes = {"annotated": 0, "found": 0, "speaker_right": 0, "extracted": 0}
    pages: list[PageScore] = []
    for line in (corpus / "annotations.jsonl").read_text(encoding="utf-8").splitlines():
        ann = json.loads(line)
        page = PageScore(ann["file"])
        try:
            release: Release | None = extract(read_page(str(corpus / "docs" / ann["file"])), gazetteer)
        except ExtractionError as e:
            release, page.error = None, str(e)
        theirs = {labels.get(normalise(m["name"]), "unresolved:" + m["name"]) for m in ann["mentions"]}
        ours = {m.iri for m in release.mentions if m.iri != osce} if release else set()
        names = {m.iri: m.name for m in release.mentions} if release else {}
        extra, missed = tallies["mentions"].add(ours, theirs)
        page.misses["mentions"] = ([f"missed {_short(i, ann)}" for i in sorted(missed)]
                                   + [f"extra {names[i]!r} ({i})" for i in sorted(extra)])
        theirs = {normalise(p["name"]) for p in ann["people"]}
        ours = {normalise(p.name) for p in release.people} if release else set()
        extra, missed = tallies["people"].add(ours, theirs)
        page.misses["people"] = [f"missed {n}" for n in sorted(missed)] + [f"extra {n}" for n in sorted(extra)]
        found, right, extracted, notes = score_quotes(release, ann["quotes"])
        quotes["annotated"] += len(ann["quotes"])
        quotes["found"] += found
        quotes["speaker_right"] += right
        quotes["extracted"] += extracted
        page.misses["quotes"] = notes
        pages.append(page)
    n = quotes["annotated"] or 1
    overall: dict[str, object] = {
        "pages": len(pages), "pages_without_record": sum(p.error is not None for p in pages),
        **{kind: t.figures() for kind, t in tallies.items()},
        "quotes": {**quotes, "recall": round(quotes["found"] / n, 3),
                   "speaker_accuracy": round(quotes["speaker_right"] / n, 3)},
    }
    return overall, pages


def _short(iri: str, ann: dict) -> str:
    return iri.removeprefix("unresolved:") + (" (not in the reference graph)" if iri.startswith("unresolved:") else "")


def report(overall: dict[str, object], pages: Iterable[PageScore], per_page: bool) -> str:
    lines = [f"{overall['pages']} annotated pages, {overall['pages_without_record']} without a record"]
    for kind in KINDS:
        f = overall[kind]
        lines.append(f"{kind:9} precision {f['precision']:.3f}  recall {f['recall']:.3f}  F1 {f['f1']:.3f}"
                     f"  (tp {f['tp']}, fp {f['fp']}, fn {f['fn']})")
    q = overall["quotes"]
    lines.append(f"quotes    found {q['found']}/{q['annotated']} (recall {q['recall']:.3f}), speaker right "
                 f"{q['speaker_right']}/{q['annotated']} ({q['speaker_accuracy']:.1%}), {q['extracted']} extracted")
    if per_page:
        for p in pages:
            notes = [f"  {kind}: {m}" for kind, ms in p.misses.items() for m in ms]
            if p.error or notes:
                lines.append(f"{p.file}" + (f": no record ({p.error})" if p.error else ""))
                lines += notes
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="folder with annotations.jsonl and docs/")
    ap.add_argument("--pages", action="store_true", help="list each page's misses")
    ap.add_argument("--json", action="store_true", help="print the overall figures as JSON")
    args = ap.parse_args(argv)
    if not (args.corpus / "annotations.jsonl").exists():
        print(f"no annotations.jsonl in {args.corpus}", file=sys.stderr)
        return 2
    overall, pages = score(args.corpus)
    print(json.dumps(overall, indent=1) if args.json else report(overall, pages, args.pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
