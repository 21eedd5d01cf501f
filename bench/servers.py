"""Throwaway SPARQL servers for tests and benchmarks: real processes on free loopback ports."""

from __future__ import annotations

import os
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
def oxigraph_server(location: Path, union: bool = False) -> Iterator[str]:
    """A read-write Oxigraph server over ``location``; yields its base URL (``/store``, ``/query``,
    ``/update``). ``union`` makes the default graph the union of all graphs."""
    port = free_port()
    cmd = [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    cmd += ["--union-default-graph"] if union else []
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/", location.parent / f"oxigraph-{port}.log"):
        yield base


def select(endpoint: str, query: str, auth: httpx.Auth | None = None) -> list[dict[str, str]]:
    """Run a SELECT at ``endpoint``; rows as {var: value} (values only)."""
    r = httpx.post(endpoint, data={"query": query}, auth=auth, timeout=60,
                   headers={"Accept": "application/sparql-results+json"})
    r.raise_for_status()
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


KG = Path(sys.executable).with_name("kg")
RDFLIB_ENDPOINT = Path(sys.executable).with_name("rdflib-endpoint")
VIRTUOSO_SH = Path(__file__).resolve().parent.parent / "scripts" / "virtuoso.sh"


@contextmanager
def kg_serve(data: Path, log: Path, backend: str | None = None, options: tuple[str, ...] = (),
             seconds: float = 60.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """``kg serve`` over a build's output folder (or a remote ``backend``) with more command-line
    ``options``; yields (base URL, process) once the build answers from where it will stay (a build is
    answered from disk while it loads into memory)."""
    port = free_port()
    cmd = [str(KG), "serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port), *options]
    cmd += ["--backend", backend] if backend else []
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/sparql", log, seconds) as proc:
        deadline = time.monotonic() + seconds
        while not backend and "disk" not in options and time.monotonic() < deadline:
            if httpx.get(base + "/health", timeout=10).json().get("store") != "disk":
                break
            time.sleep(0.2)
        yield base, proc


@contextmanager
def oxigraph_read_only(location: Path, log: Path, timeout: float = 10.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """``oxigraph serve-read-only --union-default-graph`` with kg serve's default time limit;
    yields (query URL, process)."""
    port = free_port()
    cmd = [str(OXIGRAPH), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
           "--union-default-graph", "--timeout-s", f"{timeout:g}"]
    with running(cmd, f"http://127.0.0.1:{port}/", log) as proc:
        yield f"http://127.0.0.1:{port}/query", proc


@contextmanager
def rdflib_endpoint(dump: Path, log: Path, seconds: float = 900.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """rdflib-endpoint over a dump (a TriG gives named graphs with a union default graph)."""
    port = free_port()
    cmd = [str(RDFLIB_ENDPOINT), "serve", str(dump), "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, f"http://127.0.0.1:{port}/?query=ASK%7B%7D", log, seconds) as proc:
        yield f"http://127.0.0.1:{port}/", proc


@contextmanager
def virtuoso(folder: Path, seconds: float = 60.0) -> Iterator[str]:
    """A throwaway Virtuoso (scripts/virtuoso.sh) with its database in ``folder``; yields its base URL."""
    http, isql = free_port(), free_port()
    base = f"http://127.0.0.1:{http}"
    with running(["bash", str(VIRTUOSO_SH), "run", str(folder), str(http), str(isql)],
                 base + "/sparql?query=ASK%7B%7D", folder.parent / f"virtuoso-{http}.log", seconds):
        yield base


def _tree(pid: int) -> list[dict[str, str]]:
    """The /proc status fields of ``pid`` and all its descendants."""
    status: dict[int, dict[str, str]] = {}
    for path in Path("/proc").glob("[0-9]*/status"):
        try:
            status[int(path.parent.name)] = dict(line.split(":", 1) for line in path.read_text().splitlines()
                                                 if ":" in line)
        except (OSError, ValueError):
            continue
    children: dict[int, list[int]] = {}
    for p, fields in status.items():
        children.setdefault(int(fields.get("PPid", "0")), []).append(p)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in status:
            found.append(status[p])
        todo += children.get(p, [])
    return found


def tree_rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` and its descendants, in MiB; ``VmHWM`` sums each process's peak."""
    return sum(int(f.get(field, "0 kB").split()[0]) for f in _tree(pid)) / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its living descendants."""
    total = 0
    for fields in _tree(pid):
        try:
            stat = Path(f"/proc/{fields['Pid'].strip()}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, KeyError):
            continue
        total += int(stat[11]) + int(stat[12])
    return total / os.sysconf("SC_CLK_TCK")
