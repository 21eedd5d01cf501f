"""Throwaway SPARQL stores for tests and benchmarks: a real server process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

OXIGRAPH = Path(sys.executable).with_name("oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 30.0) -> None:
    """Wait until ``url`` answers at all (any status), or fail if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} within {seconds} s")


@contextmanager
def running(cmd: list[str], ready_url: str, log: Path, seconds: float = 30.0) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` until the block ends; its output goes to ``log``."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_http(ready_url, proc, seconds)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def oxigraph_server(location: Path, read_only: bool = False) -> Iterator[str]:
    """An Oxigraph server over ``location``; yields its base URL (``/store``, ``/query``, ``/update``)."""
    port = free_port()
    mode = "serve-read-only" if read_only else "serve"
    cmd = [str(OXIGRAPH), mode, "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/", location.parent / f"oxigraph-{port}.log"):
        yield base


def select(endpoint: str, query: str, auth: httpx.Auth | None = None) -> list[dict[str, str]]:
    """Run a SELECT at ``endpoint``; rows as {var: value} (values only)."""
    r = httpx.post(endpoint, data={"query": query}, auth=auth, timeout=60,
                   headers={"Accept": "application/sparql-results+json"})
    r.raise_for_status()
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
