"""People with roles and quotation speakers, on hand-written sentences."""

from kg.extract.lexicon import terms
from kg.extract.people import find_people
from kg.extract.quotes import find_quotes

STOP = frozenset(terms("role_word")) | {"Afghanistan", "Malta", "Russian", "Armenian", "Azerbaijani", "Kazan"}


def people(*paragraphs, known=()):
    return [(p.name, p.role) for p in find_people(list(paragraphs), list(known), STOP).found]


def test_titles_appositions_and_lists():
    assert people("The OSCE Secretary General, Marc Perrin de Brichambaut, met President Hamid Karzai today.") == [
        ("Marc Perrin de Brichambaut", "OSCE Secretary General"), ("Hamid Karzai", "President")]
    assert people("He met in Kazan with Russian President Dmitry Medvedev and Armenian President Serzh Sargsyan.") == [
        ("Dmitry Medvedev", "Russian President"), ("Serzh Sargsyan", "Armenian President")]
    assert people("They met Klara Dobrev, Vice President of the European Parliament, and David McAllister, "
                  "Chair of the Foreign Affairs Committee.") == [
        ("Klara Dobrev", "Vice President of the European Parliament"),
        ("David McAllister", "Chair of the Foreign Affairs Committee")]


def test_capitalised_phrases_without_a_title_are_not_people():
    assert people("The International Conference on Sustainable Conservation and Management of Protected Areas, "
                  "organized by the Ministry of Ecology, Environmental Protection and Climate Change, opened.") == []
    assert people("Students from the Universities of Sarajevo, Banja Luka and Mostar took part.") == []


def test_known_names_need_no_title():
    assert people("Talks with Jan Kubis continued.", known=["Jan Kubis"]) == [("Jan Kubis", None)]


def speakers(paragraphs, holders=lambda post: []):
    found = find_people(paragraphs, [], STOP)
    return [(q.speaker, q.text) for q in find_quotes(paragraphs, found, holders)]


def test_speakers_by_name_pronoun_post_and_continuation():
    paras = [
        "Today, OSCE Chair-in-Office, Minister for Foreign Affairs of Malta Ian Borg, met President Emomali Rahmon.",
        "“We discussed border management and regional co-operation,” he stated.",
        "“Our co-operation will continue in the years to come.”",
        "According to the Secretary General, “the Organization stands ready to help the country.”",
        "“This was a very useful visit for all,” said Rahmon.",
        "Scare quotes like “frozen conflicts” are not statements.",
    ]
    assert speakers(paras, lambda post: ["Marc Perrin de Brichambaut"] if post == "secretary-general" else []) == [
        ("Ian Borg", "We discussed border management and regional co-operation"),
        ("Ian Borg", "Our co-operation will continue in the years to come."),
        ("Marc Perrin de Brichambaut", "the Organization stands ready to help the country."),
        ("Emomali Rahmon", "This was a very useful visit for all"),
    ]


def test_an_unattributed_quote_after_an_unattributed_paragraph_stays_unattributed():
    assert speakers(["The Mission issued a statement.", "“We call on all sides to show restraint now.”"]) == [
        (None, "We call on all sides to show restraint now.")]
