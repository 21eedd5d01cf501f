"""A closed-loop HTTP load generator for SPARQL endpoints (asyncio + httpx), run in its own process.

``concurrency`` workers each send the query mix round-robin (worker ``k`` starting at query ``k``),
one request at a time, for ``duration`` seconds and at least ``min_rounds`` full passes of the mix.
Latency is measured per request from send to the last byte of the body.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx

from results import SELECT_JSON, GRAPH_FORMAT, query_form


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]

    def summary(self) -> dict[str, float]:
        return {"concurrency": self.concurrency, "requests": self.requests, "errors": self.errors,
                "rps": round(self.rps, 1), "p50_ms": round(self.percentile(50), 2),
                "p99_ms": round(self.percentile(99), 2),
                "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else float("nan")}


async def _worker(client: httpx.AsyncClient, url: str, queries: list[str], k: int, stop_at: float,
                  min_requests: int, out: list[float], errors: list[int]) -> None:
    i = 0
    while i < min_requests or time.perf_counter() < stop_at:
        q = queries[(k + i) % len(queries)]
        accept = GRAPH_FORMAT if query_form(q) in ("CONSTRUCT", "DESCRIBE") else SELECT_JSON
        t0 = time.perf_counter()
        try:
            r = await client.post(url, data={"query": q}, headers={"Accept": accept})
            await r.aread()
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        (out.append((time.perf_counter() - t0) * 1000) if ok else errors.append(1))
        i += 1


async def _run(url: str, queries: list[str], concurrency: int, duration: float, min_rounds: int,
               timeout: float) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors: list[int] = []
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        start = time.perf_counter()
        per_worker = -(-min_rounds * len(queries) // concurrency)
        await asyncio.gather(*(_worker(client, url, queries, k, start + duration, per_worker, latencies, errors)
                               for k in range(concurrency)))
        seconds = time.perf_counter() - start
    return LoadResult(concurrency, len(latencies), len(errors), seconds, tuple(latencies))


def run(url: str, queries: list[str], concurrency: int, duration: float = 10.0, min_rounds: int = 1,
        timeout: float = 600.0) -> LoadResult:
    return asyncio.run(_run(url, queries, concurrency, duration, min_rounds, timeout))
