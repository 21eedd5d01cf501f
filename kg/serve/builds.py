"""The build being served, and following new ones: ``Build`` (one build's folder, id and engine) and
``Builds`` (the current build, replaced when ``kg build`` swaps a new one into the data folder).

``kg build`` replaces its output folder by a rename (``kg.atomic.replace_dir``) and then deletes the
previous one. So that a build stays readable for as long as requests use it, the server serves each
build from a *snapshot*: a private folder of hard links to the build's files, beside the data folder
(``.kg-serve-<name>/<pid>-<n>/``; no data is copied, and the build's files never change once written).
A build's store and its in-memory copy are read from that snapshot, so its engine, its cache and its
files always belong to the same build. Where no snapshot can be made (another filesystem, no write
permission beside the folder) the folder is served in place, and the log says so.

``Builds`` checks the data folder every ``poll_interval`` seconds (the folder's and ``build.json``'s
identity; ``check_now`` for SIGHUP). A new build is opened completely (snapshot, store, query threads)
before it becomes current; a request holds the build it started with (``acquire``/``release``) until
its response is sent; a build no longer current is closed, its query threads stopped and its snapshot
deleted, when its last request ends. A new build that cannot be opened is logged and the current one
kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from starlette.requests import HTTPConnection

from kg.serve.cache import CachedEngine
from kg.serve.engine import EmbeddedEngine, Engine, EngineError, Source, resolve_source
from kg.serve.settings import BUILD_INFO, Settings

log = logging.getLogger("kg.serve")

SNAPSHOTS = ".kg-serve-{name}"  # beside the data folder; not ``.{name}.*``, which ``kg build`` cleans up
ID_LENGTH = 12


@dataclass(eq=False)
class Build:
    """One build as served: ``path`` is the folder its files are read from, ``id`` names it (a digest of
    its checksums), ``engine`` answers its queries (through its own result cache when there is one)."""

    path: Path
    id: str
    engine: Engine
    store_bytes: int = 0
    snapshot: Path | None = None
    users: int = field(default=0, init=False)
    retired: bool = field(default=False, init=False)
    tasks: set[asyncio.Task] = field(default_factory=set, init=False)

    def _embedded(self) -> EmbeddedEngine | None:
        inner = self.engine.engine if isinstance(self.engine, CachedEngine) else self.engine
        return inner if isinstance(inner, EmbeddedEngine) else None

    def workers_alive(self) -> int:
        return engine.alive() if (engine := self._embedded()) else 0

    def holds(self) -> str | None:
        """Where the data answering this build's queries is (``memory``, ``disk``; None: a remote store)."""
        return engine.holds() if (engine := self._embedded()) else None

    def runaways(self) -> int:
        """Queries of this build left running past the time limit (they end with the process)."""
        return engine.runaways() if (engine := self._embedded()) else 0

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.engine.close()
        if self.snapshot is not None:
            await asyncio.to_thread(shutil.rmtree, self.snapshot, True)


def give_back_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; nothing where it is missing).
    A closed build's in-memory store is freed, but glibc would keep most of its pages: memory grew by about
    half a store with each new build until this was called."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def identity(data_dir: Path) -> tuple:
    """What changes when a new build is swapped in (or RDF files change): the folder's and its
    files' inode, size and modification time; ``()`` when the folder is missing."""
    try:
        top = os.stat(data_dir)
        names = [BUILD_INFO] if (data_dir / BUILD_INFO).exists() else sorted(os.listdir(data_dir))
        files = []
        for name in names:
            try:
                st = os.stat(data_dir / name)
            except FileNotFoundError:
                continue
            files.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
    except OSError:
        return ()
    return (top.st_dev, top.st_ino, top.st_mtime_ns, *files)


def snapshot(data_dir: Path, into: Path) -> Path:
    """A new folder under ``into`` with a hard link to every file of ``data_dir`` (recursively).

    The walk starts from a file descriptor of ``data_dir``, so it reads one folder even if another
    build is swapped in meanwhile (a file deleted under it raises ``FileNotFoundError``)."""
    into.mkdir(exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=into))
    top = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for root, dirs, files, fd in os.fwalk(".", dir_fd=top):
            for d in dirs:
                (target / root / d).mkdir()
            for f in files:
                os.link(f, target / root / f, src_dir_fd=fd, follow_symlinks=False)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        os.close(top)
    target.chmod(0o755)
    return target


def remove_stale_snapshots(into: Path) -> None:
    """Delete the snapshots of servers that are no longer running (killed before they could)."""
    if not into.is_dir():
        return
    for p in into.iterdir():
        pid = p.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def data_folder(settings: Settings) -> Path:
    """The data folder as an absolute path (``.`` has a parent and a name) whose symlinks are not resolved
    (a deploy that repoints a symlink is followed like a swap)."""
    return Path(os.path.abspath(settings.data_dir))


async def open_engine(settings: Settings, source: Source, on_runaway: Callable[[str], None] | None = None) -> Engine:
    """The embedded engine over ``source``, started, behind a result cache unless ``settings.cache_size`` is 0;
    ``on_runaway`` is told of each query left running past the time limit."""
    for line in source.skipped:
        log.warning("kg serve: skipped %s", line)
    engine = await EmbeddedEngine(source, workers=settings.workers, timeout=settings.timeout,
                                  max_results=settings.max_results, base_iri=settings.base,
                                  max_query=settings.limits.max_query, max_depth=settings.limits.max_depth,
                                  store=settings.store, on_runaway=on_runaway).start()
    if settings.cache_size <= 0:
        return engine
    return CachedEngine(engine, source.fingerprint, settings.cache_size)


async def open_build(settings: Settings, on_runaway: Callable[[str], None] | None = None) -> Build:
    """The build now in ``settings.data_dir``, opened: snapshot (where possible), data and query threads.
    With ``settings.backend``, the external endpoint answers queries and files are read in place."""
    data_dir = data_folder(settings)
    if settings.backend:
        from kg.serve.remote_engine import RemoteEngine

        engine = await RemoteEngine(settings.backend, timeout=settings.timeout, max_results=settings.max_results,
                                    max_query=settings.limits.max_query, max_depth=settings.limits.max_depth).start()
        return Build(data_dir, "backend", engine)
    if not data_dir.is_dir():
        raise EngineError(f"{data_dir}: no such folder")
    try:
        snap: Path | None = await asyncio.to_thread(snapshot, data_dir, data_dir.parent / SNAPSHOTS.format(name=data_dir.name))
    except FileNotFoundError as e:
        raise EngineError(f"{data_dir}: changed while it was being opened ({e.filename})") from None
    except OSError as e:
        log.warning("kg serve: cannot snapshot %s (%s): serving it in place, so its files may change under "
                    "running requests", data_dir, e)
        snap = None
    path = snap or data_dir
    try:
        source = await asyncio.to_thread(resolve_source, path)
        engine = await open_engine(settings, source, on_runaway)
    except BaseException:
        if snap is not None:
            shutil.rmtree(snap, ignore_errors=True)
        raise
    return Build(path, source.fingerprint[:ID_LENGTH], engine, _size(source.store) if source.store else 0, snap)


@dataclass(eq=False)
class Builds:
    """The build requests are answered from (``current``), following ``settings.data_dir``.

    ``on_open`` is called with each build that becomes current (e.g. to warm its cache), ``on_runaway``
    with each query left running past the time limit."""

    settings: Settings
    on_open: Callable[[Build], Awaitable[None]] | None = None
    on_runaway: Callable[[str], None] | None = None
    current: Build = field(init=False)
    _seen: tuple = field(default=(), init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _poller: asyncio.Task | None = field(default=None, init=False)
    _closed: bool = field(default=False, init=False)
    _draining: set[Build] = field(default_factory=set, init=False)
    _tasks: set[asyncio.Task] = field(default_factory=set, init=False)  # builds being closed
    _checks: set[asyncio.Task] = field(default_factory=set, init=False)  # checks asked for by SIGHUP

    async def start(self) -> "Builds":
        """Open the build in the data folder (``EngineError`` if it cannot be served) and start following it."""
        if not self.settings.backend:
            await asyncio.to_thread(remove_stale_snapshots, self._snapshots())
        self._seen = identity(Path(self.settings.data_dir))
        self.current = await open_build(self.settings, self.on_runaway)
        self._opened(self.current)
        if not self.settings.backend and self.settings.poll_interval > 0:
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        return self

    def _snapshots(self) -> Path:
        data_dir = data_folder(self.settings)
        return data_dir.parent / SNAPSHOTS.format(name=data_dir.name)

    def each_build(self, on_open: Callable[[Build], Awaitable[None]]) -> None:
        """Run ``on_open`` (in the background) for the current build now and for each later one."""
        self.on_open = on_open
        self._run_on_open(self.current)

    def _opened(self, build: Build) -> None:
        log.info("kg serve: serving build %s from %s", build.id, build.path)
        self._run_on_open(build)

    def _run_on_open(self, build: Build) -> None:
        if self.on_open is not None:
            task = asyncio.get_running_loop().create_task(self.on_open(build))
            build.tasks.add(task)
            task.add_done_callback(build.tasks.discard)

    def acquire(self) -> Build:
        """The current build, held until ``release``: it is not closed while a request uses it."""
        build = self.current
        build.users += 1
        return build

    def release(self, build: Build) -> None:
        build.users -= 1
        if build.retired and build.users == 0:
            self._close(build)

    def _retire(self, build: Build) -> None:
        build.retired = True
        if build.users == 0:
            self._close(build)
        else:
            self._draining.add(build)

    def _close(self, build: Build) -> None:
        self._draining.discard(build)
        task = asyncio.get_running_loop().create_task(self._close_and_free(build))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _close_and_free(build: Build) -> None:
        await build.close()
        del build
        await asyncio.to_thread(give_back_memory)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_interval)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - the poller must survive whatever one check meets
                log.exception("kg serve: checking for a new build failed")

    def check_now(self) -> None:
        """Check for a new build at once (SIGHUP)."""
        if not self.settings.backend:
            task = asyncio.get_running_loop().create_task(self.check())
            self._checks.add(task)
            task.add_done_callback(self._checks.discard)

    async def check(self) -> bool:
        """Open and switch to the data folder's build if it changed since last seen; True if switched."""
        async with self._lock:
            seen = await asyncio.to_thread(identity, Path(self.settings.data_dir))
            if not seen or seen == self._seen:
                return False
            try:
                new = await open_build(self.settings, self.on_runaway)
            except (EngineError, OSError) as e:
                log.error("kg serve: the new build in %s cannot be served (%s); still serving build %s",
                          self.settings.data_dir, e, self.current.id)
                self._seen = seen  # not retried until the folder changes again
                return False
            self._seen = seen
            if new.id == self.current.id:  # the same data again: keep the open build (and its cache)
                await new.close()
                return False
            old, self.current = self.current, new
            self._opened(new)
            self._retire(old)
            return True

    async def close(self) -> None:
        """Stop following and close every build (their query threads stop, their snapshots are deleted)."""
        for task in [self._poller, *self._checks]:
            if task is not None:
                task.cancel()
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            for build in [self.current, *self._draining]:
                await build.close()
            self._draining.clear()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self.settings.backend:
            with contextlib.suppress(OSError):  # only when empty: another server may use it too
                self._snapshots().rmdir()

    def health(self) -> dict[str, Any]:
        """What a monitor needs: the current build, its query threads and store, queries left running past
        the time limit, builds still finishing requests, and the serving process."""
        build = self.current
        return {"status": "ok" if build.workers_alive() or self.settings.backend else "degraded",
                "build": build.id, "store_bytes": build.store_bytes, "store": build.holds(),
                "workers": self.settings.workers if not self.settings.backend else 0,
                "workers_alive": build.workers_alive(), "runaway_queries": build.runaways(),
                "draining": [{"build": b.id, "requests": b.users} for b in self._draining],
                "pid": os.getpid()}


SCOPE_KEY = "kg.build"


def current_build(request: HTTPConnection) -> Build:
    """The build answering ``request``: the one current when it arrived, held until its response is sent."""
    build = request.scope.get(SCOPE_KEY)
    return build if build is not None else request.app.state.builds.current
