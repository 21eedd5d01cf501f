"""The typed records that flow between stages.

ingest → ``Page`` → extract → ``Release`` → map → triples. ``Release.to_json()`` is the
record ``kg extract`` prints (JSON Lines); its keys are a public interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MentionKind = Literal["state", "partner", "field_operation", "institution", "organisation", "other"]


@dataclass(frozen=True)
class Page:
    """One input page as read from disk: decoded text plus where it came from."""

    path: str
    sha256: str
    text: str
    media_type: Literal["text/plain", "text/html"]


@dataclass(frozen=True)
class SourceRef:
    path: str
    sha256: str


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str | None


@dataclass(frozen=True)
class PersonRole:
    name: str
    role: str | None


@dataclass(frozen=True)
class Mention:
    name: str            # the surface form found in the text ("South Korea", "Afghan")
    kind: MentionKind    # as of the release's date
    iri: str             # the entity's IRI in the reference graph
    wikidata: str | None  # "Q884" or None


@dataclass
class Release:
    id: str
    source: SourceRef
    content_type: str
    title: str
    date: str                      # ISO YYYY-MM-DD
    place: str | None
    sources: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    people: list[PersonRole] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    fields_of_work: list[str] = field(default_factory=list)
    dateline: str | None = None    # the raw dateline, when the body had one
    form: str = "seed"             # which page form it was read from (seed, newsroom, bare, fields, odihr, html)
    captions: list[str] = field(default_factory=list)  # photo captions and credits, never paragraphs

    def to_json(self) -> dict[str, Any]:
        """What ``dataclasses.asdict`` gives, without deep-copying every string (12x faster)."""
        data = dict(vars(self))
        data["source"] = dict(vars(self.source))
        for key in ("quotes", "people", "mentions"):
            data[key] = [dict(vars(item)) for item in data[key]]
        for key in ("sources", "paragraphs", "fields_of_work", "captions"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Release":
        data = dict(data)
        data["source"] = SourceRef(**data["source"])
        data["quotes"] = [Quote(**q) for q in data.get("quotes", [])]
        data["people"] = [PersonRole(**p) for p in data.get("people", [])]
        data["mentions"] = [Mention(**m) for m in data.get("mentions", [])]
        return cls(**data)


class ExtractionError(Exception):
    """A page that holds no publishable release; the message is the one-line reason."""
