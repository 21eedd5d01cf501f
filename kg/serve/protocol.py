"""uvicorn's HTTP/1.1 protocol with limits on each request's head: it must arrive within
``client_timeout`` seconds (counted from the connection, or from the previous response), else 408 and
the connection is closed (a client that connects and sends nothing, or a head a byte at a time:
slowloris); a head over ``max_head`` bytes gets 431. uvicorn's own rule still applies: an idle
kept-alive connection is closed after 5 s.

The C parser (httptools) is used where installed, else h11; the protocol class is made for either.
"""

from __future__ import annotations

import asyncio
from typing import Any

TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: "
TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\nconnection: close\r\n" \
            b"content-length: "


def base_protocol() -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol where httptools is installed, else its h11 one."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


def _reply(head: bytes, message: str) -> bytes:
    body = message.encode() + b"\n"
    return head + str(len(body)).encode() + b"\r\n\r\n" + body


def with_head_limits(client_timeout: float, max_head: int, base: type[Any] | None = None) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's protocol ``base`` (``base_protocol()``) enforcing both limits on request heads."""

    class HeadLimits(base or base_protocol()):  # type: ignore[misc]
        _deadline: asyncio.TimerHandle | None = None
        _head_bytes = 0

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a new request's head is complete
                self._disarm()
                self._head_bytes = 0
            elif cycle is None or cycle.response_complete:  # still waiting for a head
                self._head_bytes += len(data)
                if self._head_bytes > max_head:
                    self._refuse(TOO_LARGE, f"the request head is over {max_head} bytes, this server's limit")

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(client_timeout, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.cycle is None or self.cycle.response_complete:
                self._refuse(TIMEOUT, f"the request head did not arrive within {client_timeout:g} s")

        def _refuse(self, head: bytes, message: str) -> None:
            if not self.transport.is_closing():
                self.transport.write(_reply(head, message))
                self.transport.close()

    return HeadLimits
