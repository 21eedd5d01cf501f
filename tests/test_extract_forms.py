"""Page forms end to end: fixture pages for each form the corpus lacks, HTML, encodings, bad pages."""

from pathlib import Path

import pytest

from kg.extract import extract, release_id
from kg.ingest import page_from_bytes, read_page
from kg.record import ExtractionError

PAGES = Path(__file__).parent / "fixtures" / "pages"
SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_4d3567976e25b523.txt"


@pytest.fixture(scope="module")
def gazetteer():
    return pytest.importorskip("kg.gazetteer").Gazetteer.load()


def run(name, gazetteer):
    return extract(read_page(str(PAGES / name)), gazetteer)


def names(release):
    return [m.name for m in release.mentions]


@pytest.mark.parametrize("section, content_type", [("Newsroom", "Press release"), ("STORIES", "Story"),
                                                   ("Resources", "Press release"), ("News", "News")])
def test_newsroom_section_word_gives_the_content_type_it_implies(section, content_type, gazetteer):
    text = (PAGES / "newsroom.txt").read_text(encoding="utf-8")
    assert "\nNewsroom\nChairman-in-Office welcomes" in text
    page = page_from_bytes("n.txt", text.replace("\nNewsroom\nChairman-in-Office", f"\n{section}\nChairman-in-Office")
                           .encode())
    r = extract(page, gazetteer)
    assert (r.form, r.content_type) == ("newsroom", content_type)


@pytest.mark.parametrize("name", ["newsroom.txt", "newsroom_cp1252.txt"])
def test_older_newsroom_page(name, gazetteer):
    r = run(name, gazetteer)
    assert (r.form, r.content_type, r.date, r.place, r.dateline) == ("newsroom", "Press release", "1999-05-20", "Oslo",
                                                                      None)
    assert r.title == "Chairman-in-Office welcomes agreement on confidence-building measures"
    assert r.id == "1999-05-20-chairman-in-office-welcomes-agreement-on-confidence-building-measures"
    assert not any("Photo details" in p or p.startswith("- ") for p in r.paragraphs)
    assert r.paragraphs[-1] == "The OSCE Mission to Bosnia and Herzegovina will assist the parties with the implementation."
    assert [(q.speaker, q.text[:20]) for q in r.quotes] == [("Knut Vollebaek", "This agreement shows"),
                                                           ("Knut Vollebaek", "It must now be imple")]
    credit = [("Ana Müller", None)] if "cp1252" in name else []  # "(OSCE/Ana Müller)": a caption's credit
    assert [(p.name, p.role) for p in r.people] == [("Knut Vollebaek",
                                                     "OSCE Chairman-in-Office, Norwegian Foreign Minister")] + credit
    assert names(r) == ["OSCE", "Norwegian", "OSCE Mission to Bosnia and Herzegovina"]  # longest match wins


def test_cp1252_page_keeps_its_characters(gazetteer):
    r = run("newsroom_cp1252.txt", gazetteer)
    assert "the “Oslo package”, as delegates called it – and thanked the négociateurs." in r.paragraphs[0]


def test_bare_page(gazetteer):
    r = run("bare.txt", gazetteer)
    assert (r.form, r.title, r.date, r.place) == ("bare", "High Commissioner on National Minorities visits Chisinau",
                                                  "2003-03-14", "Chisinau")
    assert r.dateline == "CHIŞINĂU, 14 March 2003"
    assert [(q.speaker, q.text) for q in r.quotes] == [
        ("Rolf Ekéus", "Education in the mother tongue and knowledge of the State language go hand in hand")]
    assert "National minority issues" in r.fields_of_work


@pytest.mark.parametrize("name", ["odihr.txt", "odihr_utf16.txt"])
def test_odihr_page(name, gazetteer):
    r = run(name, gazetteer)
    assert (r.form, r.content_type, r.date, r.place) == ("odihr", "News Item", "2012-09-05", "Warsaw")
    assert r.title == "ODIHR opens election observation mission for parliamentary elections in Georgia"
    assert r.sources == ["OSCE Office for Democratic Institutions and Human Rights"]
    assert len(r.paragraphs) == 3 and not any(p.startswith(("Issued", "Fields of work")) for p in r.paragraphs)
    assert [q.speaker for q in r.quotes] == ["Audrey Glover"]
    assert "ODIHR" in names(r) and "Georgia" in names(r) and "Elections" in r.fields_of_work


def test_html_page(gazetteer):
    r = run("release.html", gazetteer)
    assert (r.form, r.content_type, r.date, r.place) == ("html", "Press release", "2014-04-17", "Chisinau")
    assert r.title == "OSCE Mission to Moldova supports training for judges on human rights"
    assert r.sources == ["OSCE Mission to Moldova", "OSCE Office for Democratic Institutions and Human Rights"]
    assert len(r.paragraphs) == 3 and r.paragraphs[0].startswith("CHISINAU, 17 April 2014 – Twenty judges")
    assert not any("Participants of the training" in p or "rights reserved" in p for p in r.paragraphs)
    assert [(q.speaker, q.text) for q in r.quotes] == [
        ("Jennifer Brush", "Judges are the guardians of human rights in every courtroom")]
    # the navigation's Czech Republic and Mongolia are chrome, not mentions
    assert "Czech Republic" not in names(r) and "Mongolia" not in names(r)
    assert "OSCE Mission to Moldova" in names(r)


def test_event_page_is_not_a_release(gazetteer):
    with pytest.raises(ExtractionError, match="event page"):
        run("event.txt", gazetteer)


def test_event_page_with_bare_labels_is_not_a_release(gazetteer):
    text = "Events\nOSCE Economic and Environmental Forum\nDate: 22 May 2018\nLocation: Prague\nSource: OSCE\n"
    with pytest.raises(ExtractionError, match="event page"):
        extract(page_from_bytes("e.txt", text.encode()), gazetteer)


def _seed_variant(transform) -> bytes:
    return transform(SEED.read_text(encoding="utf-8")).encode()


@pytest.mark.parametrize("transform, reason", [
    (lambda t: t.split("Press release\n")[0], "no release found"),
    (lambda t: t.replace("\n- KABUL", "").replace("KABUL, 10 September 2008 - ", ""), "without a date"),
    (lambda t: t.split("- Source:")[0] + "- Source:\n- OSCE\n", "without a body"),
], ids=["navigation-only", "no-date", "no-body"])
def test_pages_without_a_release_are_reported(transform, reason, gazetteer):
    with pytest.raises(ExtractionError, match=reason):
        extract(page_from_bytes("x.txt", _seed_variant(transform)), gazetteer)


def test_html_without_title_is_reported(gazetteer):
    markup = "<html><body><nav><h2>Menu</h2></nav><article><p>KABUL, 10 September 2008 - Text.</p></article></body></html>"
    with pytest.raises(ExtractionError, match="without a title"):
        extract(page_from_bytes("x.html", markup.encode()), gazetteer)


def test_navigation_wording_does_not_matter(gazetteer):
    """Another site version's navigation (renamed, reordered, shorter) gives the same record."""
    text = SEED.read_text(encoding="utf-8")
    other = text.replace("Czech Republic", "Czechia").replace("Gender Equality Review Conferences",
                                                              "Gender equality conferences")
    other = "-\nAbout\n- Who we are\n- Contacts\n" + other.split("- About us\n", 1)[1]
    a = extract(page_from_bytes(str(SEED), text.encode()), gazetteer).to_json()
    b = extract(page_from_bytes(str(SEED), other.encode()), gazetteer).to_json()
    a.pop("source"), b.pop("source")
    assert a == b


def test_release_id_is_trimmed_on_a_word_boundary_and_hashed():
    title = ("OSCE Secretary General meets President Karzai, discusses assistance to Afghanistan and the "
             "region's border management needs")
    rid = release_id("2008-09-10", title)
    head, digest = rid.rsplit("-", 1)
    assert head == "2008-09-10-osce-secretary-general-meets-president-karzai-discusses-assistance-to"
    assert len(digest) == 8 and int(digest, 16) >= 0
    assert release_id("2008-09-10", title) == rid  # stable


def test_short_titles_keep_a_plain_slug():
    assert release_id("2024-06-26", "OSCE Chair-in-Office Borg visits Tajikistan") == (
        "2024-06-26-osce-chair-in-office-borg-visits-tajikistan")


def test_long_titles_sharing_their_start_get_different_ids():
    """Two releases of one day whose titles differ only after the trimmed slug (a real ODIHR phrasing)."""
    start = "OSCE Office for Democratic Institutions and Human Rights publishes report on the elections in "
    a = release_id("2021-10-04", start + "Georgia")
    b = release_id("2021-10-04", start + "Armenia")
    assert a != b and a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0]
    assert release_id("2021-10-04", start.upper() + "Georgia") == a  # the slug, not the spelling, decides


def test_a_source_name_with_a_comma_stays_whole(gazetteer):
    name = "Personal Representative of the OSCE Chairman-in-Office for Article IV, Annex 1-B of the Dayton Peace Agreement"
    text = SEED.read_text(encoding="utf-8").replace(
        "- OSCE Secretary General, Partners for Co-operation, Asian Partners for Co-operation",
        f"- OSCE Secretary General, {name} (closed), Partners for Co-operation")
    r = extract(page_from_bytes("x.txt", text.encode()), gazetteer)
    assert r.sources == ["OSCE Secretary General", f"{name} (closed)", "Partners for Co-operation"]
