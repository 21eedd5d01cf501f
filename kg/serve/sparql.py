"""``/sparql``: the SPARQL 1.1 Protocol, query operation only (the endpoint is read-only).

GET ``?query=``, POST form-encoded or ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri``; results chosen by Accept or ``format``. Updates and SERVICE are refused before the
engine sees them. A GET without a query returns the Service Description (a browser is sent to ``/query``).
Answers carry an ``ETag`` (a conditional GET with ``If-None-Match`` gets 304), ``Cache-Control`` and
``X-Cache`` (``hit``/``miss`` from the result cache, ``off`` without one); a 503 for a full queue has
``Retry-After``. The Service Description names the build answering (``schema:version``, as ``X-Build``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pyoxigraph import NamedNode, RdfFormat, parse, serialize

from kg.serve.analysis import analyse
from kg.serve.builds import current_build
from kg.serve.cache import etag_of
from kg.serve.engine import QueryError, ServerBusy, check_query
from kg.serve.negotiation import ALIASES, FORMATS, GRAPHS, RESULTS, choose, prefers_html
from kg.serve.textmatch import expand as expand_text_match

router = APIRouter()

VARY = {"Vary": "Accept"}
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted"
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON", "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV", "text/tab-separated-values": "SPARQL_Results_TSV", "text/turtle": "Turtle",
    "application/n-triples": "N-Triples", "application/ld+json": "JSON-LD", "application/rdf+xml": "RDF_XML",
}
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> Response:
    """A one-line plain-text error."""
    return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status, headers=VARY)


@router.api_route("/sparql", methods=["GET", "POST"], summary="SPARQL 1.1 Protocol: query")
async def sparql_endpoint(request: Request) -> Response:
    try:
        params = await _params(request)
        queries = params.get("query", [])
        if len(queries) > 1:
            raise ProtocolError(400, "more than one 'query' parameter")
        if not queries:
            if request.method == "POST":
                raise ProtocolError(400, "no 'query' parameter in the request")
            return _service_description(request)
        return await _answer(request, queries[0], params)
    except ProtocolError as e:
        return error(e.status, str(e))
    except ServerBusy as e:
        response = error(e.status, str(e))
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    except QueryError as e:
        return error(e.status, str(e))


async def _params(request: Request) -> dict[str, list[str]]:
    """The protocol parameters of the URL and, for POST, of the body; refuses updates and bad bodies."""
    params = _parse_pairs(request.url.query)
    if request.method == "POST":
        media, _, rest = request.headers.get("content-type", "").partition(";")
        media = media.strip().lower()
        charset = next((v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in rest.split(";"))
                        if k.strip().lower() == "charset"), "utf-8")
        if media == "application/sparql-update":
            raise ProtocolError(403, READ_ONLY)
        if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise ProtocolError(415, f"POST a query as application/x-www-form-urlencoded or application/sparql-query, "
                                     f"not {media or 'a body without a media type'}")
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"the request body must be UTF-8, not {charset}")
        body = await request.body()
        if media == "application/sparql-query":
            params.setdefault("query", []).append(_utf8(body))
        else:
            for name, values in _parse_pairs(_utf8(body)).items():
                params.setdefault(name, []).extend(values)
    if any(p in params for p in UPDATE_PARAMS):
        raise ProtocolError(403, READ_ONLY)
    return params


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(400, f"the request body is not UTF-8 ({e.reason} at byte {e.start})") from None


def _parse_pairs(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        for name, value in parse_qsl(text, keep_blank_values=True, errors="strict"):
            out.setdefault(name, []).append(value)
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(400, f"malformed parameters: {e}") from None
    return out


async def _answer(request: Request, query: str, params: dict[str, list[str]]) -> Response:
    limits = request.app.state.settings.limits
    shape = check_query(query, limits.max_query, limits.max_depth)  # before any other look at a long text
    expanded = await expand_text_match(request, query)  # osce:textMatch triples → VALUES from the text index
    if expanded is not query:
        query, shape = expanded, analyse(expanded)
    if shape.form == "update":
        raise ProtocolError(403, READ_ONLY)
    if shape.uses_service:
        raise ProtocolError(403, "SERVICE (federated query) is not allowed: this endpoint makes no outbound requests")
    offers = {"SELECT": RESULTS, "ASK": RESULTS, "CONSTRUCT": GRAPHS, "DESCRIBE": GRAPHS}.get(shape.form or "",
                                                                                         RESULTS + GRAPHS)
    media = _media_type(request.headers.get("accept"), params.get("format", []), offers, shape.form or "query")
    graphs = {name: params.get(name, []) for name in ("default-graph-uri", "named-graph-uri")}
    for iri in (*graphs["default-graph-uri"], *graphs["named-graph-uri"]):
        try:
            NamedNode(iri)
        except ValueError as e:
            raise ProtocolError(400, f"not an IRI in the dataset parameters: {iri!r} ({e})") from None
    result = await current_build(request).engine.query(query, accept=media,
                                                  default_graph_uris=graphs["default-graph-uri"],
                                                  named_graph_uris=graphs["named-graph-uri"])
    etag = result.etag or etag_of(result.body)
    headers = {**VARY, "ETag": etag, "X-Cache": result.cache or "off",
               "Cache-Control": f"public, max-age={request.app.state.settings.cache_max_age}"}
    if request.method == "GET" and _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(result.body, media_type=result.media_type, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks) or is ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _media_type(accept: str | None, formats: list[str], offers: tuple[str, ...], form: str) -> str:
    if formats:
        name = formats[-1].strip()
        media = FORMATS.get(name.lower()) or ALIASES.get(name.lower(), name.lower())
        if media not in offers:
            raise ProtocolError(406, f"format {name!r} cannot express the result of a {form} query; use one of "
                                     f"{', '.join(k for k, v in FORMATS.items() if v in offers)}")
        return media
    media = choose(accept, offers)
    if media is None:
        raise ProtocolError(406, f"none of the types in 'Accept: {accept}' can express the result of a {form} query; "
                                 f"available: {', '.join(offers)}")
    return media


def _service_description(request: Request) -> Response:
    accept = request.headers.get("accept")
    if prefers_html(accept):
        return RedirectResponse("/query", status_code=303, headers=VARY)
    media = choose(accept, GRAPHS)
    if media is None:
        raise ProtocolError(406, f"the service description is available as {', '.join(GRAPHS)}")
    endpoint = str(request.url.replace(query=""))
    formats = ", ".join(f"<http://www.w3.org/ns/formats/{FORMAT_IRIS[m]}>" for m in (*RESULTS, *GRAPHS))
    turtle = f"""
        @prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
        <{endpoint}> a sd:Service ;
            sd:endpoint <{endpoint}> ;
            sd:supportedLanguage sd:SPARQL11Query ;
            sd:feature sd:UnionDefaultGraph ;
            sd:resultFormat {formats} ;
            sd:defaultDataset <{request.app.state.settings.base}dataset> .
        <{request.app.state.settings.base}dataset> a sd:Dataset ;
            <https://schema.org/version> "{current_build(request).id}" .
    """
    fmt = RdfFormat.from_media_type(media)
    body = serialize(parse(turtle, format=RdfFormat.TURTLE), format=fmt,
                     prefixes={"sd": "http://www.w3.org/ns/sparql-service-description#"})
    return Response(body, media_type=fmt.media_type, headers=VARY)
