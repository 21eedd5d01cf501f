"""A result cache in front of an engine: the loaded build is read-only, so an answer stays valid as long
as the server runs on that build.

``CachedEngine`` keeps serialised answers in an LRU bounded in bytes, keyed by the build's fingerprint,
the query text (``analysis.normalise``), the dataset parameters and the result media type, shared by
every request (the SPARQL endpoint and the HTML pages). Concurrent requests for the same missing entry
wait for one evaluation. Only answers are kept: a timeout or an error is raised to each caller and
never stored. Each answer carries an ``etag`` (a digest of its body) for conditional requests.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Sequence

from kg.serve.analysis import normalise
from kg.serve.engine import JSON_RESULTS, Engine, EngineResult, PlainResults

Key = tuple[str, str, tuple[str, ...], tuple[str, ...], str]
ENTRY_OVERHEAD = 200  # bytes counted per entry besides its body and key (the objects around them)


def etag_of(body: bytes) -> str:
    """A strong validator for ``body``."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass
class LRU:
    """Byte-bounded least-recently-used map of keys to answers; an answer bigger than the bound is not kept."""

    max_bytes: int
    _items: OrderedDict[Key, EngineResult] = field(default_factory=OrderedDict, init=False)
    size: int = field(default=0, init=False)

    @staticmethod
    def cost(key: Key, result: EngineResult) -> int:
        return len(result.body) + sum(len(k) if isinstance(k, str) else sum(map(len, k)) for k in key) + ENTRY_OVERHEAD

    def get(self, key: Key) -> EngineResult | None:
        result = self._items.get(key)
        if result is not None:
            self._items.move_to_end(key)
        return result

    def put(self, key: Key, result: EngineResult) -> None:
        cost = self.cost(key, result)
        if cost > self.max_bytes:
            return
        if key in self._items:
            self.size -= self.cost(key, self._items.pop(key))
        self._items[key] = result
        self.size += cost
        while self.size > self.max_bytes:
            old_key, old = self._items.popitem(last=False)
            self.size -= self.cost(old_key, old)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class CachedEngine(PlainResults):
    """``engine`` behind an LRU of ``max_bytes`` for the build ``build`` (its fingerprint)."""

    engine: Engine
    build: str
    max_bytes: int
    lru: LRU = field(init=False)
    _pending: dict[Key, asyncio.Future[EngineResult]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.lru = LRU(self.max_bytes)

    async def query(self, sparql: str, *, accept: str = JSON_RESULTS, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = (), timeout: float | None = None) -> EngineResult:
        key: Key = (self.build, normalise(sparql), tuple(default_graph_uris), tuple(named_graph_uris), accept)
        if (found := self.lru.get(key)) is not None:
            return replace(found, cache="hit")
        while (pending := self._pending.get(key)) is not None:
            try:
                return replace(await asyncio.shield(pending), cache="hit")
            except asyncio.CancelledError:
                if not pending.cancelled() or _cancelling():
                    raise  # this request was cancelled, not the evaluation it waited for: else evaluate anew
        future: asyncio.Future[EngineResult] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            result = await self.engine.query(sparql, accept=accept, default_graph_uris=default_graph_uris,
                                             named_graph_uris=named_graph_uris, timeout=timeout)
            result = replace(result, etag=etag_of(result.body))
            self.lru.put(key, result)
            future.set_result(result)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._pending[key]
        return replace(result, cache="miss")

    async def close(self) -> None:
        await self.engine.close()


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
