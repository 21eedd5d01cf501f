"""Soak: ``kg serve`` under load while its data folder is rebuilt again and again.

``python bench/soak.py --pages /tmp/kgbench/pages-20000 --work /tmp/kgbench-soak [--clients 16]
[--duration 120] [--every 15] [--json F]``

The pages are hard-linked into ``WORK/pages`` (never written: the page that changes is replaced by a
new file) and built into ``WORK/out``; ``kg serve`` runs over it with its default options. Then, for
``--duration`` seconds, ``--clients`` clients send requests one after another — the SPARQL body of the
page that changes, its HTML page, ``/dumps/SHA256SUMS``, the Service Description, VoID and the no-repeat
query mix (``bench/norepeat.py``) — while every ``--every`` seconds one page's body gets a new marker
sentence and ``kg build`` runs into the same ``WORK/out``.

Checked: every response is 200 and names its build (``X-Build``); the changed release's body has the
marker of the build named (the ids of the builds are known from their ``SHA256SUMS``); the served
``SHA256SUMS`` digests to the build named; the Service Description and VoID name it too. Also: how long after
each ``kg build`` returned its build first answered (``switch_s``), and the server's process tree's resident
memory after the first minute and at the end. The server holds one build's data in memory and two while it
switches, so memory is a saw-tooth with the period of the rebuilds: it is sampled every second, and each
figure is the peak (and the trough) over one rebuild period (``--every`` seconds) ending at the first
minute and at the end; the ratio compares the peaks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

import norepeat
import servers
from results import save

ROOT = Path(__file__).resolve().parent.parent
MARKER = "Soak marker {n} was added to this release."


def kg_build(pages: Path, out: Path) -> float:
    """``kg build`` (swapped into ``out``); its wall time."""
    start = time.monotonic()
    subprocess.run([str(servers.KG), "build", "--seeds", str(pages), "--out", str(out), "--quiet", "--keep-going"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def build_id(out: Path) -> str:
    """The id ``kg serve`` gives the build in ``out`` (a digest of its ``SHA256SUMS``)."""
    return hashlib.sha256((out / "SHA256SUMS").read_bytes()).hexdigest()[:12]


def target(out: Path) -> tuple[str, str, str]:
    """A published page of the build: its path, its release id and the IRI of the release."""
    info = json.loads((out / "build.json").read_text(encoding="utf-8"))
    path, release = sorted((p["path"], p["release"]["id"]) for p in info["pages"].values())[len(info["pages"]) // 2]
    return path, release, f"{info['base']}id/release/{release}"


def mark(original: Path, page: Path, n: int) -> None:
    """Write ``page`` as ``original`` with marker ``n`` appended to its first paragraph (a new file,
    renamed into place: the hard-linked original is never written)."""
    lines = original.read_text(encoding="utf-8").splitlines()
    i = max(i for i, line in enumerate(lines) if line.startswith("- ")) + 1  # the first paragraph after the menus
    lines[i] += " " + MARKER.format(n=n)
    tmp = page.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, page)


class Rebuilder(threading.Thread):
    """Changes the page and rebuilds every ``every`` seconds until stopped; ``markers`` maps build ids to
    the marker their page has."""

    def __init__(self, original: Path, pages: Path, out: Path, page: str, every: float) -> None:
        super().__init__(daemon=True)
        self.original, self.pages, self.out, self.page, self.every = original, pages, out, page, every
        self.markers: dict[str, int] = {build_id(out): 0}
        self.built_at: dict[str, float] = {}  # build id → when its ``kg build`` returned (monotonic)
        self.times: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.wait(max(0.0, self.every - (self.times[-1] if self.times else 0.0))):
            n += 1
            mark(self.original / self.page, self.pages / self.page, n)
            self.times.append(kg_build(self.pages, self.out))
            self.built_at[build_id(self.out)] = time.monotonic()
            self.markers[build_id(self.out)] = n


async def client(base: str, release_iri: str, mix: list[str], offset: int, until: float,
                 seen: list[tuple[str, str, str]], failures: Counter, first_seen: dict[str, float]) -> int:
    """Requests one after another until ``until``; each response's (kind, build, evidence) goes to ``seen``."""
    body_query = f"SELECT ?b WHERE {{ <{release_iri}> <https://schema.org/articleBody> ?b }}"
    kinds = ("body", "sums", "mix", "description", "void", "body", "mix", "page")
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            kind = kinds[(offset + done) % len(kinds)]
            try:
                if kind == "body":
                    r = await http.get("/sparql", params={"query": body_query})
                elif kind == "mix":
                    r = await http.post("/sparql", data={"query": mix[(offset * 997 + done) % len(mix)]})
                elif kind == "sums":
                    r = await http.get("/dumps/SHA256SUMS")
                elif kind == "description":
                    r = await http.get("/sparql", headers={"Accept": "text/turtle"})
                elif kind == "void":
                    r = await http.get("/void", headers={"Accept": "text/turtle"})
                else:
                    r = await http.get("/page/" + release_iri.split("/id/", 1)[1])
            except httpx.HTTPError as e:
                failures[f"{kind}: {type(e).__name__}"] += 1
                continue
            finally:
                done += 1
            if r.status_code != 200 or "x-build" not in r.headers:
                failures[f"{kind}: {r.status_code}"] += 1
                continue
            build = r.headers["x-build"]
            first_seen.setdefault(build, time.monotonic())
            if kind == "body":
                evidence = r.json()["results"]["bindings"][0]["b"]["value"]
                evidence = str(next((n for n in range(1000) if MARKER.format(n=n) in evidence), 0))
            elif kind == "sums":
                evidence = hashlib.sha256(r.content).hexdigest()[:12]
            elif kind in ("description", "void"):
                evidence = build if f'"{build}"' in r.text else "not named"
            else:
                evidence = ""
            seen.append((kind, build, evidence))
    return done


def inconsistent(seen: list[tuple[str, str, str]], markers: dict[str, int]) -> Counter:
    """Responses whose evidence contradicts the build they name."""
    bad: Counter = Counter()
    for kind, build, evidence in seen:
        if kind == "body" and (build not in markers or str(markers[build]) != evidence):
            bad[f"body of build {build} has marker {evidence}, expected {markers.get(build)}"] += 1
        elif kind in ("sums", "description", "void") and evidence != build:
            bad[f"{kind} of build {build} is {evidence}"] += 1
    return bad


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=Path, required=True, help="folder of pages (read only)")
    p.add_argument("--work", type=Path, required=True, help="working folder (pages' links, the build, logs)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=120.0, help="seconds of load (default: 120)")
    p.add_argument("--every", type=float, default=15.0, help="seconds between rebuilds' starts (default: 15)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    pages, out = args.work / "pages", args.work / "out"
    if not pages.is_dir():
        args.work.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(args.pages), str(pages)], check=True)
    print(f"soak: first build of {pages} ...", file=sys.stderr)
    first = kg_build(pages, out)
    page, _, release_iri = target(out)
    if not (pages / page).samefile(args.pages / page):  # marked by an earlier run: back to the original
        tmp = pages / (page + ".tmp")
        os.link(args.pages / page, tmp)
        os.replace(tmp, pages / page)
        first += kg_build(pages, out)
    print(f"soak: first build {first:.1f} s; the page that changes: {page}", file=sys.stderr)
    mix = norepeat.mix(out / "store", 400)
    rebuilder = Rebuilder(args.pages, pages, out, page, args.every)
    with servers.kg_serve(out, args.work / "serve.log") as (base, proc):
        memory: dict[str, float] = {}
        seen: list[tuple[str, str, str]] = []
        failures: Counter = Counter()
        first_seen: dict[str, float] = {}

        samples: list[tuple[float, float]] = []

        async def sample(until: float) -> None:
            start = time.monotonic()
            while time.monotonic() < until:
                samples.append((time.monotonic() - start, await asyncio.to_thread(servers.tree_rss_mib, proc.pid)))
                await asyncio.sleep(1.0)

        async def run() -> int:
            until = time.monotonic() + args.duration
            clients = [client(base, release_iri, mix, i, until, seen, failures, first_seen) for i in range(args.clients)]
            sampler = asyncio.create_task(sample(until))
            done = sum(await asyncio.gather(*clients))
            await sampler
            return done

        rebuilder.start()
        requests = asyncio.run(run())
        for name, end in (("after_1_min", 60.0), ("end", args.duration)):
            window = [mib for t, mib in samples if end - args.every <= t <= end]
            if window:
                memory[f"{name}_mib"], memory[f"{name}_low_mib"] = max(window), min(window)
        rebuilder.stop.set()
        rebuilder.join()
    bad = inconsistent(seen, rebuilder.markers)
    builds_seen = Counter(b for _, b, _ in seen)
    report = {"clients": args.clients, "duration_s": args.duration, "requests": requests,
              "failed": sum(failures.values()), "failures": dict(failures), "inconsistent": sum(bad.values()),
              "inconsistencies": dict(bad), "rebuilds": len(rebuilder.times),
              "rebuild_s": [round(t, 1) for t in rebuilder.times], "builds_answering": len(builds_seen),
              "switch_s": [round(first_seen[b] - t, 2) for b, t in rebuilder.built_at.items() if b in first_seen],
              "responses_per_build": dict(builds_seen), "memory": {k: round(v) for k, v in memory.items()},
              "memory_end_vs_1_min": round(memory["end_mib"] / memory["after_1_min_mib"], 3)
              if "after_1_min_mib" in memory else None}
    print(json.dumps(report, indent=1))
    save(report, args.json)
    return 1 if report["failed"] or report["inconsistent"] else 0


if __name__ == "__main__":
    sys.exit(main())
