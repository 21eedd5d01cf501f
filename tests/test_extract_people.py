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


def test_nationality_post_and_name():
    assert people("Norwegian State Secretary Janne Haaland Matlary met Polish Foreign Minister Bronislaw Geremek.") == [
        ("Janne Haaland Matlary", "Norwegian State Secretary"), ("Bronislaw Geremek", "Polish Foreign Minister")]


def test_name_then_post_in_apposition():
    assert people("He met Knut Vollebaek, the OSCE High Commissioner on National Minorities, in The Hague.") == [
        ("Knut Vollebaek", "OSCE High Commissioner on National Minorities")]
    assert people("“Water is scarce,” said Alexander Peytchev, the Economic and Environmental Officer of the "
                  "OSCE Centre in Astana.") == [
        ("Alexander Peytchev", "Economic and Environmental Officer of the OSCE Centre in Astana")]
    assert people("Slave Vitanov, a Senior Police Adviser in the Interior Ministry, spoke.") == [
        ("Slave Vitanov", "Senior Police Adviser in the Interior Ministry")]
    assert people("He will meet Joachim Ruecker, Special Representative of the United Nations Secretary-General and "
                  "Head of the UN Interim Administration Mission in Kosovo.") == [
        ("Joachim Ruecker", "Special Representative of the United Nations Secretary-General")]
    assert people("Nicolae Gheorghe, Head of the Contact Point for Roma and Sinti issues at the OSCE Office for "
                  "Democratic Institutions and Human Rights (ODIHR) addressed the participants.") == [
        ("Nicolae Gheorghe", "Head of the Contact Point for Roma")]


def test_a_bracket_inside_a_role_before_the_name():
    assert people("He met the Chairperson of the Parliament (Mejlis), Akja Nurberdiyeva, in Ashgabad.") == [
        ("Akja Nurberdiyeva", "Chairperson of the Parliament (Mejlis)")]


def test_names_marked_by_speech_verbs_cues_and_later_titles():
    assert people("“We welcome the training,” said Knut Dreyer.") == [("Knut Dreyer", None)]
    assert people("The mission, headed by Julian Peel Yates, was established.") == [("Julian Peel Yates", None)]
    assert people("Witold Waszczykowski, Poland’s envoy, signed the agreement.",
                  "The text was praised by Foreign Minister Waszczykowski.") == [("Witold Waszczykowski", None)]
    # nothing marks these: a speech verb after a comma belongs to the sentence's subject, not the phrase
    assert people("Arman Vardanyan, Head of the Judicial School, added: “Good.”") == [
        ("Arman Vardanyan", "Head of the Judicial School")]
    assert people("Students of Sunny Hill College visited the office.") == []


def test_a_run_ending_in_an_organisations_word_is_no_person():
    assert people("Colonel Artashes Andreasyan, Head of the Armenian Police Training Centre, met officials.") == [
        ("Artashes Andreasyan", "Colonel")]


def test_photographers_credit_and_surname_references():
    paras = ["Minister Ian Borg opened the meeting.", "Later, Borg and Mr. Borg's team left.",
             "Ian Borg at the meeting. (OSCE/Jonathan Perfect) Photo details"]
    found = find_people(paras, [], STOP)
    assert [(p.name, p.role) for p in found.found] == [("Ian Borg", "Minister"), ("Jonathan Perfect", None)]
    assert [name for pi, _, name in found.spans if pi == 1] == ["Ian Borg", "Ian Borg"]


def test_two_spellings_of_one_name_are_one_person_and_a_fuller_role_wins():
    assert people("Norwegian Foreign Minister Knut Vollebaek at a press conference. Photo details",
                  "The OSCE Chairman-in-Office, Norwegian Foreign Minister Knut Vollebaek, spoke.") == [
        ("Knut Vollebaek", "OSCE Chairman-in-Office, Norwegian Foreign Minister")]
    assert people("Colonel-General Haik Harutyunyan listened. Photo details",
                  "Colonel-General Haik Harutunyan, Head of the Police, welcomed them.") == [
        ("Haik Harutyunyan", "Colonel-General")]
    assert people("Minister Anna Berg met Minister Anna Borg.") == [("Anna Berg", "Minister"), ("Anna Borg", "Minister")]


def test_a_middle_initial_is_part_of_the_name():
    assert people("The Head of the OSCE Mission there, Robert M. Beecroft, welcomed the progress.") == [
        ("Robert M. Beecroft", "Head of the OSCE Mission there")]


def test_lower_case_particles_inside_a_name():
    assert people("Ambassador Tim del Vecchio and Minister Ana dos Santos met.") == [
        ("Tim del Vecchio", "Ambassador"), ("Ana dos Santos", "Minister")]


def test_a_sentence_opening_word_is_no_part_of_a_name():
    assert people("See Annex A. Then John Smith, Head of Mission, spoke.") == [("John Smith", "Head of Mission")]
