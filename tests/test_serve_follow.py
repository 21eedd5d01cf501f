"""``kg serve`` follows each new build swapped into its data folder: a real server, real ``kg build`` runs
into the same ``--out``, and the in-process ``Builds`` for what a request holds while the build changes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kg.serve.builds import SNAPSHOTS, Builds
from kg.serve.engine import QueryTimeout
from kg.serve.settings import DEFAULT_WORKERS, Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
RELEASES = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r <https://schema.org/datePublished> ?d }"


def build(seeds: Path, out: Path) -> dict:
    """``kg build`` of ``seeds`` into ``out`` (swapped in atomically); its build.json."""
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seeds", str(seeds), "--out", str(out),
                          "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads((out / "build.json").read_text())


def release_ids(info: dict) -> set[str]:
    return {page["release"]["id"] for page in info["pages"].values()}


def releases(server) -> tuple[int, str]:
    r = httpx.get(server.endpoint, params={"query": RELEASES}, timeout=30)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"]), r.headers["X-Build"]


@pytest.fixture
def one_then_two(tmp_path):
    """A seeds folder with one page (``add()`` copies in the second) and its build in ``out``."""
    if len(SEEDS) < 2:
        pytest.skip("needs two seed pages")
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    seeds.mkdir()
    shutil.copy(SEEDS[0], seeds)
    first = build(seeds, out)
    return seeds, out, first


def wait_for(condition, seconds: float) -> float:
    """Seconds until ``condition()`` holds; fails after ``seconds``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "not within the time allowed"
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_rebuild_is_served_within_two_seconds_without_a_restart(one_then_two, start_server):
    seeds, out, first = one_then_two
    server = start_server(out)
    n, old_build = releases(server)
    assert n == 1
    assert httpx.get(server.url + "/health", timeout=10).json()["build"] == old_build

    shutil.copy(SEEDS[1], seeds)
    second = build(seeds, out)
    (new_id,) = release_ids(second) - release_ids(first)
    wait_for(lambda: releases(server)[0] == 2, 2.0)
    n, new_build = releases(server)
    assert new_build != old_build
    page = httpx.get(f"{server.url}/page/release/{new_id}", timeout=30)
    dump = httpx.get(f"{server.url}/dumps/osce-kg.ttl", timeout=30)
    void = httpx.get(f"{server.url}/void", headers={"Accept": "text/turtle"}, timeout=30)
    description = httpx.get(server.endpoint, headers={"Accept": "text/turtle"}, timeout=30)
    health = httpx.get(server.url + "/health", timeout=10).json()
    assert page.status_code == dump.status_code == void.status_code == 200
    assert {r.headers["X-Build"] for r in (page, dump, void, description)} == {new_build}
    assert new_id in dump.text and f'"{new_build}"' in void.text and f'"{new_build}"' in description.text
    assert health["build"] == new_build and health["workers_alive"] == DEFAULT_WORKERS
    # the old build's workers and snapshot are released (no request holds it)
    snapshots = out.parent / SNAPSHOTS.format(name=out.name)
    wait_for(lambda: len(list(snapshots.iterdir())) == 1 and not health_draining(server), 5.0)


def health_draining(server) -> list:
    return httpx.get(server.url + "/health", timeout=10).json()["draining"]


def test_sighup_checks_at_once_and_no_route_can(one_then_two, start_server):
    seeds, out, _ = one_then_two
    server = start_server(out, "--poll", "0")
    _, old_build = releases(server)
    shutil.copy(SEEDS[1], seeds)
    build(seeds, out)
    time.sleep(1.0)
    assert releases(server) == (1, old_build)  # no polling: still the first build
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: releases(server)[0] == 2, 2.0)
    assert releases(server)[1] != old_build


def test_a_request_keeps_its_build_until_it_ends(one_then_two):
    """The in-process ``Builds``: a build held by a request survives the switch (its engine answers, its
    files are readable although ``kg build`` deleted its folder) and is closed when released."""
    seeds, out, _ = one_then_two

    async def scenario() -> None:
        builds = await Builds(Settings.for_data(out, workers=1, cache_size=0, poll_interval=0)).start()
        try:
            held = builds.acquire()
            shutil.copy(SEEDS[1], seeds)
            await asyncio.to_thread(build, seeds, out)
            assert await builds.check()
            assert builds.current is not held and builds.current.id != held.id
            rows = await held.engine.select(RELEASES)
            assert rows == [{"n": "1"}]
            assert json.loads((held.path / "build.json").read_text())["counts"]["published"] == 1
            assert (await builds.current.engine.select(RELEASES)) == [{"n": "2"}]
            assert held.workers_alive() == 1 and held.snapshot is not None
            builds.release(held)
            for _ in range(100):
                if not held.snapshot.exists():
                    break
                await asyncio.sleep(0.05)
            assert held.workers_alive() == 0 and not held.snapshot.exists()
        finally:
            await builds.close()
        assert not (out.parent / SNAPSHOTS.format(name=out.name)).exists()  # nothing left behind

    asyncio.run(scenario())


def test_stale_snapshots_of_dead_servers_are_removed(one_then_two, start_server):
    _, out, _ = one_then_two
    snapshots = out.parent / SNAPSHOTS.format(name=out.name)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = snapshots / f"{dead.stdout.strip()}-old"
    stale.mkdir(parents=True)
    (stale / "x").write_text("left behind")
    start_server(out)
    assert not stale.exists() and len(os.listdir(snapshots)) == 1


def test_a_missing_folder_is_one_line_and_exit_1(tmp_path):
    run = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--data", str(tmp_path / "absent"), "--port", "0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stderr.strip().endswith("absent: no such folder")
    assert not (tmp_path / ".kg-serve-absent").exists()


def test_a_port_in_use_is_one_line_and_exit_1(seeds_build):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--data", str(seeds_build), "--port", str(port)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip() == f"kg serve: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_worker_restarted_after_a_timeout_opens_its_own_build(one_then_two, stand_in_slow):
    """The known case: a worker replaced after a time-out used to open whatever store was in the folder
    then, so an old build's engine (and its cache) could answer from a newer build. A query thread
    replaced after a time-out answers from its own build's data."""
    seeds, out, _ = one_then_two
    slow = stand_in_slow

    async def scenario() -> None:
        builds = await Builds(Settings.for_data(out, workers=1, timeout=1.0, cache_size=1 << 20,
                                                poll_interval=0)).start()
        try:
            held = builds.acquire()
            shutil.copy(SEEDS[1], seeds)
            await asyncio.to_thread(build, seeds, out)
            assert await builds.check()
            with pytest.raises(QueryTimeout):
                await held.engine.query(slow)  # its only thread is abandoned and replaced
            assert await held.engine.select(RELEASES + " # after the restart") == [{"n": "1"}]
            assert await builds.current.engine.select(RELEASES + " # after the restart") == [{"n": "2"}]
            builds.release(held)
        finally:
            await builds.close()

    asyncio.run(scenario())
