"""Incremental kg build: a rebuild from the cache publishes exactly what a clean build publishes; the
cache is ignored when its fingerprint differs; the output folder is swapped atomically; output is clean."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import atomic, buildcache
from kg.paths import SEEDS_DIR
from kg.store import open_store

pytest.importorskip("kg.extract", reason="kg build needs kg.extract")

BASE = "http://kg.test/"
FILES = ("osce-kg.ttl", "osce-kg.nt.gz", "osce-kg.jsonld", "osce-kg.trig", "void.ttl", "validation.ttl",
         "SHA256SUMS", "build.json")
PAGE = "003_973450243c3cbebb.txt"


def kg_build(seeds: Path, out: Path, *extra: str, epoch: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_BASE": BASE}
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch:
        env["SOURCE_DATE_EPOCH"] = epoch
    return subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(seeds), "--out", str(out),
                           "--keep-going", *extra], capture_output=True, text=True, env=env, timeout=240)


def _seeds(tmp_path: Path) -> Path:
    """The seeds plus a copy whose Source names no known unit (rejected by validation)."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    text = (SEEDS_DIR / PAGE).read_text(encoding="utf-8")
    (seeds / "902_unknown_source.txt").write_text(
        text.replace("concludes visit to Tajikistan", "concludes visit 902")
            .replace("OSCE Chairpersonship, OSCE Programme Office in Dushanbe", "Ministry of Silly Walks"),
        encoding="utf-8")
    return seeds


def _quads(store: ox.Store) -> set[str]:
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)}


def test_rebuild_from_cache_publishes_what_a_clean_build_publishes(tmp_path: Path):
    seeds = _seeds(tmp_path)
    out = tmp_path / "out"
    first = kg_build(seeds, out)
    assert first.returncode == 0, first.stderr
    assert "3 pages read, 2 releases published (0 reused unchanged), 1 rejected" in first.stderr

    page = seeds / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("concluded his visit", "ended his visit"),
                    encoding="utf-8")
    again = kg_build(seeds, out)
    assert "3 pages read, 2 releases published (1 reused unchanged), 1 rejected" in again.stderr, again.stderr
    assert "rejected 902_unknown_source.txt [validate]: sourceOrganization MinCount" in again.stderr
    assert "note: store updated from the previous build's" in again.stderr  # not re-loaded from the TriG

    clean = tmp_path / "clean"
    assert kg_build(seeds, clean).returncode == 0
    for name in FILES[:-2]:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    reports = [json.loads((o / "build.json").read_text(encoding="utf-8")) for o in (out, clean)]
    assert [r["counts"].pop("reused") for r in reports] == [2, 0]  # pages reused (the rejected one too): the only difference
    assert reports[0] == reports[1]
    fresh = ox.Store()
    fresh.bulk_load(path=str(out / "osce-kg.trig"), format=ox.RdfFormat.TRIG)
    updated = _quads(open_store(out))
    assert updated == _quads(fresh) == _quads(open_store(clean))
    assert any("ended his visit" in q for q in updated) and not any("concluded his visit" in q for q in updated)


def _same_as_clean(seeds: Path, out: Path, clean: Path) -> None:
    shutil.rmtree(clean, ignore_errors=True)
    assert kg_build(seeds, clean).returncode == 0
    for name in FILES[:-2]:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    assert _quads(open_store(out)) == _quads(open_store(clean))


def test_rebuild_after_pages_removed_and_added_or_a_dump_edited_equals_a_clean_build(tmp_path: Path):
    seeds = _seeds(tmp_path)
    out = tmp_path / "out"
    assert kg_build(seeds, out).returncode == 0
    (seeds / "902_unknown_source.txt").unlink()
    text = (SEEDS_DIR / PAGE).read_text(encoding="utf-8")
    (seeds / "903_new.txt").write_text(text.replace("concludes visit to Tajikistan", "concludes visit 903"),
                                       encoding="utf-8")
    again = kg_build(seeds, out)
    assert "3 pages read, 3 releases published (2 reused unchanged), 0 rejected" in again.stderr, again.stderr
    assert "note: store updated from the previous build's" in again.stderr
    _same_as_clean(seeds, out, tmp_path / "clean")

    with (out / "osce-kg.ttl").open("ab") as f:  # the previous dumps no longer hold what the cache says
        f.write(b"# edited\n")
    edited = kg_build(seeds, out)
    assert "3 releases published (0 reused unchanged)" in edited.stderr, edited.stderr
    _same_as_clean(seeds, out, tmp_path / "clean")


def test_cache_is_ignored_under_another_fingerprint_or_when_unreadable(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "out"
    assert kg_build(SEEDS_DIR, out).returncode == 0
    other_epoch = kg_build(SEEDS_DIR, out, epoch="1700000000")  # the provenance dates change: not reusable
    assert "2 releases published (0 reused unchanged)" in other_epoch.stderr, other_epoch.stderr
    same = kg_build(SEEDS_DIR, out, epoch="1700000000")
    assert "2 releases published (2 reused unchanged)" in same.stderr, same.stderr

    (out / buildcache.FOLDER / buildcache.INDEX).write_bytes(b"not a pickle")
    broken = kg_build(SEEDS_DIR, out, epoch="1700000000")
    assert broken.returncode == 0 and "2 releases published (0 reused unchanged)" in broken.stderr, broken.stderr
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fp = buildcache.fingerprint(BASE)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert fp != buildcache.fingerprint(BASE)
    cache = buildcache.load(out / buildcache.FOLDER, fp)  # made under SOURCE_DATE_EPOCH
    assert len(cache.entries) == 2 and cache.layout is not None and len(cache.layout.segments) == 2
    assert buildcache.load(out / buildcache.FOLDER, buildcache.fingerprint(BASE)).entries == {}


def test_summary_is_the_only_output(tmp_path: Path):
    run = kg_build(SEEDS_DIR, tmp_path / "out")  # stderr is a pipe: no progress bar; pyLODE must not log
    assert run.returncode == 0 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert lines[0].startswith("kg build: 2 pages read") and all(line.startswith("  ") for line in lines[1:]), lines


def test_exchange_swaps_two_folders(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("a")
    (b / "f").write_text("b")
    if not atomic.exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    assert ((a / "f").read_text(), (b / "f").read_text()) == ("b", "a")


def _swap_while_watching(tmp_path: Path, n: int) -> int:
    """Replace ``out`` n times while another thread checks it; returns how often it was missing."""
    out = tmp_path / "out"
    out.mkdir()
    missing, stop = [0], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            missing[0] += not os.path.isdir(out)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(n):
            new = tmp_path / f".out.building-{i}"
            new.mkdir()
            (new / "n").write_text(str(i))
            atomic.replace_dir(new, out)
    finally:
        stop.set()
        watcher.join()
    assert (out / "n").read_text() == str(n - 1)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the previous folders are gone
    return missing[0]


def test_a_detached_removal_deletes_the_previous_output_after_the_swap(tmp_path: Path):
    out, new = tmp_path / "out", tmp_path / ".out.building-1"
    for folder, text in ((out, "old"), (new, "new")):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "f").write_text(text)
    atomic.replace_dir(new, out, detach=True)
    assert (out / "sub" / "f").read_text() == "new"  # in place on return; the old folder goes meanwhile
    deadline = time.monotonic() + 30
    while new.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_folder_never_missing_during_the_swap(tmp_path: Path):
    if not atomic.exchange(tmp_path, tmp_path):  # swapping a folder with itself is a no-op where supported
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    assert _swap_while_watching(tmp_path, 300) == 0


def test_swap_falls_back_to_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    _swap_while_watching(tmp_path, 20)  # still ends with the newest folder in place and nothing left over


def test_page_keys_reuse_a_settled_signature_and_rehash_a_changed_file(tmp_path: Path, monkeypatch):
    from kg.build import _keys
    page = tmp_path / "a.txt"
    page.write_bytes(b"first text")
    keys, sigs = _keys([str(page)], tmp_path, {})
    assert keys == [buildcache.key(hashlib.sha256(b"first text").hexdigest(), "a.txt")]
    assert sigs == {}  # written just now: a write in the same clock tick could go unseen, so not kept
    monkeypatch.setattr(buildcache, "SETTLE_NS", 0)
    _, sigs = _keys([str(page)], tmp_path, {})
    forged = {"a.txt": (*sigs["a.txt"][:-1], "f" * 64)}
    assert _keys([str(page)], tmp_path, forged)[0] == [buildcache.key("f" * 64, "a.txt")]  # not read again
    st = page.stat()
    time.sleep(0.05)
    page.write_bytes(b"other text")  # same size, mtime set back: the ctime still moves
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _keys([str(page)], tmp_path, forged)[0] == [buildcache.key(hashlib.sha256(b"other text").hexdigest(), "a.txt")]
    assert _keys([str(tmp_path / "gone.txt")], tmp_path, forged) == ([None], {})
