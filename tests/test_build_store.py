"""kg.store: the persistent store is loaded from the TriG atomically and reused while current."""

import os
from pathlib import Path

import pytest
from pyoxigraph import Store

from kg.store import STAMP, open_store, write_store

TRIG_1 = '<http://e/g> { <http://e/s> <http://e/p> "one" . }\n'
TRIG_2 = '<http://e/g> { <http://e/s> <http://e/p> "two" . <http://e/s> <http://e/p> "three" . }\n'
QUERY = "SELECT ?o WHERE { GRAPH <http://e/g> { <http://e/s> <http://e/p> ?o } } ORDER BY ?o"


def _values(store) -> list[str]:
    return [sol["o"].value for sol in store.query(QUERY)]


def test_open_store_loads_then_reuses_then_reloads_when_trig_is_newer(tmp_path: Path):
    trig = tmp_path / "osce-kg.trig"
    trig.write_text(TRIG_1)
    store = open_store(tmp_path)
    assert _values(store) == ["one"]
    stamp = tmp_path / "store" / STAMP
    first = stamp.stat().st_mtime_ns
    del store

    assert _values(open_store(tmp_path)) == ["one"]
    assert stamp.stat().st_mtime_ns == first  # current store reused, not reloaded

    trig.write_text(TRIG_2)
    os.utime(trig, ns=(first + 10**9, first + 10**9))
    assert _values(open_store(tmp_path)) == ["three", "two"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store")]  # no temp folders left


def test_read_only_store_refuses_writes(tmp_path: Path):
    (tmp_path / "osce-kg.trig").write_text(TRIG_1)
    store = open_store(tmp_path)
    with pytest.raises(RuntimeError, match="read-write"):
        store.update('INSERT DATA { <http://e/x> <http://e/p> "x" }')


def test_failed_load_keeps_the_previous_store(tmp_path: Path):
    good, bad = tmp_path / "good.trig", tmp_path / "bad.trig"
    good.write_text(TRIG_1)
    bad.write_text("<http://e/g> { <http://e/s> <http://e/p> ")
    write_store(good, tmp_path / "store")
    with pytest.raises(SyntaxError):
        write_store(bad, tmp_path / "store")
    assert (tmp_path / "store" / STAMP).is_file()
    assert _values(Store.read_only(str(tmp_path / "store"))) == ["one"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.trig", "good.trig", "store"]


def test_missing_trig_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="osce-kg.trig"):
        open_store(tmp_path)
