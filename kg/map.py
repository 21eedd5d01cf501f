"""Map one ``Release`` record to the RDF triples of that release.

Every node the mapper creates has a minted IRI (no blank nodes), so the same record always gives the
same triples. Names are resolved through the gazetteer (sources, places, topics, content types,
people); a name the gazetteer does not know is left out rather than guessed, and SHACL decides
whether what remains is publishable. Model: ``docs/build.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD
from rdflib.plugins.serializers.nt import _nt_row  # rdflib's own N-Triples line writer (escapes literals)

from kg.iris import SCHEMA, WD, Minter, slug
from kg.record import Release

Triple = tuple[URIRef, URIRef, URIRef | Literal]


class Entity(Protocol):
    """What the mapper reads of a gazetteer entity."""

    iri: str
    label: str
    wikidata: str | None


class Resolver(Protocol):
    """The gazetteer calls the mapper makes (``kg.gazetteer.Gazetteer`` provides them)."""

    def resolve_source(self, value: str, date: str) -> Entity | None: ...
    def place(self, name: str) -> Entity | None: ...
    def lookup(self, name: str) -> Entity | None: ...


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

    @property
    def software(self) -> URIRef:
        """The PROV agent of every release's activity: this build's software, ``id/software/osce-kg/{version}``."""
        return self.minter.id("software", f"osce-kg/{self.version}")

    def release_iri(self, rec: Release) -> URIRef:
        return self.minter.id("release", rec.id)

    def part(self, rec: Release, kind: str, n: int | str) -> URIRef:
        return self.minter.id("release", f"{rec.id}/{kind}/{n}")

    def person(self, name: str) -> tuple[URIRef, list[Triple]]:
        """A person's shared IRI and the triples describing them (sameAs only for a known QID)."""
        known = self.gazetteer.lookup(name)
        iri = self.minter.id("person", name)
        out: list[Triple] = [(iri, RDF.type, SCHEMA.Person), (iri, SCHEMA.name, Literal(name))]
        if known is not None and known.wikidata:
            out.append((iri, OWL.sameAs, WD[known.wikidata]))
        return iri, out

    def triples(self, rec: Release) -> list[Triple]:
        """All triples of one release, in a fixed order, without duplicates."""
        rel = self.release_iri(rec)
        out: list[Triple] = [
            (rel, RDF.type, SCHEMA.NewsArticle),
            (rel, SCHEMA.identifier, Literal(rec.id)),
            (rel, SCHEMA.headline, Literal(rec.title)),
            (rel, SCHEMA.datePublished, Literal(rec.date, datatype=XSD.date)),
        ]
        genre = self.content_types.get(rec.content_type.casefold())
        if genre is not None:
            out.append((rel, SCHEMA.genre, URIRef(genre)))
            if genre in self.article_classes:
                out.append((rel, RDF.type, URIRef(self.article_classes[genre])))
        if rec.dateline:
            out.append((rel, SCHEMA.dateline, Literal(rec.dateline)))
        if rec.place:
            out += self._place(rel, rec.place)
        for value in rec.sources:
            unit = self.gazetteer.resolve_source(value, rec.date)
            if unit is not None:
                out.append((rel, SCHEMA.sourceOrganization, URIRef(unit.iri)))
        if not rec.sources and self.publisher:
            out.append((rel, SCHEMA.sourceOrganization, URIRef(self.publisher)))
        out += [(rel, SCHEMA.mentions, URIRef(m.iri)) for m in rec.mentions]
        for label in rec.fields_of_work:
            topic = self.topics.get(label.casefold())
            if topic is not None:
                out.append((rel, SCHEMA.about, URIRef(topic)))
        out += self._body(rel, rec)
        out += self._quotes(rel, rec)
        out += self._roles(rel, rec)
        out += self._provenance(rel, rec)
        return list(dict.fromkeys(out))

    def _place(self, rel: URIRef, name: str) -> list[Triple]:
        known = self.gazetteer.place(name)
        label = known.label if known is not None else name
        iri = self.minter.id("place", label)
        out: list[Triple] = [
            (rel, SCHEMA.locationCreated, iri),
            (iri, RDF.type, SCHEMA.Place),
            (iri, SCHEMA.name, Literal(label)),
        ]
        if known is not None and known.wikidata:
            out.append((iri, OWL.sameAs, WD[known.wikidata]))
        return out

    def _body(self, rel: URIRef, rec: Release) -> list[Triple]:
        out: list[Triple] = []
        if rec.paragraphs:
            out.append((rel, SCHEMA.articleBody, Literal("\n\n".join(rec.paragraphs))))
        for n, text in enumerate(rec.paragraphs, 1):
            node = self.part(rec, "paragraph", n)
            out += [
                (rel, SCHEMA.hasPart, node),
                (node, RDF.type, SCHEMA.CreativeWork),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.position, Literal(n)),
                (node, SCHEMA.text, Literal(text)),
            ]
        return out

    def _quotes(self, rel: URIRef, rec: Release) -> list[Triple]:
        out: list[Triple] = []
        for n, quote in enumerate(rec.quotes, 1):
            node = self.part(rec, "quote", n)
            out += [
                (node, RDF.type, SCHEMA.Quotation),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.position, Literal(n)),
                (node, SCHEMA.text, Literal(quote.text)),
            ]
            if quote.speaker and slug(quote.speaker):
                person, about = self.person(quote.speaker)
                out += [(node, SCHEMA.spokenByCharacter, person), (node, SCHEMA.creator, person), *about]
        return out

    def _roles(self, rel: URIRef, rec: Release) -> list[Triple]:
        out: list[Triple] = []
        for n, held in enumerate((p for p in rec.people if slug(p.name)), 1):
            person, about = self.person(held.name)
            node = self.part(rec, "role", n)
            out += [
                *about,
                (node, RDF.type, SCHEMA.Role),
                (node, SCHEMA.isPartOf, rel),
                (node, SCHEMA.mainEntity, person),
            ]
            if held.role:
                out.append((node, SCHEMA.roleName, Literal(held.role)))
        return out

    def _provenance(self, rel: URIRef, rec: Release) -> list[Triple]:
        source, activity = self.part(rec, "source", 1), self.part(rec, "activity", 1)
        when = self.source_date or f"{rec.date}T00:00:00Z"
        return [
            (rel, PROV.wasDerivedFrom, source),
            (rel, PROV.wasGeneratedBy, activity),
            (source, RDF.type, PROV.Entity),
            (source, RDFS.label, Literal(rec.source.path.rsplit("/", 1)[-1])),
            (source, SCHEMA.sha256, Literal(rec.source.sha256)),
            (activity, RDF.type, PROV.Activity),
            (activity, PROV.used, source),
            (activity, PROV.wasAssociatedWith, self.software),
            (activity, PROV.endedAtTime, Literal(when, datatype=XSD.dateTime)),
            (self.software, RDF.type, PROV.SoftwareAgent),
            (self.software, SCHEMA.name, Literal("osce-kg")),
            (self.software, SCHEMA.softwareVersion, Literal(self.version)),
        ]


def ntriples(triples: Iterable[Triple]) -> str:
    """N-Triples lines (one per triple, newline-terminated) in the given order."""
    return "".join(_nt_row(t) for t in triples)
