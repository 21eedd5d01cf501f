"""The kg command and the IRI scheme every stage shares."""

import subprocess
import sys

import pytest

from kg.iris import Minter, slug


@pytest.mark.parametrize("sub", ["extract", "build", "serve", "query", "publish"])
def test_every_subcommand_has_help(sub):
    out = subprocess.run([sys.executable, "-m", "kg.cli", sub, "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"usage: kg {sub}" in out.stdout


def test_slug_is_ascii_and_stable():
    assert slug("Türkiye") == "turkiye"
    assert slug("OSCE Programme Office in Dushanbe") == "osce-programme-office-in-dushanbe"
    assert slug("Co-operation & Security") == "co-operation-security"


def test_minter_mints_under_its_base():
    m = Minter("http://127.0.0.1:8000")
    iri = m.id("country", "Republic of Korea")
    assert str(iri) == "http://127.0.0.1:8000/id/country/republic-of-korea"
    assert m.local_path(str(iri)) == "/id/country/republic-of-korea"
    assert m.local_path("http://www.wikidata.org/entity/Q884") is None
    with pytest.raises(ValueError):
        m.id("no-such-kind", "x")
