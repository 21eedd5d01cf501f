"""What a build remembers between runs, so an unchanged page is neither extracted, mapped, validated nor
rendered again.

The cache lives in the output folder (``cache/``, not listed in ``SHA256SUMS``) and is swapped into place
with the rest of the build. ``index.pickle`` holds, per page (keyed by the sha256 of its bytes and its
path), what the page became (``Entry``): its release record as JSON, and either its segment's IRI,
statistics and shared-node lines (its rendered segment sits in the previous build's dumps, where the
``Layout`` says) or the stage, reason, violations and SHACL results that rejected it; plus what every
build needs of the reference and ontology graphs, the distinct-object digests of the published segments
and the releases graph's shared lines. ``osce-kg.nt`` is the uncompressed N-Triples dump, which the
gzip members are compressed from. Everything is valid only under one *fingerprint*: the version, the
base IRI, ``SOURCE_DATE_EPOCH`` and the bytes of the code, shapes, ontology and reference tables that
decide a page's result. A different fingerprint, or an unreadable index, ignores the cache. The index
is a pickle: it is read only from the build's own output folder.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from kg import __version__
from kg.paths import ROOT
from kg.publish import Layout, Stats

FOLDER = "cache"
INDEX, NT = "index.pickle", "osce-kg.nt"
# The files whose bytes decide what a page becomes (relative to the project root).
INPUTS = ("kg/*.py", "kg/extract/*.py", "shapes/*.ttl", "ontology/*.ttl", "ontology/reference/*.tsv")


def fingerprint(base: str) -> str:
    """sha256 over the version, base IRI, ``SOURCE_DATE_EPOCH`` and every file matching ``INPUTS``."""
    h = hashlib.sha256(f"{__version__}\n{base}\n{os.environ.get('SOURCE_DATE_EPOCH', '')}\n".encode())
    for path in sorted(p for pattern in INPUTS for p in ROOT.glob(pattern)):
        h.update(f"{path.relative_to(ROOT).as_posix()}\n".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


Stat = tuple[int, int, int, int, int, str]  # device, inode, size, mtime_ns, ctime_ns; sha256 of the bytes
SETTLE_NS = 100_000_000  # file times tick coarsely: a write in the tick of a read could keep its ctime


def signature(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What changes whenever a file's bytes do (``ctime`` cannot be set back; renaming over it changes the inode)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def settled(stat: Stat, read_at: int) -> bool:
    """Whether a signature taken by a read started at ``read_at`` (``time.time_ns``) can be trusted next
    time: its ctime is older than the read by more than a clock tick (as git's racy-clean check)."""
    return stat[4] < read_at - SETTLE_NS


def key(sha256: str, path: str) -> str:
    """A page's cache key: the same bytes under another name make other triples (the source's label)."""
    return f"{sha256} {path}"


@dataclass
class Entry:
    """What one page became, as the next build needs it."""

    path: str
    sha256: str = ""
    stage: str | None = None            # the stage that rejected it, None when published
    reason: str | None = None
    violations: list[dict[str, str]] = field(default_factory=list)
    report_nt: str = ""                 # SHACL results (rejected by validation)
    release: bytes = b"null"            # the release record as JSON (build.json), null if none
    id: str | None = None               # the record's id and date
    date: str | None = None
    iri: str | None = None              # the release IRI, when its triples passed validation
    shared: bytes = b""                 # the lines about shared nodes it emitted
    nt: bytes = b""                     # all its lines, kept only when not published (no segment to copy)


_FIELDS = tuple(f.name for f in fields(Entry))


@dataclass
class Cache:
    """Page entries and the previous build's layout and totals, under one fingerprint."""

    fingerprint: str
    entries: dict[str, Entry] = field(default_factory=dict)
    shared: dict[str, Any] | None = None     # reference/ontology N-Triples and the reference's SHACL report
    layout: Layout | None = None             # where the published segments are in the dumps
    objects: Counter[int] = field(default_factory=Counter)  # object digest → published segments holding it
    totals: Stats = field(default_factory=Stats)  # the published segments' statistics, summed
    shared_lines: bytes = b""                # the releases graph's lines about shared nodes, sorted
    stats: dict[str, Stat] = field(default_factory=dict)  # page path → its file's signature and sha256
    prepared: Any = None                     # kg.build.Prepared: what the reference graph gives a context


class Records(Mapping[str, dict[str, Any]]):
    """sha256 → release record of the cached pages, parsed from JSON only when asked for."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._json = {e.sha256: e.release for e in entries if e.release != b"null"}

    def __getitem__(self, sha: str) -> dict[str, Any]:
        return json.loads(self._json[sha])

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)


def load(folder: Path, fp: str) -> Cache:
    """The cache in ``folder`` when it was written under ``fp``; an empty one otherwise (or if unreadable).
    Its layout is dropped when the dumps it points into changed since."""
    collecting = gc.isenabled()
    gc.disable()  # the collector would walk the half-built index again and again: twice as slow
    try:
        with (folder / INDEX).open("rb") as f:
            cache = pickle.load(f)
        if not isinstance(cache, Cache) or cache.fingerprint != fp:
            return Cache(fp)
        cache.entries = {k: Entry(*row) for k, row in cache.entries.items()}  # type: ignore[misc]
    except Exception:  # noqa: BLE001 - any unreadable index means no cache
        return Cache(fp)
    finally:
        if collecting:
            gc.enable()
    if cache.layout is not None and not cache.layout.intact(folder.parent):
        cache.layout, cache.objects, cache.shared_lines, cache.totals = None, Counter(), b"", Stats()
    return cache


def save(cache: Cache, folder: Path) -> None:
    """Write ``cache``'s index into ``folder`` (the build's temporary ``cache/``, which holds ``osce-kg.nt``)."""
    folder.mkdir(parents=True, exist_ok=True)
    row = attrgetter(*_FIELDS)
    rows = {k: row(e) for k, e in cache.entries.items()}
    with (folder / INDEX).open("wb") as f:  # entries as tuples: 20,000 dataclasses pickle several times slower
        pickle.dump(replace(cache, entries=rows), f, protocol=pickle.HIGHEST_PROTOCOL)
