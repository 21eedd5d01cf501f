"""``/reconcile``: the W3C Entity Reconciliation API 0.2 (as OpenRefine speaks it) over the served graph.

What can be matched: people, participating States, Partners for Co-operation, field operations,
institutions and other OSCE structures (not posts or chairpersonships), outside organisations, places
and territories (Kosovo), read through the request's engine with seven small SPARQL queries (answered
from the result cache while the build lasts; the index made from them is kept while their ETags stay
the same). Candidate ids are the graph's IRIs; an entity's Wikidata QID is its ``wikidata`` property,
in its description and on its preview.

Scores (0-100): the query is a label or alias as written: 100; the same after case, diacritics,
punctuation and a leading "the" are folded (``kg.reference.normalise``): 90; else the share of words in
common (Jaccard) × 80, when at least one word is shared. Property constraints (``wikidata``, ``country``,
``acronym``, ``role``) weigh the name score by the share of properties that fit (× 0.6-1.0). ``match`` is
true only for a candidate of at least 90 whose properties all fit and whose nearest rival stays below 90.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kg import __version__
from kg.iris import ONTOLOGY_IRI, WD
from kg.reference import normalise
from kg.serve.engine import JSON_RESULTS, QueryError

from kg.serve.builds import current_build

router = APIRouter(prefix="/reconcile")

OSCE, SCHEMA = ONTOLOGY_IRI + "#", "https://schema.org/"
PREFIXES = {"osce:": OSCE, "schema:": SCHEMA}
# The types a column can be reconciled against, in the order the manifest offers them.
TYPES = (SCHEMA + "Person", OSCE + "ParticipatingState", OSCE + "PartnerForCooperation", OSCE + "FieldOperation",
         OSCE + "Institution", OSCE + "OSCEStructure", OSCE + "ExternalOrganisation", SCHEMA + "Place",
         OSCE + "Territory")
PROPERTIES = {  # id → (name, description)
    "wikidata": ("Wikidata item", "the entity's Wikidata QID (Q233) or IRI (owl:sameAs)"),
    "country": ("country", "a field operation's host State, a person's nationality or a country a role names"),
    "acronym": ("acronym", "an organisation's acronym (ODIHR)"),
    "role": ("role", "a role a person held in the releases or a post (Secretary General)"),
}
DEFAULT_LIMIT, EXACT, FOLDED, OVERLAP, MATCH = 5, 100.0, 90.0, 80.0, 90.0
# The Wikidata reconciliation service OpenRefine uses: extended ``wikidata`` values come reconciled to it.
WIKIDATA_SERVICE = "https://wikidata.reconci.link/en/api"

_PREFIXES = f"""PREFIX schema: <{SCHEMA}> PREFIX osce: <{OSCE}> PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
_TYPED = f"VALUES ?type {{ {' '.join(f'<{t}>' for t in TYPES)} }} ?e a ?type ."
# What the index reads, one small query per kind of value (one query of UNIONs took Oxigraph 130 s on
# 20,000 releases; these take 0.1-0.5 s each, and the result cache keeps their answers).
INDEX_QUERIES = {k: _PREFIXES + f"SELECT DISTINCT ?e ?v WHERE {{ {pattern} }}" for k, pattern in {
    "type": f"VALUES ?v {{ {' '.join(f'<{t}>' for t in TYPES)} }} ?e a ?v "
            "FILTER NOT EXISTS { ?e a osce:Chairpersonship } FILTER NOT EXISTS { ?e a osce:Post }",
    "name": _TYPED + " ?e rdfs:label|schema:name ?v",
    "alt": _TYPED + " ?e skos:altLabel ?v",
    "acronym": "?e osce:acronym ?v",
    "wikidata": _TYPED + " ?e owl:sameAs ?v",
    "country": "?e osce:hostState|schema:nationality ?c . ?c rdfs:label ?v",
    "role": "{ ?x schema:mainEntity ?e ; schema:roleName ?v } UNION { ?h osce:holder ?e ; osce:post/rdfs:label ?v }",
}.items()}
TYPE_QUERY = f"SELECT ?t ?l WHERE {{ VALUES ?t {{ {' '.join(f'<{t}>' for t in TYPES)} }} " \
             "?t <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


# --- the index -----------------------------------------------------------------------------------------

@dataclass
class Candidate:
    """One reconcilable entity and what a query can be matched against."""

    iri: str
    name: str = ""
    alt: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    props: dict[str, set[str]] = field(default_factory=dict)   # property id → values

    @property
    def wikidata(self) -> list[str]:
        return sorted(v[len(WD):] for v in self.props.get("wikidata", ()) if v.startswith(str(WD)))


STOP_WORDS = frozenset("a an and at for in of on the to".split())


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[^\w]+", normalise(text)) if w and w not in STOP_WORDS)


@dataclass
class Index:
    """The candidates with lookup tables by exact name, folded name and word."""

    entities: dict[str, Candidate]
    type_names: dict[str, str]
    exact: dict[str, set[str]] = field(default_factory=dict)
    folded: dict[str, set[str]] = field(default_factory=dict)
    words: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.entities.values():
            c.name = c.name or c.iri.rsplit("/", 1)[-1]
            for n in {c.name, *c.alt, *c.props.get("acronym", ())}:
                self.exact.setdefault(" ".join(n.split()), set()).add(c.iri)
                self.folded.setdefault(normalise(n), set()).add(c.iri)
                for w in _words(n):
                    self.words.setdefault(w, set()).add(c.iri)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str | None]], type_names: dict[str, str]) -> "Index":
        entities: dict[str, Candidate] = {}
        for r in rows:
            e, k, v = r.get("e"), r.get("k"), r.get("v")
            if not (e and k and v):
                continue
            c = entities.setdefault(e, Candidate(e))
            if k == "name":
                c.name = min(c.name, v) if c.name else v    # one name, whatever the row order
            elif k == "alt":
                c.alt.add(v)
            elif k == "type":
                c.types.add(v)
            else:
                c.props.setdefault(k, set()).add(v)
        return cls({e: c for e, c in entities.items() if c.types}, type_names)

    def names(self, c: Candidate) -> set[str]:
        return {c.name, *c.alt, *c.props.get("acronym", ())}

    def name_score(self, query: str, c: Candidate) -> float:
        names = self.names(c)
        if " ".join(query.split()) in names:
            return EXACT
        if normalise(query) in {normalise(n) for n in names}:
            return FOLDED
        q = _words(query)
        best = max((len(q & _words(n)) / len(q | _words(n)) for n in names if q | _words(n)), default=0.0)
        return round(OVERLAP * best, 1)

    def lookup(self, query: str) -> set[str]:
        """IRIs of the entities sharing the query's name or one of its words."""
        found = set(self.exact.get(" ".join(query.split()), ())) | self.folded.get(normalise(query), set())
        for w in _words(query):
            found |= self.words.get(w, set())
        return found


_INDEX: dict[tuple[str, ...], Index] = {}


async def index(engine: Any) -> Index:
    """The index of the engine's current build (made again when one of its queries' answers changes)."""
    results = {k: await engine.query(q, accept=JSON_RESULTS) for k, q in INDEX_QUERIES.items()}
    key = tuple(r.etag or "" for r in results.values())
    if all(key) and key in _INDEX:
        return _INDEX[key]
    rows = [{"e": b["e"]["value"], "k": k, "v": b["v"]["value"]} for k, r in results.items()
            for b in json.loads(r.body)["results"]["bindings"] if "e" in b and "v" in b]
    names = {r["t"]: r["l"] for r in await engine.select(TYPE_QUERY) if r.get("t") and r.get("l")}
    built = Index.from_rows(rows, names)
    if all(key):
        _INDEX.clear()
        _INDEX[key] = built
    return built


# --- answering queries ---------------------------------------------------------------------------------

def expand(type_id: str) -> str:
    """``osce:Institution`` → its IRI; IRIs as they are."""
    for prefix, ns in PREFIXES.items():
        if type_id.startswith(prefix):
            return ns + type_id[len(prefix):]
    return type_id


def _values(v: Any) -> list[str]:
    items = v if isinstance(v, list) else [v]
    return [str(i.get("id") or i.get("name") or "") if isinstance(i, dict) else str(i) for i in items]


def property_fits(c: Candidate, pid: str, wanted: list[str]) -> bool:
    """Whether one of the candidate's values of ``pid`` is one of ``wanted`` (QIDs, IRIs or names)."""
    have = c.props.get(pid, set()) | ({*c.wikidata} if pid == "wikidata" else set())
    folded = {normalise(h) for h in have}
    for w in (w.strip() for w in wanted if w.strip()):
        if w in have or normalise(w) in folded or (pid == "wikidata" and w.rsplit("/", 1)[-1] in have):
            return True
        if pid in ("country", "role") and any(normalise(w) in f for f in folded):
            return True
    return False


def type_name(idx: Index, t: str) -> str:
    """The type's label in the ontology, else its local name (``Person``)."""
    return idx.type_names.get(t) or t.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _type_list(idx: Index, c: Candidate) -> list[dict[str, str]]:
    return [{"id": t, "name": type_name(idx, t)} for t in TYPES if t in c.types]


def describe(idx: Index, c: Candidate) -> str:
    """One line telling namesakes apart: types, a role or country, the Wikidata QID."""
    parts = [", ".join(t["name"] for t in _type_list(idx, c))]
    for key in ("role", "country"):
        if c.props.get(key):
            parts.append(sorted(c.props[key])[0])
    parts += [f"Wikidata {q}" for q in c.wikidata]
    return "; ".join(p for p in parts if p)


def answer(idx: Index, q: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidates for one query, best first."""
    text = str(q.get("query") or "")
    types = {expand(t) for t in ([q["type"]] if isinstance(q.get("type"), str) else q.get("type") or [])}
    props = [(str(p.get("pid", "")), _values(p.get("v"))) for p in q.get("properties") or [] if isinstance(p, dict)]
    pool = idx.lookup(text) if text else set(idx.entities)
    scored = []
    for iri in pool:
        c = idx.entities[iri]
        if types and not types & c.types:
            continue
        fits = [property_fits(c, pid, v) for pid, v in props]
        base = idx.name_score(text, c) if text else 100.0
        if props and not text and not all(fits):
            continue
        score = round(base * (0.6 + 0.4 * sum(fits) / len(fits)), 1) if fits else base
        if score > 0:
            scored.append((score, c, fits))
    scored.sort(key=lambda s: (-s[0], s[1].name, s[1].iri))
    limit = max(1, int(q.get("limit") or DEFAULT_LIMIT))
    out = []
    for n, (score, c, fits) in enumerate(scored[:limit]):
        rival = scored[1][0] if n == 0 and len(scored) > 1 else (scored[0][0] if n else 0)
        match = score >= MATCH and all(fits) and rival < MATCH
        features = [{"id": "name", "value": idx.name_score(text, c) if text else 100.0}]
        features += [{"id": pid, "value": fit} for (pid, _), fit in zip(props, fits)]
        out.append({"id": c.iri, "name": c.name, "description": describe(idx, c), "score": score,
                    "match": match, "type": _type_list(idx, c), "features": features})
    return out


def extend(idx: Index, raw: Any) -> dict[str, Any] | None:
    """The data extension of ``{"ids": [...], "properties": [{"id": ...}]}``: each entity's values of each
    known property (``wikidata`` as Wikidata entities, the others as strings), or None if malformed."""
    try:
        query = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except ValueError:
        return None
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list) \
            or not isinstance(query.get("properties"), list) or not all(isinstance(p, dict) for p in query["properties"]):
        return None
    pids = [str(p.get("id")) for p in query["properties"] if str(p.get("id")) in PROPERTIES]
    meta = [{"id": pid, "name": PROPERTIES[pid][0], **({"service": WIKIDATA_SERVICE} if pid == "wikidata" else {})}
            for pid in pids]
    rows = {}
    for iri in map(str, query["ids"]):
        c = idx.entities.get(iri)
        rows[iri] = {pid: ([{"id": q, "name": q} for q in c.wikidata] if pid == "wikidata" else
                           [{"str": v} for v in sorted(c.props.get(pid, ()))]) if c else [] for pid in pids}
    return {"meta": meta, "rows": rows}


def _batch(raw: Any) -> dict[str, dict[str, Any]] | None:
    """The query batch of a request's ``queries`` value (a JSON string, or a JSON body holding the batch
    or ``{"queries": batch}``), or None when it is not a batch of query objects."""
    try:
        batch = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        if isinstance(batch, dict) and isinstance(batch.get("queries"), str):
            batch = json.loads(batch["queries"])
    except ValueError:
        return None
    if isinstance(batch, dict) and isinstance(batch.get("queries"), dict) \
            and all(isinstance(v, dict) for v in batch["queries"].values()):
        batch = batch["queries"]
    if not isinstance(batch, dict) or not all(_valid(q) for q in batch.values()):
        return None
    return batch


def _valid(q: Any) -> bool:
    """A query object: a string ``query`` or a non-empty ``properties`` list, a numeric ``limit`` and a
    string or strings as ``type``, if any."""
    types = q.get("type", []) if isinstance(q, dict) else None
    return isinstance(q, dict) and (isinstance(q.get("query"), str) or bool(q.get("properties"))) \
        and isinstance(q.get("limit", 1), (int, float)) and isinstance(q.get("properties", []), list) \
        and (isinstance(types, str) or isinstance(types, list) and all(isinstance(t, str) for t in types))


# --- the routes ----------------------------------------------------------------------------------------

def _engine(request: Request) -> Any:
    """The engine of the build answering ``request``."""
    return current_build(request).engine


def _service_root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/reconcile"


def _jsonp(request: Request, payload: Any, status: int = 200) -> Response:
    """JSON, or ``callback(JSON)`` as JavaScript when the request names a (well-formed) callback."""
    callback = request.query_params.get("callback", "")
    if re.fullmatch(r"[A-Za-z_$][\w$.]{0,99}", callback):
        return Response(f"/**/{callback}({json.dumps(payload)});", status_code=status,
                        media_type="application/javascript")
    return JSONResponse(payload, status_code=status, headers={"Access-Control-Allow-Origin": "*"})


def manifest(request: Request, idx: Index) -> dict[str, Any]:
    root = _service_root(request)
    settings = request.app.state.settings
    base = settings.base if settings.base.endswith("/") else settings.base + "/"
    return {
        "versions": ["0.2"],
        "name": "osce-kg: OSCE press releases (people, States, partners, field operations, institutions, "
                "organisations, places)",
        "identifierSpace": f"{base}id/",
        "schemaSpace": ONTOLOGY_IRI + "#",
        "documentation": str(request.base_url) + "ontology",
        "serviceVersion": __version__,
        "view": {"url": root + "/view?id={{id}}"},
        "preview": {"url": root + "/preview?id={{id}}", "width": 420, "height": 160},
        "defaultTypes": [{"id": t, "name": type_name(idx, t)} for t in TYPES],
        "suggest": {kind: {"service_url": root, "service_path": f"/suggest/{kind}"}
                    for kind in ("entity", "type", "property")},
        "extend": {"propose_properties": {"service_url": root, "service_path": "/extend/propose"},
                   "property_settings": []},
    }


async def _params(request: Request) -> dict[str, Any]:
    """``queries`` and ``extend`` from the URL (GET), a form (OpenRefine's POST) or a JSON body."""
    if request.method == "GET":
        return dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            return {"queries": "not JSON"}
        return body if isinstance(body, dict) and ("extend" in body or "queries" in body) else {"queries": body}
    return dict(await request.form())


@router.api_route("", methods=["GET", "POST"])
async def reconcile(request: Request) -> Response:
    """The manifest (no ``queries``), the answers to a batch of queries, or a data extension (``extend``)."""
    try:
        idx = await index(_engine(request))
    except QueryError as e:
        return _jsonp(request, {"error": f"the graph could not be read: {e}"}, 503)
    params = await _params(request)
    if params.get("extend") is not None:
        extension = extend(idx, params["extend"])
        if extension is None:
            return _jsonp(request, {"error": "extend must be a JSON object with ids and properties "
                                             "({\"ids\": [IRI], \"properties\": [{\"id\": \"wikidata\"}]})"}, 400)
        return _jsonp(request, extension)
    if params.get("queries") is None:
        return _jsonp(request, manifest(request, idx))
    batch = _batch(params["queries"])
    if batch is None:
        return _jsonp(request, {"error": "queries must be a JSON object of query objects "
                                         "({\"q0\": {\"query\": \"Ian Borg\"}})"}, 400)
    return _jsonp(request, {key: {"result": answer(idx, q)} for key, q in batch.items()})


@router.get("/preview", response_class=HTMLResponse)
async def preview(request: Request, id: str) -> Response:  # noqa: A002 - the protocol's parameter name
    """A small HTML card: name, types, other names, roles or country, Wikidata link, link to the page."""
    idx = await index(_engine(request))
    c = idx.entities.get(id)
    if c is None:
        return HTMLResponse(f"<p>No entity {html.escape(id)} in this graph.</p>", status_code=404)
    esc = html.escape
    rows = [("type", ", ".join(t["name"] for t in _type_list(idx, c)))]
    rows += [("also", ", ".join(sorted(c.alt | c.props.get("acronym", set()))[:6]))]
    rows += [(key, "; ".join(sorted(c.props.get(key, ()))[:3])) for key in ("role", "country")]
    wd = " ".join(f'<a href="{WD}{q}" target="_blank">{q}</a>' for q in c.wikidata)
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
    body += f"<dt>Wikidata</dt><dd>{wd}</dd>" if wd else ""
    page = (f'<html><head><meta charset="utf-8"><title>{esc(c.name)}</title></head>'
            f'<body style="font:14px sans-serif;margin:6px"><div><a href="{esc(_service_root(request))}/view?id='
            f'{quote(c.iri, safe="")}" target="_blank"><b>{esc(c.name)}</b></a><br><small>{esc(c.iri)}</small></div>'
            f'<dl style="margin:4px 0">{body}</dl></body></html>')
    return HTMLResponse(page)


@router.get("/extend/propose")
async def propose(request: Request, type: str = "", limit: int = 10) -> Response:  # noqa: A002
    """The properties an extension can fetch (the same for every type)."""
    props = [{"id": pid, "name": name} for pid, (name, _) in PROPERTIES.items()][:max(limit, 0)]
    return _jsonp(request, {"type": type, "properties": props, "limit": limit})


@router.get("/view")
async def view(request: Request, id: str) -> Response:  # noqa: A002
    """303 to the entity's page on this server (IRIs under the data's base), else to the IRI itself."""
    settings = request.app.state.settings
    base = settings.base if settings.base.endswith("/") else settings.base + "/"
    local = "/page/" + id[len(base) + 3:] if id.startswith(base + "id/") else id
    return RedirectResponse(local, status_code=303)


@router.get("/suggest/{kind}")
async def suggest(request: Request, kind: str, prefix: str = "", cursor: int = 0) -> Response:
    """Auto-completion of entities, types or properties by the start of a word of their names."""
    idx = await index(_engine(request))
    want = normalise(prefix)
    if kind == "entity":
        found = sorted((c for c in idx.entities.values()
                        if any(w.startswith(want) or normalise(n).startswith(want) for n in idx.names(c)
                               for w in _words(n))), key=lambda c: (not normalise(c.name).startswith(want), c.name))
        items = [{"id": c.iri, "name": c.name, "description": describe(idx, c), "notable": _type_list(idx, c)}
                 for c in found]
    elif kind == "type":
        items = [{"id": t, "name": type_name(idx, t)} for t in TYPES
                 if want in normalise(type_name(idx, t)) or want in t.lower()]
    elif kind == "property":
        items = [{"id": pid, "name": name, "description": text} for pid, (name, text) in PROPERTIES.items()
                 if want in pid or want in normalise(name)]
    else:
        return _jsonp(request, {"error": f"no suggest service for {kind!r} (entity, type, property)"}, 404)
    return _jsonp(request, {"result": items[max(cursor, 0):max(cursor, 0) + 20]})
