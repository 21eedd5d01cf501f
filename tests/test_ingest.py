"""Ingest: decoding (UTF-8, UTF-16 with BOM, Windows-1252), rejection of bad inputs, path expansion."""

import codecs
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kg.ingest import MAX_BYTES, IngestError, decode, expand, media_type, pages, read_page

PAGES = Path(__file__).parent / "fixtures" / "pages"


def test_utf8_with_and_without_bom():
    assert decode("Chişinău “quoted”".encode()) == "Chişinău “quoted”"
    assert decode(codecs.BOM_UTF8 + "Chişinău".encode()) == "Chişinău"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    data = "CHIŞINĂU, 14 March 2003 – “text”".encode(codec)
    if codec != "utf-16":
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    assert decode(data) == "CHIŞINĂU, 14 March 2003 – “text”"


def test_windows_1252_fixture_is_decoded():
    page = read_page(str(PAGES / "newsroom_cp1252.txt"))
    assert "the “Oslo package”, as delegates called it – and thanked the négociateurs." in page.text
    assert "(OSCE/Ana Müller) Photo details" in page.text


def test_utf16_fixture_is_decoded():
    assert read_page(str(PAGES / "odihr_utf16.txt")).text == (PAGES / "odihr.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"  \n\t\n", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    (codecs.BOM_UTF8 + b"Press release\nTitle \xff\xfe body", "undecodable utf-8-sig"),
    (codecs.BOM_UTF16_LE + b"\x00\xd8" * 10, "undecodable utf-16"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11 text", "binary file"),
    (("é\x01ü\x7f" * 5).encode("utf-8"), "binary file"),  # control characters among non-ASCII text
])
def test_bad_bytes_are_rejected_with_a_reason(data, reason):
    with pytest.raises(IngestError, match=reason):
        decode(data)


def test_a_ten_megabyte_page_is_rejected_without_reading_it_all(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"Press release\n" + b"word " * (10 * 1024 * 1024 // 5))
    with pytest.raises(IngestError, match="file too large"):
        read_page(str(big))
    assert big.stat().st_size > MAX_BYTES


def test_a_page_of_exactly_the_limit_is_read_whole_and_one_byte_more_is_not(tmp_path):
    page = tmp_path / "limit.txt"
    page.write_bytes(b"Press release\n" + b"x" * (MAX_BYTES - 14))
    assert len(read_page(str(page)).text) == MAX_BYTES
    page.write_bytes(page.read_bytes() + b"x")
    with pytest.raises(IngestError, match="file too large"):
        read_page(str(page))


def test_a_named_pipe_is_read_to_its_end(tmp_path):
    """A pipe's size says nothing (0): it is read up to the limit, not to its reported size."""
    fifo = tmp_path / "page.txt"
    os.mkfifo(fifo)
    text = "Press release\nTitle\n" + "body " * 3000
    writer = threading.Thread(target=fifo.write_text, args=(text,), kwargs={"encoding": "utf-8"})
    writer.start()
    try:
        assert read_page(str(fifo)).text == text
    finally:
        writer.join()


def test_missing_file_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(IngestError, match="No such file"):
        read_page(str(tmp_path / "nope.txt"))


def test_media_type_by_extension_and_content():
    assert media_type("a.html", "whatever") == "text/html"
    assert media_type("a.txt", "<!DOCTYPE html><html><body><h1>x</h1></body></html>") == "text/html"
    assert media_type("a", "Press release\n<b>not a page</b>") == "text/plain"


def test_folders_are_walked_recursively_and_sorted_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "1.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "3.txt").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    assert list(expand([str(tmp_path), "-"])) == [str(tmp_path / "1.txt"), str(tmp_path / "b" / "2.txt"), "-"]


def test_pages_yield_errors_in_place_and_go_on(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_text("Title\n\nBody", encoding="utf-8")
    out = list(pages([str(tmp_path)]))
    assert out[0] == (str(tmp_path / "a.txt"), "empty file")
    assert out[1].text == "Title\n\nBody" and len(out[1].sha256) == 64


def test_stdin_is_read_for_dash():
    code = "from kg.ingest import read_page; p = read_page('-'); print(p.path, p.media_type, p.text.strip())"
    out = subprocess.run([sys.executable, "-c", code], input="café\r\n".encode("utf-16"), capture_output=True)
    assert out.stdout.decode().strip() == "- text/plain café"
