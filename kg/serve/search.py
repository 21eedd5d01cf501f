"""``/search`` and ``/search.json``: the build's text index (``kg.search``) in the browser and as JSON,
and the releases section of an entity's page.

Parameters: ``q`` (the query), facet filters (``year``, ``type``, ``source``, ``country``, ``field``,
``entity``; repeatable, every one must hold), ``sort`` (``relevance``, ``newest``, ``oldest``), ``page``
and ``size``. ``/search`` answers HTML, or JSON to a client that prefers ``application/json``; a bad
query is a 400 with the reason, a build without an index a 503. Works without JavaScript: facets and
pages are links. The index is read only through ``index_for(request)``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kg import search
import kg.serve.pages as pages
from kg.serve.builds import current_build
from kg.serve.negotiation import choose

router = APIRouter()
FILTERS = (*search.FACETS, "entity")
ENTITY_PAGE_SIZE = 20


def index_for(request: Request) -> Path:
    """Where the search index of the build answering ``request`` is (its snapshot's, held until the response is sent)."""
    return current_build(request).path / search.INDEX


def query_of(params: list[tuple[str, str]]) -> search.Query:
    """A ``search.Query`` from URL parameters (``SearchError`` for a bad page or size)."""
    def number(name: str, default: int) -> int:
        value = next((v for k, v in reversed(params) if k == name), "")
        try:
            return int(value) if value else default
        except ValueError:
            raise search.SearchError(f"{name} must be a number, not {value!r}") from None

    get = dict(params)
    filters = tuple(dict.fromkeys((k, v) for k, v in params if k in FILTERS and v))
    return search.Query(get.get("q", "").strip(), filters, get.get("sort") or search.Query.sort, number("page", 1),
                        number("size", search.Query.size))


def _run(path: Path, query: search.Query, names: int = 0, facet_limit: int = 10) -> search.Results:
    con, cat = search.open_index(path)
    try:
        return search.search(con, cat, query, facet_limit, names)
    finally:
        con.close()


def href(query: search.Query, *, add: tuple[str, str] | None = None, remove: tuple[str, str] | None = None,
         page: int | None = None) -> str:
    """The ``/search`` URL of ``query`` with a filter added or removed, or another page."""
    filters = [f for f in query.filters if f != remove] + ([add] if add and add not in query.filters else [])
    params = [("q", query.q)] if query.q else []
    params += filters
    if query.sort != search.Query.sort:
        params.append(("sort", query.sort))
    if query.size != search.Query.size:
        params.append(("size", str(query.size)))
    if page and page > 1:
        params.append(("page", str(page)))
    return "/search" + ("?" + urlencode(params) if params else "")


@router.get("/search.json", summary="Full-text search of the releases, with facet counts (JSON)")
async def search_json(request: Request) -> Response:
    return await _answer(request, json=True)


@router.get("/search", summary="Full-text search of the releases (HTML, or JSON by Accept)")
async def search_page(request: Request) -> Response:
    accept = request.headers.get("accept")
    wants_json = choose(accept, ("text/html", "application/json")) == "application/json"
    return await _answer(request, json=wants_json)


async def _answer(request: Request, json: bool) -> Response:
    base = pages.settings_base(request)
    headers = {"Vary": "Accept"}
    try:
        query = query_of(list(request.query_params.multi_items()))
        results = await asyncio.to_thread(_run, index_for(request), query)
    except search.SearchError as e:
        if json:
            return JSONResponse({"error": str(e)}, status_code=e.status, headers=headers)
        query = search.Query(request.query_params.get("q", ""))
        return pages.render(request, "search.html", e.status, title="Search", query=query, results=None,
                            error=str(e), q=query.q)
    if json:
        return JSONResponse(search.as_json(results, lambda iri: pages.local_href(iri, base) or iri), headers=headers)
    response = pages.render(request, "search.html", title=f"{query.q or 'All releases'} · search", query=query,
                            results=results, error=None, q=query.q, href=href, marked=search.marked,
                            link=lambda iri: pages.local_href(iri, base), labels=search.FACET_LABELS,
                            rank_limit=search.RANK_LIMIT,
                            selected=_selected(results))
    response.headers.update(headers)
    return response


def _selected(results: search.Results) -> list[tuple[str, str, str]]:
    """(facet, value, label) of the filters in force."""
    return [(f, v, results.labels.get((f, v), v)) for f, v in results.query.filters]


async def releases_section(request: Request, entity_path: str) -> dict[str, Any] | None:
    """What an entity's page shows of the releases naming it (mentioning it; for a person, naming or
    quoting them), newest first: a page of them, the per-year chart, the entities most often named with it; None when none
    does or the build has no index."""
    query = search.Query("", (("entity", entity_path),), "newest", pages.page_number(request), ENTITY_PAGE_SIZE)
    try:
        results = await asyncio.to_thread(_run, index_for(request), query, 12, 100)
    except search.SearchError:
        return None
    if not results.total:
        return None
    base = pages.settings_base(request)
    years = sorted((v.value, v.count) for v in results.facets["year"])
    return {"results": results, "bars": pages.bar_chart(years), "link": lambda iri: pages.local_href(iri, base),
            "search": href(search.Query("", query.filters)),
            "pager": pages.pager(request, "page", "releases", results.total, ENTITY_PAGE_SIZE),
            "names": [(n, "/page/" + n.value if "://" not in n.value else None) for n in results.names]}


pages.SECTIONS["releases"] = releases_section
