"""What every page form yields before the shared extraction: header fields, body paragraphs, captions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A photo caption: a line ending in the site's "Photo details" link, or one that opens or closes with a
# photographer's credit, "(OSCE/Tatyana Baeva)" / "(Alex Nitzsche/OSCE)" (a person's name beside OSCE).
_CREDIT = re.compile(r"\((?:OSCE\s*/\s*[^()/]*[a-z][^()/]*|[^()/]*[a-z][^()/]*/\s*OSCE)\)")
# a line of images in Markdown: ![alt](src), linked: [![alt](src)](href)
IMAGE = re.compile(r"^(?:\s*\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?)+\s*$")
_PHOTO = ("Photo:", "Photos:", "Photo credit:", "Photo by ")  # "Photo: OSCE/Jane Roe"
_COMPLETE = re.compile(r"(?:[.!?\"”’)]|Photo details)\s*$")  # a paragraph or caption that does not go on


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
    captions: list[str] = field(default_factory=list)        # photo captions and credits, out of the body
    standfirst: list[str] = field(default_factory=list)      # a subtitle between the title and the dateline


def is_caption(text: str) -> bool:
    """Whether a stripped, non-empty line is a photo caption or credit (cheap tests first: every paragraph
    of every page goes through here)."""
    if text.endswith("Photo details") or text.startswith(_PHOTO):
        return True
    if text[-1] == ")" and _CREDIT.fullmatch(text, text.rfind("(")):
        return True
    return text[0] == "(" and _CREDIT.match(text) is not None


def goes_on(line: str) -> bool:
    """Whether a line stops mid-sentence (a caption broken over two lines)."""
    return not _COMPLETE.search(line)


def clean_body(lines: list[str]) -> tuple[list[str], list[str]]:
    """(paragraphs, captions): blank lines and images dropped, whitespace normalised, captions kept apart.
    A caption broken over lines (a line not ending a sentence, then the line ending in ``Photo details``)
    is one caption."""
    out: list[str] = []
    captions: list[str] = []
    for line in lines:
        text = " ".join(line.split())
        if not text or text[0] in "![" and IMAGE.match(text):
            continue
        if not is_caption(text):
            out.append(text)
            continue
        while out and text.endswith("Photo details") and goes_on(out[-1]):
            text = f"{out.pop()} {text}"
        if not captions or captions[-1] != text:  # the same caption twice (alt text and caption) is one
            captions.append(text)
    return out, captions


def split_sources(value: str) -> list[str]:
    """A Source field's value → its values in order (split on ", ")."""
    return [v.strip() for v in value.split(", ") if v.strip()]
