"""Datelines in every variant the corpus README lists, and date fields."""

import pytest

from kg.extract.dateline import parse_date, parse_dateline


@pytest.mark.parametrize("paragraph, raw, places, iso, rest", [
    ("COPENHAGEN, 12 February 1997--The OSCE", "COPENHAGEN, 12 February 1997", ["COPENHAGEN"], "1997-02-12", "The OSCE"),
    ("PRISTINA, 9 August 2001 (OSCE)-- The OSCE", "PRISTINA, 9 August 2001 (OSCE)", ["PRISTINA"], "2001-08-09",
     "The OSCE"),
    ("BISHKEK, 25 March 2009- The OSCE", "BISHKEK, 25 March 2009", ["BISHKEK"], "2009-03-25", "The OSCE"),
    ("VIENNA, 30 May 2016 – The OSCE", "VIENNA, 30 May 2016", ["VIENNA"], "2016-05-30", "The OSCE"),
    ("DUSHANBE, 26 June 2024 — Today", "DUSHANBE, 26 June 2024", ["DUSHANBE"], "2024-06-26", "Today"),
    ("VIENNA/PRAGUE, 13 September 2024 – The", "VIENNA/PRAGUE, 13 September 2024", ["VIENNA", "PRAGUE"],
     "2024-09-13", "The"),
    ("STRASBOURG, VIENNA, WARSAW, 21 March 2011 – In", "STRASBOURG, VIENNA, WARSAW, 21 March 2011",
     ["STRASBOURG", "VIENNA", "WARSAW"], "2011-03-21", "In"),
    ("QABALA, Azerbaijan, 24 September 2012 – The", "QABALA, Azerbaijan, 24 September 2012", ["QABALA"],
     "2012-09-24", "The"),
    ("KHARKOV/STANYTSIA LUHANSKA, Ukraine, 29 November 2019 – OSCE",
     "KHARKOV/STANYTSIA LUHANSKA, Ukraine, 29 November 2019", ["KHARKOV", "STANYTSIA LUHANSKA"], "2019-11-29",
     "OSCE"),
    ("SKOPJE, the former Yugoslav Republic of Macedonia, 1 September 2018 – OSCE",
     "SKOPJE, the former Yugoslav Republic of Macedonia, 1 September 2018", ["SKOPJE"], "2018-09-01", "OSCE"),
    ("SARAJEVO, Bosnia & Herzegovina, 5 April 2020 – More", "SARAJEVO, Bosnia & Herzegovina, 5 April 2020",
     ["SARAJEVO"], "2020-04-05", "More"),
    ("12 June 2025, Sarajevo – The Mission", "12 June 2025, Sarajevo", ["Sarajevo"], "2025-06-12", "The Mission"),
    ("VALLETTA/VIENNA, 12 July – The", "VALLETTA/VIENNA, 12 July", ["VALLETTA", "VIENNA"], None, "The"),
    ("VIENNA, 3-4 May 2010 – The", "VIENNA, 3-4 May 2010", ["VIENNA"], "2010-05-03", "The"),
    ("ALMATY, 30 April – 2 May 2010 – The", "ALMATY, 30 April – 2 May 2010", ["ALMATY"], "2010-04-30", "The"),
    ("CHIŞINĂU, 5 May 2011 – The", "CHIŞINĂU, 5 May 2011", ["CHIŞINĂU"], "2011-05-05", "The"),
    ("CORRECTION: VIENNA, 5 May 2010 – The", "CORRECTION: VIENNA, 5 May 2010", ["VIENNA"], "2010-05-05", "The"),
    ("YEREVAN / BAKU, 7 October 2017- The", "YEREVAN / BAKU, 7 October 2017", ["YEREVAN", "BAKU"], "2017-10-07",
     "The"),
    ("KYIV, 16 January 2023 –The", "KYIV, 16 January 2023", ["KYIV"], "2023-01-16", "The"),
    ("THE HAGUE, 1 June 2010 - The", "THE HAGUE, 1 June 2010", ["THE HAGUE"], "2010-06-01", "The"),
])
def test_dateline_variants(paragraph, raw, places, iso, rest):
    d = parse_dateline(paragraph)
    assert d is not None
    assert (d.raw, d.places, d.date.resolve(None), d.rest) == (raw, places, iso, rest)


def test_a_yearless_dateline_takes_the_year_given():
    d = parse_dateline("BISHKEK, 12 April- The Personal Representative")
    assert d.date.resolve(None) is None and d.date.resolve(2005) == "2005-04-12"


@pytest.mark.parametrize("paragraph", [
    "On 5 December 2023, the OSCE Project Co-ordinator supported a conference.",
    "Serbia’s legal framework, 5 May 2010 - is comprehensive.",
    "The OSCE Mission to BiH supports the crucial role of political parties.",
    "In Moscow, 5 May 2010 – talks ended.",
])
def test_running_text_has_no_dateline(paragraph):
    assert parse_dateline(paragraph) is None


@pytest.mark.parametrize("text, iso", [
    ("7 December 2023", "2023-12-07"), ("- 10 September 2008", "2008-09-10"), ("September 10, 2008", "2008-09-10"),
    ("2008-09-10T09:00:00Z", "2008-09-10"), ("Sept. 3, 2009", "2009-09-03"), ("25 - 27 June 2019", "2019-06-25"),
    ("12 April", None), ("31 February 2010", None), ("no date here", None),
])
def test_date_fields(text, iso):
    assert parse_date(text) == iso
