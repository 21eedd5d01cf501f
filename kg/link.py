"""``kg link``: reconcile the graph's people, organisations and places with Wikidata, into a table to review.

The build's store gives the entities that have no ``owl:sameAs`` yet and what the graph knows of them:
names, roles, the dates they appear on (releases, post holdings), countries (nationality, the country a
role names, a chairpersonship's State, a field operation's host State) and parent organisations. Their
names go to a Wikidata SPARQL endpoint in batches (``VALUES``), one request at a time, with a descriptive
User-Agent, backing off on 429 and 503 as ``Retry-After`` says (the query service's usage policy). Each
candidate gets a score out of 100 and a reason (``score_person``, ``score_organisation``, ``score_place``):

* people (``wdt:P31 wd:Q5``): the name is the English label (40) or an alias (30); a position held (P39)
  that fits a role of the graph and covers one of its dates (+40), or any position held on one of its dates
  (+20); citizenship (P27) in the graph's countries (+20), or only other citizenships (-20); died before
  the first date or born after it: at most 10;
* organisations (``wdt:P31/wdt:P279* wd:Q43229``): the label (60), an alias (50) or only an acronym (25);
  part of or subsidiary of (P361, P749) the graph's parent organisation (+30); country (P17) fits (+20)
  or not (-20);
* places (``wdt:P31/wdt:P279* wd:Q486972``, human settlements): the label (50) or an alias (40); country
  (P17) among the countries of the releases datelined there (+40) or not (-30).

A candidate is ``accepted`` only when it scores at least ``ACCEPT`` and leads the entity's next candidate
by at least ``MARGIN`` (unambiguous); the others are ``review`` from ``REVIEW`` up, else ``rejected``.
A QID another entity of the graph already has is rejected. Rows already in the table keep their status
(a person's decision, or an earlier run's), so re-running never overrides a review. ``kg build`` reads only the table (``kg.linkset``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import urllib.error
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from kg import __version__
from kg.gazetteer import Gazetteer
from kg.iris import WD, Minter
from kg.linkset import LINKS_FILE, Link, LinkTableError, local, read_links, write_links
from kg.reference import normalise

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
USER_AGENT = f"osce-kg/{__version__} (https://w3id.org/osce-kg/; kg link, Wikidata reconciliation)"
ACCEPT, MARGIN, REVIEW = 80, 20, 50
BATCH = 40
KINDS = ("person", "organisation", "place")
_STOP = frozenset("of the for and in on to a an at osce csce".split())


class LinkFailed(Exception):
    """Why ``kg link`` could not finish (the endpoint refused, the build is unreadable)."""


# --- what the graph knows ------------------------------------------------------------------------------

@dataclass
class Subject:
    """An entity of the graph without a QID, with the context its candidates are scored on."""

    iri: str
    kind: str                                            # person | organisation | place
    name: str
    names: set[str] = field(default_factory=set)         # label, aliases, acronyms
    acronyms: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)         # role names and post labels
    dates: set[date] = field(default_factory=set)        # releases and post holdings it appears in
    countries: set[str] = field(default_factory=set)     # QIDs
    parents: set[str] = field(default_factory=set)       # QIDs of parent organisations


_PREFIXES = """PREFIX schema: <https://schema.org/> PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX osce: <https://w3id.org/osce-kg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
_UNLINKED = "FILTER NOT EXISTS { ?e owl:sameAs ?any }"
GRAPH_QUERIES = {
    "person": _PREFIXES + f"""SELECT ?e ?name ?role ?date ?country WHERE {{
  ?e a schema:Person ; schema:name ?name . {_UNLINKED}
  OPTIONAL {{
    {{ ?x schema:mainEntity ?e ; schema:isPartOf/schema:datePublished ?date . OPTIONAL {{ ?x schema:roleName ?role }} }}
    UNION {{ ?q schema:spokenByCharacter ?e ; schema:isPartOf/schema:datePublished ?date }}
    UNION {{ ?h osce:holder ?e ; osce:post/rdfs:label ?role ; osce:startDate|osce:endDate ?date }}
    UNION {{ ?e schema:nationality/owl:sameAs ?country }}
    UNION {{ ?h osce:holder ?e ; osce:duringChairpersonship/osce:chairState/owl:sameAs ?country }} }}
}}""",
    "organisation": _PREFIXES + f"""SELECT ?e ?name ?alias ?acronym ?country ?parent WHERE {{
  {{ ?e a osce:ExternalOrganisation }} UNION {{ ?e a osce:OSCEStructure
    FILTER NOT EXISTS {{ ?e a osce:Chairpersonship }} FILTER NOT EXISTS {{ ?e a osce:Post }} }}
  ?e rdfs:label ?name . {_UNLINKED}
  OPTIONAL {{ {{ ?e skos:altLabel ?alias }} UNION {{ ?e osce:acronym ?acronym }}
    UNION {{ ?e osce:hostState/owl:sameAs ?country }} UNION {{ ?e schema:parentOrganization+/owl:sameAs ?parent }} }}
}}""",
    "place": _PREFIXES + f"""SELECT ?e ?name ?date ?country WHERE {{
  ?e a schema:Place ; schema:name ?name . {_UNLINKED}
  OPTIONAL {{ ?r schema:locationCreated ?e ; schema:datePublished ?date .
    OPTIONAL {{ {{ ?r schema:sourceOrganization/osce:hostState/owl:sameAs ?country }}
               UNION {{ ?r schema:mentions ?c . ?c a osce:ParticipatingState ; owl:sameAs ?country }} }} }}
}}""",
}


def _qid(iri: str | None) -> str | None:
    return iri[len(WD):] if iri and iri.startswith(str(WD)) else None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def open_store(data: Path) -> ox.Store:
    """The build's store (``{data}/store``), read-only."""
    try:
        return ox.Store.read_only(str(data / "store"))
    except OSError as e:
        raise LinkFailed(f"cannot open the build's store {data / 'store'} (run kg build first): {e}") from None


def subjects(store: ox.Store, kinds: Iterable[str] = KINDS, minter: Minter = Minter()) -> list[Subject]:
    """The store's people, organisations and places without ``owl:sameAs``, with their context."""
    countries = _country_names(minter)
    named: dict[str, set[str]] = {}  # role → QIDs of the countries it names (roles repeat across releases)
    out: dict[str, Subject] = {}
    for kind in kinds:
        solutions = store.query(GRAPH_QUERIES[kind], use_default_graph_as_union=True)
        names = [var.value for var in solutions.variables]
        for row in solutions:
            v = {name: (row[name].value if row[name] is not None else None) for name in names}
            s = out.setdefault(v["e"], Subject(v["e"], kind, v["name"], {v["name"]}))
            for key in ("alias", "acronym"):
                if v.get(key):
                    s.names.add(v[key])
            if v.get("acronym"):
                s.acronyms.add(v["acronym"])
            if v.get("role"):
                s.roles.add(v["role"])
                if v["role"] not in named:
                    role = normalise(v["role"])
                    named[v["role"]] = {q for name, q in countries if re.search(rf"\b{re.escape(name)}\b", role)}
                s.countries |= named[v["role"]]
            if (d := _day(v.get("date"))) is not None:
                s.dates.add(d)
            for key, target in (("country", s.countries), ("parent", s.parents)):
                if (q := _qid(v.get(key))) is not None:
                    target.add(q)
    return sorted(out.values(), key=lambda s: (s.kind, s.iri))


def _country_names(minter: Minter) -> list[tuple[str, str]]:
    """(normalised name, QID) of every country of the reference graph: labels, aliases and demonyms."""
    return [(normalise(n), e.wikidata) for e in Gazetteer.load(minter).entities
            if e.category == "country" and e.wikidata for n in (e.label, *e.aliases, *e.demonyms) if len(n) > 3]


# --- asking Wikidata ----------------------------------------------------------------------------------

def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); ``default`` without one."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return default


@dataclass
class Client:
    """A polite SPARQL client: one request at a time, a descriptive User-Agent, backing off on 429 and 503
    for ``Retry-After`` seconds (else 2, 4, 8 … s), at most ``retries`` times and ``max_wait`` s per wait."""

    endpoint: str = DEFAULT_ENDPOINT
    agent: str = USER_AGENT
    retries: int = 5
    max_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0

    def select(self, query: str) -> list[dict[str, str]]:
        """The rows of a SELECT as {variable: value}."""
        attempt = 0
        while True:
            w = SPARQLWrapper(self.endpoint, agent=self.agent)
            w.setQuery(query)
            w.setMethod(POST)
            w.setReturnFormat(JSON)
            self.requests += 1
            try:
                result = w.queryAndConvert()
            except urllib.error.HTTPError as e:
                if e.code not in (429, 503) or attempt == self.retries:
                    raise LinkFailed(f"{self.endpoint} answered {e.code} {e.reason}") from None
                wait = min(retry_after(e.headers.get("Retry-After"), 2.0 ** (attempt + 1)), self.max_wait)
                print(f"kg link: {self.endpoint} answered {e.code}; waiting {wait:g} s", file=sys.stderr)
                self.sleep(wait)
                attempt += 1
                continue
            except (urllib.error.URLError, SPARQLWrapperException, OSError) as e:
                raise LinkFailed(f"{self.endpoint}: {' '.join(str(e).split())}") from None
            return [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]


_WD_PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/> PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/> PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX schema: <http://schema.org/>
"""
_NAMED = """{ ?item rdfs:label ?name BIND("label" AS ?how) } UNION { ?item skos:altLabel ?name BIND("alias" AS ?how) }
  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "en") }
  OPTIONAL { ?item schema:description ?description FILTER(LANG(?description) = "en") }"""
WIKIDATA_QUERIES = {
    "person": _WD_PREFIXES + """SELECT ?name ?item ?how ?label ?description ?citizenship ?position ?positionLabel
  ?start ?end ?birth ?death WHERE {
  VALUES ?name { %s }
  """ + _NAMED + """
  ?item wdt:P31 wd:Q5 .
  OPTIONAL { ?item wdt:P27 ?citizenship }
  OPTIONAL { ?item p:P39 ?held . ?held ps:P39 ?position .
    OPTIONAL { ?held pq:P580 ?start } OPTIONAL { ?held pq:P582 ?end }
    OPTIONAL { ?position rdfs:label ?positionLabel FILTER(LANG(?positionLabel) = "en") } }
  OPTIONAL { ?item wdt:P569 ?birth } OPTIONAL { ?item wdt:P570 ?death }
}""",
    "organisation": _WD_PREFIXES + """SELECT ?name ?item ?how ?label ?description ?country ?parent WHERE {
  VALUES ?name { %s }
  """ + _NAMED + """
  ?item wdt:P31/wdt:P279* wd:Q43229 .
  OPTIONAL { ?item wdt:P17 ?country }
  OPTIONAL { ?item wdt:P361|wdt:P749 ?parent }
}""",
    "place": _WD_PREFIXES + """SELECT ?name ?item ?how ?label ?description ?country WHERE {
  VALUES ?name { %s }
  """ + _NAMED + """
  ?item wdt:P31/wdt:P279* wd:Q486972 .
  OPTIONAL { ?item wdt:P17 ?country }
}""",
}


def _literal(text: str, lang: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}'


def wikidata_query(kind: str, names: Iterable[str]) -> str:
    """The query for a batch of names of one kind (English and language-neutral ``mul`` labels)."""
    values = " ".join(_literal(n, lang) for n in sorted(set(names)) for lang in ("en", "mul"))
    return WIKIDATA_QUERIES[kind] % values


@dataclass
class Facts:
    """What the endpoint said about one candidate item."""

    qid: str
    label: str = ""
    description: str = ""
    matched: dict[str, str] = field(default_factory=dict)   # name → "label" | "alias"
    citizenships: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    positions: set[tuple[str, str, date | None, date | None]] = field(default_factory=set)  # (QID, label, start, end)
    birth: date | None = None
    death: date | None = None


def facts(rows: list[dict[str, str]]) -> dict[str, Facts]:
    """Rows of a Wikidata query → QID → Facts."""
    out: dict[str, Facts] = {}
    for r in rows:
        qid = _qid(r.get("item"))
        if qid is None:
            continue
        f = out.setdefault(qid, Facts(qid))
        f.label = f.label or r.get("label", "")
        f.description = f.description or r.get("description", "")
        if f.matched.get(r["name"]) != "label":
            f.matched[r["name"]] = r.get("how", "alias")
        for key, target in (("citizenship", f.citizenships), ("country", f.countries), ("parent", f.parents)):
            if (q := _qid(r.get(key))) is not None:
                target.add(q)
        if (q := _qid(r.get("position"))) is not None:
            f.positions.add((q, r.get("positionLabel", q), _day(r.get("start")), _day(r.get("end"))))
        f.birth, f.death = f.birth or _day(r.get("birth")), f.death or _day(r.get("death"))
    return out


# --- scoring -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    points: int
    reasons: tuple[str, ...]
    statements: tuple[str, ...]


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", normalise(text)) if t and t not in _STOP}


def fits_role(position: str, roles: Iterable[str]) -> bool:
    """Whether a position's label and one of the graph's role names share at least two words and most of
    the shorter one's words ("Minister for Foreign Affairs of Malta" ~ "OSCE Chair-in-Office, Minister
    for Foreign and European Affairs and Trade of Malta")."""
    p = _tokens(position)
    for role in roles:
        r = _tokens(role)
        shared = len(p & r)
        if shared >= 2 and shared >= 0.6 * min(len(p), len(r)):
            return True
    return False


def _span(start: date | None, end: date | None) -> str:
    return f"{start or '?'}–{end or ''}"


def _name_points(s: Subject, f: Facts, label: int, alias: int, acronym: int | None = None) -> tuple[int, str]:
    """Points for how the names met: a full name as the item's label, as an alias, or only an acronym."""
    hits = {n: how for n, how in f.matched.items() if n in s.names}
    full = {n: how for n, how in hits.items() if n not in s.acronyms}
    if acronym is not None and not full:
        return acronym, f"only the acronym {min(hits)!r} matches"
    if "label" in full.values():
        return label, f"the name is the label {min(n for n, how in full.items() if how == 'label')!r}"
    return alias, f"the name {min(full or hits)!r} is an alias"


def _country_points(ours: set[str], theirs: set[str], fit: int, miss: int, what: str) -> tuple[int, list[str]]:
    if not ours or not theirs:
        return 0, []
    if ours & theirs:
        return fit, [f"{what} {', '.join(sorted(ours & theirs))} fits"]
    return miss, [f"{what} {', '.join(sorted(theirs))} is none of {', '.join(sorted(ours))}"]


def score_person(s: Subject, f: Facts) -> Score:
    points, why = _name_points(s, f, 40, 30)
    reasons, statements = [why], ["P31 Q5"] + [f"P27 {q}" for q in sorted(f.citizenships)]
    held = [(q, lab, a, b) for q, lab, a, b in sorted(f.positions, key=str)
            if a is not None and any(a <= d and (b is None or d <= b) for d in s.dates)]
    fitting = [p for p in held if fits_role(p[1], s.roles)]
    if fitting:
        points += 40
        reasons.append(f"held {fitting[0][1]!r} ({_span(*fitting[0][2:])}) on the graph's dates, fits its role")
    elif held:
        points += 20
        reasons.append(f"held {held[0][1]!r} ({_span(*held[0][2:])}) on the graph's dates")
    elif any(fits_role(lab, s.roles) for _, lab, _, _ in f.positions):
        q, lab, a, b = next(p for p in sorted(f.positions, key=str) if fits_role(p[1], s.roles))
        reasons.append(f"{lab!r} ({_span(a, b)}) fits the role but not the dates")
    statements += [f"P39 {q} {lab!r} {_span(a, b)}" for q, lab, a, b in sorted(f.positions, key=str)
                   if fits_role(lab, s.roles) or (q, lab, a, b) in held]
    p, r = _country_points(s.countries, f.citizenships, 20, -20, "citizenship")
    points, reasons = points + p, reasons + r
    first = min(s.dates, default=None)
    if first and ((f.death and f.death < first) or (f.birth and f.birth.year > first.year - 16)):
        points = min(points, 10)
        reasons.append(f"born {f.birth or '?'}, died {f.death or '-'}: not active on {first}")
    statements += [f"P569 {f.birth}"] * bool(f.birth) + [f"P570 {f.death}"] * bool(f.death)
    return Score(min(points, 100), tuple(reasons), tuple(statements))


def score_organisation(s: Subject, f: Facts) -> Score:
    points, why = _name_points(s, f, 60, 50, acronym=25)
    reasons, statements = [why], ["P31/P279* Q43229"]
    if s.parents & f.parents:
        points += 30
        reasons.append(f"part of {', '.join(sorted(s.parents & f.parents))}, as in the graph")
    p, r = _country_points(s.countries, f.countries, 20, -20, "country")
    statements += [f"P361|P749 {q}" for q in sorted(f.parents)] + [f"P17 {q}" for q in sorted(f.countries)]
    return Score(max(0, min(points + p, 100)), tuple(reasons + r), tuple(statements))


def score_place(s: Subject, f: Facts) -> Score:
    points, why = _name_points(s, f, 50, 40)
    p, r = _country_points(s.countries, f.countries, 40, -30, "country")
    statements = ["P31/P279* Q486972"] + [f"P17 {q}" for q in sorted(f.countries)]
    return Score(max(0, min(points + p, 100)), (why, *r), tuple(statements))


SCORERS = {"person": score_person, "organisation": score_organisation, "place": score_place}


def decide(scored: list[tuple[Facts, Score]]) -> list[tuple[str, str]]:
    """(status, note) of one entity's candidates (best first): the best is accepted when it reaches
    ``ACCEPT`` and leads the next by ``MARGIN``; the others are review from ``REVIEW`` up, else rejected."""
    best = scored[0][1].points if scored else 0
    second = scored[1][1].points if len(scored) > 1 else 0
    if best >= ACCEPT and best - second >= MARGIN:
        return [("accepted", "")] + [("rejected", "; another candidate accepted")] * (len(scored) - 1)
    if best >= ACCEPT:
        return [("review" if sc.points >= REVIEW else "rejected", f"; ambiguous: {len(scored)} candidates within "
                 f"{MARGIN} points" if sc.points >= ACCEPT else "") for _, sc in scored]
    return [("review" if sc.points >= REVIEW else "rejected", "") for _, sc in scored]


# --- the run -------------------------------------------------------------------------------------------

def _batches(items: list[Subject], size: int) -> Iterator[list[Subject]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def reconcile(items: list[Subject], client: Client, today: str, batch: int = BATCH,
              taken: dict[str, str] | None = None) -> list[Link]:
    """Candidate links for ``items``, scored and decided, one query per batch of names of one kind. A QID
    ``taken`` by another entity of the graph (QID → its IRI) is rejected whatever its score."""
    taken = taken or {}
    out: list[Link] = []
    for kind in KINDS:
        for group in _batches([s for s in items if s.kind == kind], batch):
            found = facts(client.select(wikidata_query(kind, {n for s in group for n in s.names})))
            for s in group:
                candidates = [f for f in found.values() if s.names & f.matched.keys()]
                scored = sorted(((f, SCORERS[kind](s, f)) for f in candidates),
                                key=lambda p: (-p[1].points, p[0].qid))
                free = [p for p in scored if p[0].qid not in taken]
                decided = dict(zip((f.qid for f, _ in free), decide(free)))
                for f, sc in scored:
                    status, note = decided.get(f.qid) or ("rejected", f"; already the QID of {taken[f.qid]}")
                    out.append(Link(s.iri, kind, s.name, f.qid, f.label, f.description, sc.points, status,
                                    "; ".join(sc.reasons) + note, client.endpoint, today, " | ".join(sc.statements)))
    return out


def linked(store: ox.Store) -> dict[str, str]:
    """QID → the entity of the graph that already has it (``owl:sameAs``)."""
    query = "SELECT ?e ?w WHERE { ?e <http://www.w3.org/2002/07/owl#sameAs> ?w }"
    return {q: row["e"].value for row in store.query(query, use_default_graph_as_union=True)
            if (q := _qid(row["w"].value)) is not None}


def merge(old: list[Link], new: list[Link]) -> list[Link]:
    """The table after a run: every old row as it was (its status is a decision), the new candidates
    added; a new accepted row for an entity that already has an accepted row is left for review."""
    keys = {k.key for k in old}
    decided = {local(k.entity) for k in old if k.status == "accepted"}
    out = list(old)
    for k in new:
        if k.key in keys:
            continue
        if k.status == "accepted" and local(k.entity) in decided:
            k = replace(k, status="review", reason=k.reason + "; the entity already has an accepted QID")
        out.append(k)
    return out


def main(args: argparse.Namespace) -> int:
    agent = USER_AGENT if not args.contact else USER_AGENT[:-1] + f"; {args.contact})"
    try:
        old = read_links(args.table)
        store = open_store(args.data)
        items = subjects(store, args.kinds, Minter(args.base))
        client = Client(args.endpoint, agent, retries=args.retries)
        new = reconcile(items, client, date.today().isoformat(), args.batch, linked(store))
        table = merge(old, new)
        write_links(table, args.table)
    except (LinkFailed, LinkTableError) as e:
        print(f"kg link: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"kg link: cannot write {args.table}: {e.strerror or e}", file=sys.stderr)
        return 1
    counts = {k: sum(1 for s in items if s.kind == k) for k in KINDS}
    status = {st: sum(1 for k in table if k.status == st) for st in ("accepted", "review", "rejected")}
    print(f"kg link: {counts['person']} people, {counts['organisation']} organisations, {counts['place']} places "
          f"without a QID asked in {client.requests} requests; {len(new)} candidates, {len(table) - len(old)} new rows; "
          f"table: {status['accepted']} accepted, {status['review']} to review, {status['rejected']} rejected "
          f"({args.table})", file=sys.stderr)
    return 0
