"""HTML release pages: title, date, place, source and body from the markup (beautifulsoup4 + lxml).

Chrome (``nav``, ``header``, ``footer``, ``aside``, scripts, figures) is removed first; the release is
the ``article`` (else ``main``, else ``body``) holding the ``h1``. Fields are found by their markup's
semantics: ``<time datetime>``, and class or itemprop names containing date, place/location, source,
content-type/type.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from kg.extract.layout import Layout, clean_body, split_sources
from kg.record import ExtractionError

_CHROME = ["nav", "header", "footer", "aside", "script", "style", "noscript", "figure", "figcaption", "form"]


def _marked(root: Tag, *words: str) -> Tag | None:
    """The first element whose class or itemprop names contain one of ``words``."""
    pattern = re.compile(r"(?:^|[-_ ])(?:" + "|".join(words) + r")(?:$|[-_ ])", re.IGNORECASE)
    for el in root.find_all(True):
        names = " ".join(el.get("class") or []) + " " + str(el.get("itemprop") or "")
        if pattern.search(names):
            return el
    return None


def _text(el: Tag | None) -> str | None:
    if el is None:
        return None
    return " ".join(el.get_text(" ").split()) or None


def parse(markup: str) -> Layout:
    """The release in an HTML page, or ``ExtractionError`` saying why there is none."""
    soup = BeautifulSoup(markup, "lxml")
    figures = [t for el in soup.find_all("figcaption") if (t := _text(el))]
    for el in soup.find_all(_CHROME):
        if not (el.name == "header" and el.find("h1")) and not el.decomposed:
            el.decompose()
    h1 = soup.find("h1")
    if h1 is None or not _text(h1):
        raise ExtractionError("HTML page without a title (no <h1>)")
    root = h1.find_parent("article") or h1.find_parent("main") or soup.body or soup
    time = root.find("time")
    date_el = _marked(root, "date", "datePublished")
    date = (time.get("datetime") or _text(time)) if time else _text(date_el)
    source_el = _marked(root, "source", "sources", "sourceOrganization")
    sources = ([_text(a) for a in source_el.find_all("a")] if source_el and source_el.find("a") else
               split_sources(_text(source_el) or ""))
    ctype_el = _marked(root, "content-type", "type", "genre", "kicker")
    place_el = _marked(root, "place", "location", "locationCreated")
    fow_el = _marked(root, "fields-of-work", "topics", "tags")
    fields = {id(x) for x in (date_el, source_el, time, ctype_el, place_el, fow_el) if x is not None}
    body = [p.get_text(" ") for p in root.find_all("p")
            if not any(id(parent) in fields for parent in [p, *p.parents])]
    ctype, place = _text(ctype_el), _text(place_el)
    paragraphs, captions = clean_body(body)
    return Layout(form="html", content_type=ctype or "Press release", title=_text(h1) or "",
                  date=str(date) if date else None, place=place, sources=[s for s in sources if s],
                  body=paragraphs, captions=figures + captions,
                  fields_of_work=[t for a in fow_el.find_all("a") if (t := _text(a))] if fow_el else [])
