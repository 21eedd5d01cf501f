"""Map one ``Release`` record to the RDF triples of that release, written as canonical N-Triples.

Every node the mapper creates has a minted IRI (no blank nodes), so the same record always gives the
same triples. Names are resolved through the gazetteer (sources, places, topics, content types,
people); a name the gazetteer does not know is left out rather than guessed, and SHACL decides
whether what remains is publishable. Model: ``docs/build.md``.

Terms are N-Triples strings (``<iri>``, ``"text"``, ``"1"^^<...#integer>``) written exactly as
pyoxigraph serialises them, so the same triple is the same line in every graph without a parser round
trip (``tests/test_map.py`` checks the writer against ``pyoxigraph.serialize``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable, Mapping, Protocol

from kg.iris import SCHEMA as _SCHEMA, WD as _WD, Minter, slug
from kg.record import Release

Term = str                       # one N-Triples term
Triple = tuple[Term, Term, Term]

_SPECIAL = re.compile(r'[\x00-\x1f\x7f"\\]')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_SHORT_ESCAPES = {"\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*')
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _escape(text: str) -> str:
    """A literal's lexical form as pyoxigraph escapes it: ``\\\\``, ``\\"``, short escapes for tab, backspace,
    newline, return and form feed, ``\\u00XX`` for the other C0 controls and DEL, everything else as is."""
    if _SPECIAL.search(text) is None:
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: _SHORT_ESCAPES.get(m[0]) or f"\\u{ord(m[0]):04X}", text)
    return text


@lru_cache(maxsize=1 << 16)
def iri(value: str) -> Term:
    """``<value>``; ValueError for anything that is not an absolute IRI N-Triples can carry."""
    if not _IRI.fullmatch(value):
        raise ValueError(f"not an absolute IRI: {value!r}")
    return f"<{value}>"


def literal(text: str, datatype: str | None = None) -> Term:
    """A plain string literal (no ``^^xsd:string``, as pyoxigraph writes it) or a typed one."""
    return f'"{_escape(text)}"' if datatype is None else f'"{_escape(text)}"^^<{datatype}>'


def integer(n: int) -> Term:
    return f'"{n}"^^<{_XSD}integer>'


def line(t: Triple) -> str:
    """One N-Triples line, newline-terminated."""
    return f"{t[0]} {t[1]} {t[2]} .\n"


def ntriples(triples: Iterable[Triple]) -> str:
    """N-Triples lines (one per triple, newline-terminated) in the given order."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


class _Vocabulary:
    """``V.term`` → the term ``<{namespace}term>``."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Term:
        term = f"<{self._namespace}{name}>"
        setattr(self, name, term)
        return term


SCHEMA = _Vocabulary(str(_SCHEMA))
RDF = _Vocabulary("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = _Vocabulary("http://www.w3.org/2000/01/rdf-schema#")
OWL = _Vocabulary("http://www.w3.org/2002/07/owl#")
PROV = _Vocabulary("http://www.w3.org/ns/prov#")
TYPE = RDF.type


class Entity(Protocol):
    """What the mapper reads of a gazetteer entity."""

    iri: str
    label: str
    wikidata: str | None


class Resolver(Protocol):
    """The gazetteer calls the mapper makes (``kg.gazetteer.Gazetteer`` provides them)."""

    def resolve_source(self, value: str, date: str) -> Entity | None: ...
    def place(self, name: str) -> Entity | None: ...
    def person(self, name: str, on: str) -> Entity | None: ...


@dataclass(frozen=True)
class Mapper:
    """Turns records into triples under one base, with one gazetteer and one build's provenance."""

    minter: Minter
    gazetteer: Resolver
    topics: Mapping[str, str]          # field-of-work label (case-folded) → topic concept IRI
    content_types: Mapping[str, str]   # content-type label (case-folded) → content-type concept IRI
    article_classes: Mapping[str, str] = field(default_factory=dict)  # concept IRI → osce:articleClass
    publisher: str | None = None       # the OSCE's IRI: the source of a page whose Source field is empty
    version: str = "0"
    source_date: str | None = None     # ISO dateTime of SOURCE_DATE_EPOCH, else each release's own date
    links: Mapping[Term, str] = field(default_factory=dict)  # person/place term → QID (kg.linkset, accepted)
    # what many releases share, memoised per mapper: (IRI, triples) of people (by reference IRI, else by
    # name) and places (by name)
    _people: dict[str, tuple[Term, tuple[Triple, ...]]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)
    _places: dict[str, tuple[Term, tuple[Triple, ...]]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)

    @cached_property
    def software(self) -> Term:
        """The PROV agent of every release's activity: this build's software, ``id/software/osce-kg/{version}``."""
        return iri(self.minter.id("software", f"osce-kg/{self.version}"))

    def release_iri(self, rec: Release) -> Term:
        return iri(self.minter.id("release", rec.id))

    def person(self, name: str, on: str) -> tuple[Term, tuple[Triple, ...]]:
        """The IRI of the person ``name`` denotes in a release of ``on`` and the triples describing them.

        One IRI per person across releases: a person of the reference tables (any spelling, with or
        without diacritics, a title or a surname that fits a post held on ``on``) gets the reference IRI,
        name and QID; anyone else the slug of the name with its diacritics folded."""
        known = self.gazetteer.person(name, on)
        key = known.iri if known is not None else "name:" + name
        if key not in self._people:
            self._people[key] = self._person(name, known)
        return self._people[key]

    def _person(self, name: str, known: Entity | None) -> tuple[Term, tuple[Triple, ...]]:
        if known is None:
            person = iri(self.minter.id("person", name))
            return person, ((person, TYPE, SCHEMA.Person), (person, SCHEMA.name, literal(name)))
        person = iri(known.iri)
        out: list[Triple] = [(person, TYPE, SCHEMA.Person), (person, SCHEMA.name, literal(known.label))]
        if known.wikidata:
            out.append((person, OWL.sameAs, iri(_WD[known.wikidata])))
        return person, tuple(out)

    def triples(self, rec: Release) -> list[Triple]:
        """All triples of one release, in a fixed order, without duplicates."""
        rel = self.release_iri(rec)
        out: list[Triple] = [
            (rel, TYPE, SCHEMA.NewsArticle),
            (rel, SCHEMA.identifier, literal(rec.id)),
            (rel, SCHEMA.headline, literal(rec.title)),
            (rel, SCHEMA.datePublished, literal(rec.date, _XSD + "date")),
        ]
        genre = self.content_types.get(rec.content_type.casefold())
        if genre is not None:
            out.append((rel, SCHEMA.genre, iri(genre)))
            if genre in self.article_classes:
                out.append((rel, TYPE, iri(self.article_classes[genre])))
        if rec.dateline:
            out.append((rel, SCHEMA.dateline, literal(rec.dateline)))
        if rec.place:
            if rec.place not in self._places:
                self._places[rec.place] = self._place(rec.place)
            place, about = self._places[rec.place]
            out += [(rel, SCHEMA.locationCreated, place), *about]
        for value in rec.sources:
            unit = self.gazetteer.resolve_source(value, rec.date)
            if unit is not None:
                out.append((rel, SCHEMA.sourceOrganization, iri(unit.iri)))
        if not rec.sources and self.publisher:
            out.append((rel, SCHEMA.sourceOrganization, iri(self.publisher)))
        out += [(rel, SCHEMA.mentions, iri(m.iri)) for m in rec.mentions]
        for label in rec.fields_of_work:
            topic = self.topics.get(label.casefold())
            if topic is not None:
                out.append((rel, SCHEMA.about, iri(topic)))
        self._body(rel, rec, out)
        self._quotes(rel, rec, out)
        self._roles(rel, rec, out)
        self._provenance(rel, rec, out)
        out += self._linked(out)
        return list(dict.fromkeys(out))

    def _linked(self, out: list[Triple]) -> list[Triple]:
        """``owl:sameAs`` from the reviewed links table for the release's people and places that have none."""
        if not self.links:
            return []
        linked = {s for s, p, _ in out if p == OWL.sameAs}
        return [(s, OWL.sameAs, iri(_WD[self.links[s]])) for s, p, o in out
                if p == TYPE and o in (SCHEMA.Person, SCHEMA.Place) and s in self.links and s not in linked]

    def _place(self, name: str) -> tuple[Term, tuple[Triple, ...]]:
        known = self.gazetteer.place(name)
        label = known.label if known is not None else name
        place = iri(self.minter.id("place", label))
        out: list[Triple] = [(place, TYPE, SCHEMA.Place), (place, SCHEMA.name, literal(label))]
        if known is not None and known.wikidata:
            out.append((place, OWL.sameAs, iri(_WD[known.wikidata])))
        return place, tuple(out)

    @staticmethod
    def _part(rel: Term, kind: str, n: int) -> Term:
        """``{release}/{kind}/{n}``: the same IRI as ``Minter.id("release", f"{id}/{kind}/{n}")``."""
        return f"{rel[:-1]}/{kind}/{n}>"

    def _body(self, rel: Term, rec: Release, out: list[Triple]) -> None:
        if rec.paragraphs:
            out.append((rel, SCHEMA.articleBody, literal("\n\n".join(rec.paragraphs))))
        for n, text in enumerate(rec.paragraphs, 1):
            node = self._part(rel, "paragraph", n)
            out += [
                (rel, SCHEMA.hasPart, node),
                (node, TYPE, SCHEMA.CreativeWork),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.position, integer(n)),
                (node, SCHEMA.text, literal(text)),
            ]

    def _quotes(self, rel: Term, rec: Release, out: list[Triple]) -> None:
        for n, quote in enumerate(rec.quotes, 1):
            node = self._part(rel, "quote", n)
            out += [
                (node, TYPE, SCHEMA.Quotation),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.position, integer(n)),
                (node, SCHEMA.text, literal(quote.text)),
            ]
            if quote.speaker and slug(quote.speaker):
                person, about = self.person(quote.speaker, rec.date)
                out += [(node, SCHEMA.spokenByCharacter, person), (node, SCHEMA.creator, person), *about]

    def _roles(self, rel: Term, rec: Release, out: list[Triple]) -> None:
        for n, held in enumerate((p for p in rec.people if slug(p.name)), 1):
            person, about = self.person(held.name, rec.date)
            node = self._part(rel, "role", n)
            out += [
                *about,
                (node, TYPE, SCHEMA.Role),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.mainEntity, person),
            ]
            if held.role:
                out.append((node, SCHEMA.roleName, literal(held.role)))

    def _provenance(self, rel: Term, rec: Release, out: list[Triple]) -> None:
        source, activity = self._part(rel, "source", 1), self._part(rel, "activity", 1)
        when = self.source_date or f"{rec.date}T00:00:00+00:00"
        software = self.software
        out += [
            (rel, PROV.wasDerivedFrom, source),
            (rel, PROV.wasGeneratedBy, activity),
            (source, TYPE, PROV.Entity),
            (source, RDFS.label, literal(rec.source.path.rsplit("/", 1)[-1])),
            (source, SCHEMA.sha256, literal(rec.source.sha256)),
            (activity, TYPE, PROV.Activity),
            (activity, PROV.used, source),
            (activity, PROV.wasAssociatedWith, software),
            (activity, PROV.endedAtTime, literal(when, _XSD + "dateTime")),
            (software, TYPE, PROV.SoftwareAgent),
            (software, SCHEMA.name, literal("osce-kg")),
            (software, SCHEMA.softwareVersion, literal(self.version)),
        ]

