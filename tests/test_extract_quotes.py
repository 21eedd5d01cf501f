"""Quotation speakers, one test per attribution phrasing real releases use (hand-written sentences)."""

import pytest

from kg.extract.lexicon import terms
from kg.extract.people import find_people
from kg.extract.quotes import find_quotes

STOP = frozenset(terms("role_word")) | {"Serbia", "Montenegro"}
Q = "We will continue to support the reform process"
HOLDERS = {"secretary-general": ["Thomas Greminger"], "chairperson-in-office": ["Ian Borg"]}
BRAATHU = "Ambassador Jan Braathu opened the event."
SMITH = "Ambassador Jane Smith opened the event."


def speakers(*paragraphs: str) -> list[str | None]:
    found = find_people(list(paragraphs), [], STOP)
    quotes = find_quotes(list(paragraphs), found, lambda post: HOLDERS.get(post, []))
    assert quotes, "no quotation found"
    return [q.speaker for q in quotes]


@pytest.mark.parametrize("paragraphs, expected", [
    pytest.param([f"“{Q},” said Ambassador Jan Braathu, Head of the OSCE Mission to Serbia."], "Jan Braathu",
                 id="quote, said title name, post"),
    pytest.param([f"Jan Braathu, Head of the OSCE Mission to Serbia, said: “{Q}.”"], "Jan Braathu",
                 id="name, post, said: quote"),
    pytest.param([BRAATHU, f"“{Q},” said Braathu."], "Jan Braathu", id="quote, said surname"),
    pytest.param([BRAATHU, f"“{Q},” Braathu said."], "Jan Braathu", id="quote, surname said"),
    pytest.param([BRAATHU, f"“{Q},” Mr. Braathu said."], "Jan Braathu", id="quote, Mr. surname said"),
    pytest.param([SMITH, f"“{Q},” said Ms. Smith."], "Jane Smith", id="quote, said Ms. surname"),
    pytest.param([BRAATHU, f"According to Braathu, “{Q}.”"], "Jan Braathu", id="according to name, quote"),
    pytest.param([BRAATHU, f"“{Q}”, according to Braathu."], "Jan Braathu", id="quote, according to name"),
    pytest.param([SMITH, "The event lasted two days.", f"“{Q},” she added."], "Jane Smith", id="quote, she added"),
    pytest.param([BRAATHU, f"“{Q},” said he."], "Jan Braathu", id="quote, said he"),
    pytest.param([f"“{Q},” the Chairperson-in-Office said."], "Ian Borg", id="post holder on the date (CiO)"),
    pytest.param([f"“{Q},” said the Chairwoman-in-Office."], "Ian Borg", id="post holder, another spelling"),
    pytest.param([f"The Secretary General said: “{Q}.”"], "Thomas Greminger", id="post said: quote"),
    pytest.param([f"“{Q}”, says OSCE Secretary General Thomas Greminger."], "Thomas Greminger",
                 id="quote, says title name"),
    pytest.param([f"“{Q},” said the Head of the OSCE Mission to Montenegro, Maryse Daviet, in an address."],
                 "Maryse Daviet", id="quote, said post, name (corpus phrasing)"),
    pytest.param([f"“{Q},” said Ian Borg, the OSCE Chairperson-in-Office."], "Ian Borg", id="quote, said name, post"),
    pytest.param([f"“{Q},” said OSCE Chairman-in-Office Dimitrij Rupel."], "Dimitrij Rupel",
                 id="quote, said title name (unknown person)"),
    pytest.param(["The Head of the OSCE Mission to Serbia, Ambassador Jan Braathu, opened the event.",
                  f"“{Q},” said the Head of Mission."], "Jan Braathu", id="post named earlier with its holder"),
    pytest.param(["Ambassador Jan Braathu, Head of the OSCE Mission to Serbia, opened the event.",
                  f"“{Q},” the Head of the Mission said."], "Jan Braathu", id="post in apposition after a courtesy title"),
    pytest.param(["ODIHR Director Michael Link opened the event.", f"“{Q},” said the ODIHR Director."],
                 "Michael Link", id="title named earlier with its holder"),
    pytest.param([f"“{Q},” the Director of ODIHR, Michael Link, said."], "Michael Link", id="quote, post, name, said"),
    pytest.param([f"Ambassador Jan Braathu told journalists: “{Q}.”"], "Jan Braathu", id="name told: quote"),
    pytest.param([f"In her speech, Ambassador Jane Smith stressed: “{Q}.”"], "Jane Smith", id="name stressed: quote"),
    pytest.param([f"\"{Q},\" said Ambassador Jan Braathu."], "Jan Braathu", id="straight quotes"),
    pytest.param([BRAATHU, f"Braathu welcomed the progress, saying: “{Q}.”"], "Jan Braathu", id="name …, saying: quote"),
    pytest.param([BRAATHU, f"Braathu praised the staff, adding that “{Q}.”"], "Jan Braathu", id="name …, adding that quote"),
    pytest.param([BRAATHU, f"“{Q},” Braathu underscored."], "Jan Braathu", id="quote, name underscored"),
    pytest.param([BRAATHU, f"“{Q},” reiterated Braathu."], "Jan Braathu", id="quote, reiterated name"),
])
def test_speaker_of_one_phrasing(paragraphs, expected):
    assert speakers(*paragraphs) == [expected]


def test_a_quote_split_by_its_attribution_keeps_the_speaker():
    assert speakers(BRAATHU, f"“{Q},” he said, “and we will do more in the coming years.”") == [
        "Jan Braathu", "Jan Braathu"]


@pytest.mark.parametrize("paragraph", [
    pytest.param(f"“{Q},” the OSCE Office for Democratic Institutions and Human Rights said in a statement.",
                 id="an institution is not a person"),
    pytest.param(f"\"{Q},\" said the Head of the OSCE Mission to Montenegro.", id="a post whose holder is not named"),
])
def test_no_person_no_speaker(paragraph):
    assert speakers(paragraph) == [None]


def test_a_post_of_another_mission_is_not_its_holder():
    assert speakers("The Head of the OSCE Mission to Serbia, Ambassador Jan Braathu, opened the event.",
                    f"“{Q},” said the Head of the OSCE Mission to Montenegro.") == [None]


@pytest.mark.parametrize("post", ["Special Representative of the OSCE Chairperson-in-Office for the South Caucasus",
                                  "Head of the Office of the Secretary General"])
def test_a_post_named_after_of_is_not_the_speaker(post):
    """"the Special Representative of the Chairperson-in-Office" is not the Chairperson-in-Office."""
    assert speakers(f"“{Q},” said the {post}.") == [None]


def test_a_surname_led_title_and_the_full_name_are_one_speaker():
    """A title naming "De Gucht" and a body naming "Karel De Gucht": one person, quoted by full name."""
    paras = ["OSCE Chairman-in-Office De Gucht visits Georgia",
             "The OSCE Chairman-in-Office, Karel De Gucht, today visited Georgia.",
             f"“{Q},” added De Gucht."]
    found = find_people(paras, [], STOP)
    assert [(p.name, p.role) for p in found.found] == [("Karel De Gucht", "OSCE Chairman-in-Office")]
    assert speakers(*paras) == ["Karel De Gucht"]


def test_a_role_in_apposition_is_preferred_to_a_form_of_address():
    found = find_people(["Ambassador Jan Braathu, Head of the OSCE Mission to Serbia, opened the event.",
                         "Mr. John Smith, Director of the Conflict Prevention Centre, spoke.",
                         "Ambassador Jane Doe opened the second session."], [], STOP)
    assert [(p.name, p.role) for p in found.found] == [
        ("Jan Braathu", "Head of the OSCE Mission to Serbia"),
        ("John Smith", "Director of the Conflict Prevention Centre"),
        ("Jane Doe", "Ambassador")]


def quotes(*paragraphs: str, holders=HOLDERS) -> list[tuple[str | None, str]]:
    found = find_people(list(paragraphs), [], STOP)
    return [(q.speaker, q.text[:20]) for q in find_quotes(list(paragraphs), found, lambda post: holders.get(post, []))]


def test_straight_and_curly_marks_mixed_and_a_title_quoted_inside():
    assert quotes(f"\"{Q} itself,” said Ambassador Jan Braathu. “I thank the \"Friends of Serbia\" group for it.\"") == [
        ("Jan Braathu", Q[:20]), ("Jan Braathu", "I thank the \"Friends")]


def test_a_continued_quotation_keeps_its_speaker_until_someone_else_is_introduced():
    assert quotes("“We will help them all,” said Minister Alexander Stubb.", f"“{Q}.”",
                  "Foreign Minister Dora Bakoyannis then met Minister Stubb.", f"“{Q},” she said.") == [
        ("Alexander Stubb", "We will help them al"), ("Alexander Stubb", Q[:20]), ("Dora Bakoyannis", Q[:20])]


def test_a_pronoun_is_the_subject_of_the_latest_sentence_naming_someone():
    assert quotes("Minister Miguel Moratinos spoke first.", f"“{Q},” he said.",
                  "Chairman-in-Office Dimitrij Rupel, the foreign minister of Slovenia, spoke next.",
                  f"“{Q},” he said.") == [("Miguel Moratinos", Q[:20]), ("Dimitrij Rupel", Q[:20])]


def test_an_unattributed_quotation_after_a_sentence_naming_someone_is_theirs():
    assert quotes("Leonid Tibilov, Secretary of the JCC, stressed the economy. “Solutions for economic issues "
                  "are the basis for peace.”") == [("Leonid Tibilov", "Solutions for econom")]


def test_a_post_resolves_to_the_one_person_named_with_it_else_to_the_holder_on_the_date():
    named = "OSCE Chairman-in-Office Ilkka Kanerva met High Commissioner Knut Vollebaek."
    assert quotes(named, f"“{Q},” the Chairman said.") == [("Ilkka Kanerva", Q[:20])]
    assert quotes(named, f"“{Q},” the High Commissioner said.") == [("Knut Vollebaek", Q[:20])]
    on_date = {"hcnm": ["Astrid Thors"]}  # what gazetteer.holders gives for the post (by key) that day
    assert quotes("The meeting opened.", f"“{Q},” the High Commissioner said.", holders=on_date) == [
        ("Astrid Thors", Q[:20])]
    two = "Foreign Minister Ilkka Kanerva met Foreign Minister Dora Bakoyannis."
    assert quotes(two, f"“{Q},” the Foreign Minister said.") == [(None, Q[:20])]  # two fit: no speaker


def test_a_quotation_cut_by_the_pages_end_counts_whatever_its_length():
    assert quotes("Minister Ian Borg spoke.", f"“{Q},” he said. “We must wor") == [
        ("Ian Borg", Q[:20]), ("Ian Borg", "We must wor")]
    assert quotes(f"The “Oslo package” was agreed and “{Q}” was the motto, said Ambassador Jan Braathu.") == [
        ("Jan Braathu", Q[:20])]


def test_a_quotation_an_organisation_said_does_not_fall_to_the_person_named_before():
    assert quotes("Ambassador Jan Braathu opened the event.",
                  f"“{Q},” the OSCE Secretariat said in a statement.") == [(None, Q[:20])]


def test_a_title_in_title_case_is_not_a_quotation():
    assert quotes("Ambassador Jan Braathu presented the report “Human Rights in the Fight against Terrorism” "
                  f"and said: “{Q}.”") == [("Jan Braathu", Q[:20])]


def test_every_post_word_holds_a_title():
    """The quote resolver looks for post words only where a title is (``post_phrases``)."""
    from kg.extract.people import post_phrases
    from kg.reference import read_table
    assert all(post_phrases(f"said the {row['phrase']}.") for row in read_table("post_words.tsv"))
