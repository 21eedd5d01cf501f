"""The evidence-based finder on small synthetic pages: known parts in arrangements the templates never had."""

import pytest

from kg.extract import extract
from kg.extract.dateline import parse_date
from kg.extract.text import parse
from kg.ingest import page_from_bytes
from kg.record import ExtractionError

TITLE = "Mission supports training of judges on property rights"
DATELINE = "ODESA, 4 May 2017 – Twenty judges completed a course on property rights today."
MORE = "The course was organized by the OSCE Project Co-ordinator in Ukraine."


def page(*lines: str):
    return parse("\n".join(lines) + "\n")


@pytest.mark.parametrize("lines", [
    (TITLE, DATELINE, MORE),                                   # no blank line after the title
    (TITLE, "", "", DATELINE, MORE),                           # several blank lines
    (TITLE, "![](https://example.org/photo.jpg)", DATELINE, MORE),   # an image between them
    ("Skip to main content", "Elections", "Human rights", "News", TITLE, DATELINE, MORE),  # a short menu first
    (TITLE, "Share", DATELINE, MORE),                          # a word of chrome
    (TITLE, "Printer-friendly version", "", "By Jane Roe", DATELINE, MORE),  # chrome and a byline
    (TITLE, "Photo: OSCE/Jane Roe", DATELINE, MORE),           # a credit line
], ids=["no-blank", "blanks", "image", "short-menu", "chrome-word", "chrome-byline", "photo-credit"])
def test_title_then_dateline_in_any_spacing(lines):
    layout = page(*lines)
    assert (layout.title, layout.body[0], layout.body[1:]) == (TITLE, DATELINE, [MORE])


@pytest.mark.parametrize("lines, date, place", [
    (("12 May 2009", TITLE, MORE), "12 May 2009", None),                        # a date above the title
    (("Vienna, 12 May 2009", "", TITLE, "", MORE), "12 May 2009", "Vienna"),    # a place and date above it
    (("Newsroom", "05 May 2009", TITLE, MORE), "05 May 2009", None),            # under a section word
    (("12 May 2009", TITLE, DATELINE, MORE), "12 May 2009", None),              # and a dateline below it
    (("Newsroom", "Odesa, 4 May 2017", TITLE, "4 May 2017", MORE), "4 May 2017", "Odesa"),  # the one with a place
], ids=["date", "place-date", "section-word", "and-dateline", "and-date-below"])
def test_a_date_line_above_the_title(lines, date, place):
    layout = page(*lines)
    assert (layout.title, layout.date, layout.place, layout.body[-1]) == (TITLE, date, place, MORE)


STANDFIRST = "Twenty judges from the south of the country learn to apply the European Convention in property cases"


@pytest.mark.parametrize("lines, standfirst", [
    ((TITLE, STANDFIRST, DATELINE, MORE), STANDFIRST),                          # a subtitle longer than the title
    ((TITLE, "", "Judges learn about rights.", "", DATELINE, MORE), "Judges learn about rights."),  # a sentence
    (("Newsroom", TITLE, STANDFIRST, "![](https://example.org/p.jpg)", DATELINE, MORE), STANDFIRST),  # an image
], ids=["longer", "sentence", "image-after"])
def test_a_standfirst_between_title_and_dateline_is_not_the_title(lines, standfirst):
    layout = page(*lines)
    assert (layout.title, layout.standfirst, layout.body) == (TITLE, [standfirst], [DATELINE, MORE])


def test_a_standfirst_above_a_date_line_or_a_field_block():
    layout = page(TITLE, STANDFIRST, "ODESA 4 May 2017", MORE)
    assert (layout.title, layout.standfirst, layout.date, layout.body) == (TITLE, [STANDFIRST], "4 May 2017", [MORE])
    layout = page(TITLE, STANDFIRST, "Date:", "4 May 2017", "Place:", "ODESA", DATELINE, MORE)
    assert (layout.title, layout.standfirst, layout.date, layout.body) == (TITLE, [STANDFIRST], "4 May 2017",
                                                                          [DATELINE, MORE])


def test_a_standfirst_shorter_than_a_long_title():
    title = TITLE + " and on the European Convention in courts of the southern regions"
    layout = page(title, "Twenty judges from the south learn to apply the Convention", DATELINE, MORE)
    assert (layout.title, layout.standfirst) == (title, ["Twenty judges from the south learn to apply the Convention"])


@pytest.mark.parametrize("above", ["Organization for Security and Co-operation in Europe",
                                   "OSCE Mission to Bosnia and Herzegovina", "Human rights", "Media freedom and you",
                                   "Press release", "Share this page"])
def test_a_name_or_menu_line_above_the_title_is_not_a_title_with_a_standfirst(above):
    layout = page(above, TITLE, DATELINE, MORE)
    assert (layout.title, layout.standfirst) == (TITLE, [])


@pytest.mark.parametrize("label", ["PRESS RELEASE", "press release", "NEWS ITEM"])
def test_a_label_in_capitals_or_lower_case_gives_the_lexicons_spelling(label):
    assert page(label, TITLE, DATELINE).content_type == label.capitalize()


@pytest.mark.parametrize("dateline", [
    "Odesa, 4 May 2017 – Twenty judges completed a course on property rights today.",
    "Odesa 4 May 2017 - Twenty judges completed a course on property rights today.",
    "Odesa, 04 May 2017 — Twenty judges completed a course on property rights today.",
    "Odesa, 4th May 2017 – Twenty judges completed a course on property rights today.",
], ids=["comma", "space", "leading-zero", "ordinal"])
def test_a_dateline_with_the_city_in_mixed_case(dateline):
    layout = page(TITLE, dateline, MORE)
    assert (layout.form, layout.title, layout.body) == ("bare", TITLE, [dateline, MORE])


def test_a_title_ending_in_a_full_stop_is_read_when_nothing_else_is_dated():
    assert page(TITLE + ".", "", DATELINE, MORE).title == TITLE + "."
    assert page("Newsroom", "Judges meet in Kharkiv.", TITLE, DATELINE).title == TITLE  # one without wins


def test_label_above_or_below_the_title_gives_the_content_type():
    assert page("Press statement", TITLE, DATELINE).content_type == "Press statement"
    assert page(TITLE, "News Item", DATELINE).content_type == "News Item"
    assert page("Newsroom", TITLE, DATELINE).content_type == "Press release"  # the section word's type
    assert page(TITLE, DATELINE).content_type == "Press release"             # unlabelled


def test_place_and_date_line_then_caption_then_dateline():
    layout = page(TITLE, "ODESA 4 May 2017", "",
                  "Judges at the opening of the course in Odesa. Photo details", DATELINE, MORE)
    assert (layout.form, layout.date, layout.place) == ("newsroom", "4 May 2017", "ODESA")
    assert layout.captions == ["Judges at the opening of the course in Odesa. Photo details"]
    assert layout.body == [DATELINE, MORE]


@pytest.mark.parametrize("line, place", [("ODESA 4 May 2017", "ODESA"), ("Odesa, 4 May 2017", "Odesa"),
                                         ("ODESA – 4 May 2017", "ODESA"), ("4 May 2017, Odesa", "Odesa"),
                                         ("Odesa, 04 May 2017", "Odesa"), ("Odesa, 4th May 2017", "Odesa"),
                                         ("Odesa, Thursday, 4 May 2017", "Odesa"), ("Odesa 4 May, 2017", "Odesa")])
def test_date_lines_with_the_place_before_or_after(line, place):
    layout = page(TITLE, line, MORE)
    assert (layout.form, layout.place, layout.body) == ("newsroom", place, [MORE])
    assert parse_date(layout.date) == "2017-05-04"


@pytest.mark.parametrize("field", ["Date : 4 May 2017", "Datum: 04.05.2017", "Fecha: 04/05/2017",
                                   "Дата публикации: 4 May 2017", "Date de publication: 4 May 2017"])
def test_a_date_field_in_another_languages_chrome(field):
    layout = page(TITLE, field, "Ort: Odesa", MORE)
    assert (layout.form, parse_date(layout.date), layout.place) == ("fields", "2017-05-04", "Odesa")
    assert layout.body == [MORE]


def test_captions_over_two_lines_and_credits_are_not_body():
    layout = page(TITLE, "(OSCE/Jane Roe)Judges listen to a lecture given by the",
                  "Head of the Project Co-ordinator. (OSCE/Jane Roe) Photo details",
                  DATELINE, "Participants of the course in the", "court room in Odesa. Photo details", MORE,
                  "A judge at the course. (OSCE/Jane Roe)")
    assert layout.captions == [
        "(OSCE/Jane Roe)Judges listen to a lecture given by the Head of the Project Co-ordinator. "
        "(OSCE/Jane Roe) Photo details",
        "Participants of the course in the court room in Odesa. Photo details",
        "A judge at the course. (OSCE/Jane Roe)",
    ]
    assert layout.body == [DATELINE, MORE]


def test_an_acronym_after_osce_is_not_a_credit():
    text = "The Office for Democratic Institutions and Human Rights (OSCE/ODIHR)"
    assert page(TITLE, DATELINE, text).body == [DATELINE, text]


def test_field_block_with_values_on_the_next_line():
    layout = page("Press release", "", TITLE, "", "Date:", "Place:", "ODESA/KYIV", "Source:",
                  "OSCE Project Co-ordinator in Ukraine", "Fields of work:", "Rule of law", DATELINE, MORE)
    assert (layout.title, layout.content_type, layout.place) == (TITLE, "Press release", "ODESA/KYIV")
    assert (layout.sources, layout.fields_of_work) == (["OSCE Project Co-ordinator in Ukraine"], ["Rule of law"])
    assert layout.body == [DATELINE, MORE]


def test_a_field_value_may_follow_blank_lines_but_is_never_the_body():
    layout = page(TITLE, "Publishing date: 4 May 2017", "Fields of work:", "", "Rule of law", "Source:", MORE)
    assert layout.fields_of_work == ["Rule of law"] and layout.sources == [] and layout.body == [MORE]


def test_a_labelled_date_is_enough():
    layout = page(TITLE, "Publishing date: 4 May 2017", MORE)
    assert (layout.form, layout.date, layout.body) == ("fields", "4 May 2017", [MORE])


def test_fields_after_the_body_date_a_labelled_page():
    layout = page("News Item", TITLE, MORE, "Issued on: 4 May 2017", "Issued by: OSCE Project Co-ordinator in Ukraine")
    assert (layout.form, layout.date, layout.body) == ("odihr", "4 May 2017", [MORE])
    assert layout.sources == ["OSCE Project Co-ordinator in Ukraine"]


def test_fields_inside_the_body_do_not_end_it():
    event = ["Date: 5 May 2017", "Venue: Palace of Justice, Odesa", "The public is invited to attend."]
    assert page(TITLE, DATELINE, *event, MORE).body == [DATELINE, *event, MORE]


def test_the_best_dated_title_wins_over_an_earlier_weakly_dated_one():
    """A related-news teaser (title + date-only line) before the release (section word, title, dateline)."""
    layout = page("Judges meet in Kharkiv for a regional conference", "3 May 2017", "", "Newsroom", TITLE,
                  DATELINE, MORE)
    assert (layout.title, layout.body[0]) == (TITLE, DATELINE)


@pytest.mark.parametrize("lines, reason", [
    ((TITLE, "", "A course for twenty judges was held on 4-6 May 2017 in Odesa.", MORE),
     f"title {TITLE!r} found, but no dateline, date line or date field"),
    ((TITLE, "4 May 2017", "", MORE),
     "and a date-only line, but no dateline, no place and no section word"),
    ((TITLE, MORE, "Issued on: 4 May 2017"), "and a date field after the body, but no dateline and no content"),
    (("Newsroom", DATELINE, MORE), "a dateline, but no title-like line before it"),
    (("- Home", "- About", "- Contacts"), "no title-like line"),
    ((TITLE, "Publishing date: 4 May 2017", DATELINE + " ...", "Judges meet in Kharkiv for a conference",
      "Publishing date: 3 May 2017", "KHARKIV, 3 May 2017 – Judges met ..."), "a listing of 2 releases"),
    (("Events", "Regional conference of judges", "Date: 4 May 2017", "Location: Odesa"), "event page"),
    (("4 May 2017", TITLE, "Twenty judges completed a course ...", "3 May 2017",
      "Judges meet in Kharkiv for a conference", "Judges met ..."), "a listing of 2 releases"),
    ((TITLE, "", "Odesa, 4 May 2017 was the first day of a course for twenty judges.", MORE),
     f"title {TITLE!r} found, but no dateline"),
    ((TITLE, "", "In Odesa, 4 May 2017 – the first day of a course for twenty judges.", MORE),
     f"title {TITLE!r} found, but no dateline"),
    ((TITLE, "A profile of the office and its work.", "4 May 2017", "Odesa, Ukraine", "", MORE),
     "and a date-only line, but no dateline, no place"),    # a fact sheet's date is not one above "Odesa, Ukraine"
], ids=["date-in-running-text", "date-only-line", "date-after-the-body", "no-title", "navigation-only", "listing",
        "event", "listing-dates-above-titles", "mixed-case-city-in-running-text", "prose-opener-before-date",
        "date-under-a-sentence"])
def test_pages_without_a_release_say_what_was_found_and_missing(lines, reason):
    with pytest.raises(ExtractionError) as caught:
        page(*lines)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_extract_reads_the_date_and_place_and_keeps_captions_out(gazetteer):
    text = "\n".join(["Newsroom", TITLE, "ODESA 4 May 2017", "Judges in Odesa. Photo details",
                      "PLEASE FIND BELOW THE CORRECTED VERSION OF THIS PRESS RELEASE. " + DATELINE, MORE])
    r = extract(page_from_bytes("x.txt", text.encode()), gazetteer)
    assert (r.title, r.date, r.place, r.content_type) == (TITLE, "2017-05-04", "Odesa", "Press release")
    assert r.captions == ["Judges in Odesa. Photo details"] and r.paragraphs[1:] == [MORE]
    assert r.to_json()["captions"] == r.captions


def test_a_notice_on_its_own_line_stays_with_the_dateline(gazetteer):
    notice = "PLEASE FIND BELOW THE CORRECTED VERSION OF THIS PRESS RELEASE."
    r = extract(page_from_bytes("x.txt", "\n".join([TITLE, notice, DATELINE, MORE]).encode()), gazetteer)
    assert (r.title, r.date, r.place, r.paragraphs) == (TITLE, "2017-05-04", "Odesa", [f"{notice} {DATELINE}", MORE])


def test_html_figure_captions_are_kept_apart(gazetteer):
    markup = ("<html><body><article><h1>" + TITLE + "</h1><figure><img src='x.jpg'><figcaption>Judges in Odesa. "
              "(OSCE/Jane Roe)</figcaption></figure><p>" + DATELINE + "</p><p>A judge. (OSCE/Jane Roe)</p></article>"
              "</body></html>")
    r = extract(page_from_bytes("x.html", markup.encode()), gazetteer)
    assert r.captions == ["Judges in Odesa. (OSCE/Jane Roe)", "A judge. (OSCE/Jane Roe)"]
    assert r.paragraphs == [DATELINE]


def test_extract_keeps_a_standfirst_as_the_first_paragraph_and_reads_the_dateline_after_it(gazetteer):
    standfirst = "Judges from Moldova and Ukraine learn to apply the European Convention in property disputes"
    dateline = "Odesa, 4 May 2017 – Twenty judges completed a course today."
    r = extract(page_from_bytes("x.txt", "\n".join([TITLE, standfirst, dateline, MORE]).encode()), gazetteer)
    assert (r.title, r.date, r.place, r.dateline) == (TITLE, "2017-05-04", "Odesa", "Odesa, 4 May 2017")
    assert r.paragraphs == [standfirst, dateline, MORE]
    assert "Moldova" in [m.name for m in r.mentions]  # the standfirst is read like the body


@pytest.fixture(scope="module")
def gazetteer():
    return pytest.importorskip("kg.gazetteer").Gazetteer.load()
