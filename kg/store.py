"""The persistent pyoxigraph store of a build: ``output/store/``, loaded from ``osce-kg.trig``.

``write_store`` bulk-loads the TriG into a temporary folder beside the target and renames it into
place only once complete (a ``COMPLETE`` stamp is written last), so a reader never opens a half-loaded
store; ``Loader`` does the same in a child process fed N-Quads through a pipe while a build goes on;
``update_store`` makes the next build's store from the previous one and the quads that changed.
``open_store`` opens the store read-only when it is complete and not older than the TriG, rebuilding it
first otherwise.
"""

from __future__ import annotations

import fcntl
import gc
import multiprocessing as mp
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from pyoxigraph import Quad, RdfFormat, Store

TRIG_NAME = "osce-kg.trig"
STORE_NAME = "store"
STAMP = "COMPLETE"


def _write(store_dir: Path, fill: Callable[[Path], Store]) -> None:
    """Make a store with ``fill(path)`` in a temporary folder beside ``store_dir``, stamp it complete, and
    rename it into place (the previous one, if any, is removed afterwards)."""
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.", dir=store_dir.parent))
    try:
        store = fill(tmp / STORE_NAME)
        store.flush()
        del store
        gc.collect()  # release RocksDB's lock before the folder moves
        (tmp / STORE_NAME / STAMP).write_text(f"{TRIG_NAME}\n", encoding="utf-8")
        old = None
        if store_dir.exists():
            old = store_dir.with_name(f"{tmp.name}.old")
            os.replace(store_dir, old)
        os.replace(tmp / STORE_NAME, store_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_store(trig: Path, store_dir: Path) -> None:
    """Bulk-load ``trig`` into a fresh store at ``store_dir``, replacing any previous one atomically."""
    if not trig.is_file():
        raise FileNotFoundError(f"no TriG dump to load: {trig}")

    def fill(path: Path) -> Store:
        store = Store(str(path))
        store.bulk_load(path=str(trig), format=RdfFormat.TRIG)
        store.optimize()
        return store

    _write(store_dir, fill)


class Loader:
    """A child process bulk-loading the N-Quads written to it into a new store at ``store_dir`` (made
    complete by ``close``), so the store is loaded on another core while the build goes on."""

    def __init__(self, store_dir: Path) -> None:
        read, write = os.pipe()
        fcntl.fcntl(write, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        self._proc = mp.get_context("fork").Process(target=_load, args=(read, write, store_dir), daemon=True)
        self._proc.start()
        os.close(read)
        self._pipe = open(write, "wb", buffering=1 << 20)

    def send(self, nquads: bytes) -> None:
        self._pipe.write(nquads)

    def close(self) -> None:
        """Wait until the store is complete; raise if loading failed."""
        self._pipe.close()
        self._proc.join()
        if self._proc.exitcode != 0:
            raise RuntimeError(f"loading the store failed (exit code {self._proc.exitcode})")

    def kill(self) -> None:
        self._proc.kill()
        self._proc.join()
        try:
            self._pipe.close()
        except OSError:  # the buffered rest has nowhere to go
            pass


def _load(read: int, write: int, store_dir: Path) -> None:
    os.close(write)
    with open(read, "rb") as pipe:
        def fill(path: Path) -> Store:
            store = Store(str(path))
            store.bulk_load(pipe, format=RdfFormat.N_QUADS)
            return store

        _write(store_dir, fill)


def update_store(previous: Path, store_dir: Path, remove: Iterable[Quad], add: Iterable[Quad]) -> None:
    """A store at ``store_dir`` holding ``previous``'s quads minus ``remove`` plus ``add``.

    ``previous`` (a complete store, not open for writing) is not modified: its table files, which RocksDB
    never changes once written, are hard-linked; every other file (manifest, logs, options) is copied."""
    if not (previous / STAMP).is_file():
        raise FileNotFoundError(f"no complete store to update: {previous}")

    def fill(path: Path) -> Store:
        path.mkdir()
        for f in previous.iterdir():
            if f.name == STAMP or f.name == "LOCK":
                continue
            if f.suffix == ".sst":
                os.link(f, path / f.name)
            else:
                shutil.copy2(f, path / f.name)
        store = Store(str(path))
        for q in remove:
            store.remove(q)
        store.extend(add)
        return store

    _write(store_dir, fill)


def is_current(data_dir: Path) -> bool:
    """True when ``data_dir/store`` is complete and not older than ``data_dir/osce-kg.trig``."""
    stamp = data_dir / STORE_NAME / STAMP
    trig = data_dir / TRIG_NAME
    return stamp.is_file() and (not trig.exists() or stamp.stat().st_mtime_ns >= trig.stat().st_mtime_ns)


def open_store(data_dir: Path) -> Store:
    """A read-only store of a build's output folder, (re)loaded from its TriG when missing or stale."""
    if not is_current(data_dir):
        write_store(data_dir / TRIG_NAME, data_dir / STORE_NAME)
    return Store.read_only(str(data_dir / STORE_NAME))
