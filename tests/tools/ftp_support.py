"""FTP servers for the tests: real pyftpdlib servers on loopback, and raw sockets that misbehave.

``ftp_servers(root)`` builds the tree below (once per module: 5,000 files take a moment) and
serves it from three pyftpdlib servers sharing one I/O loop in one thread:

- ``plain``: pyftpdlib as it comes (EPSV, PASV, MLSD, FEAT), anonymous read-only, and
  ``alice`` with a password;
- ``legacy``: an older server's manners: no EPSV (500, so clients fall back to PASV), no
  MLST/MLSD (so a tree is read from LIST lines), and a greeting of two lines;
- ``tls``: explicit FTPS only (``TLS_FTPHandler``, the control and data connections must be
  TLS) with a self-signed certificate for 127.0.0.1, when a certificate is given.

``RawServer(handler)`` runs ``handler(conn)`` on each connection to a loopback port, for the
servers pyftpdlib will not be: silent, endless, overlong, hostile. ``mini_ftp(...)`` is such a
handler speaking just enough FTP to log in and answer one LIST, NLST or RETR as scripted.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # pyftpdlib still imports asyncore and asynchat (deprecated, and warnings are errors here).
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer  # type: ignore[import-untyped]
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler  # type: ignore[import-untyped]
    from pyftpdlib.ioloop import IOLoop  # type: ignore[import-untyped]
    from pyftpdlib.servers import FTPServer  # type: ignore[import-untyped]

HOST = "127.0.0.1"
USER, PASSWORD = "alice", "s3cret pass"
FILES = 5_000
#: The bytes of files/data.bin: 2 MiB and a bit, so a transfer is still running when a test
#: stops reading it.
DATA = random.Random(15).randbytes(2 * 1024 * 1024 + 12_345)
HELLO = b"hello, ftp\r\n"
LEGACY_BANNER = (
    "parlor's test server with an older server's manners: PASV and LIST only, no EPSV, no MLSD"
)


@dataclass(frozen=True)
class FtpServers:
    root: Path
    plain: int
    legacy: int
    tls: int | None

    def url(self, port: int, path: str = "", userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"ftp://{at}{HOST}:{port}/{path}"


def make_tree(root: Path) -> None:
    """big/ (5,000 empty files), tree/ (a few levels and a link back up), files/, and
    locked/ (whose secret/ cannot be listed)."""
    big = root / "big"
    big.mkdir()
    for n in range(FILES):
        (big / f"f{n:05d}.txt").touch()
    tree = root / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "c").mkdir()
    (tree / "top.txt").write_bytes(b"top\n")
    (tree / "space name.txt").write_bytes(b"x" * 10)
    (tree / "a" / "x.txt").write_bytes(b"xx")
    (tree / "a" / "b" / "deep.txt").write_bytes(b"deep")
    (tree / "a" / "b" / "loop").symlink_to("../../a")  # a directory that contains itself
    files = root / "files"
    files.mkdir()
    (files / "data.bin").write_bytes(DATA)
    (files / "hello.txt").write_bytes(HELLO)
    locked = root / "locked" / "secret"  # listed by its parent, but not listable (see below)
    locked.mkdir(parents=True)
    (locked / "inside.txt").write_bytes(b"never listed")
    (root / "locked" / "open.txt").write_bytes(b"open")


def _handler(base: Any, authorizer: Any, **attributes: Any) -> Any:
    # Each server its own subclass: pyftpdlib keeps its settings (and TLS context) on the class.
    return type("Handler", (base,), {"authorizer": authorizer, **attributes})


@contextlib.contextmanager
def ftp_servers(
    root: Path, cert: Path | None = None, key: Path | None = None
) -> Iterator[FtpServers]:
    """The three servers over ``root`` (which :func:`make_tree` has filled), until the end."""
    # pyftpdlib configures logging to stderr unless someone has: say where it goes, and quietly.
    log = logging.getLogger("pyftpdlib")
    log.addHandler(logging.NullHandler())
    log.setLevel(logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(str(root), perm="elr")
    authorizer.add_user(USER, PASSWORD, str(root), perm="elr")
    for name in ("anonymous", USER):  # locked/secret: enter, but not list (LIST, MLSD: 550)
        authorizer.override_perm(name, str(root / "locked" / "secret"), perm="e", recursive=True)
    quick = {"auth_failed_timeout": 0}  # pyftpdlib waits 3 s after a wrong password
    legacy_commands = {
        name: spec
        for name, spec in FTPHandler.proto_cmds.items()
        if name not in ("EPSV", "MLSD", "MLST")
    }
    ioloop = IOLoop()
    servers = [
        FTPServer((HOST, 0), _handler(FTPHandler, authorizer, **quick), ioloop=ioloop),
        FTPServer(
            (HOST, 0),
            _handler(
                FTPHandler,
                authorizer,
                proto_cmds=legacy_commands,
                banner=LEGACY_BANNER,
                **quick,
            ),
            ioloop=ioloop,
        ),
    ]
    if cert is not None:
        tls = _handler(
            TLS_FTPHandler,
            authorizer,
            certfile=str(cert),
            keyfile=str(key or cert),
            tls_control_required=True,
            tls_data_required=True,
            **quick,
        )
        servers.append(FTPServer((HOST, 0), tls, ioloop=ioloop))
    ports = [server.address[1] for server in servers]
    stop = threading.Event()

    def serve() -> None:
        # One poll at a time, so the loop can be told to stop; closed from its own thread.
        while not stop.is_set():
            ioloop.loop(timeout=0.02, blocking=False)
        ioloop.close()

    thread = threading.Thread(target=serve, name="pyftpdlib", daemon=True)
    thread.start()
    try:
        yield FtpServers(root, ports[0], ports[1], ports[2] if cert is not None else None)
    finally:
        stop.set()
        thread.join(10)


class RawServer:
    """A loopback TCP server running ``handler(conn)`` in a thread for each connection."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "") -> str:
        return f"ftp://{HOST}:{self.port}/{path}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._accepter.join(5)
        self.listener.close()
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        # A handler ends when the client goes; the timeout makes sure one that waits does too.
        conn.settimeout(10)
        # Replies go out as small writes in a row (150, then 226): without this, each waits
        # for the client's delayed ACK, 40 ms a transfer.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn, contextlib.suppress(OSError):
            self.handler(conn)


def silent(conn: socket.socket) -> None:
    """Accept, and never greet: wait until the client gives up."""
    conn.recv(1)


def overlong(conn: socket.socket) -> None:
    """A greeting line of 100,000 bytes."""
    conn.sendall(b"220 " + b"A" * 100_000 + b"\r\n")
    conn.recv(1)


def endless(conn: socket.socket) -> None:
    """A multi-line greeting that never ends, each line short."""
    conn.sendall(b"220-welcome\r\n")
    while True:
        conn.sendall(b" and more\r\n" * 100)


def mini_ftp(
    *,
    banner: bytes = b"220 mini FTP ready",
    data: bytes = b"",
    size: int | None = None,
    final: bytes = b"226 Transfer complete.",
    hang_up: bool = False,
    reset: bool = False,
    rest: bytes = b"350 Restarting.",
) -> Callable[[socket.socket], None]:
    """Just enough FTP to log in and answer LIST, NLST or RETR with ``data`` (then ``final``;
    with ``hang_up``, by closing the control connection without a final reply; with
    ``reset``, by resetting the data connection after ``data``). REST is answered ``rest``."""

    def handle(conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        data_listener: socket.socket | None = None

        def reply(text: bytes) -> None:
            conn.sendall(text + b"\r\n")

        try:
            reply(banner)
            for raw in reader:
                verb = raw.strip().partition(b" ")[0].upper()
                if verb == b"USER":
                    reply(b"331 Password, please.")
                elif verb == b"PASS":
                    reply(b"230 Logged in.")
                elif verb == b"TYPE":
                    reply(b"200 Type set.")
                elif verb == b"SIZE":
                    reply(b"213 %d" % size if size is not None else b"550 No size.")
                elif verb == b"EPSV":
                    if data_listener is not None:  # an earlier one, never used (REST refused)
                        data_listener.close()
                    data_listener = socket.create_server((HOST, 0))
                    data_listener.settimeout(10)
                    port = data_listener.getsockname()[1]
                    reply(b"229 Entering Extended Passive Mode (|||%d|)" % port)
                elif verb in (b"LIST", b"NLST", b"RETR") and data_listener is not None:
                    reply(b"150 Here it comes.")
                    data_conn, _ = data_listener.accept()
                    with data_conn:
                        data_conn.sendall(data)
                        if reset:  # close with a linger of 0: RST, not FIN
                            data_conn.setsockopt(
                                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                            )
                    data_listener.close()
                    data_listener = None
                    if hang_up:
                        return
                    reply(final)
                elif verb == b"REST":
                    reply(rest)
                elif verb == b"NOOP":
                    reply(b"200 Nothing done.")
                elif verb == b"QUIT":
                    reply(b"221 Goodbye.")
                    return
                else:
                    reply(b"502 Not here.")
        finally:
            reader.close()
            if data_listener is not None:
                data_listener.close()

    return handle
