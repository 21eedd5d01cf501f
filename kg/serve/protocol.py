"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for each request's head: a client that connects and
sends nothing, or sends a head a byte at a time (slowloris), gets 408 and is disconnected after
``client_timeout`` seconds (counted from the connection, or from the previous response). uvicorn's own
limits still apply: an idle kept-alive connection is closed after 5 s, a head over
``h11_max_incomplete_event_size`` bytes gets 400."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 41\r\n" \
                   b"connection: close\r\n\r\nthe request head did not arrive in time.\n"


def with_head_deadline(client_timeout: float) -> type[H11Protocol]:
    """An ``H11Protocol`` class whose connections must send each request head within ``client_timeout`` s."""

    class HeadDeadline(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a new request's head is complete
                self._disarm()

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
            if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
                self.transport.write(TIMEOUT_RESPONSE)
                self.transport.close()

    return HeadDeadline
