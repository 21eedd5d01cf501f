"""Deterministic generator of synthetic OSCE release pages, for benchmarks.

``python bench/generate.py N --out DIR [--seed S]`` writes N pages in the text-snapshot forms real
archives hold (the seeds' form with their navigation chrome, older newsroom pages, bare pages,
ODIHR-style pages). Names of States, partners, field operations, institutions and office holders
(Secretaries General and Chairpersons-in-Office of the page's date) come from the reference tables
in ``ontology/reference/``; the rest of the vocabulary lives in ``bench/data/generator.json``.
Page ``i`` depends only on ``(seed, i)``, so a small corpus is a prefix of a bigger one.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from kg.paths import REFERENCE_DIR, SEEDS_DIR

VOCAB_FILE = Path(__file__).resolve().parent / "data" / "generator.json"


def _tsv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _start(value: str) -> date:
    """First day a partial ISO date (``1998``, ``1996-06``, ``1998-07-23``) can mean."""
    parts = [int(p) for p in value.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def _end(value: str) -> date:
    """Last day a partial ISO date can mean (an empty value is open-ended)."""
    if not value:
        return date.max
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        nxt = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return nxt - timedelta(days=1)
    return date(parts[0], 12, 31)


def _is_date(value: str) -> bool:
    return bool(value) and value.replace("-", "").isdigit()


@dataclass(frozen=True)
class Vocab:
    """Everything a page is drawn from."""

    data: dict
    chromes: tuple[tuple[str, ...], ...]
    topics: tuple[str, ...]
    states: tuple[dict[str, str], ...]
    partners: tuple[dict[str, str], ...]
    field_ops: tuple[dict[str, str], ...]
    institutions: tuple[dict[str, str], ...]
    secretaries: tuple[dict[str, str], ...]
    chairs: dict[int, list[str]]


def _chrome(path: Path) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(lines[: lines.index("- About us") + 1])


def _topics(chrome: tuple[str, ...]) -> tuple[str, ...]:
    start = chrome.index("Fields of work") + 1
    end = chrome.index("- Field operations")
    return tuple(line[2:] for line in chrome[start:end])


@lru_cache(maxsize=1)
def load_vocab(seeds_dir: Path = SEEDS_DIR) -> Vocab:
    chromes = tuple(_chrome(p) for p in sorted(seeds_dir.glob("*.txt")))
    if not chromes:
        raise SystemExit(f"generate: no seed pages in {seeds_dir}")
    chairs = {int(r["year"]): r["chairperson_in_office"].split("|")
              for r in _tsv("chairpersonships.tsv")}
    return Vocab(
        data=json.loads(VOCAB_FILE.read_text(encoding="utf-8")),
        chromes=chromes,
        topics=_topics(chromes[0]),
        states=tuple(r for r in _tsv("participating_states.tsv") if _is_date(r["joined"])),
        partners=tuple(r for r in _tsv("partners.tsv") if _is_date(r["partner_since"])),
        field_ops=tuple(r for r in _tsv("field_operations.tsv") if _is_date(r["opened"])),
        institutions=tuple(r for r in _tsv("institutions.tsv")
                           if _is_date(r["established"]) and r["head_title"] != "unverified"),
        secretaries=tuple(_tsv("secretaries_general.tsv")),
        chairs=chairs,
    )


def _by_year(table: list, year: int):
    """The value of a ``[[from_year, value], ...]`` table in force in ``year``."""
    return [v for y, v in table if y <= year][-1]


def _fmt(d: date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


class _Page:
    """One synthetic release: picks its actors for a date, then renders one page form."""

    def __init__(self, vocab: Vocab, rng: random.Random) -> None:
        self.v, self.rng, data = vocab, rng, vocab.data
        lo, hi = data["years"]
        first = date(lo, 1, 1)
        self.day = first + timedelta(days=rng.randrange((date(hi, 12, 31) - first).days + 1))
        self.form = self._weighted(data["forms"])
        self.content_type = self._weighted(data["content_types"])
        self.slots = self._slots()

    # -- choosing ------------------------------------------------------------------------------
    def _weighted(self, shares: dict[str, float]) -> str:
        return self.rng.choices(list(shares), weights=list(shares.values()))[0]

    def _name(self, row: dict[str, str]) -> str | None:
        """A name of the State valid in the page's year (canonical or alias), or None."""
        year, dated = self.day.year, {d["name"]: d for d in self.v.data["dated_names"]}
        names = [row["name"]] + [n for n in row["other_names"].split("|") if n and n != row["name"]]
        ok = [n for n in names if n not in dated
              or dated[n].get("from", 0) <= year <= dated[n].get("until", 9999)]
        return self.rng.choice(ok) if ok else None

    def _states(self, k: int, first: str | None = None) -> list[tuple[str, str]]:
        """``k`` distinct (canonical, surface) State names participating at the page's date,
        the State named ``first`` leading when it participates then."""
        rows = [r for r in self.v.states if _start(r["joined"]) <= self.day]
        rows = self.rng.sample(rows, len(rows))
        rows.sort(key=lambda r: r["name"] != first)
        picked = []
        for r in rows:
            name = self._name(r)
            if name:
                picked.append((r["name"], name))
            if len(picked) == k:
                break
        return picked

    def _open(self, rows, start: str, end: str) -> list[dict[str, str]]:
        return [r for r in rows if _start(r[start]) <= self.day and
                (not _is_date(r[end]) or self.day <= _end(r[end]))]

    def _secretary(self) -> str | None:
        """The Secretary General in office that day; None in a vacancy or a month two terms share."""
        sgs = [r["name"] for r in self.v.secretaries
               if _start(r["term_start"]) <= self.day <= _end(r["term_end"])]
        return sgs[0] if len(sgs) == 1 else None

    def _chair(self) -> str | None:
        """The year's Chairperson-in-Office; None when the table lists several for that year."""
        names = self.v.chairs.get(self.day.year, [])
        return names[0] if len(names) == 1 else None

    def _slots(self) -> dict[str, str]:
        rng, year, data = self.rng, self.day.year, self.v.data
        kinds = ["chair", "sg", "field", "institution"]
        kind = "institution" if self.form == "odihr" else rng.choice(kinds)
        speaker = {"chair": self._chair, "sg": self._secretary}.get(kind, lambda: None)()
        if kind in ("chair", "sg") and speaker is None:
            kind = "field"
        ops = self._open(self.v.field_ops, "opened", "closed")
        op = rng.choice(ops)
        insts = [r for r in self.v.institutions if _start(r["established"]) <= self.day]
        odihr = [r for r in insts if r["acronym"] == "ODIHR"]
        inst = odihr[0] if self.form == "odihr" and odihr else rng.choice(insts)
        partners = self._open(self.v.partners, "partner_since", "ended") or list(self.v.partners[:1])
        states = self._states(2, first=op["host_country"] if kind == "field" else None)
        capitals = data["capitals"]
        if kind == "field" and op["host_country"] in capitals:
            city = capitals[op["host_country"]]
        elif kind == "institution":
            city = inst["seat"]
        else:
            city = capitals.get(states[0][0], "Vienna")
        inst_name = inst["name"] if "OSCE" in inst["name"] else "OSCE " + inst["name"]
        op_source = op["name"] + (" (closed)" if op["status"] == "closed" else "")
        sources = {"chair": [_by_year(data["chair_source"], year)], "sg": ["OSCE Secretary General"],
                   "field": [op_source], "institution": [inst_name]}[kind]
        if rng.random() < 0.25:
            sources.append(rng.choice([op_source, "OSCE Secretariat", *data["extra_sources"]]))
        topics = rng.sample(self.v.topics, 2)
        role = {"chair": "OSCE " + _by_year(data["chair_title"], year), "sg": "OSCE Secretary General"}
        return {
            "kind": kind, "speaker": speaker or "", "speaker_last": data["surnames"].get(speaker, (speaker or "").split(" ")[-1]),
            "speaker_role": role.get(kind, ""), "chair_title": _by_year(data["chair_title"], year),
            "country": states[0][1], "country2": states[1][1], "Country": states[0][1],
            "partner": rng.choice(partners)["name"], "field_op": op["name"], "institution": inst_name,
            "topic": topics[0], "topic_lc": self._lc(topics[0]), "topic2_lc": self._lc(topics[1]),
            "City": city, "CITY": city.upper(), "city2": capitals.get(states[1][0], "Vienna"),
            "CITY2": "VIENNA" if city != "Vienna" else "WARSAW",
            "sources": ", ".join(dict.fromkeys(sources)), "fields": ", ".join(topics),
        }

    def _lc(self, topic: str) -> str:
        return topic if topic in self.v.data["keep_case_topics"] else topic.lower()

    # -- rendering -----------------------------------------------------------------------------
    def _fill(self, template: str) -> str:
        return template.format(**self.slots)

    def _dateline(self, need_year: bool) -> str | None:
        data, rng = self.v.data, self.rng
        if not need_year and rng.random() < data["no_dateline_share"]:
            return None
        styles = [s for s in _by_year(data["dateline_styles"], self.day.year)
                  if not need_year or "{date}" in s]
        return self._fill(rng.choice(styles).replace("{date}", _fmt(self.day))
                          .replace("{daymonth}", f"{self.day.day} {self.day.strftime('%B')}"))

    def _paragraphs(self) -> list[str]:
        data, rng, kind = self.v.data, self.rng, self.slots["kind"]
        sentences = [self._fill(s) for s in rng.sample(data["sentences"], len(data["sentences"]))]
        said = data["said"] if self.slots["speaker"] else data["unnamed_said"]
        quotes = [self._fill(rng.choice(said).replace("{quote}", q))
                  for q in rng.sample(data["quotes"], rng.randint(1, 3))]
        paras = [self._fill(rng.choice(data["leads"][kind]))]
        body = [" ".join(sentences[i:i + 2]) for i in range(0, 2 * rng.randint(1, 4), 2)] + quotes
        rng.shuffle(body)
        return paras + body[: rng.randint(2, 7)]

    def render(self) -> str:
        paras = self._paragraphs()
        title = self._fill(self.rng.choice(self.v.data["titles"][self.slots["kind"]]))
        title = title[0].upper() + title[1:]
        form, day, s = self.form, self.day, self.slots
        if form == "seed":
            dateline = self._dateline(need_year=False)
            lines = [*self.rng.choice(self.v.chromes), self.content_type, title, "- Date:"]
            if dateline is None or str(day.year) not in dateline:
                lines.append("- " + _fmt(day))
            lines.append("- Place:")
            if dateline is not None:
                lines.append("- " + s["CITY"])
                paras[0] = dateline + paras[0]
            lines += ["- Source:", "- " + s["sources"], *paras]
        elif form == "newsroom":
            when = _fmt(day) if self.rng.random() < 0.3 else f"{s['CITY']} {_fmt(day)}"
            lines = [self.rng.choice(self.v.data["sections"]), title, when]
            if self.rng.random() < 0.3:
                lines.append(self._fill(self.rng.choice(self.v.data["captions"])))
            lines += paras
        elif form == "bare":
            paras[0] = self._dateline(need_year=True) + paras[0]
            lines = [title, "", *paras]
        else:
            lines = ["Skip Links", "News Item", title, *paras, f"Issued on: {_fmt(day)}",
                     f"Issued by: {s['sources']}", f"Fields of work: {s['fields']}"]
        return "\n".join(lines) + "\n"


def page(i: int, seed: int = 0, vocab: Vocab | None = None) -> tuple[str, str]:
    """Page ``i`` of the corpus for ``seed``: (file name, text)."""
    text = _Page(vocab or load_vocab(), random.Random(f"osce-kg:{seed}:{i}")).render()
    return f"{i:06d}_{hashlib.sha256(text.encode()).hexdigest()[:16]}.txt", text


def generate(n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    vocab = load_vocab()
    return (page(i, seed, vocab) for i in range(n))


def write(n: int, out: Path, seed: int = 0) -> int:
    """Write ``n`` pages into ``out`` (each file written to a temp name, then renamed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generate(n, seed):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="generate.py", description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, metavar="N", help="number of pages")
    p.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = p.parse_args(argv)
    if args.n < 0:
        p.error("N must be >= 0")
    write(args.n, args.out, args.seed)
    print(f"generate: {args.n} pages in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
