"""``kg serve``: the SPARQL endpoint, linked data and pages over a build (see ``kg.serve.app``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib import import_module


def main(args: argparse.Namespace) -> int:
    """Serve ``args.data`` on ``args.host:args.port`` until interrupted; a one-line error and 1 if it cannot."""
    from kg.serve.engine import EngineError, open_engine
    from kg.serve.settings import Settings, byte_size

    try:
        settings = Settings.for_data(args.data, timeout=args.timeout, max_results=args.max_results,
                                     backend=args.backend, workers=args.workers,
                                     cache_size=byte_size(args.cache_size))
    except ValueError as e:
        print(f"kg serve: {e}", file=sys.stderr)
        return 1

    async def serve() -> int:
        # the web side is imported in a thread while the query workers start (start-up time)
        web = asyncio.create_task(asyncio.to_thread(import_module, "kg.serve.app"))
        try:
            engine = await open_engine(settings)
        except EngineError as e:
            await web
            print(f"kg serve: {e}", file=sys.stderr)
            return 1
        try:
            import uvicorn

            create_app = (await web).create_app
            server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host=args.host, port=args.port,
                                                   log_level="info"))
            await server.serve()
            return 0 if server.started else 1
        finally:
            await engine.close()

    return asyncio.run(serve())
