"""``kg serve``: the SPARQL endpoint, linked data and pages over a build (see ``kg.serve.app``),
following each new build swapped into the data folder (``kg.serve.builds``; SIGHUP checks at once)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from importlib import import_module
from typing import Callable


def main(args: argparse.Namespace) -> int:
    """Serve ``args.data`` on ``args.host:args.port`` until SIGINT/SIGTERM (running requests finish first);
    a one-line error and 1 if it cannot."""
    from kg.serve.engine import EngineError
    from kg.serve.settings import Limits, Settings, byte_size

    try:
        limits = Limits(max_body=byte_size(args.max_body), max_url=byte_size(args.max_url),
                        max_head=byte_size(args.max_head), max_query=byte_size(args.max_query),
                        max_depth=args.max_depth, client_timeout=args.client_timeout,
                        shutdown_timeout=args.shutdown_timeout)
        settings = Settings.for_data(args.data, timeout=args.timeout, max_results=args.max_results,
                                     backend=args.backend, workers=args.workers,
                                     cache_size=byte_size(args.cache_size), poll_interval=args.poll, limits=limits)
    except ValueError as e:
        print(f"kg serve: {e}", file=sys.stderr)
        return 1

    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> int:
        from kg.serve.builds import Builds

        # the web side is imported in a thread while the query workers start (start-up time)
        web = asyncio.create_task(asyncio.to_thread(import_module, "kg.serve.app"))
        try:
            builds = await Builds(settings).start()
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
            config = uvicorn.Config(app.create_app(settings, builds), host=args.host, port=args.port,
                                    log_level="info", access_log=args.access_log,
                                    http=with_head_limits(limits.client_timeout, limits.max_head),
                                    h11_max_incomplete_event_size=2 * limits.max_head,  # ours answers first
                                    timeout_graceful_shutdown=limits.shutdown_timeout)  # type: ignore[arg-type]
            server = uvicorn.Server(config)
            await server.serve()
            return 0 if server.started else 1
        finally:
            await builds.close()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(serve())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (less CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
