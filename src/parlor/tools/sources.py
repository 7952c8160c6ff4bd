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
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit
from urllib.request import url2pathname

from parlor.tools import credentials
from parlor.tools.errors import (
    LoginRefused,
    NotFound,
    RemoteError,
    TimedOut,
    ToolError,
    Truncated,
    UnknownScheme,
    from_os_error,
)
from parlor.tools.terminal import printable, shown_url

if TYPE_CHECKING:
    import httpx

    from parlor.tools.ftp import Trace
    from parlor.tools.httpauth import AuthMode

#: Bytes asked of the peer per read: large enough that per-chunk work is noise beside the copy.
CHUNK = 1 << 20
SCHEMES = ("http", "https", "ftp", "file")
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
        return self.stream


def split(url: str, label: str | None = None) -> SplitResult:
    """The URL's parts, or UnknownScheme/ToolError saying what is wrong with it."""
    label = label or shown_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError as error:
        raise ToolError(f"{label} is not a URL ({error})") from None
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
        with _open_ftp(request, parts, offset) as body:
            yield body
    else:
        with _open_http(request, parts, offset) as body:
            yield body


# -- file ---------------------------------------------------------------------------------


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
def _open_ftp(request: Request, parts: SplitResult, offset: int) -> Iterator[Body]:
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


def _root_os_error(error: BaseException) -> OSError | None:
    """The socket error under httpx's and httpcore's wrappers, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _where(parts: SplitResult) -> str:
    default = 443 if parts.scheme.casefold() == "https" else 80
    return printable(f"{parts.hostname}:{parts.port or default}")


def http_failure(error: Exception, parts: SplitResult, url: str) -> ToolError:
    """The ToolError an httpx exception means."""
    import httpx

    where = _where(parts)
    if isinstance(error, httpx.TimeoutException):
        return TimedOut(f"{where}: no answer in time; try again or raise --timeout")
    if isinstance(error, httpx.TooManyRedirects):
        return RemoteError(f"{url}: more than {MAX_REDIRECTS} redirects")
    root = _root_os_error(error)
    if isinstance(error, httpx.ConnectError) and root is not None:
        return from_os_error(root, where)
    if isinstance(error, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(error):
        return from_os_error(ssl.SSLCertVerificationError(str(error)), where)
    if isinstance(error, httpx.ReadError) or (
        isinstance(error, httpx.RemoteProtocolError) and "complete message body" in str(error)
    ):
        return Truncated(f"{where}: the connection was cut before the whole body arrived")
    if isinstance(error, httpx.RemoteProtocolError):
        return RemoteError(f"{where}: the answer is not valid HTTP ({printable(str(error))})")
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return ToolError(f"{url}: not a URL fetch can read ({printable(str(error))})")
    if root is not None:
        return from_os_error(root, where)
    return ToolError(f"{where}: {error}")


def _status_failure(response: httpx.Response, url: str, asked: bool) -> ToolError:
    status, reason = response.status_code, printable(response.reason_phrase)
    if status in (404, 410):
        return NotFound(f"{url}: {status} {reason}")
    if status in (401, 403):
        if status == 401 and not asked:
            return LoginRefused(
                f"{url}: {status} {reason}: it needs a name and password;"
                " give --user NAME[:PASSWORD] or add the host to ~/.netrc"
            )
        return LoginRefused(f"{url}: {status} {reason}: the credentials were refused")
    return RemoteError(f"{url}: {status} {reason}")


def _range_start(response: httpx.Response) -> int | None:
    """The first byte of a 206 from its ``Content-Range: bytes A-B/N``, or None."""
    value = response.headers.get("content-range", "")
    unit, _, spec = value.partition(" ")
    first, _, _ = spec.partition("-")
    return int(first) if unit.strip().casefold() == "bytes" and first.isdigit() else None


def _range_total(response: httpx.Response) -> int | None:
    """N from ``Content-Range: bytes A-B/N`` or ``bytes */N``."""
    _, _, total = response.headers.get("content-range", "").rpartition("/")
    return int(total) if total.isdigit() else None


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


@contextmanager
def _open_http(request: Request, parts: SplitResult, offset: int) -> Iterator[Body]:
    import httpx

    from parlor import __version__
    from parlor.tools.httpauth import ChallengeAuth

    found = credentials.resolve(parts, request.user, netrc_file=request.netrc_file)
    auth = None if found is None else ChallengeAuth(found, request.auth)
    headers = {"Accept-Encoding": "identity", "User-Agent": f"parlor-fetch/{__version__}"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    # Credentials from the URL go through the auth flow, not as httpx's own Basic-at-once.
    url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    try:
        client = httpx.Client(
            timeout=httpx.Timeout(request.timeout),
            verify=tls_context(request.cacert, request.insecure),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,  # proxies and netrc are ours to choose, not httpx's
        )
        with client, client.stream("GET", url, headers=headers, auth=auth) as response:
            yield _http_body(response, request.shown_url, offset, asked=auth is not None)
    except httpx.HTTPError as error:
        raise http_failure(error, parts, request.shown_url) from None


def _http_body(response: httpx.Response, url: str, offset: int, *, asked: bool) -> Body:
    status = response.status_code
    if status == 416 and offset > 0 and _range_total(response) == offset:
        return Body(offset, offset, iter(()), complete=True)  # the part was already whole
    if status >= 400:
        raise _status_failure(response, url, asked)
    if status == 206:
        start = _range_start(response)
        if start != offset:
            raise RemoteError(f"{url}: the server sent a range that was not asked for")
        return Body(offset, _range_total(response), _raw(response))
    return Body(0, _length(response), _raw(response))


def _raw(response: httpx.Response) -> Iterator[bytes]:
    # iter_raw without a chunk size hands over each read as httpcore made it: no re-chunking.
    return response.iter_raw()
