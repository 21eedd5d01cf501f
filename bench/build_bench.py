"""Build benchmark: ``kg build`` end to end on N generated pages, then an incremental rebuild.

``python bench/build_bench.py N --work DIR [--pages SRC] [--jobs J] [--json FILE]`` generates N pages
(reusing ``DIR/pages-N`` when complete; with ``--pages``, hard-links the pages of SRC there instead),
runs ``kg build`` into ``DIR/out-N`` from scratch, then changes one page (a new file renamed over the
link, so SRC is never modified) and rebuilds. It reports wall time, pages/s, the build's own per-stage times (``time:`` line),
peak memory of the whole process tree (sampled from /proc every 50 ms) and whether every page was
published.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import generate
from servers import tree_rss_mib
from results import save

KG = Path(sys.executable).with_name("kg")


def timed_build(pages: Path, out: Path, jobs: int) -> dict:
    """Run ``kg build`` once; wall time, peak tree memory and the build's own stage times."""
    cmd = [str(KG), "build", "--seeds", str(pages), "--out", str(out), "--quiet", "--keep-going", "--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss_mib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"build_bench: kg build failed ({proc.returncode}):\n{err[-3000:]}")
    stages = {}
    for line in err.splitlines():
        if line.strip().startswith("time:"):
            for part in line.split(":", 1)[1].split(","):
                name, _, secs = part.strip().rpartition(" ")
                stages[name] = float(secs.rstrip("s"))
    counts = json.loads((out / "build.json").read_text(encoding="utf-8"))["counts"]
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(peak[0]), "stages_s": stages, "counts": counts,
            "summary": next((line for line in err.splitlines() if line.startswith("kg build:")), "")}


def replace_text(path: Path, text: str) -> None:
    """Write ``path`` as a new file renamed into place (a hard link's other name keeps the old bytes)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def change_one_page(pages: Path) -> tuple[Path, str]:
    """Append a sentence to the middle page's last paragraph; returns the page and its old text."""
    files = sorted(pages.glob("*.txt"))
    victim = files[len(files) // 2]
    old = victim.read_text(encoding="utf-8")
    replace_text(victim, old.rstrip("\n") + " The benchmark changed this paragraph.\n")
    return victim, old


def link_pages(src: Path, dest: Path) -> None:
    """``dest`` holding hard links to the pages of ``src``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for page in src.glob("*.txt"):
        os.link(page, dest / page.name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int)
    p.add_argument("--work", type=Path, required=True, help="folder for pages and outputs")
    p.add_argument("--pages", type=Path, help="use the N pages in this folder (read-only) instead of generating")
    p.add_argument("--jobs", type=int, default=0, help="kg build --jobs (default: one per core)")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    pages, out = args.work / f"pages-{args.n}", args.work / f"out-{args.n}"
    if args.pages is not None and args.pages.resolve() != pages.resolve():
        link_pages(args.pages, pages)
    if len(list(pages.glob("*.txt"))) != args.n:
        shutil.rmtree(pages, ignore_errors=True)
        generate.write(args.n, pages)
    shutil.rmtree(out, ignore_errors=True)
    full = timed_build(pages, out, args.jobs)
    full["pages_per_s"] = round(args.n / full["wall_s"], 1)
    victim, old = change_one_page(pages)
    try:
        incremental = timed_build(pages, out, args.jobs)
    finally:
        replace_text(victim, old)
    result = {"n": args.n, "jobs": args.jobs, "full": full, "incremental": incremental, "changed": victim.name}
    print(json.dumps(result, indent=1))
    save(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
