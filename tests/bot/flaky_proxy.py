"""A loopback HTTP proxy that misbehaves on cue, in front of a real parlor service.

``FlakyProxy(upstream, faults)`` forwards every request to ``upstream`` and
hands back its answer, except where a ``Fault`` matches the request. A fault
does one of:

* ``UNAVAILABLE``: answer 503 problem+json without forwarding, as a gateway
  does while the service restarts (nothing happened);
* ``DROP``: close the connection without forwarding (nothing happened, but
  the client cannot know that);
* ``LOSE``: forward, then close without answering (the service acted, and
  the answer is lost);
* ``BEFORE``: call ``hook(path)`` and then forward, to change the house's
  state behind the client's back.

Every request is logged as ``Seen(method, path, idempotency_key, action)``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNAVAILABLE, DROP, LOSE, BEFORE, FORWARD = "unavailable", "drop", "lose", "before", "forward"
# Hop-by-hop headers, and those send_response() writes itself.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "host",
    "content-length",
    "server",
    "date",
}


@dataclass
class Fault:
    """``action`` on the matching requests number ``after + 1`` … ``after + times``.

    Requests are counted from the first, retries included; where two faults
    strike the same request, the first in the list acts.
    """

    method: str
    #: The request path ends with this ("/bets", "/spins", "/end").
    path_end: str
    action: str
    times: int = 1
    after: int = 0
    hook: Callable[[str], None] | None = None
    seen: int = field(default=0, init=False)

    def applies(self, method: str, path: str) -> bool:
        if method != self.method or not path.split("?", 1)[0].endswith(self.path_end):
            return False
        self.seen += 1
        return self.after < self.seen <= self.after + self.times


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    action: str


class FlakyProxy:
    """Listens on 127.0.0.1 (``base_url``); ``close()`` stops it."""

    def __init__(self, upstream_host: str, upstream_port: int, faults: list[Fault]) -> None:
        self.faults = faults
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.add(self.connection)

            def do_GET(self) -> None:
                proxy._handle(self, upstream_host, upstream_port)

            do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test reads proxy.log instead

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop listening and cut every open connection: the service is gone."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> FlakyProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def seen(self, method: str, path_end: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.log if s.method == method and s.path.endswith(path_end)]

    def _action(self, method: str, path: str) -> tuple[str, Fault | None]:
        with self._lock:  # every fault counts every request it matches, struck or not
            struck = [fault for fault in self.faults if fault.applies(method, path)]
        return (struck[0].action, struck[0]) if struck else (FORWARD, None)

    def _handle(self, handler: BaseHTTPRequestHandler, host: str, port: int) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method, path = handler.command, handler.path
        action, fault = self._action(method, path)
        with self._lock:
            self.log.append(Seen(method, path, handler.headers.get("Idempotency-Key"), action))
        if action == UNAVAILABLE:
            problem = {"title": "Service Unavailable", "detail": "the service is restarting"}
            document = json.dumps({"type": "about:blank", "status": 503, **problem}).encode()
            self._answer(handler, 503, [("Content-Type", "application/problem+json")], document)
            return
        if action == DROP:
            handler.close_connection = True
            return
        if action == BEFORE and fault is not None and fault.hook is not None:
            fault.hook(path)
        upstream = http.client.HTTPConnection(host, port, timeout=10)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream.request(method, path, body=body, headers=headers)
            response = upstream.getresponse()
            answer = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        finally:
            upstream.close()
        if action == LOSE:
            handler.close_connection = True
            return
        self._answer(handler, response.status, kept, answer)

    @staticmethod
    def _answer(
        handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
