"""The FastAPI application: the SPARQL endpoint plus, when present, the linked-data and HTML routers.

Routers read ``request.app.state.engine`` (an ``Engine``) and ``request.app.state.settings`` (``Settings``).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Any, AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kg import __version__
from kg.serve.cache import CachedEngine
from kg.serve.engine import Engine, open_engine
from kg.serve.settings import Settings
from kg.serve.sparql import router as sparql_router

# Routers of the HTML and linked-data side, included when their modules exist.
OPTIONAL_ROUTERS = ("kg.serve.linkeddata", "kg.serve.pages", "kg.serve.reconcile", "kg.serve.search")
CORS_PATHS = ("/sparql",)


class EndpointCORS:
    """CORS (any origin, GET and POST) for the SPARQL endpoint only; other paths pass through untouched."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cors = scope["type"] == "http" and scope["path"] in CORS_PATHS
        await (self.cors if cors else self.app)(scope, receive, send)


async def _warm(engine: Engine, settings: Settings) -> None:
    """Fill the result cache with the landing page's and the example queries' answers, in the background
    (one query at a time, so the other workers stay free for the first requests)."""
    try:
        pages = import_module("kg.serve.pages")
    except ModuleNotFoundError:
        return
    await pages.warm(engine, settings.base if settings.base.endswith("/") else settings.base + "/")


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The app over ``settings``; it opens (and at shutdown closes) its own engine unless one is given.
    With a result cache, the landing page's and the example queries' answers are computed in the
    background after start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine or await open_engine(settings)
        warming = asyncio.create_task(_warm(app.state.engine, settings)) if isinstance(app.state.engine, CachedEngine) \
            else None
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
            if engine is None:
                await app.state.engine.close()

    app = FastAPI(title="osce-kg", version=__version__, lifespan=lifespan,
                  description="OSCE press releases as linked data: SPARQL 1.1 endpoint, linked data, pages.")
    app.state.settings = settings
    app.add_middleware(EndpointCORS, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"],
                       max_age=3600)
    app.include_router(sparql_router)
    for name in OPTIONAL_ROUTERS:
        try:
            module = import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        app.include_router(module.router)
    return app
