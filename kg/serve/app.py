"""The FastAPI application: the SPARQL endpoint, ``/health`` and, when present, the linked-data and HTML routers.

Routers get the build answering a request with ``kg.serve.builds.current_build(request)`` (its ``.path``,
``.id``, ``.engine``) and the settings from ``request.app.state.settings``. ``Guard`` (outermost) holds
each request's build until its response is sent, names it in ``X-Build``, and enforces the request limits
that do not need the engine (URL length 414, head size 431, body size 413, body arriving too slowly 408).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Any, AsyncIterator, Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import __version__
from kg.serve.builds import SCOPE_KEY, Build, Builds
from kg.serve.cache import CachedEngine
from kg.serve.settings import Limits, Settings
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


class Refused(Exception):
    """A request over one of the limits, answered with ``status`` before (or instead of) the route."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _refuse(send: Send, error: Refused) -> None:
    body = (str(error) + "\n").encode()
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _check_head(scope: Scope, limits: Limits) -> None:
    """414 for a request target over ``max_url`` bytes, 431 for a head over ``max_head`` (one that arrives
    whole; one still arriving is cut off by ``kg.serve.protocol``), 413 for a declared body over ``max_body``."""
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b"")) + 1
    if target > limits.max_url:
        raise Refused(414, f"the request URL has {target} bytes; this server accepts at most {limits.max_url} "
                           "(send a long query by POST)")
    head = target + sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    if head > limits.max_head:
        raise Refused(431, f"the request head has about {head} bytes; this server accepts at most {limits.max_head}")
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limits.max_body:
            raise Refused(413, f"the request body has {int(value)} bytes; this server accepts at most {limits.max_body}")


def _bounded(receive: Receive, limits: Limits) -> Receive:
    """``receive`` refusing a body over ``max_body`` bytes (413) or not complete within ``client_timeout``
    seconds (408); once the body is complete, messages (a disconnect) pass through untimed."""
    deadline = asyncio.get_running_loop().time() + limits.client_timeout
    size, complete = 0, False

    async def receive_bounded() -> Message:
        nonlocal size, complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise Refused(408, f"the request body did not arrive within {limits.client_timeout:g} s") from None
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            complete = not message.get("more_body", False)
            if size > limits.max_body:
                raise Refused(413, f"the request body is over {limits.max_body} bytes, this server's limit")
        return message

    return receive_bounded


class Guard:
    """Holds the current build for each HTTP request (``scope["kg.build"]``) until its response is sent,
    adds ``X-Build: <id>`` to the response, and refuses requests over the limits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope["app"].state
        started = False

        async def send_named(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-build", build.id.encode())]
            await send(message)

        builds: Builds = state.builds
        build: Build = builds.acquire()
        scope[SCOPE_KEY] = build
        try:
            _check_head(scope, state.settings.limits)
            await self.app(scope, _bounded(receive, state.settings.limits), send_named)
        except Refused as e:
            if not started:
                await _refuse(send_named, e)
        finally:
            builds.release(build)


def warmer(settings: Settings) -> Callable[[Build], Awaitable[None]]:
    """What to do with each build that becomes current: fill its result cache with the landing page's and
    the example queries' answers, in the background (one query at a time, so the other workers stay free)."""

    async def warm(build: Build) -> None:
        if not isinstance(build.engine, CachedEngine):
            return
        try:
            pages = import_module("kg.serve.pages")
        except ModuleNotFoundError:
            return
        await pages.warm(build.engine, settings.base if settings.base.endswith("/") else settings.base + "/")

    return warm


def create_app(settings: Settings, builds: Builds | None = None) -> FastAPI:
    """The app over ``settings`` and ``builds`` (opened at start-up when not given); the builds are closed
    at shutdown, after the last request (uvicorn re-raises SIGTERM once it returns)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.builds = builds or await Builds(settings, on_open=warmer(settings)).start()
        try:
            yield
        finally:
            await app.state.builds.close()

    app = FastAPI(title="osce-kg", version=__version__, lifespan=lifespan,
                  description="OSCE press releases as linked data: SPARQL 1.1 endpoint, linked data, pages.")
    app.state.settings = settings
    app.add_middleware(EndpointCORS, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"],
                       max_age=3600)
    app.add_middleware(Guard)
    app.include_router(sparql_router)
    app.add_api_route("/health", health, methods=["GET", "HEAD"], summary="the build served, its store and workers")
    for name in OPTIONAL_ROUTERS:
        try:
            module = import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        app.include_router(module.router)
    return app


async def health(request: Request) -> JSONResponse:
    """For monitors: the build being served (id, store size), its workers, builds still finishing requests;
    503 when no worker is alive."""
    report = request.app.state.builds.health()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503,
                        headers={"Cache-Control": "no-store"})
