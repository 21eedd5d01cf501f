"""``kg serve``: the SPARQL endpoint, linked data and pages over a build (see ``kg.serve.app``),
following each new build swapped into the data folder (``kg.serve.builds``; SIGHUP checks at once).

The command's own process is a supervisor (``kg.serve.supervisor``) that holds the listening socket and
runs the server in a child process, replaced when a query outruns its time limit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from kg.serve.settings import Settings


def main(args: argparse.Namespace) -> int:
    """Serve ``args.data`` on ``args.host:args.port`` until SIGINT/SIGTERM (running requests finish first);
    a one-line error and 1 if it cannot. Run as the supervisor, unless it is the server process it started."""
    from kg.serve.settings import Limits, Settings, byte_size
    from kg.serve.supervisor import LISTEN_FD, supervise

    try:
        limits = Limits(max_body=byte_size(args.max_body), max_url=byte_size(args.max_url),
                        max_head=byte_size(args.max_head), max_query=byte_size(args.max_query),
                        max_depth=args.max_depth, client_timeout=args.client_timeout,
                        shutdown_timeout=args.shutdown_timeout)
        settings = Settings.for_data(args.data, timeout=args.timeout, max_results=args.max_results,
                                     backend=args.backend, workers=args.workers, store=args.store,
                                     cache_size=byte_size(args.cache_size), poll_interval=args.poll, limits=limits)
    except ValueError as e:
        print(f"kg serve: {e}", file=sys.stderr)
        return 1
    if LISTEN_FD not in os.environ:
        return supervise(args.argv, args.host, args.port, limits.shutdown_timeout)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_serve(settings, access_log=args.access_log))


async def _serve(settings: Settings, access_log: bool) -> int:
    """The server process: the app on the supervisor's socket until SIGTERM (or the supervisor is gone)."""
    from kg.serve.builds import Builds
    from kg.serve.engine import EngineError
    from kg.serve.supervisor import CONTROL_FD, LISTEN_FD, REPLACE

    listener = socket.socket(fileno=int(os.environ.pop(LISTEN_FD)))
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_FD)))

    def replace_me(_query: str) -> None:
        with contextlib.suppress(OSError):
            control.send(REPLACE)

    # the web side is imported in a thread while the data loads (start-up time)
    web = asyncio.create_task(asyncio.to_thread(import_module, "kg.serve.app"))
    try:
        builds = await Builds(settings, on_runaway=replace_me).start()
    except EngineError as e:
        await web
        print(f"kg serve: {e}", file=sys.stderr)
        return 1
    try:
        import uvicorn

        from kg.serve.protocol import with_head_limits

        app = await web
        builds.each_build(app.warmer(settings))
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, builds.check_now)
        limits = settings.limits
        config = uvicorn.Config(app.create_app(settings, builds), log_level="info", access_log=access_log,
                                http=with_head_limits(limits.client_timeout, limits.max_head),
                                h11_max_incomplete_event_size=2 * limits.max_head,  # ours answers first
                                timeout_graceful_shutdown=limits.shutdown_timeout)  # type: ignore[arg-type]
        server = uvicorn.Server(config)
        announce = _follow_supervisor(control, server)
        await server.serve(sockets=[listener])
        announce.cancel()
        return 0 if server.started else 1
    finally:
        await builds.close()


def _follow_supervisor(control: socket.socket, server: Any) -> asyncio.Task:
    """Tell the supervisor once uvicorn's ``server`` accepts requests (the task returned); shut ``server``
    down if the supervisor is gone."""
    from kg.serve.supervisor import READY

    loop = asyncio.get_running_loop()

    def gone() -> None:
        try:
            if control.recv(64):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        loop.remove_reader(control)
        server.should_exit = True

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.02)
        with contextlib.suppress(OSError):
            control.send(READY)

    control.setblocking(False)
    loop.add_reader(control, gone)
    return loop.create_task(announce())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (less CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
