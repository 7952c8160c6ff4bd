"""A small client of the tables protocol, for scripts, tests and ``parlor tables connect``.

``TablesClient`` sends one command at a time and returns its final reply;
the events that arrive meanwhile (or while it waits for nothing) are kept in
order in ``events``, never taken for a reply: the codec tells them apart by
their first digit (``parlor.tcp.protocol.ServerReader``).
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections import deque

from parlor.tcp.protocol import Event, ProtocolError, Reply, ServerReader

_WAIT = re.compile(r"in ([0-9.]+) s")


def _named_wait(text: str) -> float:
    """The seconds a 452 asks for ("try again in 1.5 s"); one second when it names none."""
    found = _WAIT.search(text)
    return min(30.0, float(found.group(1))) if found else 1.0


class TablesUnreachable(Exception):
    """No tables server answered: the message says what to check."""


class TablesClient:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 36001,
        *,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        try:
            raw = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise TablesUnreachable(
                f"cannot reach a tables server at {host}:{port} ({error.strerror or error}):"
                " is `parlor tables` running there?"
            ) from None
        self._sock: socket.socket = (
            tls.wrap_socket(raw, server_hostname=host) if tls is not None else raw
        )
        self._reader = ServerReader()
        self._pending: deque[Reply] = deque()
        self.events: deque[Event] = deque()
        self.timeout = timeout
        #: The server's greeting (220), or its refusal (421).
        self.greeting = self._next_reply()

    def __enter__(self) -> TablesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, line: str, *, patience: int = 5) -> Reply:
        """Send one command line; return its final reply.

        A ``452`` (slow down) means the server ran nothing: the command is sent
        again after the wait it names, up to ``patience`` times. No other reply
        is retried: a command the server may have run is never sent twice.
        """
        for _ in range(patience):
            self._sock.sendall(line.encode() + b"\r\n")
            reply = self._next_reply()
            if reply.code != 452:
                return reply
            time.sleep(_named_wait(reply.text))
        self._sock.sendall(line.encode() + b"\r\n")
        return self._next_reply()

    def wait_for(self, code: int, timeout: float | None = None) -> Event:
        """The first event with ``code``, waiting for it; earlier ones stay in ``events``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for event in self.events:
                if event.code == code:
                    self.events.remove(event)
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {code} event within the wait")
            self._receive(left)

    def _next_reply(self) -> Reply:
        deadline = time.monotonic() + self.timeout
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the server sent no reply within the timeout")
            self._receive(left)
        return self._pending.popleft()

    def _receive(self, timeout: float) -> None:
        self._sock.settimeout(timeout)
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return
        if not data:
            raise ConnectionError("the server closed the connection")
        for item in self._reader.feed(data):
            if isinstance(item, Event):
                self.events.append(item)
            else:
                self._pending.append(item)


__all__ = ["ProtocolError", "TablesClient", "TablesUnreachable"]
