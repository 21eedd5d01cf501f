"""Closed-loop HTTP load for SPARQL endpoints, driven by wrk (Debian's ``wrk``) in its own process.

Each of ``concurrency`` connections POSTs the query mix round-robin (a generated Lua script), one
request at a time, for ``duration`` seconds; wrk reports the latency distribution (send to last byte)
and requests/s. A Python client was tried first: at about 2 ms of client CPU per request it measured
itself rather than the servers (Oxigraph: 425 requests/s from httpx, 5,700 from wrk, 1 connection).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from results import GRAPH_FORMAT, SELECT_JSON, query_form

_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}

_LUA = """
local bodies = %(bodies)s
local accepts = %(accepts)s
local i = 0
request = function()
  i = i %% #bodies + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = accepts[i]}
  return wrk.format("POST", "%(path)s", headers, bodies[i])
end
"""


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float

    def summary(self) -> dict[str, float]:
        return {"concurrency": self.concurrency, "requests": self.requests, "errors": self.errors,
                "rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 2), "p99_ms": round(self.p99_ms, 2)}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def _lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(x) for x in items) + "}"  # ASCII JSON strings are valid Lua strings


def script(path: str, queries: list[str]) -> str:
    """wrk Lua script sending ``queries`` round-robin as form-encoded POSTs."""
    bodies = [urlencode({"query": q}) for q in queries]
    accepts = [GRAPH_FORMAT if query_form(q) in ("CONSTRUCT", "DESCRIBE") else SELECT_JSON for q in queries]
    return _LUA % {"bodies": _lua_list(bodies), "accepts": _lua_list(accepts), "path": path}


def parse(out: str, concurrency: int, duration: float) -> LoadResult:
    pct = dict(re.findall(r"^\s*(\d+)%\s+(\S+)\s*$", out, re.M))
    done = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    if not done:
        raise RuntimeError(f"unreadable wrk output:\n{out}")
    requests, seconds = int(done.group(1)), _ms(done.group(2)) / 1000
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return LoadResult(concurrency, requests - errors, errors, seconds, (requests - errors) / seconds,
                      _ms(pct["50"]) if "50" in pct else math.nan, _ms(pct["99"]) if "99" in pct else math.nan)


def run(url: str, queries: list[str], concurrency: int, duration: float = 10.0, timeout: float = 60.0) -> LoadResult:
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("loadgen: wrk not found (Debian: apt-get install wrk)")
    parts = urlsplit(url)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(parts.path or "/", queries))
    try:
        threads = min(concurrency, 2)
        out = subprocess.run([wrk, f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", f"--timeout={round(timeout)}s",
                              "--latency", "-s", f.name, f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        Path(f.name).unlink()
    return parse(out, concurrency, duration)
