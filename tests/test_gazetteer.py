"""The gazetteer answers what extraction and mapping ask, from the reference tables."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kg.gazetteer import Gazetteer
from kg.iris import Minter
from kg.reference import normalise, read_table

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


@pytest.mark.parametrize("name, label, qid", [
    ("Czech Republic", "Czechia", "Q213"),
    ("czechia", "Czechia", "Q213"),
    ("Turkey", "Türkiye", "Q43"),
    ("TURKIYE", "Türkiye", "Q43"),
    ("the former Yugoslav Republic of Macedonia", "North Macedonia", "Q221"),
    ("Netherlands", "The Netherlands", "Q29999"),
    ("South Korea", "Republic of Korea", "Q884"),
    ("Russia", "Russian Federation", "Q159"),
    ("OSCE Office in Tajikistan", "OSCE Programme Office in Dushanbe", None),
    ("Programme Office in Dushanbe", "OSCE Programme Office in Dushanbe", None),
    ("ODIHR", "Office for Democratic Institutions and Human Rights", None),
    ("OSCE Spillover Monitor Mission to Skopje", "OSCE Mission to Skopje", None),
    ("Afghan", "Afghanistan", "Q889"),
    ("Maltese", "Malta", "Q233"),
    ("Tajik", "Tajikistan", "Q863"),
    ("United Nations", "United Nations", "Q1065"),
])
def test_lookup_finds_names_aliases_and_demonyms(gaz: Gazetteer, name: str, label: str, qid: str | None) -> None:
    entity = gaz.lookup(name)
    assert entity is not None and entity.label == label and entity.wikidata == qid


def test_lookup_unknown_and_non_state(gaz: Gazetteer) -> None:
    assert gaz.lookup("Atlantis") is None
    kosovo = gaz.lookup("Kosovo")  # a territory, not a State, partner or structure: mentioned as "other"
    assert (kosovo.category, kosovo.kind_on(None), kosovo.wikidata) == ("territory", "other", "Q1246")


def test_mongolia_partner_then_state(gaz: Gazetteer) -> None:
    mongolia = gaz.lookup("Mongolia")
    assert mongolia.kind_on(date(2008, 9, 10)) == "partner"
    assert mongolia.kind_on(date(2012, 11, 20)) == "partner"
    assert mongolia.kind_on(date(2012, 11, 21)) == "state"
    assert mongolia.kind_on(None) == "state"
    assert gaz.lookup("Australia").kind_on(date(2005, 1, 1)) is None  # partner from 2009 only
    assert gaz.lookup("Australia").kind_on(date(2010, 1, 1)) == "partner"


def test_kinds_by_category(gaz: Gazetteer) -> None:
    day = date(2008, 9, 10)
    assert gaz.lookup("OSCE Mission to Georgia").kind_on(day) == "field_operation"
    assert gaz.lookup("Conflict Prevention Centre").kind_on(day) == "institution"
    assert gaz.lookup("European Union").kind_on(day) == "organisation"
    assert gaz.lookup("Asian Partners for Co-operation").kind_on(day) == "partner"


def test_every_table_row_is_an_entity(gaz: Gazetteer) -> None:
    for table, category in (("participating_states.tsv", "country"), ("partners.tsv", "country"),
                            ("field_operations.tsv", "field_operation")):
        for row in read_table(table):
            assert gaz.lookup(row["name"]).category == category, row["name"]
    states = [e for e in gaz.entities if e.participation and e.participation[1] is None]
    assert len(states) == 57


def test_names_are_unambiguous(gaz: Gazetteer) -> None:
    """No surface form the extractor scans for names two entities."""
    seen: dict[str, str] = {}
    for form, entity in gaz.names():
        assert seen.setdefault(normalise(form), entity.iri) == entity.iri, form
    forms = {form for form, _ in gaz.names()}
    assert {"Afghan", "South Korea", "Programme Office in Dushanbe", "ODIHR", "OMIK"} <= forms
    assert "OSCE Chairpersonship" not in forms  # a Source value, not a mention


SOURCES = ["OSCE Chairmanship", "OSCE Chairpersonship", "OSCE Parliamentary Assembly",
           "OSCE Office for Democratic Institutions and Human Rights", "OSCE Secretariat", "OSCE Secretary General",
           "Partners for Co-operation", "Asian Partners for Co-operation", "Mediterranean Partners for Co-operation",
           "Permanent Council", "Troika", "Minsk Group",
           "Personal Representative of the OSCE Chairperson-in-Office on the conflict dealt with by the OSCE Minsk "
           "Conference", "OSCE Mission to Georgia (closed)", "OSCE Programme Office in Dushanbe",
           "Office of the Special Representative and Co-ordinator for Combating Trafficking in Human Beings",
           "OSCE Representative on Freedom of the Media", "Forum for Security Co-operation",
           "High Commissioner on National Minorities"]


@pytest.mark.parametrize("value", SOURCES)
def test_resolve_source_values(gaz: Gazetteer, value: str) -> None:
    entity = gaz.resolve_source(value, date(2010, 5, 1))
    assert entity is not None and entity.category != "country"


def test_chairpersonship_source_is_that_years(gaz: Gazetteer) -> None:
    assert gaz.resolve_source("OSCE Chairpersonship", date(2024, 6, 26)).iri.endswith("/id/chairpersonship/2024")
    assert gaz.resolve_source("OSCE Chairmanship", "2008-09-10").iri.endswith("/id/chairpersonship/2008")
    assert gaz.resolve_source("Nonexistent Office", date(2008, 1, 1)) is None


def test_corpus_source_values_resolve(gaz: Gazetteer) -> None:
    """Every Source value of the sample corpus names a known entity on the release's date."""
    expected = SHARED / "corpus" / "expected.jsonl"
    if not expected.exists():
        pytest.skip(f"shared corpus not found at {expected}")
    missing = []
    for line in expected.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for value in rec["sources"]:
            if gaz.resolve_source(value, rec["date_any_of"][0]) is None:
                missing.append(value)
    assert missing == []


def test_holders_and_people(gaz: Gazetteer) -> None:
    assert gaz.holders("secretary-general", date(2008, 9, 10)) == ["Marc Perrin de Brichambaut"]
    assert gaz.holders("chairperson-in-office", date(2008, 4, 4)) == ["Ilkka Kanerva"]
    assert gaz.holders("chairperson-in-office", date(2008, 4, 5)) == ["Alexander Stubb"]
    assert gaz.holders("Chair-in-Office", "2024-06-26") == ["Ian Borg"]
    assert gaz.holders("secretary-general", date(2024, 10, 15)) == []  # vacant Sept-Dec 2024
    assert gaz.holders("no such post", date(2024, 1, 1)) == []
    people = dict(gaz.people())
    assert people["Marc Perrin de Brichambaut"] == "Secretary General"
    assert people["Ian Borg"] == "Chairperson-in-Office"
    assert people["Helga Maria Schmid"] == "Secretary General"


@pytest.mark.parametrize("name, label, qid", [
    ("KABUL", "Kabul", "Q5838"), ("Chişinău", "Chisinau", "Q21197"), ("Chisinau", "Chisinau", "Q21197"),
    ("Kiev", "Kyiv", "Q1899"), ("Prishtine", "Pristina", "Q25270"), ("Dushanbe", "Dushanbe", "Q9365"),
])
def test_place(gaz: Gazetteer, name: str, label: str, qid: str) -> None:
    place = gaz.place(name)
    assert place == (label, qid) and place.label == label and place.wikidata == qid


def test_place_without_qid_row(gaz: Gazetteer) -> None:
    assert gaz.place("Kharkov") is None and gaz.place("Strasbourg") is None


def test_topics_and_content_types(gaz: Gazetteer) -> None:
    topics = dict(gaz.topics())
    assert len({iri for iri in topics.values()}) == 23
    assert topics["Border management"].endswith("/id/topic/border-management")
    assert topics["Combating human trafficking"] == topics["Combating trafficking in human beings"]
    types = dict(gaz.content_types())
    classes = gaz.article_classes()
    assert classes[types["Press release"]].endswith("#PressRelease")
    assert classes[types["News"]] == classes[types["News Item"]]
    assert classes[types["Spot report"]].endswith("#SpotReport")


def test_base_is_configurable() -> None:
    gaz = Gazetteer.load(Minter("http://localhost:8000/"))
    assert gaz.lookup("Japan").iri == "http://localhost:8000/id/country/japan"
    assert Gazetteer.load(Minter("http://localhost:8000/")) is gaz  # cached per base
