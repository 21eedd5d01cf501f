"""Hand-annotated real pages (``../shared/corpus/real/annotations.jsonl``): the floors of issue 10, scored by
``bench/annotations_score.py`` (mentions and people F1, quotation speakers right), and the organisations
and containment rules of mentions on hand-written sentences."""

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

from kg.extract.mentions import find_mentions

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"
FLOOR = 0.95


@pytest.fixture(scope="module")
def overall():
    if not (REAL / "annotations.jsonl").exists():
        pytest.skip(f"annotated real pages not found at {REAL} (../shared/corpus/real from the repository root)")
    spec = importlib.util.spec_from_file_location("annotations_score", ROOT / "bench" / "annotations_score.py")
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))  # dataclasses need it there
    spec.loader.exec_module(module)
    figures, pages = module.score(REAL)
    return figures, module.report(figures, pages, per_page=True)


def test_every_annotated_page_yields_a_record(overall):
    figures, report = overall
    assert figures["pages"] == 44 and figures["pages_without_record"] == 0, report


@pytest.mark.parametrize("kind", ["mentions", "people"])
def test_f1_floor(overall, kind):
    figures, report = overall
    assert figures[kind]["f1"] >= FLOOR, report


def test_quotation_speakers_floor(overall):
    figures, report = overall
    assert figures["quotes"]["speaker_accuracy"] >= FLOOR, report


@pytest.fixture(scope="module")
def gazetteer():
    return pytest.importorskip("kg.gazetteer").Gazetteer.load()


def mentions(text, gazetteer, on=date(2019, 5, 1)):
    return [(m.name, m.kind, m.wikidata) for m in find_mentions([text], gazetteer, on)]


def test_international_organisations_with_their_evidenced_qids(gazetteer):
    assert mentions("UNHCR and the International Organization for Migration met the ICRC and UNMIK.", gazetteer) == [
        ("UNHCR", "organisation", "Q132551"), ("International Organization for Migration", "organisation", "Q472311"),
        ("ICRC", "organisation", "Q5987345"), ("UNMIK", "organisation", None)]


def test_a_unit_or_post_of_an_organisation_names_it(gazetteer):
    assert mentions("The UN Resident Coordinator and the EU Delegation attended.", gazetteer) == [
        ("UN", "organisation", "Q1065"), ("EU", "organisation", "Q458")]


def test_a_country_inside_a_structures_name_is_no_mention_of_it(gazetteer):
    assert [m[0] for m in mentions("The OSCE Mission to Moldova and the UN Interim Administration Mission in "
                                   "Kosovo met.", gazetteer)] == ["OSCE Mission to Moldova",
                                                                  "UN Interim Administration Mission in Kosovo"]
    assert [m[:2] for m in mentions("Finnish Foreign Minister Stubb visited Kosovo and the Netherlands.", gazetteer)] == [
        ("Finnish", "state"), ("Kosovo", "other"), ("Netherlands", "state")]


def test_names_that_mean_other_things_are_not_scanned(gazetteer):
    assert mentions("AI tools, the EC regulation and the WHO said: the General Assembly of the club met.",
                    gazetteer) == []


def test_an_ethnic_group_is_no_mention_of_the_country(gazetteer):
    assert [m[0] for m in mentions("Ethnic Albanian parties and Kosovo Albanian leaders met.", gazetteer)] == [
        "Kosovo"]
    assert [m[0] for m in mentions("Albanian officials met ethnic Russian leaders.", gazetteer)] == ["Albanian"]


def test_demonyms_joined_by_a_hyphen_name_both_countries(gazetteer):
    assert [m[0] for m in mentions("The Tajik-Afghan border; a Russian-speaking Euro-Atlantic forum.", gazetteer)] == [
        "Tajik", "Afghan"]
