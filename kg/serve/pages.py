"""The pages a person sees: the landing page, an entity's page, the SPARQL editor, a helpful 404.

Every figure comes from SPARQL through the request's build (``current_build``); links to IRIs the project mints are
rewritten to this server's local paths (``{base}id/X`` → ``/page/X``), whatever host it runs on.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kg.iris import ONTOLOGY_IRI, WD
from kg.paths import ONTOLOGY_DIR, ROOT
from kg.publish import prefixes
from kg.serve import people
from kg.serve.builds import current_build
from kg.serve.engine import JSON_RESULTS, QueryError

HERE = Path(__file__).resolve().parent
QUERIES_DIR = ONTOLOGY_DIR / "queries"
YASGUI_DIR = ROOT / "web" / "node_modules" / "@zazuko" / "yasgui" / "build"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
router = APIRouter()
log = logging.getLogger("kg.serve")
router.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
router.mount("/assets/yasgui", StaticFiles(directory=YASGUI_DIR, check_dir=False), name="yasgui")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "https://schema.org/"
# Properties that name a thing, best first; the later ones describe parts of a release (quotes, roles).
LABEL_PROPS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    SCHEMA + "name",
    SCHEMA + "headline",
    "http://purl.org/dc/terms/title",
    SCHEMA + "text",
    SCHEMA + "roleName",
)
SAME_AS = ("http://www.w3.org/2002/07/owl#sameAs", "http://www.w3.org/2004/02/skos/core#closeMatch",
           "http://www.w3.org/2004/02/skos/core#exactMatch")
LOCAL_PREFIXES = ("id/", "dumps/", "dataset", "sparql")  # minted IRIs this server answers
MAX_OUT, MAX_IN, MAX_LABEL = 2000, 1000, 140
LISTING_LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", SCHEMA + "name", SCHEMA + "headline")
DATA_FORMATS = (("Turtle", "ttl", "text/turtle"), ("JSON-LD", "jsonld", "application/ld+json"),
                ("N-Triples", "nt", "application/n-triples"))
# More sections of an entity's page, by template variable: (request, path after /page/) → context or None.
# ``kg.serve.search`` adds ``releases`` (the releases naming the entity, from the text index).
SECTIONS: dict[str, Callable[[Request, str], Awaitable[dict[str, Any] | None]]] = {}
# Incoming links that a section, when shown, lists better (dated, paginated): not listed again.
LISTED_BY = {
    "releases": (SCHEMA + "mentions", SCHEMA + "sourceOrganization"),
    "person": (SCHEMA + "spokenByCharacter", SCHEMA + "creator", SCHEMA + "mainEntity", ONTOLOGY_IRI + "#holder"),
}
QUOTATIONS_PAGE_SIZE = 20


# --- IRIs and labels --------------------------------------------------------------------------------

def local_href(iri: str, base: str) -> str | None:
    """Where a link to ``iri`` goes on this server, an external URL, or None when nothing answers it."""
    if iri.startswith(ONTOLOGY_IRI):
        return "/ontology" + iri[len(ONTOLOGY_IRI):]
    if iri.startswith(base):
        rest = iri[len(base):]
        if rest.startswith("id/"):
            return "/page/" + rest[3:]
        if rest == "dataset" or rest.startswith("dataset/"):
            return "/void"
        return "/" + rest if rest.startswith(LOCAL_PREFIXES) else None
    return iri if iri.startswith(("http://", "https://")) else None


def curie(iri: str, base: str) -> str:
    """``schema:mentions`` for known namespaces, the IRI itself otherwise."""
    for name, ns in sorted(prefixes(base).items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{name}:{iri[len(ns):]}"
    return iri


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pick_labels(rows: Iterable[dict[str, str | None]]) -> dict[str, str]:
    """Best label per IRI from ``(x, p, l, lang)`` rows: by ``LABEL_PROPS`` order, English or untagged first."""
    ranked: dict[str, tuple[int, int, str]] = {}
    for row in rows:
        x, p, label = row.get("x"), row.get("p"), row.get("l")
        if not (x and p and label) or p not in LABEL_PROPS:
            continue
        lang = (row.get("lang") or "").lower()
        rank = (LABEL_PROPS.index(p), 0 if lang in ("", "en") or lang.startswith("en-") else 1)
        if x not in ranked or rank < ranked[x][:2]:
            ranked[x] = (*rank, label)
    out = {}
    for x, (prop, _, label) in ranked.items():
        quoted = LABEL_PROPS[prop] == SCHEMA + "text"
        out[x] = f"“{shorten(label)}”" if quoted else shorten(label)
    return out


def iri_list(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris if ">" not in i and " " not in i)


async def labels(engine: Any, iris: Iterable[str]) -> dict[str, str]:
    """Labels of ``iris`` (names, headlines, quotations; a role is labelled by its holder and role name)."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    props = ", ".join(f"<{p}>" for p in LABEL_PROPS)
    rows = await engine.select(  # FILTER, not a second VALUES: Oxigraph would join the two blocks first
        f"SELECT ?x ?p ?l (LANG(?l) AS ?lang) WHERE {{ VALUES ?x {{ {iri_list(wanted)} }} "
        f"?x ?p ?l FILTER(?p IN ({props})) }}")
    found = pick_labels(rows)
    roles = await engine.select(
        f"SELECT ?x ?who ?role WHERE {{ VALUES ?x {{ {iri_list(x for x in wanted)} }} "
        f"?x <{SCHEMA}mainEntity>/<{SCHEMA}name> ?who OPTIONAL {{ ?x <{SCHEMA}roleName> ?role }} }}")
    for row in roles:
        who, role = row.get("who"), row.get("role")
        found[row["x"]] = f"{who} ({role})" if role else str(who)
    return found


# --- the entity page ---------------------------------------------------------------------------------

@dataclass
class Value:
    """One value shown on a page: a link (``href``) with a label, or a literal."""

    text: str
    href: str | None = None
    iri: str | None = None
    note: str | None = None     # datatype or language of a literal
    long: bool = False


@dataclass
class Group:
    prop: str
    label: str
    href: str | None
    values: list[Value] = field(default_factory=list)
    total: int = 0
    more: str | None = None     # a /query link listing all of them


@dataclass
class Entity:
    iri: str
    label: str
    types: list[Value]
    wikidata: list[Value]
    properties: list[Group]
    incoming: list[Group]
    data_links: dict[str, tuple[str, str]]


def _value(row: dict[str, str | None], key: str, base: str, names: dict[str, str]) -> Value:
    o = row[key] or ""
    if row.get("isIri") == "true":
        return Value(names.get(o) or curie(o, base), local_href(o, base), o)
    if row.get("isBlank") == "true":
        return Value("(blank node)")
    note = row.get("lang") or (curie(row["dt"], base) if row.get("dt") else None)
    if note == "xsd:string":
        note = None
    return Value(o, note=note, long=len(o) > 300 or "\n" in o)


async def describe(engine: Any, iri: str, base: str) -> Entity | None:
    """Everything an entity page shows, or None when the store has no triple about ``iri``."""
    out = await engine.select(
        f"SELECT DISTINCT ?p ?o (isIRI(?o) AS ?isIri) (isBlank(?o) AS ?isBlank) (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?lang) "
        f"WHERE {{ <{iri}> ?p ?o OPTIONAL {{ ?o <{SCHEMA}position> ?n }} }} ORDER BY ?p ?n ?o LIMIT {MAX_OUT}")
    inc = await engine.select(
        f"SELECT DISTINCT ?s ?p ?parent WHERE {{ ?s ?p <{iri}> FILTER(isIRI(?s)) "
        f"OPTIONAL {{ ?s <{SCHEMA}datePublished> ?date }} OPTIONAL {{ ?s <{SCHEMA}isPartOf> ?parent }} }} "
        f"ORDER BY ?p DESC(?date) ?s LIMIT {MAX_IN}")
    if not out and not inc:
        return None
    counts = {r["p"]: int(r["n"] or 0) for r in await engine.select(
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p <{iri}> }} GROUP BY ?p")}
    mentioned = {iri} | {r["p"] for r in out} | {r["p"] for r in inc}
    mentioned |= {r["o"] for r in out if r.get("isIri") == "true"}
    mentioned |= {r["s"] for r in inc} | {r["parent"] for r in inc if r.get("parent")}
    names = await labels(engine, (m for m in mentioned if m))

    def group(prop: str) -> Group:
        return Group(prop, names.get(prop) or curie(prop, base), local_href(prop, base))

    props: dict[str, Group] = {}
    types, wikidata = [], []
    for row in out:
        v = _value(row, "o", base, names)
        if row["p"] == RDF_TYPE:
            types.append(v)
        if row["p"] in SAME_AS and (row["o"] or "").startswith(str(WD)):
            wikidata.append(Value(row["o"].rsplit("/", 1)[-1], row["o"], row["o"]))
        props.setdefault(row["p"], group(row["p"])).values.append(v)
    incoming: dict[str, Group] = {}
    linked = {r["o"] for r in out if r.get("isIri") == "true"}
    for row in inc:
        if row["s"] in linked:  # already listed among the properties (a release's paragraphs)
            counts[row["p"]] = counts.get(row["p"], 1) - 1
            continue
        v = Value(names.get(row["s"]) or curie(row["s"], base), local_href(row["s"], base), row["s"])
        parent = row.get("parent")
        if parent and parent != iri:
            v.note = names.get(parent) or curie(parent, base)
        incoming.setdefault(row["p"], group(row["p"])).values.append(v)
    for prop, g in incoming.items():
        g.total = counts.get(prop, len(g.values))
        if g.total > len(g.values):
            g.more = "/query?" + urlencode({"query": f"SELECT ?s WHERE {{ ?s <{prop}> <{iri}> }}"})
    merged: dict[tuple[str | None, ...], Group] = {}
    for g in incoming.values():  # one list for properties that link the same things (creator, spokenByCharacter)
        same = merged.setdefault(tuple(v.iri for v in g.values), g)
        if same is not g:
            same.label, same.href = f"{same.label}, {g.label}", None
    for g in props.values():
        g.total = len(g.values)
    label = names.get(iri) or iri.rstrip("/").rsplit("/", 1)[-1]
    return Entity(iri, label, await most_specific(engine, types), wikidata, sorted(props.values(), key=_order),
                  sorted(merged.values(), key=_order), {})


async def most_specific(engine: Any, types: list[Value]) -> list[Value]:
    """``types`` without those that are superclasses of another of them (the badges under a title)."""
    iris = [t.iri for t in types if t.iri]
    if len(iris) < 2:
        return types
    rows = await engine.select(f"SELECT DISTINCT ?super WHERE {{ VALUES ?sub {{ {iri_list(iris)} }} "
                               f"?sub <http://www.w3.org/2000/01/rdf-schema#subClassOf>+ ?super }}")
    supers = {r["super"] for r in rows}
    return [t for t in types if t.iri not in supers]


def _order(g: Group) -> tuple[int, str]:
    first = (RDF_TYPE, *LABEL_PROPS, SCHEMA + "datePublished")
    return (first.index(g.prop) if g.prop in first else len(first), g.label.lower())


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def not_found(request: Request, iri: str, what: str = "No triple in this dataset has this IRI as its "
              "subject or object.") -> HTMLResponse:
    """The helpful 404 page for an IRI the store knows nothing about."""
    kind = iri.split("/id/", 1)[1].split("/", 1)[0] if "/id/" in iri else ""
    # only labelled things, no grouping or ordering, so the engine stops at 100 (20,000 releases: 8 s -> 0.2 s)
    q = (f"SELECT ?thing ?label WHERE {{\n  VALUES ?p {{ {' '.join(f'<{p}>' for p in LISTING_LABELS)} }}\n"
         f"  ?thing ?p ?label .\n  FILTER(STRSTARTS(STR(?thing), \"{iri.rsplit('/', 1)[0]}/\"))\n}}\nLIMIT 100")
    return render(request, "404.html", 404, title="Not found", iri=iri, what=what, kind=kind,
                  search="/query?" + urlencode({"query": q}))


def settings_base(request: Request) -> str:
    base = str(request.app.state.settings.base)
    return base if base.endswith("/") else base + "/"


@router.api_route("/page/{path:path}", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def entity_page(request: Request, path: str) -> Response:
    base = settings_base(request)
    iri = f"{base}id/{path}"
    entity = await describe(current_build(request).engine, iri, base)
    if entity is None:
        return not_found(request, iri)
    entity.data_links = {name: (f"/data/{quote(path)}.{ext}", media) for name, ext, media in DATA_FORMATS}
    links = ", ".join(f'<{href}>; rel="alternate"; type="{media}"' for href, media in entity.data_links.values())
    sections = {name: await section(request, path) for name, section in SECTIONS.items()}
    listed = {p for name, props in LISTED_BY.items() if sections.get(name) for p in props}
    entity.incoming = [g for g in entity.incoming if g.prop not in listed]
    response = render(request, "entity.html", title=entity.label, entity=entity, id_path=f"/id/{path}", **sections)
    response.headers["Link"] = links
    return response


@dataclass(frozen=True)
class Pager:
    """Pages of a section listed ``?{param}=N#{anchor}``; the request's other parameters are kept."""

    page: int
    pages: int
    param: str
    anchor: str
    others: tuple[tuple[str, str], ...] = ()

    def href(self, page: int) -> str:
        params = [*self.others, *([(self.param, str(page))] if page > 1 else [])]
        return "?" + urlencode(params) + "#" + self.anchor


def page_number(request: Request, param: str = "page") -> int:
    """The page asked for with ``param`` (1 when absent or not a positive number)."""
    try:
        return max(1, int(request.query_params.get(param, "1")))
    except ValueError:
        return 1


def pager(request: Request, param: str, anchor: str, total: int, size: int) -> Pager:
    others = tuple((k, v) for k, v in request.query_params.multi_items() if k != param)
    return Pager(page_number(request, param), max(1, -(-total // size)), param, anchor, others)


async def person_section(request: Request, path: str) -> dict[str, Any] | None:
    """A person's roles over time and a page of their quotations (``?quotes=N``), newest first."""
    if not path.startswith("person/"):
        return None
    base = settings_base(request)
    iri, engine = f"{base}id/{path}", current_build(request).engine
    spans, total = await people.roles(engine, iri), await people.quotation_count(engine, iri)
    if not spans and not total:
        return None
    pages = pager(request, "quotes", "quotations", total, QUOTATIONS_PAGE_SIZE)
    quotes = await people.quotations(engine, iri, pages.page, QUOTATIONS_PAGE_SIZE) if total else []
    return {"roles": spans, "quotations": quotes, "total": total, "pager": pages,
            "link": lambda i: local_href(i, base) if i else None}


SECTIONS["person"] = person_section


# --- the landing page --------------------------------------------------------------------------------

COUNTS = {  # figure → SPARQL pattern counted with COUNT(DISTINCT ?x)
    "releases": f"?x a <{SCHEMA}NewsArticle>",
    "participating States": f"?x a <{ONTOLOGY_IRI}#ParticipatingState>",
    "people": f"?x a <{SCHEMA}Person>",
    "quotations": f"?x a <{SCHEMA}Quotation>",
}
# Only releases have a publication date: one index scan, no join (20,000 releases: 350 -> 40 ms).
PER_YEAR = (f"SELECT ?year (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r <{SCHEMA}datePublished> ?d "
            f"BIND(SUBSTR(STR(?d), 1, 4) AS ?year) }} GROUP BY ?year ORDER BY ?year")
# The most mentioned participating States count only releases dated while the State took part (its
# dated osce:Participation: Mongolia, a Partner in 2008, counts from 2012). Joining every mention with
# its release's date takes 1.8 s on Oxigraph at 20,000 releases, so the landing page counts every
# mention of the States (40 ms) and takes off the mentions dated outside a participation, looked for
# only among the States that joined after the first year of releases or left (80 ms).
STATE_MENTIONS = (f"SELECT ?s (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?s a <{ONTOLOGY_IRI}#ParticipatingState> . "
                  f"?r <{SCHEMA}mentions> ?s }} GROUP BY ?s")
OUTSIDE_PARTICIPATION = (
    f"SELECT ?s (COUNT(DISTINCT ?r) AS ?n) WHERE {{ {{ "
    f"?s <{ONTOLOGY_IRI}#hasParticipation> ?p . ?p <{ONTOLOGY_IRI}#startDate> ?start . "
    f"FILTER(?start > \"{{first}}-01-01\"^^<http://www.w3.org/2001/XMLSchema#date>) "
    f"?r <{SCHEMA}mentions> ?s . ?r <{SCHEMA}datePublished> ?d FILTER(?d < ?start) }} UNION {{ "
    f"?s <{ONTOLOGY_IRI}#hasParticipation> ?p . ?p <{ONTOLOGY_IRI}#endDate> ?end . "
    f"?r <{SCHEMA}mentions> ?s . ?r <{SCHEMA}datePublished> ?d FILTER(?d > ?end) }} }} GROUP BY ?s")


async def top_states(engine: Any, first_year: str, limit: int = 10) -> list[tuple[str, int]]:
    """(State IRI, releases mentioning it while it took part), most first, then by IRI."""
    counts = Counter({r["s"]: int(r["n"] or 0) for r in await engine.select(STATE_MENTIONS) if r.get("s")})
    if first_year.isdigit():
        counts.subtract({r["s"]: int(r["n"] or 0)
                         for r in await engine.select(OUTSIDE_PARTICIPATION.replace("{first}", first_year))})
    return sorted(((s, n) for s, n in counts.items() if n > 0), key=lambda sn: (-sn[1], sn[0]))[:limit]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(series: list[tuple[str, int]], width: int = 640, height: int = 200) -> list[Bar]:
    """Bars of an SVG chart for ``(year, count)``, years without releases filled in as zero-height bars."""
    if not series:
        return []
    known = dict(series)
    years = [str(y) for y in range(int(series[0][0]), int(series[-1][0]) + 1)] \
        if all(y.isdigit() for y, _ in series) else [y for y, _ in series]
    top = max(known.values()) or 1
    step = width / len(years)
    return [Bar(y, known.get(y, 0), round(i * step + step * 0.1, 1), round(height - known.get(y, 0) / top * height, 1),
                round(step * 0.8, 1), round(known.get(y, 0) / top * height, 1)) for i, y in enumerate(years)]


async def figures(engine: Any, base: str) -> dict[str, Any]:
    """The landing page's figures: counts, the per-year chart's bars, the most mentioned States."""
    counts = {}
    for name, pattern in COUNTS.items():
        rows = await engine.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")
        counts[name] = int(rows[0]["n"] or 0) if rows else 0
    years = [(r["year"], int(r["n"])) for r in await engine.select(PER_YEAR) if r.get("year")]
    top = await top_states(engine, years[0][0] if years else "")
    names = await labels(engine, (s for s, _ in top))
    states = [Value(names.get(s) or curie(s, base), local_href(s, base), s, note=str(n)) for s, n in top]
    return {"counts": counts, "bars": bar_chart(years), "states": states}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def landing(request: Request) -> HTMLResponse:
    shapes = (current_build(request).path / "ontology" / "shapes.html").is_file()
    return render(request, "index.html", title="OSCE press releases as linked data", examples=examples()[:4],
                  shapes=shapes, **await figures(current_build(request).engine, settings_base(request)))


async def warm(engine: Any, base: str) -> None:
    """Ask the landing page's and the example queries' questions once, so that a result cache holds
    them; failures are only logged (the same query will fail again for whoever asks it)."""
    try:
        await figures(engine, base)
    except QueryError as e:
        log.warning("kg serve: warming the landing page: %s", e)
    for example in examples():
        try:
            await engine.query(example.query, accept=JSON_RESULTS)
        except QueryError as e:
            log.warning("kg serve: warming example %s: %s", example.name, e)


# --- the SPARQL editor -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    name: str
    title: str
    description: str
    query: str


def read_example(path: Path) -> Example:
    """An example query file: leading ``#`` lines give its title (first) and description (the rest)."""
    text = path.read_text(encoding="utf-8")
    head = [line[1:].strip() for line in takewhile(lambda ln: ln.startswith("#"), text.splitlines())]
    head = [h for h in head if h] or [path.stem]
    return Example(path.stem, head[0], " ".join(head[1:]), text)


def examples() -> list[Example]:
    return [read_example(p) for p in sorted(QUERIES_DIR.glob("*.rq"))]


def yasgui_available() -> bool:
    return (YASGUI_DIR / "yasgui.min.js").is_file() and (YASGUI_DIR / "yasgui.min.css").is_file()


async def run_for_form(engine: Any, sparql: str) -> dict[str, Any]:
    """A query's result for the plain form: a table for SELECT, a yes/no for ASK, text for graphs."""
    try:
        result = await engine.query(sparql, accept=JSON_RESULTS)  # graph results come back as Turtle
    except QueryError as err:
        return {"error": " ".join(str(err).split()) or type(err).__name__}
    body = result.body.decode("utf-8", "replace")
    if "json" not in result.media_type:
        return {"text": body}
    data = json.loads(body)
    if "boolean" in data:
        return {"boolean": data["boolean"]}
    head = data["head"]["vars"]
    return {"head": head, "rows": [[row.get(v, {}).get("value") for v in head]
                                   for row in data["results"]["bindings"]]}


@router.get("/query", response_class=HTMLResponse, include_in_schema=False)
async def query_page(request: Request, query: str | None = None, example: str | None = None,
                     editor: str | None = None) -> HTMLResponse:
    """YASGUI when ``web/node_modules`` holds it; else, or with ``editor=plain``, a form whose results render here."""
    items = examples()
    chosen = next((e.query for e in items if e.name == example), None)
    run = bool(query or chosen)
    query = query or chosen or (items[0].query if items else "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    yasgui = yasgui_available() and editor != "plain"
    result = await run_for_form(current_build(request).engine, query) if run and not yasgui else None
    base = settings_base(request)
    return render(request, "query.html", title="SPARQL query", examples=items, query=query, run=run,
                  yasgui=yasgui, plain=editor == "plain", result=result, base=base, ontology=ONTOLOGY_IRI,
                  examples_json=json.dumps({e.name: e.query for e in items}).replace("</", "<\\/"),
                  href=lambda v: local_href(v, base) if re.match(r"https?://", v) else None)
