"""The gazetteer: every name of the reference graph, resolved to its entity and its kind on a date.

Built from ``kg.reference.reference_graph`` (so it knows exactly what the graph knows) and cached per
base. Names match case-, diacritics- and leading-"the"-insensitively (``kg.reference.normalise``).
Kinds on a date: a country is a "state" while its participation lasts and a "partner" while its
partnership lasts (Mongolia: partner until 20 Nov 2012, state from 21 Nov 2012), else None; field
operations are "field_operation"; OSCE structures (institutions, Secretariat units, bodies, posts,
chairpersonships) are "institution"; partner groups "partner"; the OSCE itself and outside
organisations "organisation"; territories that are neither State nor partner (Kosovo) "other".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.iris import OSCE, SCHEMA, WD, Minter, fold
from kg.reference import normalise, read_table, shared_reference

Period = tuple[date, date | None]

# Ontology class → gazetteer category, most specific first.
CATEGORIES: tuple[tuple[URIRef, str], ...] = (
    (OSCE.Country, "country"),
    (OSCE.FieldOperation, "field_operation"),
    (OSCE.Chairpersonship, "chairpersonship"),
    (OSCE.Post, "post"),
    (OSCE.PartnerGroup, "partner_group"),
    (OSCE.Organization, "organisation"),
    (OSCE.ExternalOrganisation, "organisation"),
    (OSCE.SecretariatUnit, "unit"),
    (OSCE.OSCEBody, "unit"),
    (OSCE.DecisionMakingBody, "unit"),
    (OSCE.ConsultativeFormat, "unit"),
    (OSCE.OSCEStructure, "institution"),
    (OSCE.Territory, "territory"),
)
KINDS = {"field_operation": "field_operation", "institution": "institution", "unit": "institution",
         "chairpersonship": "institution", "post": "institution", "organisation": "organisation",
         "partner_group": "partner", "territory": "other"}
# Categories whose names the extractor scans text for (chairpersonships and posts are Source values).
SCANNED = ("country", "field_operation", "institution", "unit", "organisation", "partner_group", "territory")


def _within(period: Period | None, day: date) -> bool:
    return period is not None and period[0] <= day and (period[1] is None or day <= period[1])


@dataclass(frozen=True)
class Entity:
    """A reference entity as extraction and mapping see it."""

    iri: str
    label: str
    wikidata: str | None          # "Q884"
    category: str                 # country | field_operation | institution | unit | organisation | ...
    aliases: tuple[str, ...] = ()  # other names, former names and acronyms
    demonyms: tuple[str, ...] = ()
    participation: Period | None = None  # as a participating State
    partnership: Period | None = None    # as a Partner for Co-operation
    opened: date | None = None
    closed: date | None = None
    term: Period | None = field(default=None)  # a chairpersonship's year

    def kind_on(self, day: date | None) -> str | None:
        """The extraction kind on ``day`` (today's status when None); None for a country that was
        neither a participating State nor a Partner on that day."""
        if self.category != "country":
            return KINDS.get(self.category)
        if day is None:
            day = date.today()
        if _within(self.participation, day):
            return "state"
        if _within(self.partnership, day):
            return "partner"
        return None

    def active_on(self, day: date | None) -> bool:
        """Whether the entity existed on ``day`` (used to choose between entities sharing a name)."""
        if day is None:
            return self.term is None or _within(self.term, date.today())
        if self.term is not None:
            return _within(self.term, day)
        return (self.opened is None or self.opened <= day) and (self.closed is None or day <= self.closed)


class Place(NamedTuple):
    """A dateline city: its canonical name and Wikidata QID."""

    label: str
    wikidata: str | None


class Person(NamedTuple):
    """A person of the reference graph: IRI, canonical name and Wikidata QID."""

    iri: str
    label: str
    wikidata: str | None


class Concept(NamedTuple):
    """A SKOS concept under one of its labels: (label, IRI)."""

    label: str
    iri: str

    @property
    def aliases(self) -> tuple[str, ...]:
        return ()  # each alternative label is a Concept of its own


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _qid(g: Graph, iri: URIRef) -> str | None:
    wd = sorted(str(o) for o in g.objects(iri, OWL.sameAs) if str(o).startswith(str(WD)))
    return wd[0][len(str(WD)):] if wd else None


def _period(g: Graph, node: URIRef | None) -> Period | None:
    if node is None or (start := g.value(node, OSCE.startDate)) is None:
        return None
    end = g.value(node, OSCE.endDate)
    return start.toPython(), end.toPython() if end is not None else None


def _short_forms(label: str) -> list[str]:
    """"OSCE Programme Office in Dushanbe" → "Programme Office in Dushanbe" (field operations)."""
    short = re.sub(r"^(OSCE|CSCE) ", "", label)
    return [short] if short != label and len(short.split()) > 1 else []


class Gazetteer:
    """Names → entities, persons, posts, places and concepts of the reference graph."""

    def __init__(self, graph: Graph) -> None:
        self._g = graph
        self.entities: list[Entity] = []
        self._index: dict[str, list[Entity]] = {}
        self._surface: list[tuple[str, Entity]] = []
        for iri in sorted(set(graph.subjects(RDF.type, OSCE.Referent))):
            category = next((c for cls, c in CATEGORIES if (iri, RDF.type, cls) in graph), None)
            if category is None:
                continue  # not a kind extraction knows
            entity = self._entity(iri, category)
            self.entities.append(entity)
            forms = [entity.label, *entity.aliases, *entity.demonyms]
            forms += [f[4:] for f in forms if f.startswith("The ")]  # "the Netherlands" in running text
            if category == "field_operation":
                forms += [s for n in (entity.label, *entity.aliases) for s in _short_forms(n)]
            for form in dict.fromkeys(forms):
                self._index.setdefault(normalise(form), []).append(entity)
                if category in SCANNED:
                    self._surface.append((form, entity))
        self._posts = {e.iri.rsplit("/", 1)[1]: e for e in self.entities if e.category == "post"}  # by key
        self._places = self._place_index()
        self._holdings = self._holding_list()
        self._persons = self._person_index()
        self._endings = self._ending_index()
        self._person_keys: dict[str, str] = {}
        titles = sorted({normalise(r["term"]) for r in read_table("extract_lexicon.tsv")
                         if r["kind"] in ("title", "courtesy")}, key=len, reverse=True)
        self._title = re.compile(rf"(?:{'|'.join(map(re.escape, titles))})\.? (?=\S)")
        # what the graph is asked after construction, computed now so a pickled gazetteer needs no graph
        self._topics = self._concepts(OSCE.FieldOfWork)
        self._content_types = self._concepts(OSCE.ContentType)
        self._article_classes = {str(s): str(o) for s, o in graph.subject_objects(OSCE.articleClass)}

    def __getstate__(self) -> dict:
        """Everything but the graph and the name cache (the build cache keeps a gazetteer: 1 s to rebuild
        from the tables)."""
        return {k: ({} if k == "_person_keys" else v) for k, v in self.__dict__.items() if k != "_g"}

    @classmethod
    def load(cls, minter: Minter = Minter()) -> "Gazetteer":
        """The gazetteer of the reference graph under ``minter``'s base (built once per base)."""
        return _load(minter)

    def _entity(self, iri: URIRef, category: str) -> Entity:
        g = self._g
        alt = sorted({str(o) for o in g.objects(iri, SKOS.altLabel)} | {str(o) for o in g.objects(iri, OSCE.acronym)})
        opened, closed = g.value(iri, OSCE.openingDate), g.value(iri, OSCE.closingDate)
        return Entity(
            iri=str(iri), label=str(g.value(iri, RDFS.label)), wikidata=_qid(g, iri), category=category,
            aliases=tuple(alt), demonyms=tuple(sorted(str(o) for o in g.objects(iri, OSCE.demonym))),
            participation=_period(g, g.value(iri, OSCE.hasParticipation)),
            partnership=_period(g, g.value(iri, OSCE.hasPartnership)),
            opened=opened.toPython() if opened is not None else None,
            closed=closed.toPython() if closed is not None else None,
            term=_period(g, iri) if category == "chairpersonship" else None)

    def _place_index(self) -> dict[str, Place]:
        g, out = self._g, {}
        for iri in sorted(set(g.subjects(RDF.type, SCHEMA.City))):
            place = Place(str(g.value(iri, RDFS.label)), _qid(g, iri))
            for name in [place.label, *(str(o) for o in g.objects(iri, SKOS.altLabel))]:
                out.setdefault(normalise(name), place)
        return out

    def _holding_list(self) -> list[tuple[str, str, Period]]:
        g, out = self._g, []
        self._spellings: dict[str, tuple[str, ...]] = {}  # a holder's name → its other spellings
        for node in sorted(set(g.subjects(RDF.type, OSCE.PostHolding))):
            post, person = g.value(node, OSCE.post), g.value(node, OSCE.holder)
            name = str(g.value(person, RDFS.label))
            out.append((str(post), name, _period(g, node)))
            self._spellings[name] = tuple(sorted({str(o) for o in g.objects(person, SKOS.altLabel)} | {fold(name)}))
        return out

    def _ending_index(self) -> dict[str, list[tuple[Person, list[Period]]]]:
        """Each ending of a holder's name ("borg", "de brichambaut", "perrin de brichambaut") → the holders
        whose name ends so, with their terms (of any post)."""
        terms: dict[str, list[Period]] = {}
        for _, name, period in self._holdings:
            if period is not None:
                terms.setdefault(name, []).append(period)
        out: dict[str, list[tuple[Person, list[Period]]]] = {}
        for key, person in self._persons.items():
            words = key.split()
            for i in range(1, len(words)):
                entry = (person, terms.get(person.label, []))
                if entry[1] and entry not in out.setdefault(" ".join(words[i:]), []):
                    out[" ".join(words[i:])].append(entry)
        return out

    def _person_index(self) -> dict[str, Person]:
        """Every name and other spelling of the reference graph's people (folded, case-insensitive)."""
        g, out = self._g, {}
        for iri in sorted(set(g.subjects(RDF.type, SCHEMA.Person))):
            person = Person(str(iri), str(g.value(iri, RDFS.label)), _qid(g, iri))
            for name in [person.label, *sorted(str(o) for o in g.objects(iri, SKOS.altLabel))]:
                out.setdefault(normalise(name), person)
        return out

    # --- the API extraction and mapping call -----------------------------------------------------

    def lookup(self, name: str, on: date | str | None = None) -> Entity | None:
        """The entity called ``name`` (label, alias, acronym, demonym, short form); where several share
        the name, the one active on ``on``."""
        found = self._index.get(normalise(name), [])
        day = _as_date(on)
        return next((e for e in found if e.active_on(day)), found[0] if len(found) == 1 else None)

    def names(self) -> list[tuple[str, Entity]]:
        """Every surface form to scan text for, with its entity (labels, aliases, acronyms, short forms,
        demonyms), longest first."""
        return sorted(self._surface, key=lambda p: (-len(p[0]), p[0]))

    def resolve_source(self, value: str, on: date | str) -> Entity | None:
        """The OSCE structure a page's Source value names on ``on`` ("OSCE Chairpersonship" → that
        year's chairpersonship, "OSCE Mission to Georgia (closed)" → the mission)."""
        return self.lookup(re.sub(r"\s*\(closed\)\s*$", "", value.strip(), flags=re.I), on)

    def holders(self, post: str, on: date | str) -> list[str]:
        """Full names of the people holding ``post`` on ``on``: its key in ``posts.tsv`` ("secretary-general",
        "hcnm", "odihr-director", "rfom", "pa-president", ...) or any name of the post. A term known only to
        the month or year covers the whole period, so on a day of a month in which one holder left and the
        next came both are named: callers that need one speaker take a single answer only."""
        named = [*self._index.get(normalise(post), ()), *self._index.get(normalise(post.replace("-", " ")), ())]
        entity = self._posts.get(post) or next((e for e in named if e.category == "post"), None)
        if entity is None:
            return []
        day = _as_date(on)
        return [person for p, person, period in self._holdings if p == entity.iri and _within(period, day)]

    def person(self, name: str, on: date | str | None = None) -> Person | None:
        """The reference person ``name`` denotes: a full name or another spelling of it (diacritics and case
        do not matter, a leading title or "Mr." is dropped); a surname alone ("Borg", "Perrin de
        Brichambaut") only when exactly one person of that surname holds a post on ``on``. None otherwise:
        the mapper then mints an IRI from the name itself."""
        key = self._person_keys.get(name)
        if key is None:  # releases name the same people over and over: normalise each name once
            key = normalise(name)
            if (m := self._title.match(key)) is not None:
                key = key[m.end():]
            self._person_keys[name] = key
        if key in self._persons:
            return self._persons[key]
        day = _as_date(on)
        if day is None or key not in self._endings:
            return None
        found = {p for p, periods in self._endings[key] if any(_within(t, day) for t in periods)}
        return found.pop() if len(found) == 1 else None

    def people(self) -> list[tuple[str, str]]:
        """(full name, post) of every person holding a post in the reference graph, under their name, its
        spelling without diacritics ("Feridun Sinirlioglu") and the other spellings the tables give
        ("Helga Schmid")."""
        posts = {e.iri: e.label for e in self.entities if e.category == "post"}
        return sorted({(name, posts[p]) for p, person, _ in self._holdings
                       for name in (person, *self._spellings[person])})

    def place(self, name: str) -> Place | None:
        """(canonical city name, QID) of a dateline city in wikidata.tsv, spelling variants included."""
        return self._places.get(normalise(name))

    def _concepts(self, cls: URIRef) -> list[Concept]:
        g = self._g
        return sorted(Concept(str(label), str(iri)) for iri in set(g.subjects(RDF.type, cls))
                      for label in [*g.objects(iri, SKOS.prefLabel), *g.objects(iri, SKOS.altLabel)])

    def topics(self) -> list[Concept]:
        """(label, IRI) of the fields of work, alternative labels included."""
        return list(self._topics)

    def content_types(self) -> list[Concept]:
        """(label, IRI) of the content types, alternative labels included."""
        return list(self._content_types)

    def article_classes(self) -> dict[str, str]:
        """Content-type concept IRI → its release class IRI (``osce:articleClass``)."""
        return dict(self._article_classes)


@lru_cache(maxsize=8)
def _load(minter: Minter) -> Gazetteer:
    return Gazetteer(shared_reference(minter))  # read only


def topics(minter: Minter = Minter()) -> list[tuple[str, str]]:
    """(label, IRI) of the fields of work."""
    return Gazetteer.load(minter).topics()


def content_types(minter: Minter = Minter()) -> list[tuple[str, str]]:
    """(label, IRI) of the content types."""
    return Gazetteer.load(minter).content_types()
