"""HTTP peers for the fetch tests, on loopback: Python's own ``http.server``, one that serves
byte ranges and can cut a body short, a TLS one, and parlor's Authenticate pipe under wsgiref.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import ssl
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from argon2 import PasswordHasher

from parlor.wsgi.auth import CHALLENGES, USER, Authenticate
from tests.wsgi.test_auth import Accounts


@dataclass
class Knobs:
    """How the ranged server misbehaves: cut the next N bodies after ``cut_after`` bytes;
    ignore ``Range``; stall before the body (until the server stops)."""

    cut_after: int | None = None
    cuts_left: int = 0
    ignore_range: bool = False
    stall: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    ranges_seen: list[str] = field(default_factory=list)


class RangedHandler(http.server.SimpleHTTPRequestHandler):
    """Python's file handler, plus ``Range: bytes=N-`` (206) and the misbehaviour in Knobs."""

    knobs: Knobs

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404, "not here")
            return
        size = path.stat().st_size
        asked = self.headers.get("Range")
        start = 0
        if asked:
            self.knobs.ranges_seen.append(asked)
        if asked and not self.knobs.ignore_range:
            start = int(asked.removeprefix("bytes=").split("-")[0])
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        if self.knobs.stall:
            self.knobs.released.wait(30)
            return
        with path.open("rb") as handle:
            handle.seek(start)
            left = size - start
            if self.knobs.cut_after is not None and self.knobs.cuts_left > 0:
                self.knobs.cuts_left -= 1
                left = min(left, self.knobs.cut_after)
                self.close_connection = True
            while left > 0:
                block = handle.read(min(left, 1 << 16))
                self.wfile.write(block)
                left -= len(block)


@dataclass
class Served:
    url: str
    root: Path
    knobs: Knobs


class _Server(http.server.ThreadingHTTPServer):
    """Python's threading server, silent when a client goes away mid-answer (a fetch cut off
    on purpose): its default prints a traceback, which would land in another test's output."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _serve(server: http.server.HTTPServer, knobs: Knobs | None = None) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        if knobs is not None:
            knobs.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def ranged_server(root: Path, tls: ssl.SSLContext | None = None) -> Iterator[Served]:
    """Serve ``root`` with :class:`RangedHandler` (over TLS with ``tls``) on a free port."""
    knobs = Knobs()
    handler = type("Handler", (RangedHandler,), {"knobs": knobs})
    server = _Server(("127.0.0.1", 0), partial(handler, directory=str(root)))
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    with contextlib.contextmanager(_serve)(server, knobs):
        yield Served(f"{scheme}://127.0.0.1:{server.server_port}", root, knobs)


@contextlib.contextmanager
def plain_server(root: Path) -> Iterator[str]:
    """Python's ``http.server`` exactly as ``python -m http.server`` runs it."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    with contextlib.contextmanager(_serve)(server):
        yield f"http://127.0.0.1:{server.server_port}"


REALM = "parlor-tests"


class _QuietWsgi(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _whoami(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """401 with the pipe's challenges when no user was proved; else who and how, and the
    algorithm the client chose (from its header)."""
    user = environ[USER]
    if user is None:
        start_response("401 Unauthorized", [*environ[CHALLENGES](), ("Content-Length", "0")])
        return []
    header = environ.get("HTTP_AUTHORIZATION", "")
    algorithm = header.split("algorithm=", 1)[1].split(",", 1)[0] if "algorithm=" in header else "-"
    body = f"{user.username} {user.scheme} {algorithm.strip(chr(34))}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@contextlib.contextmanager
def authenticating_server(
    users: dict[str, str], algorithms: Sequence[str] = ("SHA-256", "MD5")
) -> Iterator[str]:
    """parlor's Authenticate pipe (Digest ``algorithms``, then Basic) before an app that says
    who signed in and how, under the standard library's wsgiref server."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    app = Authenticate(
        _whoami,
        realm=REALM,
        credentials=Accounts(hasher, users, realm=REALM),
        secret=os.urandom(32),
        algorithms=algorithms,
        hasher=hasher,
    )
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietWsgi)
    with contextlib.contextmanager(_serve)(server):
        yield f"http://127.0.0.1:{server.server_port}"
