"""The IRI scheme: one fixed base for the ontology, one configurable base for data.

Ontology terms are hash IRIs under ``ONTOLOGY`` (``osce:ParticipatingState``).
Everything the data mints lives under ``{base}id/{kind}/{slug}``; the base defaults to
``DEFAULT_BASE`` and is set per build (``kg build --base`` or ``KG_BASE``) so the IRIs can
dereference where the data is served. Named graphs live under ``{base}graph/``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

from rdflib import Namespace, URIRef

ONTOLOGY_IRI = "https://w3id.org/osce-kg/ontology"
OSCE = Namespace(ONTOLOGY_IRI + "#")
DEFAULT_BASE = "https://w3id.org/osce-kg/"
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")

# The kinds of thing the data mints IRIs for: the first path segment after /id/.
KINDS = (
    "country",          # participating States and Partners for Co-operation (one IRI per country)
    "participation",    # a State's dated participation
    "partnership",      # a Partner's dated partnership
    "field-operation",
    "institution",
    "unit",             # Secretariat units and other OSCE bodies
    "organisation",     # non-OSCE organisations (UN, EU, ...)
    "chairpersonship",  # by year: /id/chairpersonship/2008
    "partner-group",    # Asian / Mediterranean / all Partners for Co-operation
    "post",             # posts and their holdings: /id/post/secretary-general
    "person",
    "place",
    "topic",            # SKOS concepts: fields of work
    "content-type",     # SKOS concepts: content types
    "release",          # releases; quotations are /id/release/{id}/quote/{n}
    "software",         # the software that made the data (PROV agent): /id/software/osce-kg/{version slug}
)


# Letters that Unicode does not decompose into a base letter and a mark, spelt as English texts spell them.
_LETTERS = str.maketrans({"ı": "i", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss",
                          "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th"})


def fold(text: str) -> str:
    """``text`` without diacritics: ``"Sinirlioğlu"`` → ``"Sinirlioglu"``, ``"Vollebæk"`` → ``"Vollebaek"``."""
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in text if not unicodedata.combining(c))


def slug(text: str) -> str:
    """ASCII, lower-case, hyphenated: ``"Türkiye"`` → ``"turkiye"``, ``"Co-operation"`` → ``"co-operation"``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def base_from_env() -> str:
    return os.environ.get("KG_BASE", DEFAULT_BASE)


@dataclass(frozen=True)
class Minter:
    """Mints data IRIs under one base."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    def id(self, kind: str, key: str) -> URIRef:
        """``{base}id/{kind}/{key}``; ``key`` is slugged unless it is already a path of slugs."""
        if kind not in KINDS:
            raise ValueError(f"unknown IRI kind {kind!r}")
        if kind == "person":  # one IRI whatever the spelling: "Vollebæk"/"Vollebaek" → knut-vollebaek
            key = fold(key)
        parts = [p if re.fullmatch(r"[a-z0-9-]+", p) else slug(p) for p in key.split("/")]
        return URIRef(f"{self.base}id/{kind}/{'/'.join(parts)}")

    def graph(self, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/{name}")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")

    def local_path(self, iri: str) -> str | None:
        """The server path of a minted IRI (``/id/...``), or None for IRIs minted elsewhere."""
        return iri[len(self.base) - 1 :] if iri.startswith(self.base) else None
