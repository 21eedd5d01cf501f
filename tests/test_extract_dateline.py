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
    # -- older site versions (issue 10) --
    # place and date without a comma
    ("PRIZREN 14 March 2003 – The Mission", "PRIZREN 14 March 2003", ["PRIZREN"], "2003-03-14", "The Mission"),
    ("ODESA 2 April 2019 - Judges", "ODESA 2 April 2019", ["ODESA"], "2019-04-02", "Judges"),
    # hyphenated and dotted city names
    ("NUR-SULTAN, 3 June 2019 – The", "NUR-SULTAN, 3 June 2019", ["NUR-SULTAN"], "2019-06-03", "The"),
    ("WASHINGTON D.C., 8 May 2014 – The", "WASHINGTON D.C., 8 May 2014", ["WASHINGTON D.C."], "2014-05-08", "The"),
    ("ST. PETERSBURG 1 July 2013 – The", "ST. PETERSBURG 1 July 2013", ["ST. PETERSBURG"], "2013-07-01", "The"),
    # a country after the city
    ("RHODES, Greece, 28 June 2009 – Ministers", "RHODES, Greece, 28 June 2009", ["RHODES"], "2009-06-28",
     "Ministers"),
    # a dash glued to the year, a full stop after the date, a dash between city and date
    ("SKOPJE, 23 October 2002- More than", "SKOPJE, 23 October 2002", ["SKOPJE"], "2002-10-23", "More than"),
    ("VIENNA – 6 October 2020. The OSCE", "VIENNA – 6 October 2020", ["VIENNA"], "2020-10-06", "The OSCE"),
    ("OSLO – 2 May 1999 — Delegates", "OSLO – 2 May 1999", ["OSLO"], "1999-05-02", "Delegates"),
    # cities separated by " / " or "/"
    ("BELGRADE / PRISTINA, 12 May 2005 – The", "BELGRADE / PRISTINA, 12 May 2005", ["BELGRADE", "PRISTINA"],
     "2005-05-12", "The"),
    ("BAKU/TBILISI 4 May 2006 – The", "BAKU/TBILISI 4 May 2006", ["BAKU", "TBILISI"], "2006-05-04", "The"),
    # a note in brackets after the date, with or without a dash after it
    ("VIENNA, 4 March 2004 (OSCE) – The", "VIENNA, 4 March 2004 (OSCE)", ["VIENNA"], "2004-03-04", "The"),
    ("TBILISI, 3 May 2016 (Georgian and Russian versions below.) The Mission",
     "TBILISI, 3 May 2016 (Georgian and Russian versions below.)", ["TBILISI"], "2016-05-03", "The Mission"),
    ("TBILISI, 3 May 2016 (Russian version below) – The", "TBILISI, 3 May 2016 (Russian version below)",
     ["TBILISI"], "2016-05-03", "The"),
    # a notice in capitals before the dateline
    ("PLEASE NOTE THE CORRECTED DATE OF THE EVENT. VIENNA, 6 July 2015 – The",
     "PLEASE NOTE THE CORRECTED DATE OF THE EVENT. VIENNA, 6 July 2015", ["VIENNA"], "2015-07-06", "The"),
    # odd date formats
    ("VIENNA, 5th March 2010 – The", "VIENNA, 5th March 2010", ["VIENNA"], "2010-03-05", "The"),
    ("VIENNA, March 5, 2010 – The", "VIENNA, March 5, 2010", ["VIENNA"], "2010-03-05", "The"),
    ("VIENNA, 05.03.2010 – The", "VIENNA, 05.03.2010", ["VIENNA"], "2010-03-05", "The"),
    ("VIENNA, Friday, 5 March 2010 – The", "VIENNA, Friday, 5 March 2010", ["VIENNA"], "2010-03-05", "The"),
    ("VIENNA, 5 MARCH 2010 ― The", "VIENNA, 5 MARCH 2010", ["VIENNA"], "2010-03-05", "The"),  # horizontal bar
    ("VIENNA, 5 march 2010 − The", "VIENNA, 5 march 2010", ["VIENNA"], "2010-03-05", "The"),  # minus sign
    ("VIENNA, 05 March 2010 – The", "VIENNA, 05 March 2010", ["VIENNA"], "2010-03-05", "The"),  # leading zero
    ("VIENNA, 5 Sept. 2010 – The", "VIENNA, 5 Sept. 2010", ["VIENNA"], "2010-09-05", "The"),  # abbreviated month
    ("VIENNA, 5 Dec 2010 – The", "VIENNA, 5 Dec 2010", ["VIENNA"], "2010-12-05", "The"),
    # a city in mixed case: the strict form only (a full date, then a dash)
    ("Vienna, 5 May 2010 – The OSCE", "Vienna, 5 May 2010", ["Vienna"], "2010-05-05", "The OSCE"),
    ("Skopje, 3 March 2015 - The", "Skopje, 3 March 2015", ["Skopje"], "2015-03-03", "The"),
    ("Bishkek 12 May 2009 – The", "Bishkek 12 May 2009", ["Bishkek"], "2009-05-12", "The"),
    ("The Hague, 1 June 2010 — The", "The Hague, 1 June 2010", ["The Hague"], "2010-06-01", "The"),
    ("Nur-Sultan, 05th June 2019 –The", "Nur-Sultan, 05th June 2019", ["Nur-Sultan"], "2019-06-05", "The"),
    ("Washington D.C., 5 Sept. 2010 – The", "Washington D.C., 5 Sept. 2010", ["Washington D.C."], "2010-09-05", "The"),
    ("St. Petersburg 1 July 2013 – The", "St. Petersburg 1 July 2013", ["St. Petersburg"], "2013-07-01", "The"),
    ("Belgrade/Pristina, 12 May 2005 – The", "Belgrade/Pristina, 12 May 2005", ["Belgrade", "Pristina"],
     "2005-05-12", "The"),
    ("Corfu, Greece, 28 June 2009 – Ministers", "Corfu, Greece, 28 June 2009", ["Corfu"], "2009-06-28", "Ministers"),
    ("Chişinău, 5 May 2011 (OSCE) – The", "Chişinău, 5 May 2011 (OSCE)", ["Chişinău"], "2011-05-05", "The"),
    ("Vienna, 5 May 2010: The OSCE", "Vienna, 5 May 2010", ["Vienna"], "2010-05-05", "The OSCE"),
    ("Vienna, 5 May 2010 –", "Vienna, 5 May 2010", ["Vienna"], "2010-05-05", ""),  # alone above the text
    ("Vienna, 5 May 2010:", "Vienna, 5 May 2010", ["Vienna"], "2010-05-05", ""),
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
    "On 12 July 2012 the Permanent Council met in Vienna.",
    "Several NGOs, 5 May 2010 – a date in a list.",
    "VIENNA 5 May 2010",  # a header date line, not a dateline opening a paragraph
    # mixed case: running text, a header line, no year, no dash after the date
    "Vienna, 5 May 2010 was the day the talks began.",
    "Vienna, 5 May 2010",
    "Vienna, 5 May – The talks began.",
    "Vienna, 5 May 2010. The talks began.",
    "In Vienna, 5 May 2010 – talks ended.",
    "Several Delegations, 5 May 2010 – a date in a list.",
    "The OSCE Mission, on 5 May 2010 – supported a course.",
    "Today Vienna hosts, 5 May 2010 – a conference.",
    "Ministers met in Vienna on 5 May 2010 – the first meeting.",
])
def test_running_text_has_no_dateline(paragraph):
    assert parse_dateline(paragraph) is None


@pytest.mark.parametrize("text, iso", [
    ("7 December 2023", "2023-12-07"), ("- 10 September 2008", "2008-09-10"), ("September 10, 2008", "2008-09-10"),
    ("2008-09-10T09:00:00Z", "2008-09-10"), ("Sept. 3, 2009", "2009-09-03"), ("25 - 27 June 2019", "2019-06-25"),
    ("12 April", None), ("31 February 2010", None), ("no date here", None),
    ("05 May 2010", "2010-05-05"), ("5th May 2010", "2010-05-05"), ("5 Sept. 2010", "2010-09-05"),
    ("Monday, 5th of May, 2010", "2010-05-05"), ("04/05/2017", "2017-05-04"), ("04/05.2017", None),
])
def test_date_fields(text, iso):
    assert parse_date(text) == iso
