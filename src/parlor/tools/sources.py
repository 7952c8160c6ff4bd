"""Where ``parlor fetch`` reads a body from: one opener per URL scheme, all alike to the caller.

:func:`open_body` takes a :class:`Request` and the byte ``offset`` to start at (0, or the size
of a partial download being resumed) and yields a :class:`Body`:

- ``offset`` is where its chunks really start: the one asked for when the server honoured it
  (HTTP ``206`` to ``Range: bytes=N-``, FTP ``350`` to ``REST N``, a seek in a file), else 0;
  the caller then starts over rather than append the whole file to its first part.
- ``total`` is the whole resource's size when the peer said it, else None.
- ``chunks()`` streams the rest, a bounded piece at a time, so memory stays flat.
- ``complete`` is True when there is nothing left to read (a resume of a finished file).

Schemes: ``http`` and ``https`` (httpx; redirects followed, at most 10; ``Accept-Encoding:
identity``, so the bytes saved are the bytes served), ``ftp`` (:mod:`parlor.tools.ftp`) and
``file`` (this machine only). Every failure is a :class:`parlor.tools.errors.ToolError`.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

from parlor.tools.errors import (
    NotFound,
    RemoteError,
    ToolError,
    UnknownScheme,
)
from parlor.tools.terminal import printable, shown_url, url_problem

if TYPE_CHECKING:
    from parlor.tools.ftp import Trace

#: Bytes asked of the peer per read: large enough that per-chunk work is noise beside the copy.
CHUNK = 1 << 20
SCHEMES = ("http", "https", "ftp", "file")
#: How fetch answers an HTTP 401 (``--auth``; :mod:`parlor.tools.httpauth` does it).
AuthMode = Literal["any", "basic", "digest"]
AUTH_MODES: tuple[AuthMode, ...] = ("any", "basic", "digest")
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Request:
    """What to fetch and how: the options ``parlor fetch`` and ``parlor ftp get`` share."""

    url: str
    user: str | None = None  # --user NAME[:PASSWORD]
    auth: AuthMode = "any"
    timeout: float = 30.0
    cacert: Path | None = None
    insecure: bool = False
    netrc_file: Path | None = None
    ftp_active: bool = False
    ftp_tls: bool = False
    ftp_trace: Trace | None = None
    max_time: float | None = None  # --max-time: the body's whole transfer, in seconds

    @property
    def shown_url(self) -> str:
        """The URL for messages: without a password, and safe to print."""
        return shown_url(self.url)


@dataclass
class Body:
    offset: int
    total: int | None
    stream: Iterator[bytes]
    complete: bool = False

    def chunks(self) -> Iterator[bytes]:
        """The rest of the body, a piece at a time."""
        return self.stream


def split(url: str, label: str | None = None) -> SplitResult:
    """The URL's parts, or UnknownScheme/ToolError saying what is wrong with it."""
    label = label or shown_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError as error:
        raise ToolError(f"{label} is not a URL{url_problem(url, error)}") from None
    if parts.scheme.casefold() not in SCHEMES:
        scheme = parts.scheme or "none"
        raise UnknownScheme(
            f"{label}: the scheme {printable(scheme)!r} is not one fetch reads;"
            " use http, https, ftp or file"
        )
    return parts


@contextmanager
def open_body(request: Request, offset: int = 0) -> Iterator[Body]:
    """Open ``request.url`` at ``offset``; see the module docstring."""
    parts = split(request.url, request.shown_url)
    scheme = parts.scheme.casefold()
    if scheme == "file":
        with _open_file(parts, offset) as body:
            yield body
    elif scheme == "ftp":
        with _open_ftp(request, offset) as body:
            yield body
    else:
        with _open_http(request, offset) as body:
            yield body


# -- file ---------------------------------------------------------------------------------


def local_source(request: Request) -> Path | None:
    """The file a ``file:`` request reads, or None for any other URL (or a bad one)."""
    try:
        parts = urlsplit(request.url)
        return file_path(parts) if parts.scheme.casefold() == "file" else None
    except (ValueError, ToolError):
        return None


def file_path(parts: SplitResult) -> Path:
    """The local path of a ``file:`` URL; only this machine's files (no host, or localhost)."""
    if parts.netloc not in ("", "localhost"):
        raise ToolError(
            f"file://{parts.netloc}/…: file URLs read this machine only; write file:///path"
        )
    return Path(url2pathname(parts.path))


@contextmanager
def _open_file(parts: SplitResult, offset: int) -> Iterator[Body]:
    path = file_path(parts)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ToolError(f"{path} is a directory; fetch reads files") from None
    except OSError as error:
        raise ToolError(f"{path}: {error.strerror or error}") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        start = offset if 0 < offset <= size else 0
        handle.seek(start)

        def chunks() -> Iterator[bytes]:
            while block := handle.read(CHUNK):
                yield block

        yield Body(start, size, chunks(), complete=start == size and start > 0)


# -- ftp ----------------------------------------------------------------------------------


@contextmanager
def _open_ftp(request: Request, offset: int) -> Iterator[Body]:
    from parlor.tools import ftp

    target = ftp.parse_url(request.url, request.user, netrc_file=request.netrc_file)
    context = tls_context(request.cacert, request.insecure) if request.ftp_tls else None
    with ftp.Session(
        target,
        timeout=request.timeout,
        active=request.ftp_active,
        tls=request.ftp_tls,
        tls_context=context,
        trace=request.ftp_trace,
    ) as session:
        total = session.size(target.path)
        if total is not None and offset == total and offset > 0:
            yield Body(offset, total, iter(()), complete=True)
            return
        start = offset if total is None or offset < total else 0
        try:
            transfer = session.retrieve(target.path, offset=start)
        except RemoteError:
            if not start:
                raise
            # REST refused (502 on a server without it): the whole file, from the start.
            start, transfer = 0, session.retrieve(target.path)
        with transfer:
            yield Body(start, total, transfer)


# -- http and https -----------------------------------------------------------------------


def tls_context(cacert: Path | None = None, insecure: bool = False) -> ssl.SSLContext:
    """How a server's certificate is checked: against the system's store, plus ``cacert``
    (``--cacert``); or not at all (``--insecure``)."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if cacert is not None:
        try:
            context.load_verify_locations(cafile=str(cacert))
        except (OSError, ssl.SSLError) as error:
            raise ToolError(f"--cacert {cacert}: cannot load it ({error})") from None
    return context


@contextmanager
def _open_http(request: Request, offset: int) -> Iterator[Body]:
    from parlor import __version__
    from parlor.tools import httpget

    headers = {"Accept-Encoding": "identity", "User-Agent": f"parlor-fetch/{__version__}"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    exchange = httpget.Exchange(
        request.url,
        user=request.user,
        mode=request.auth,
        timeout=request.timeout,
        context=tls_context(request.cacert, request.insecure),
        netrc_file=request.netrc_file,
        headers=headers,
    )
    try:
        response = exchange.open()
        url, status = request.shown_url, response.status
        if status == 416 and offset > 0:
            if httpget.range_total(response) == offset:
                yield Body(offset, offset, iter(()), complete=True)  # the part was whole
                return
            # The part is longer than the file now is: it is not a start of it. Start over.
            exchange.close()
            with _open_http(request, 0) as body:
                yield body
            return
        if status >= 400:
            raise httpget.status_failure(response, exchange)
        length = httpget.framing(response, url)
        if status == 206:
            first, last = httpget.range_start(response), httpget.range_end(response)
            if first != offset:
                raise RemoteError(f"{url}: the server sent a range that was not asked for")
            if last is not None and length is not None and last - first + 1 != length:
                raise RemoteError(f"{url}: the range the server names is not what it sends")
            start, total = offset, httpget.range_total(response)
        else:
            start, total = 0, length
        yield Body(start, total, httpget.stream(response, exchange.parts, CHUNK))
    finally:
        exchange.close()
