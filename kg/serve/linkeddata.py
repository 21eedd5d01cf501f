"""Linked data: minted IRIs resolve, with content negotiation; VoID/DCAT; the published dumps.

``/id/X`` (the IRI ``{base}id/X``) answers 303 See Other to ``/page/X`` (HTML) or ``/data/X.ttl|.jsonld|.nt``;
``/data/X`` negotiates by Accept or extension; ``/ontology`` serves the ontology's HTML docs or its RDF;
``/void`` (and ``/.well-known/void``, ``/catalog``) the dataset description; ``/dumps/`` the build's files
with ETag, Last-Modified and conditional GET.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kg.iris import ONTOLOGY_IRI
from kg.publish import jsonld, prefixes
from kg.serve.builds import current_build
from kg.serve.negotiation import choose
from kg.serve.pages import DATA_FORMATS, not_found, render, settings_base

router = APIRouter()

HTML = "text/html"
WRITERS = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES}
# media type → (extension, pyoxigraph format); the first is the default
RDF_FORMATS = {media: (ext, WRITERS[ext]) for _, ext, media in DATA_FORMATS}
BY_EXTENSION = {ext: media for media, (ext, _) in RDF_FORMATS.items()}
FILE_TYPES = {  # suffix → media type of the files under /dumps/
    ".ttl": "text/turtle", ".trig": "application/trig", ".jsonld": "application/ld+json",
    ".nt": "application/n-triples", ".gz": "application/gzip", ".json": "application/json",
    ".html": "text/html",
}
MAX_INCOMING = 5000
GET_HEAD = ["GET", "HEAD"]  # linked-data clients check IRIs with HEAD


# --- content negotiation (kg.serve.negotiation.choose) ----------------------------------------------

def _alternates(path: str) -> str:
    links = [f'</page/{path}>; rel="alternate"; type="text/html"']
    links += [f'</data/{path}.{ext}>; rel="alternate"; type="{media}"' for media, (ext, _) in RDF_FORMATS.items()]
    return ", ".join(links)


def _not_acceptable(offers: tuple[str, ...]) -> Response:
    return Response(f"406 Not Acceptable: this resource is available as {', '.join(offers)}\n", 406,
                    media_type="text/plain", headers={"Vary": "Accept"})


# --- RDF of one resource -----------------------------------------------------------------------------

def serialize(triples: list[ox.Triple], media: str, base: str) -> bytes:
    """``triples`` in ``media`` (Turtle and JSON-LD with the project's prefixes)."""
    if media == "application/ld+json":
        return jsonld(triples, prefixes(base))
    return ox.serialize(triples, format=RDF_FORMATS[media][1], prefixes=prefixes(base))


async def construct(engine: Any, sparql: str) -> list[ox.Triple]:
    result = await engine.query(sparql, accept="application/n-triples")
    return sorted(ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES),
                  key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def describe_query(iri: str) -> str:
    """The triples of a resource: all it says, and what points at it (capped)."""
    return (f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE {{ {{ <{iri}> ?p ?o }} UNION "
            f"{{ SELECT ?s ?q WHERE {{ ?s ?q <{iri}> }} LIMIT {MAX_INCOMING} }} }}")


def _valid_path(path: str) -> bool:
    return bool(path) and re.fullmatch(r"[A-Za-z0-9._~/%-]+", path) is not None and ".." not in path


@router.api_route("/id/{path:path}", methods=GET_HEAD, include_in_schema=False)
async def resolve(request: Request, path: str) -> Response:
    """303 See Other to the page or the data of ``{base}id/{path}``, by Accept."""
    iri = f"{settings_base(request)}id/{path}"
    if not _valid_path(path) or not await current_build(request).engine.ask(
            f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}"):
        return not_found(request, iri)
    offers = (HTML, *RDF_FORMATS)
    media = choose(request.headers.get("accept"), offers)
    if media is None:
        return _not_acceptable(offers)
    target = f"/page/{path}" if media == HTML else f"/data/{path}.{RDF_FORMATS[media][0]}"
    return RedirectResponse(target, 303, headers={"Vary": "Accept", "Link": _alternates(path)})


@router.api_route("/data/{path:path}", methods=GET_HEAD, include_in_schema=False)
async def data(request: Request, path: str) -> Response:
    """The RDF of ``{base}id/{path}``: by extension (``.ttl``, ``.jsonld``, ``.nt``) or by Accept."""
    base = settings_base(request)
    stem, _, ext = path.rpartition(".")
    headers = {}
    if stem and ext in BY_EXTENSION:
        path, media = stem, BY_EXTENSION[ext]
    else:
        media = choose(request.headers.get("accept"), tuple(RDF_FORMATS))
        headers["Vary"] = "Accept"
        if media is None:
            return _not_acceptable(tuple(RDF_FORMATS))
    iri = f"{base}id/{path}"
    triples = await construct(current_build(request).engine, describe_query(iri)) if _valid_path(path) else []
    if not triples:
        return not_found(request, iri)
    headers["Link"] = _alternates(path)
    return Response(serialize(triples, media, base), media_type=media, headers=headers)


# --- the ontology ------------------------------------------------------------------------------------

def _data_dir(request: Request) -> Path:
    return current_build(request).path


SECTION = re.compile(r'<div class="[^"]*\bentity\b[^"]*" id="([^"]+)">\s*<h3>.*?<code>([^<]+)</code>', re.S)


@lru_cache(maxsize=4)
def ontology_docs(page: Path, mtime_ns: int) -> str:
    """pyLODE's page with each term reachable as ``#LocalName`` and links to terms kept on the page."""
    html = page.read_text(encoding="utf-8")
    anchors = {iri: anchor for anchor, iri in SECTION.findall(html) if iri.startswith(ONTOLOGY_IRI + "#")}
    for iri, anchor in anchors.items():
        name = iri.split("#", 1)[1]
        html = html.replace(f'href="{iri}"', f'href="#{anchor}"')
        if name != anchor:
            html = html.replace(f'id="{anchor}">', f'id="{anchor}"><span id="{name}"></span>', 1)
    return html


@router.api_route("/ontology", methods=GET_HEAD, include_in_schema=False)
@router.api_route("/ontology.{ext}", methods=GET_HEAD, include_in_schema=False)
async def ontology(request: Request, ext: str | None = None) -> Response:
    """The ontology (``https://w3id.org/osce-kg/ontology#Term``): HTML docs, or its graph as RDF."""
    base = settings_base(request)
    if ext is not None and ext not in BY_EXTENSION:
        return not_found(request, f"{ONTOLOGY_IRI}.{ext}", "The ontology is served as .ttl, .jsonld and .nt.")
    offers = (HTML, *RDF_FORMATS)
    media = BY_EXTENSION[ext] if ext else choose(request.headers.get("accept"), offers)
    headers = {"Vary": "Accept", "Link": ", ".join(
        f'</ontology.{e}>; rel="alternate"; type="{m}"' for m, (e, _) in RDF_FORMATS.items())}
    if media is None:
        return _not_acceptable(offers)
    if media == HTML:
        page = _data_dir(request) / "ontology" / "index.html"
        if not page.is_file():
            return not_found(request, ONTOLOGY_IRI, "This build has no ontology documentation "
                             "(output/ontology/index.html); its RDF is at /ontology.ttl.")
        return HTMLResponse(ontology_docs(page, page.stat().st_mtime_ns), headers=headers)
    triples = await construct(current_build(request).engine,
                              f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{base}graph/ontology> {{ ?s ?p ?o }} }}")
    if not triples:
        return not_found(request, ONTOLOGY_IRI, "The store holds no ontology graph.")
    return Response(serialize(triples, media, base), media_type=media, headers=headers)


@router.api_route("/ontology/{name:path}", methods=GET_HEAD, include_in_schema=False)
async def ontology_file(request: Request, name: str) -> Response:
    """Files beside the ontology's HTML docs (stylesheets, the shapes' docs)."""
    return _file(request, _data_dir(request) / "ontology", name)


# --- the dataset description and the dumps -----------------------------------------------------------

@router.api_route("/void", methods=GET_HEAD, include_in_schema=False)
@router.api_route("/.well-known/void", methods=GET_HEAD, include_in_schema=False)
@router.api_route("/catalog", methods=GET_HEAD, include_in_schema=False)
async def void(request: Request) -> Response:
    """``void.ttl`` (VoID + DCAT) as Turtle, JSON-LD or N-Triples by Accept; HTML for browsers; the
    dataset's ``schema:version`` is the id of the build answering (as in ``X-Build``)."""
    base = settings_base(request)
    path = _data_dir(request) / "void.ttl"
    if not path.is_file():
        return not_found(request, f"{base}dataset", "This build has no dataset description (void.ttl).")
    offers = (*RDF_FORMATS, HTML)
    media = choose(request.headers.get("accept"), offers)
    if media is None:
        return _not_acceptable(offers)
    headers = {"Vary": "Accept", "Link": '</dumps/void.ttl>; rel="alternate"; type="text/turtle"'}
    turtle = path.read_bytes() + f'\n<{base}dataset> <https://schema.org/version> "{current_build(request).id}" .\n'.encode()
    if media == HTML:
        page = render(request, "void.html", title="Dataset description (VoID and DCAT)", turtle=turtle.decode())
        page.headers.update(headers)
        return page
    if media == "text/turtle":
        return Response(turtle, media_type=media, headers=headers)
    triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE, base_iri=f"{base}dataset"))
    return Response(serialize(triples, media, base), media_type=media, headers=headers)


@router.api_route("/dataset", methods=GET_HEAD, include_in_schema=False)
@router.api_route("/dataset/{rest:path}", methods=GET_HEAD, include_in_schema=False)
async def dataset(rest: str = "") -> Response:
    """The dataset's IRI (and its partitions') resolve to its description."""
    return RedirectResponse("/void", 303)


def media_type(name: str) -> str:
    return FILE_TYPES.get(Path(name).suffix, "text/plain; charset=utf-8")


def dump_files(data_dir: Path) -> list[Path]:
    """The published files: the top-level regular files of the output folder."""
    if not data_dir.is_dir():
        return []
    return sorted(p for p in data_dir.iterdir() if p.is_file() and not p.name.startswith("."))


def etag(path: Path) -> str:
    st = path.stat()
    return '"' + hashlib.sha1(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:20] + '"'


def not_modified(request: Request, tag: str, mtime: float) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return inm.strip() == "*" or tag in {t.strip().removeprefix("W/") for t in inm.split(",")}
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return int(mtime) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _file(request: Request, folder: Path, name: str) -> Response:
    path = (folder / name).resolve()
    if not name or ".." in Path(name).parts or not path.is_file() or folder.resolve() not in path.parents:
        return not_found(request, str(request.url.path), "There is no such file.")
    tag, mtime = etag(path), path.stat().st_mtime
    headers = {"ETag": tag, "Last-Modified": formatdate(mtime, usegmt=True)}
    if not_modified(request, tag, mtime):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type(path.name), headers=headers)


@router.api_route("/dumps", methods=GET_HEAD, include_in_schema=False)
async def dumps_redirect() -> Response:
    return RedirectResponse("/dumps/", 308)


@router.api_route("/dumps/", methods=GET_HEAD, response_class=HTMLResponse, include_in_schema=False)
async def dumps(request: Request) -> Response:
    files = [{"name": p.name, "href": "/dumps/" + quote(p.name), "size": p.stat().st_size,
              "type": media_type(p.name), "modified": formatdate(p.stat().st_mtime, usegmt=True)}
             for p in dump_files(_data_dir(request))]
    return render(request, "dumps.html", title="Downloads", files=files)


@router.api_route("/dumps/{name}", methods=GET_HEAD, include_in_schema=False)
async def dump(request: Request, name: str) -> Response:
    return _file(request, _data_dir(request), name)
