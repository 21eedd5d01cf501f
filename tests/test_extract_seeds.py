"""Both seed pages, every key checked by hand and pinned."""

from pathlib import Path

import pytest

from kg.extract import extract
from kg.ingest import read_page

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SG = "Marc Perrin de Brichambaut"


@pytest.fixture(scope="module")
def gazetteer():
    return pytest.importorskip("kg.gazetteer").Gazetteer.load()


@pytest.fixture(scope="module")
def karzai(gazetteer):
    return extract(read_page(str(SEEDS / "000_4d3567976e25b523.txt")), gazetteer)


@pytest.fixture(scope="module")
def borg(gazetteer):
    return extract(read_page(str(SEEDS / "003_973450243c3cbebb.txt")), gazetteer)


def test_2008_release_header(karzai):
    assert karzai.id == "2008-09-10-osce-secretary-general-meets-president-karzai-discusses-assistance-to-56305dd5"
    assert (karzai.content_type, karzai.date, karzai.place, karzai.form) == ("Press release", "2008-09-10", "Kabul",
                                                                            "seed")
    assert karzai.title == "OSCE Secretary General meets President Karzai, discusses assistance to Afghanistan"
    assert karzai.sources == ["OSCE Secretary General", "Partners for Co-operation", "Asian Partners for Co-operation"]
    assert karzai.dateline == "KABUL, 10 September 2008"
    assert karzai.source.path.endswith("000_4d3567976e25b523.txt") and len(karzai.source.sha256) == 64


def test_2008_release_body_has_no_navigation(karzai):
    assert len(karzai.paragraphs) == 10
    assert karzai.paragraphs[0].startswith("KABUL, 10 September 2008 - The OSCE Secretary General, Marc Perrin")
    assert karzai.paragraphs[-1].endswith("by Afghanistan.")
    assert not any(p.startswith("-") or p in {"Czech Republic", "Press release"} for p in karzai.paragraphs)


def test_2008_release_quotes_are_all_the_secretary_generals(karzai):
    assert [q.speaker for q in karzai.quotes] == [SG] * 5
    assert [q.text[:30] for q in karzai.quotes] == [
        "During my meeting in Kabul wit", "The OSCE involvement is aimed ",   # unattributed continuation
        "Involvement in the activities ",                                     # "said the Secretary General"
        "I believe that this initiative", "Customs is a particularly sign",   # unattributed continuation
    ]
    assert karzai.quotes[0].text.endswith("training customs officials")


def test_2008_release_people(karzai):
    assert [(p.name, p.role) for p in karzai.people] == [
        (SG, "OSCE Secretary General"),
        ("Hamid Karzai", "President"),
        ("Mohammad Daud Daud", "Deputy Interior Minister, General"),
        ("Kai Eide", "Special Representative of the UN Secretary General to Afghanistan and the Head of the UN "
                     "Assistance Mission in Afghanistan"),
    ]


def test_2008_release_mentions(karzai):
    got = [(m.name, m.kind, m.iri.rsplit("/id/", 1)[1], m.wikidata) for m in karzai.mentions]
    assert got == [
        ("OSCE", "organisation", "organisation/organization-for-security-and-co-operation-in-europe", "Q81299"),
        ("Afghanistan", "partner", "country/afghanistan", "Q889"),
        ("Asian Partner for Co-operation", "partner", "partner-group/asian-partners-for-co-operation", None),
        ("Japan", "partner", "country/japan", "Q17"),
        ("South Korea", "partner", "country/republic-of-korea", "Q884"),
        ("Thailand", "partner", "country/thailand", "Q869"),
        ("Mongolia", "partner", "country/mongolia", "Q711"),   # a Partner in 2008, a State from 2012
        ("UN", "organisation", "organisation/united-nations", "Q1065"),
        ("UN Assistance Mission in Afghanistan", "organisation",      # organisations.tsv: no QID evidenced
         "organisation/united-nations-assistance-mission-in-afghanistan", None),
        ("Ministerial Council", "institution", "unit/ministerial-council", None),
    ]
    # nothing from the navigation's list of participating States
    assert not {"Albania", "Czech Republic", "Türkiye", "Malta"} & {m.name for m in karzai.mentions}


def test_2008_release_fields_of_work(karzai):
    assert karzai.fields_of_work == ["Border management", "Policing"]


def test_2024_release(borg):
    assert borg.id == ("2024-06-26-osce-chair-in-office-borg-concludes-visit-to-tajikistan-stresses-importance-of-634f4cfe")
    assert (borg.content_type, borg.date, borg.place) == ("Press release", "2024-06-26", "Dushanbe")
    assert borg.sources == ["OSCE Chairpersonship", "OSCE Programme Office in Dushanbe"]
    assert len(borg.paragraphs) == 5


def test_2024_release_quotes_are_ian_borgs(borg):
    assert [q.speaker for q in borg.quotes] == ["Ian Borg"] * 3
    assert [q.text[:25] for q in borg.quotes] == ["Our efforts in Tajikistan", "The Maltese Chairpersonsh",
                                                  "A free and independent ci"]


def test_2024_release_people_and_mentions(borg):
    assert [(p.name, p.role) for p in borg.people] == [
        ("Ian Borg", "OSCE Chair-in-Office, Minister for Foreign and European Affairs and Trade of Malta"),
        ("Emomali Rahmon", "President"),
        ("Sirojiddin Muhriddin", "Minister of Foreign Affairs"),
        ("Rajabali Rahmonali", "Colonel-General"),
        ("Willy Kempel", "Head of Mission, Ambassador"),
    ]
    assert [(m.name, m.kind) for m in borg.mentions] == [
        ("OSCE", "organisation"), ("Tajikistan", "state"), ("Malta", "state"), ("Afghanistan", "partner"),
        ("OSCE Programme Office in Dushanbe", "field_operation"),
    ]
    assert borg.fields_of_work == ["Border management", "Human rights", "Democratization"]
