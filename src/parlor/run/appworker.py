"""The app process: the WSGI app, on request threads, behind its front door's channel.

The seed's chapter puts a fast server in front of the Python application;
parlor does the same within each worker. The front door (Granian and an
event loop) reads requests; this process runs the app. Two processes have two
GILs: the app's threads never wait on the loop's, or the loop on theirs, and
bets/s doubled against request threads in the front door's own process
(BENCHMARKS.md).

Started by ``appprocess.AppProcess`` as ``python -m parlor.run.appworker
TARGET FD THREADS MULTIPROCESS``: TARGET names an app factory
(``module:function``, called with the ``publish`` its house reports changes
to, returning a ``request.AppSetup``), FD is this end of a socketpair. Frames
(``frames``), every one a tuple whose first item says what it is:

    app → front door   ("ready",)                          the app is built
    front door → app   ("call", id, request, allow_wait)   run a request
    app → front door   ("reply", id, reply)                its reply
    front door → app   ("versions", id, topics)            read versions
    app → front door   ("versions", id, [(topic, version)] or None on failure)

The process ends when the channel closes, or on SIGTERM (which its front door
sends as it stops, and the kernel when the front door dies): the requests in
hand are answered and the access log is written out first. SIGINT is
ignored: a terminal's Ctrl+C reaches the whole process group, and the front
door decides when its app stops.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from parlor.run import frames, lifeline
from parlor.run.request import AppSetup, ChangeLog, Publish, Request, report_unexpected, run_app

AppFactory = Callable[[Publish], AppSetup]


def load_factory(target: str) -> AppFactory:
    """``"package.module:function"`` → the function."""
    module_name, _, attribute = target.partition(":")
    factory: AppFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


class AppServer:
    """Serves one channel: its threads read frames, run them and write the replies.

    Each thread reads for itself (one at a time, under a lock) and answers the
    first frame it finds, leaving the rest to the others: a request that
    arrives alone is run by the thread that read it, with no hand-off.
    """

    def __init__(
        self, sock: socket.socket, factory: AppFactory, *, threads: int, multiprocess: bool
    ) -> None:
        self._sock = sock
        self._log = ChangeLog()
        self._setup = factory(self._log.publish)
        self._multiprocess = multiprocess
        self._send_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._reader = frames.FrameReader()
        self._pending: deque[tuple[Any, ...]] = deque()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"parlor-app-{i}", daemon=True)
            for i in range(max(1, threads))
        ]

    def _send(self, value: Any) -> None:
        data = frames.encode(value)
        with self._send_lock:
            self._sock.sendall(data)

    def serve(self) -> None:
        """Until the front door closes the channel, or ``Stop`` is raised in this thread."""
        for thread in self._threads:
            thread.start()
        self._send(("ready",))
        try:
            for thread in self._threads:
                while thread.is_alive():
                    thread.join(timeout=1.0)
        except Stop:
            # Read no more; the threads answer what they hold, then find the end.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RD)
            for thread in self._threads:
                thread.join(timeout=10)
        finally:
            self._sock.close()

    def _next(self) -> tuple[Any, ...] | None:
        """The next frame to answer, or None once the channel has ended."""
        while True:
            with contextlib.suppress(IndexError):
                return self._pending.popleft()
            with self._read_lock:
                if self._pending:
                    continue
                if self._closed:
                    return None
                try:
                    data = self._sock.recv(256 * 1024)
                    messages = self._reader.feed(data) if data else []
                except (OSError, frames.FrameError):
                    data = b""
                if not data:
                    self._closed = True
                    return None
                self._pending.extend(messages)

    def _work(self) -> None:
        while (message := self._next()) is not None:
            try:
                self._send(self._answer(message))
            except OSError:  # the front door has gone
                return

    def _answer(self, message: tuple[Any, ...]) -> tuple[Any, ...]:
        kind, ident = message[0], message[1]
        if kind == "call":
            reply = run_app(
                self._setup.app,
                Request.from_wire(message[2]),
                allow_wait=message[3] and self._setup.current is not None,
                log=self._log,
                multiprocess=self._multiprocess,
            )
            return ("reply", ident, reply.to_wire())
        current = self._setup.current
        try:
            versions = [] if current is None else list(current(message[2]).items())
        except Exception as error:  # a busy store: the front door polls again
            report_unexpected(error, "reading versions for long polls")
            return ("versions", ident, None)
        return ("versions", ident, versions)


class Stop(Exception):
    """Raised in the main thread by SIGTERM: stop reading, finish what is in hand."""


def _stop(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough; finish in peace
    raise Stop


def main(argv: list[str]) -> int:
    target, fd, threads, multiprocess = argv
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()
    sock = socket.socket(fileno=int(fd))
    try:
        server = AppServer(
            sock, load_factory(target), threads=int(threads), multiprocess=multiprocess == "1"
        )
    except Stop:  # told to stop while the app was still being built
        return 0
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
