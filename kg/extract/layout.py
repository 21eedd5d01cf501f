"""What every page form yields before the shared extraction: header fields and body paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CAPTION = re.compile(r"Photo details\s*$")


@dataclass
class Layout:
    form: str                        # seed, newsroom, bare, odihr, html
    content_type: str
    title: str
    date: str | None = None          # the date field's or line's text, as written
    place: str | None = None         # the Place field's text (seed form) or the date line's place
    sources: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    fields_of_work: list[str] = field(default_factory=list)  # the page's own tags, where it shows them


def clean_body(lines: list[str]) -> list[str]:
    """Paragraphs without blank lines and photo captions, whitespace normalised."""
    out = []
    for line in lines:
        text = " ".join(line.split())
        if text and not CAPTION.search(text):
            out.append(text)
    return out


def split_sources(value: str) -> list[str]:
    """A Source field's value → its values in order (split on ", ")."""
    return [v.strip() for v in value.split(", ") if v.strip()]
