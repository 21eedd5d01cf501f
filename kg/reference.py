"""The reference graph: the TSV tables of ``ontology/reference/`` compiled to RDF.

The tables are the one source of truth for the OSCE world (States, partners, field operations,
institutions, units, chairpersonships, posts, fields of work, content types, names). Facts keep their
evidence (``osce:evidence``, ``osce:verification``); a QID not in ``wikidata.tsv`` is never added.
The graph is deterministic: minted IRIs only, no blank nodes. Model and conventions: ``docs/ontology.md``.
"""

from __future__ import annotations

import calendar
import csv
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg.iris import OSCE, SCHEMA, WD, Minter, fold, slug
from kg.linkset import LINKS_FILE, LinkTableError, accepted
from kg.paths import ONTOLOGY_DIR, REFERENCE_DIR

ONTOLOGY_FILE = ONTOLOGY_DIR / "osce.ttl"
ACRONYM = re.compile(r"^[A-Z][A-Za-z]{1,5}$")


class ReferenceDataError(ValueError):
    """A reference table that cannot be compiled; the message names the table, the line and the reason."""


@lru_cache(maxsize=1 << 14)
def normalise(name: str) -> str:
    """The matching key of a name: no diacritics, case-folded, spaces collapsed, no leading "the",
    typographic quotes and dashes made plain, "co-operation" = "cooperation" (cached: extraction looks
    up the same posts and sources on every page)."""
    text = fold(name).translate(str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-"})).casefold()
    text = re.sub(r"\bco-o", "coo", text)
    text = re.sub(r"\s+", " ", text).strip(" .,;:")
    return re.sub(r"^the ", "", text)


def parse_date(text: str, *, end: bool = False) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a day: the period's first day, or its last with ``end``.
    Empty and ``unverified`` cells give None."""
    text = text.strip()
    if text in ("", "unverified"):
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if m is None:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = int(m[1]), m[2] and int(m[2]), m[3] and int(m[3])
    if day:
        return date(year, month, day)
    if month:
        return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
    return date(year, 12, 31) if end else date(year, 1, 1)


def read_table(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    """The rows of one TSV table as dicts (header row = keys); a ragged row raises ReferenceDataError."""
    path = directory / name
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            rows = []
            for number, cells in enumerate(reader, 2):
                if not any(cells):
                    continue
                if len(cells) != len(header):
                    raise ReferenceDataError(f"{name}:{number}: {len(cells)} cells, header has {len(header)}")
                rows.append(dict(zip(header, cells)))
            return rows
    except (OSError, StopIteration, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{name}: cannot read ({exc.__class__.__name__}: {exc})") from exc


def split(cell: str) -> list[str]:
    """A ``|``-separated cell as its non-empty values."""
    return [v.strip() for v in cell.split("|") if v.strip() and v.strip() != "unverified"]


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    g = Graph()
    g.parse(ONTOLOGY_FILE, format="turtle")
    return g


def ontology_graph() -> Graph:
    """The OSCE ontology (``ontology/osce.ttl``), a fresh copy."""
    g = Graph()
    for prefix, ns in _ontology().namespaces():
        g.bind(prefix, ns)
    g += _ontology()
    return g


@lru_cache(maxsize=None)
def _ancestors(cls: URIRef) -> tuple[URIRef, ...]:
    """``cls`` and every superclass the ontology gives it (so typing needs no inference)."""
    return tuple(sorted(set(_ontology().transitive_objects(cls, RDFS.subClassOf))))


class _Compiler:
    """Builds the reference graph table by table, keeping a name index for cross-table references."""

    def __init__(self, minter: Minter, directory: Path) -> None:
        self.m, self.dir, self.g = minter, directory, Graph()
        self.names: dict[tuple[str, str], URIRef] = {}  # (group, normalised name) → IRI
        for prefix, ns in (("osce", OSCE), ("schema", SCHEMA), ("wd", WD), ("skos", SKOS), ("owl", OWL),
                           ("dcterms", DCTERMS), ("xsd", XSD)):
            self.g.bind(prefix, ns)
        self.wikidata = {(r["kind"], normalise(re.sub(r"\s*\([^)]*\)$", "", r["name"]))): r
                         for r in self.table("wikidata.tsv")}

    def table(self, name: str) -> list[dict[str, str]]:
        return read_table(name, self.dir)

    def find(self, group: str, name: str, table: str) -> URIRef:
        try:
            return self.names[(group, normalise(name))]
        except KeyError:
            raise ReferenceDataError(f"{table}: unknown {group} {name!r}") from None

    def date(self, text: str, table: str, *, end: bool = False) -> date | None:
        try:
            return parse_date(text, end=end)
        except ValueError as exc:
            raise ReferenceDataError(f"{table}: {exc}") from None

    def add(self, s: URIRef, p: URIRef, o) -> None:
        self.g.add((s, p, o))

    def entity(self, iri: URIRef, cls: URIRef, label: str, group: str, *, names: list[str] = (),
               wd_kind: str | None = None, evidence: str = "", verification: str = "", note: str = "") -> URIRef:
        """Type, label and name an entity; the first call for an IRI sets its label."""
        for c in _ancestors(cls):
            self.add(iri, RDF.type, c)
        if (iri, RDFS.label, None) not in self.g:
            self.add(iri, RDFS.label, Literal(label, lang="en"))
            self.add(iri, SCHEMA.name, Literal(label))
        for name in [label, *names]:
            self.names.setdefault((group, normalise(name)), iri)
            if normalise(name) != normalise(label):
                self.add(iri, SKOS.altLabel, Literal(name, lang="en"))
        row = self.wikidata.get((wd_kind, normalise(label))) if wd_kind else None
        if row and row["qid"]:
            self.add(iri, OWL.sameAs, WD[row["qid"]])
            for prop, key in ((OSCE.isoAlpha2, "iso2"), (OSCE.isoAlpha3, "iso3")):
                if row.get(key):
                    self.add(iri, prop, Literal(row[key]))
            self.add(iri, OSCE.evidence, Literal("wikidata.tsv: " + row["evidence"]))
        for prop, text in ((OSCE.evidence, evidence), (OSCE.verification, verification), (SKOS.note, note)):
            if text.strip():
                self.add(iri, prop, Literal(text.strip()))
        return iri

    def period(self, node: URIRef, start: date | None, end: date | None) -> None:
        if start is not None:
            self.add(node, OSCE.startDate, Literal(start, datatype=XSD.date))
        if end is not None:
            self.add(node, OSCE.endDate, Literal(end, datatype=XSD.date))

    # --- countries -------------------------------------------------------------------------------

    def states(self) -> None:
        t = "participating_states.tsv"
        for r in self.table(t):
            key = re.sub(r"^The ", "", r["name"])
            iri = self.entity(self.m.id("country", key), OSCE.ParticipatingState, r["name"], "country",
                              names=split(r["other_names"]), wd_kind="state", evidence=r["evidence"],
                              verification=r["verification"], note=r["notes"])
            part = self.m.id("participation", key)
            self.add(iri, OSCE.hasParticipation, part)
            for c in _ancestors(OSCE.Participation):
                self.add(part, RDF.type, c)
            self.add(part, RDFS.label, Literal(f"participation of {r['name']}", lang="en"))
            self.period(part, self.date(r["joined"], t), None)
        t = "former_states.tsv"
        for r in self.table(t):
            iri = self.entity(self.m.id("country", r["name"]), OSCE.FormerParticipatingState, r["name"], "country",
                              names=split(r["other_names"]), evidence=r["source"])
            part = self.m.id("participation", r["name"])
            self.add(iri, OSCE.hasParticipation, part)
            for c in _ancestors(OSCE.Participation):
                self.add(part, RDF.type, c)
            self.add(part, RDFS.label, Literal(f"participation of {r['name']}", lang="en"))
            self.period(part, self.date(r["joined"], t), self.date(r["ended"], t, end=True))
            for name in split(r["successors"]):
                self.add(iri, OSCE.successor, self.find("country", name, t))

    def partners(self) -> None:
        groups: dict[str, URIRef] = {}
        t = "partner_groups.tsv"
        for r in self.table(t):
            iri = self.entity(self.m.id("partner-group", r["label"]), OSCE.PartnerGroup, r["label"], "structure",
                              names=split(r["other_names"]), evidence=r["source"])
            groups[r["group"]] = iri
        for key, iri in groups.items():
            self.add(iri, SCHEMA.parentOrganization, groups[""] if key else self.osce)
        t = "partners.tsv"
        for r in self.table(t):
            if r["group"] not in groups or not r["group"]:
                raise ReferenceDataError(f"{t}: unknown partner group {r['group']!r} ({r['name']})")
            cls = OSCE[f"{r['group']}Partner"]
            iri = self.names.get(("country", normalise(r["name"]))) or self.m.id("country", r["name"])
            self.entity(iri, cls, r["name"], "country", wd_kind="partner", evidence=r["evidence"],
                        verification=r["verification"], note=r["notes"])
            ship = self.m.id("partnership", r["name"])
            self.add(iri, OSCE.hasPartnership, ship)
            for c in _ancestors(OSCE.Partnership):
                self.add(ship, RDF.type, c)
            self.add(ship, RDFS.label, Literal(f"partnership of {r['name']}", lang="en"))
            self.add(ship, OSCE.partnerGroup, groups[r["group"]])
            self.period(ship, self.date(r["partner_since"], t), self.date(r["ended"], t, end=True))

    def close_matches(self) -> None:
        t = "close_matches.tsv"
        for r in self.table(t):
            iri = self.find("country", r["name"], t)
            self.add(iri, SKOS.closeMatch, WD[r["qid"]])
            self.add(iri, OSCE.evidence, Literal(f"closeMatch {r['qid']}: {r['source']}"))

    # --- places ----------------------------------------------------------------------------------

    def places(self) -> None:
        for r in self.table("wikidata.tsv"):
            if r["kind"] == "city":
                self.entity(self.m.id("place", r["name"]), SCHEMA.City, r["name"], "place", wd_kind="city")
                self.add(self.m.id("place", r["name"]), RDF.type, SCHEMA.Place)
            elif r["kind"] == "other":
                self.entity(self.m.id("place", r["name"]), OSCE.Territory, r["name"], "territory", wd_kind="other",
                            note="not an OSCE participating State or partner (reference README)")

    # --- OSCE structures -------------------------------------------------------------------------

    def organisations(self) -> None:
        """The OSCE and the organisations releases name, with their acronyms and other names; a QID from
        the row itself (evidenced there) or from ``wikidata.tsv``."""
        for r in self.table("organisations.tsv"):
            iri = self.entity(self.m.id("organisation", r["name"]), OSCE[r["class"]], r["name"], "structure",
                              names=split(r["other_names"]), wd_kind="org", evidence=r["evidence"],
                              verification=r["verification"])
            if r["acronym"]:
                self.add(iri, OSCE.acronym, Literal(r["acronym"]))
                self.names.setdefault(("structure", normalise(r["acronym"])), iri)
            if r["qid"] and (iri, OWL.sameAs, None) not in self.g:
                self.add(iri, OWL.sameAs, WD[r["qid"]])
            if r["class"] == "Organization":
                self.osce = iri

    def institutions(self) -> None:
        t = "institutions.tsv"
        kinds = {r["name"]: r for r in self.table("institution_kinds.tsv")}
        rows = self.table(t)
        if set(kinds) != {r["name"] for r in rows}:
            raise ReferenceDataError(f"institution_kinds.tsv: rows differ from {t}: "
                                     f"{sorted(set(kinds) ^ {r['name'] for r in rows})}")
        for r in rows:
            k = kinds[r["name"]]
            kind = "unit" if k["class"] == "SecretariatUnit" else "institution"
            iri = self.entity(self.m.id(kind, r["name"]), OSCE[k["class"]], r["name"], "structure",
                              wd_kind="org", evidence=r["evidence"] + " ; class: " + k["source"],
                              verification=r["verification"], note=r["notes"])
            self.structure_facts(iri, r["acronym"], k["parent"], t)
            if (seat := self.names.get(("place", normalise(r["seat"])))) is not None:
                self.add(iri, OSCE.seat, seat)
            if (founded := self.date(r["established"], t)) is not None:
                self.add(iri, SCHEMA.foundingDate, Literal(founded, datatype=XSD.date))
            if r["head_title"] not in ("", "unverified"):
                self.add(iri, OSCE.headTitle, Literal(r["head_title"]))
        t = "bodies.tsv"
        for r in self.table(t):
            iri = self.entity(self.m.id("unit", r["name"]), OSCE[r["class"]], r["name"], "structure",
                              wd_kind="org", evidence=r["source"])
            self.structure_facts(iri, r["acronym"], r["parent"], t)

    def structure_facts(self, iri: URIRef, acronym: str, parent: str, table: str) -> None:
        """Acronym, parent organisation and the "OSCE ..." form of an OSCE structure's name."""
        if acronym not in ("", "unverified"):
            self.add(iri, OSCE.acronym, Literal(acronym))
            self.names.setdefault(("structure", normalise(acronym)), iri)
        self.add(iri, SCHEMA.parentOrganization, self.find("structure", parent, table) if parent else self.osce)
        label = str(self.g.value(iri, RDFS.label))
        if "OSCE" not in label:
            self.add(iri, SKOS.altLabel, Literal(f"OSCE {label}", lang="en"))

    def field_operations(self) -> None:
        t = "field_operations.tsv"
        kinds = {r["name"]: r for r in self.table("field_operation_kinds.tsv")}
        for r in self.table(t):
            k = kinds.get(r["name"])
            if k is None:
                raise ReferenceDataError(f"field_operation_kinds.tsv: no row for {r['name']!r} of {t}")
            others = split(r["other_names"])
            iri = self.entity(self.m.id("field-operation", r["name"]), OSCE[k["class"]], r["name"], "structure",
                              names=[n for n in others if not ACRONYM.match(n)], wd_kind="org",
                              evidence=r["evidence"] + " ; class and host: " + k["source"],
                              verification=r["verification"], note=r["notes"])
            for name in others:
                if ACRONYM.match(name):
                    self.add(iri, OSCE.acronym, Literal(name))
                else:
                    self.add(iri, OSCE.formerName, Literal(name, lang="en"))
            self.add(iri, SCHEMA.parentOrganization, self.osce)
            for state in split(k["host_states"]):
                self.add(iri, OSCE.hostState, self.find("country", state, "field_operation_kinds.tsv"))
            if k["host_territory"]:
                self.add(iri, OSCE.hostTerritory, self.find("territory", k["host_territory"], "field_operation_kinds.tsv"))
            opened, closed = self.date(r["opened"], t), self.date(r["closed"], t, end=True)
            if opened is not None:
                self.add(iri, OSCE.openingDate, Literal(opened, datatype=XSD.date))
            if closed is not None:
                self.add(iri, OSCE.closingDate, Literal(closed, datatype=XSD.date))

    # --- posts, people, chairpersonships ---------------------------------------------------------

    def person(self, name: str, evidence: str) -> URIRef:
        """The person called ``name`` (one IRI per person: a name already known, spelt with or without
        diacritics, is that person), its evidence added."""
        iri = self.names.get(("person", normalise(name))) or self.m.id("person", name)
        return self.entity(iri, SCHEMA.Person, name, "person", evidence=evidence)

    def holding(self, post: str, key: str, person: URIRef, start: date | None, end: date | None) -> URIRef:
        node = self.m.id("post", f"{post}/{key}")
        for c in _ancestors(OSCE.PostHolding):
            self.add(node, RDF.type, c)
        self.add(node, RDFS.label, Literal(f"{self.g.value(person, RDFS.label)} as "
                                           f"{self.g.value(self.m.id('post', post), RDFS.label)}", lang="en"))
        self.add(node, OSCE.post, self.m.id("post", post))
        self.add(node, OSCE.holder, person)
        self.period(node, start, end)
        return node

    def term(self, post: str, key: str, person: URIRef, start: str, end: str, table: str) -> URIRef:
        """A holding dated by a table's term cells. A term known only to the month or year runs from the
        period's first day (start) to its last (end): as wide as the evidence allows, with a note saying so."""
        node = self.holding(post, key, person, self.date(start, table), self.date(end, table, end=True))
        partial = [f"{which} known to the {'month' if len(text) == 7 else 'year'} ({text})"
                   for which, text in (("start", start.strip()), ("end", end.strip())) if len(text) in (4, 7)]
        if partial:
            self.add(node, SKOS.note, Literal("; ".join(partial) + ": the dates are the widest the period allows"))
        return node

    def posts(self) -> None:
        for r in self.table("posts.tsv"):
            iri = self.entity(self.m.id("post", r["key"]), OSCE.Post, r["label"], "structure",
                              names=split(r["other_names"]), evidence=r["source"])
            self.add(iri, SCHEMA.parentOrganization, self.osce)
        t = "secretaries_general.tsv"
        for r in self.table(t):
            person = self.person(r["name"], r["evidence"])
            self.add(person, SCHEMA.nationality, self.find("country", r["nationality"], t))
            self.term("secretary-general", r["name"], person, r["term_start"], r["term_end"], t)

    def chairpersonships(self) -> None:
        t = "chairpersonships.tsv"
        terms = {(r["year"], r["chairperson_in_office"]): r for r in self.table("cio_terms.tsv")}
        for r in self.table(t):
            year = int(r["year"])
            state = self.find("country", r["state"], t)
            iri = self.m.id("chairpersonship", r["year"])
            label = f"OSCE Chairpersonship {year}"
            self.entity(iri, OSCE.Chairpersonship, label, "chairpersonship", evidence=r["evidence"],
                        verification=r["verification"], note=r["notes"],
                        names=[f"{self.g.value(state, RDFS.label)} OSCE Chairpersonship {year}",
                               "OSCE Chairpersonship", "OSCE Chairmanship", "Chairpersonship", "Chairmanship"])
            self.add(iri, OSCE.year, Literal(str(year), datatype=XSD.gYear))
            self.add(iri, OSCE.chairState, state)
            self.add(iri, SCHEMA.parentOrganization, self.osce)
            self.period(iri, date(year, 1, 1), date(year, 12, 31))
            cios = split(r["chairperson_in_office"])
            for name in cios:
                term = terms.get((r["year"], name))
                if term is None and len(cios) > 1:
                    raise ReferenceDataError(f"cio_terms.tsv: no term for {name} ({year}, shared chairpersonship)")
                start = self.date(term["start"], "cio_terms.tsv") if term else date(year, 1, 1)
                end = self.date(term["end"], "cio_terms.tsv", end=True) if term else date(year, 12, 31)
                person = self.person(name, r["evidence"] + (" ; term: " + term["source"] if term else ""))
                self.add(iri, OSCE.chairpersonInOffice, person)
                node = self.holding("chairperson-in-office", f"{year}/{name}", person, start, end)
                self.add(node, OSCE.duringChairpersonship, iri)

    def links(self) -> None:
        """``owl:sameAs`` for the reference entities without a QID that ``wikidata_links.tsv`` accepts."""
        try:
            found = accepted(self.dir / LINKS_FILE.name)
        except LinkTableError as exc:
            raise ReferenceDataError(str(exc)) from None
        for key, (qid, evidence) in sorted(found.items()):
            iri = URIRef(self.m.base + key)
            if (iri, RDF.type, None) in self.g and (iri, OWL.sameAs, None) not in self.g:
                self.add(iri, OWL.sameAs, WD[qid])
                self.add(iri, OSCE.evidence, Literal(evidence))

    def office_holders(self) -> None:
        """``people.tsv``: every office-holder with a QID where evidenced (``owl:sameAs``, keyed by the QID:
        one person per QID whatever the spelling) and a dated holding of each post ``posts.tsv`` declares.
        Secretaries General and Chairpersons-in-Office are dated by their own tables (compiled before);
        heads of state have no post here (the table names no country), only their QID."""
        t = "people.tsv"
        posts = {r["key"] for r in self.table("posts.tsv")}
        by_qid: dict[str, URIRef] = {}
        for r in self.table(t):
            qid = r["qid"].strip()
            if qid and not re.fullmatch(r"Q[1-9]\d*", qid):
                raise ReferenceDataError(f"{t}: not a QID: {qid!r} ({r['name']})")
            evidence = f"people.tsv ({r['post']}; {r['verification']}): {r['evidence']}"
            person = self.person(r["name"], evidence) if qid not in by_qid else by_qid[qid]
            if qid:
                known = {o for o in self.g.objects(person, OWL.sameAs)}
                if known - {WD[qid]}:
                    raise ReferenceDataError(f"{t}: {r['name']} has two QIDs: {qid} and {sorted(known)}")
                self.add(person, OWL.sameAs, WD[qid])
                by_qid[qid] = person
                self.entity(person, SCHEMA.Person, r["name"], "person")  # another spelling: an altLabel
            post = r["post"].replace("_", "-")
            if post in ("secretary-general", "chairperson-in-office", "head-of-state"):
                continue
            if post not in posts:
                raise ReferenceDataError(f"{t}: unknown post {r['post']!r} ({r['name']})")
            node = self.term(post, f"{r['name']}/{r['term_start'] or 'unknown'}", person, r["term_start"],
                             r["term_end"], t)
            self.add(node, OSCE.verification, Literal(r["verification"]))
            self.add(node, OSCE.evidence, Literal(r["evidence"]))

    # --- names and concepts ----------------------------------------------------------------------

    def aliases(self) -> None:
        t = "aliases.tsv"
        groups = {"demonym": ("country",), "spelling": ("place",), "alias": ("country", "structure", "person"),
                  "former": ("country", "structure")}
        for r in self.table(t):
            if r["form"] not in groups:
                raise ReferenceDataError(f"{t}: unknown form {r['form']!r} ({r['name']})")
            iri = next((self.names[(g, normalise(r["name"]))] for g in groups[r["form"]]
                        if (g, normalise(r["name"])) in self.names), None)
            if iri is None:
                raise ReferenceDataError(f"{t}: unknown entity {r['name']!r}")
            if r["form"] == "demonym":
                self.add(iri, OSCE.demonym, Literal(r["alias"], lang="en"))
            else:
                self.add(iri, SKOS.altLabel, Literal(r["alias"], lang="en"))
                if r["form"] == "former":
                    self.add(iri, OSCE.formerName, Literal(r["alias"], lang="en"))
            self.add(iri, OSCE.evidence, Literal(f"{r['form']} {r['alias']!r}: {r['source']}"))

    def concepts(self, table: str, kind: str, cls: URIRef, scheme: URIRef) -> None:
        for r in self.table(table):
            iri = self.m.id(kind, r["label"])
            for c in _ancestors(cls):
                self.add(iri, RDF.type, c)
            self.add(iri, SKOS.prefLabel, Literal(r["label"], lang="en"))
            self.add(iri, RDFS.label, Literal(r["label"], lang="en"))
            for alt in split(r["other_names"]):
                self.add(iri, SKOS.altLabel, Literal(alt, lang="en"))
            self.add(iri, SKOS.inScheme, scheme)
            self.add(iri, SKOS.topConceptOf, scheme)
            self.add(scheme, SKOS.hasTopConcept, iri)
            self.add(iri, OSCE.evidence, Literal(r["source"]))
            if "article_class" in r:
                article = OSCE[r["article_class"]]
                if (article, RDF.type, OWL.Class) not in _ontology():
                    raise ReferenceDataError(f"{table}: {r['article_class']!r} is not a class of the ontology")
                self.add(iri, OSCE.articleClass, article)


def compile_reference(minter: Minter = Minter(), directory: Path = REFERENCE_DIR) -> Graph:
    """Compile the tables of ``directory`` into a new graph (uncached; ``reference_graph`` caches)."""
    c = _Compiler(minter, directory)
    c.places()
    c.states()
    c.organisations()
    c.partners()
    c.close_matches()
    c.institutions()
    c.field_operations()
    c.posts()
    c.chairpersonships()
    c.office_holders()
    c.aliases()
    c.concepts("fields_of_work.tsv", "topic", OSCE.FieldOfWork, OSCE.FieldsOfWork)
    c.concepts("content_types.tsv", "content-type", OSCE.ContentType, OSCE.ContentTypes)
    c.links()
    return c.g


@lru_cache(maxsize=8)
def _cached(minter: Minter) -> Graph:
    return compile_reference(minter)


def shared_reference(minter: Minter = Minter()) -> Graph:
    """The cached reference graph itself, for readers that never change it (no 0.3 s copy)."""
    return _cached(minter)


def reference_graph(minter: Minter = Minter()) -> Graph:
    """All reference entities and SKOS concepts under ``minter``'s base, prefixes bound (a fresh copy)."""
    g = Graph()
    for prefix, ns in _cached(minter).namespaces():
        g.bind(prefix, ns)
    g += _cached(minter)
    return g
