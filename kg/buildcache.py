"""What a build remembers between runs, so an unchanged page is neither extracted, mapped nor validated again.

The cache lives in the output folder (``cache/``, not listed in ``SHA256SUMS``) and is swapped into place
with the rest of the build. It holds, per page (keyed by the sha256 of its bytes and its path), what the
page became: the accepted release's N-Triples, or the stage, reason, violations and SHACL results that
rejected it; and what every build needs of the reference and ontology graphs (their N-Triples and the
reference graph's validation report). Everything is valid only under one
*fingerprint*: the version, the base IRI, ``SOURCE_DATE_EPOCH`` and the bytes of the code, shapes,
ontology and reference tables that decide a page's result. A different fingerprint ignores the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg import __version__
from kg.paths import ROOT

FOLDER = "cache"
INDEX, BLOB = "pages.json", "releases.nt"
# The files whose bytes decide what a page becomes (relative to the project root).
INPUTS = ("kg/*.py", "kg/extract/*.py", "shapes/*.ttl", "ontology/*.ttl", "ontology/reference/*.tsv")


def fingerprint(base: str) -> str:
    """sha256 over the version, base IRI, ``SOURCE_DATE_EPOCH`` and every file matching ``INPUTS``."""
    h = hashlib.sha256(f"{__version__}\n{base}\n{os.environ.get('SOURCE_DATE_EPOCH', '')}\n".encode())
    for path in sorted(p for pattern in INPUTS for p in ROOT.glob(pattern)):
        h.update(f"{path.relative_to(ROOT).as_posix()}\n".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def key(sha256: str, path: str) -> str:
    """A page's cache key: the same bytes under another name make other triples (the source's label)."""
    return f"{sha256} {path}"


@dataclass
class Cache:
    """Page results (``dict`` per page, its ``nt`` included) and the reference report, under one fingerprint."""

    fingerprint: str
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, Any] | None = None      # reference/ontology N-Triples and the reference's SHACL report
    published: list[str] = field(default_factory=list)  # keys of the pages whose release was published

    def release_lines(self) -> set[bytes]:
        """The N-Triples lines of the releases graph this cache's build published."""
        return set(b"".join(self.pages[k]["nt"].encode("utf-8") for k in self.published).splitlines(keepends=True))


def load(folder: Path, fp: str) -> Cache:
    """The cache in ``folder`` when it was written under ``fp``; an empty one otherwise (or if unreadable)."""
    try:
        index = json.loads((folder / INDEX).read_bytes())
        if index.get("fingerprint") != fp:
            return Cache(fp)
        blob = (folder / BLOB).read_bytes()
    except (OSError, ValueError):
        return Cache(fp)
    pages = {}
    for entry in index["pages"]:
        start, length = entry.pop("nt")
        pages[key(entry["sha256"], entry["path"])] = {**entry, "nt": blob[start:start + length].decode("utf-8")}
    return Cache(fp, pages, index.get("shared"), index.get("published", []))


def save(cache: Cache, folder: Path) -> None:
    """Write ``cache`` into ``folder`` (a fresh folder inside the build's temporary output)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries, parts, offset = [], [], 0
    for k in sorted(cache.pages):
        entry = dict(cache.pages[k])
        nt = entry.pop("nt").encode("utf-8")
        entries.append({**entry, "nt": [offset, len(nt)]})
        parts.append(nt)
        offset += len(nt)
    (folder / BLOB).write_bytes(b"".join(parts))
    index = {"fingerprint": cache.fingerprint, "shared": cache.shared, "published": cache.published,
             "pages": entries}
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False, sort_keys=True), encoding="utf-8")
