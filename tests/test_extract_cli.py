"""``kg extract`` end to end: JSON Lines out, one error line per bad input, exit status."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PAGES = Path(__file__).parent / "fixtures" / "pages"

pytest.importorskip("kg.gazetteer")


def kg(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "kg.cli", "extract", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=120)


def test_good_and_bad_inputs_together(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    (bad / "nav.txt").write_text((SEEDS / "000_4d3567976e25b523.txt").read_text().split("Press release\n")[0])
    (bad / "big.txt").write_bytes(b"- item\n" * (10 * 1024 * 1024 // 7))
    (bad / "undecodable.txt").write_bytes(b"\xff\xfe" + b"\x00\xd8" * 50)
    (bad / "untitled.html").write_text("<html><body><article><p>KABUL, 10 September 2008 - x</p></article></body></html>")
    out = kg(str(SEEDS), str(bad), str(PAGES / "event.txt"))
    assert out.returncode == 1
    records = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["date"] for r in records] == ["2008-09-10", "2024-06-26"]
    errors = out.stderr.decode().splitlines()
    by_path = {line.split(": error: ")[0]: line.split(": error: ")[1] for line in errors}
    assert set(by_path) == {str(bad / n) for n in ("big.txt", "binary.bin", "empty.txt", "nav.txt", "undecodable.txt",
                                                   "untitled.html")} | {str(PAGES / "event.txt")}
    assert by_path[str(bad / "empty.txt")] == "empty file"
    assert by_path[str(bad / "binary.bin")].startswith("binary file")
    assert by_path[str(bad / "big.txt")].startswith("file too large")
    assert by_path[str(bad / "nav.txt")].startswith("no release found")
    assert by_path[str(bad / "undecodable.txt")].startswith("undecodable")
    assert by_path[str(bad / "untitled.html")] == "HTML page without a title (no <h1>)"
    assert by_path[str(PAGES / "event.txt")] == "event page, not a release"
    assert "Traceback" not in out.stderr.decode()


def test_all_good_is_exit_0_and_stdin_works():
    page = (PAGES / "bare.txt").read_bytes()
    out = kg("-", str(PAGES / "release.html"), stdin=page)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [(r["source"]["path"], r["form"]) for r in records] == [("-", "bare"), (str(PAGES / "release.html"), "html")]
    assert set(records[0]) == {"id", "source", "content_type", "title", "date", "place", "sources", "paragraphs",
                               "quotes", "people", "mentions", "fields_of_work", "dateline", "form", "captions"}


def test_usage_error_is_exit_2():
    out = kg()
    assert out.returncode == 2 and b"usage: kg extract" in out.stderr
