"""``kg serve``'s first process: it owns the listening socket and keeps one server process answering on it.

pyoxigraph cannot stop a query once it runs, so a query past its time limit is answered with 503 and left
running in its thread (``kg.serve.engine``), and the server process asks to be replaced. The supervisor
then starts a new server process on the same socket and, once that one is ready, sends the old one SIGTERM:
the old process stops accepting connections, finishes its other requests and exits, and the runaway query
ends with it. The socket stays open throughout, so no connection is refused meanwhile.

A server process that dies is restarted; one that exits before it is ready ends the supervisor with its
exit code (bad data gets its one-line error once). SIGTERM and SIGINT are passed on as SIGTERM (running
requests finish), SIGHUP to the current server process (check for a new build now). A server process
whose supervisor is gone shuts down.

The two talk over a socket pair: the server process writes ``ready`` once it accepts requests and
``replace`` when it should be replaced.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

LISTEN_FD = "KG_SERVE_LISTEN_FD"
CONTROL_FD = "KG_SERVE_CONTROL_FD"
READY, REPLACE = b"ready\n", b"replace\n"


@dataclass(eq=False)
class _Server:
    """One server process and the supervisor's end of its control channel."""

    process: subprocess.Popen
    control: socket.socket
    ready: bool = False
    replacing: bool = False  # asked to be replaced; a successor is starting
    closed: bool = False  # its end of the channel is closed: it is exiting
    buffer: bytes = field(default=b"")

    @classmethod
    def start(cls, argv: list[str], listener: socket.socket) -> "_Server":
        mine, theirs = socket.socketpair()
        env = {**os.environ, LISTEN_FD: str(listener.fileno()), CONTROL_FD: str(theirs.fileno())}
        process = subprocess.Popen([sys.executable, "-m", "kg.cli", *argv], env=env, start_new_session=True,
                                   pass_fds=(listener.fileno(), theirs.fileno()))
        theirs.close()
        return cls(process, mine)

    def messages(self) -> list[bytes]:
        """The complete lines the server process has written since last asked."""
        data = self.control.recv(4096)
        if not data:
            self.closed = True
            return []
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line + b"\n" for line in lines]

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)


def supervise(argv: list[str], host: str, port: int, shutdown_timeout: float) -> int:
    """Listen on ``host:port`` and keep a ``kg`` server process (``argv``) answering there until SIGTERM or
    SIGINT; the exit code of a server process that fails to start, else 0."""
    try:
        listener = socket.create_server((host, port), backlog=1024)
    except OSError as e:
        print(f"kg serve: cannot listen on {host}:{port}: {os.strerror(e.errno) if e.errno else e}", file=sys.stderr)
        return 1
    listener.set_inheritable(True)
    caught: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, _frame: caught.append(s))
    servers = [_Server.start(argv, listener)]
    try:
        return _watch(servers, argv, listener, caught)
    finally:
        _stop(servers, shutdown_timeout)
        listener.close()


def _watch(servers: list[_Server], argv: list[str], listener: socket.socket, caught: list[int]) -> int:
    """The supervisor's loop: pass signals on, replace server processes; returns the exit code."""
    while True:
        while caught:
            sig = caught.pop(0)
            if sig != signal.SIGHUP:
                return 0
            servers[-1].signal(signal.SIGHUP)
        readable, _, _ = select.select([s.control for s in servers if not s.closed], [], [], 0.2)
        for server in [s for s in servers if s.control in readable]:
            for message in server.messages():
                if message == READY:
                    server.ready = True
                    for old in servers[:servers.index(server)]:  # its predecessors finish and exit
                        old.signal(signal.SIGTERM)
                elif message == REPLACE and not server.replacing and server is servers[-1]:
                    server.replacing = True
                    print(f"kg serve: replacing server process {server.process.pid} (a query is still running "
                          "past its time limit)", file=sys.stderr, flush=True)
                    servers.append(_Server.start(argv, listener))
        for server in [s for s in servers if s.process.poll() is not None]:
            servers.remove(server)
            server.control.close()
            code = server.process.returncode
            if servers:  # a predecessor that finished, or a successor that failed while the old one serves
                if not server.ready:
                    print(f"kg serve: a new server process failed to start (exit code {code}); the old one "
                          "keeps serving", file=sys.stderr, flush=True)
                    servers[-1].replacing = False
                continue
            if not server.ready:
                return code or 1
            print(f"kg serve: server process {server.process.pid} exited (exit code {code}); starting another",
                  file=sys.stderr, flush=True)
            servers.append(_Server.start(argv, listener))


def _stop(servers: list[_Server], shutdown_timeout: float) -> None:
    """SIGTERM every server process and wait for them (running requests finish), then kill what is left."""
    for server in servers:
        server.signal(signal.SIGTERM)
    deadline = time.monotonic() + shutdown_timeout + 10
    for server in servers:
        try:
            server.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
        server.control.close()
