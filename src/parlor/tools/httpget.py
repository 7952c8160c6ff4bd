"""``parlor fetch``'s HTTP and HTTPS: one GET, its redirects and its 401, then the body streamed.

Built on the standard library's :mod:`http.client` rather than httpx, for the body: a
response's ``read1`` hands over each read of the socket as it comes, where httpx's parser
copies each 64 KiB read three times more (measured here: 730 MB/s through httpx, against
well over 1 GB/s written to a file this way; ``bench/fetch_1gib.py``). Headers and framing
are http.client's, which is exact about them.

The exchange
------------
- Each request on a connection of its own (``Connection: close``): a fetch makes one, or a
  few for a 401 and redirects, so keeping connections buys nothing and costs a state.
- ``Accept-Encoding: identity``: the bytes saved are the bytes served. ``Range: bytes=N-``
  when resuming.
- A 401 is answered as :mod:`parlor.tools.httpauth` says, once (and once more for a stale
  nonce); ``--auth basic`` sends Basic at once.
- 301, 302, 303, 307 and 308 are followed, at most :data:`MAX_REDIRECTS`, to http or https
  only; credentials go only to the host (and port, and scheme) they were meant for, as
  curl does without ``--location-trusted``.
- The request-target is the URL's path and query as written, with anything that may not
  appear in one (spaces, non-ASCII) percent-encoded.

Every failure is a :class:`parlor.tools.errors.ToolError`.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, quote, urljoin, urlsplit

from parlor.tools import credentials
from parlor.tools.errors import (
    LoginRefused,
    NotFound,
    RemoteError,
    TimedOut,
    ToolError,
    Truncated,
    from_os_error,
)
from parlor.tools.terminal import printable, shown_url

if TYPE_CHECKING:
    from parlor.tools.httpauth import Challenges
    from parlor.tools.sources import AuthMode

MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: What may stay as written in a request-target: RFC 3986's pchar, "/", "?" and "%" escapes.
_TARGET_SAFE = "/%:@!$&'()*+,;=-._~?"


def where(parts: SplitResult) -> str:
    default = 443 if parts.scheme.casefold() == "https" else 80
    return printable(f"{parts.hostname}:{parts.port or default}")


def target(parts: SplitResult) -> str:
    """The request-target of ``parts``: path and query, percent-encoded where they must be."""
    path = quote(parts.path or "/", safe=_TARGET_SAFE)
    return path + ("?" + quote(parts.query, safe=_TARGET_SAFE) if parts.query else "")


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    return parts.scheme.casefold(), (parts.hostname or "").casefold(), parts.port


class _Response(http.client.HTTPResponse):
    """http.client's response, past every interim 1xx answer (103 Early Hints, 102
    Processing), not only 100 Continue: taken for the answer, a 1xx would save an empty body
    over the user's file."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not (100 < status < 200 and status != 101):
                return version, status, reason
            http.client._read_headers(self.fp)  # type: ignore[attr-defined]  # the 1xx's own


def _connection(
    parts: SplitResult, timeout: float, context: ssl.SSLContext
) -> http.client.HTTPConnection:
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme.casefold() == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    connection.response_class = _Response
    return connection


def failure(error: Exception, parts: SplitResult, *, answered: bool = True) -> ToolError:
    """The ToolError an http.client or socket error means, reaching ``parts``' host;
    ``answered``: whether a response had begun (else nothing was cut: there was nothing)."""
    at = where(parts)
    if isinstance(error, TimeoutError):
        return TimedOut(f"{at}: no answer in time; try again or raise --timeout")
    unanswered = isinstance(error, http.client.RemoteDisconnected) or (
        not answered
        and isinstance(error, ConnectionError)
        and not isinstance(error, ConnectionRefusedError)
    )
    if unanswered:
        hint = " (is it an https server?)" if parts.scheme.casefold() == "http" else ""
        return RemoteError(f"{at}: the server closed the connection without an answer{hint}")
    if isinstance(error, http.client.IncompleteRead) or (
        isinstance(error, ConnectionError) and not isinstance(error, ConnectionRefusedError)
    ):
        return Truncated(f"{at}: the connection was cut before the whole body arrived")
    if isinstance(error, OSError):
        return from_os_error(error, at)
    return RemoteError(f"{at}: the answer is not valid HTTP ({printable(str(error))})")


class Exchange:
    """One GET as the module docstring says: :meth:`open` sends it (and its 401 and redirects)
    and leaves the last response to read; :meth:`close` closes its connection."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None,
        mode: AuthMode,
        timeout: float,
        context: ssl.SSLContext,
        netrc_file: Path | None = None,
        headers: dict[str, str],
    ) -> None:
        self.parts = urlsplit(url)  # the URL asked for; after redirects, the one answered
        self.url = shown_url(url)
        self._found = credentials.resolve(self.parts, user, netrc_file=netrc_file)
        self._home = _origin(self.parts)
        self._mode = mode
        self._timeout = timeout
        self._context = context
        self._headers = headers
        self._stack = ExitStack()
        #: Whether credentials went with the final request, and what its 401 offered.
        self.sent_credentials = False
        self.offered: Challenges | None = None
        self.has_credentials = self._found is not None

    def close(self) -> None:
        self._stack.close()

    def _send(self, parts: SplitResult, authorization: str | None) -> http.client.HTTPResponse:
        connection = _connection(parts, self._timeout, self._context)
        self._stack.callback(connection.close)
        headers = {**self._headers, "Connection": "close"}
        if authorization is not None:
            headers["Authorization"] = authorization
        connection.request("GET", target(parts), headers=headers)
        response = connection.getresponse()
        # The response's file holds the socket open past connection.close(): close both.
        self._stack.callback(response.close)
        return response

    def _authenticated(self, parts: SplitResult) -> http.client.HTTPResponse:
        # Imported when there are credentials: Digest's code is most of a fetch's start-up.
        from parlor.tools import httpauth

        found = self._found if _origin(parts) == self._home else None
        sent = None if found is None else httpauth.preemptive(found, self._mode)
        response = self._send(parts, sent)
        for _attempt in range(2):  # the answer, then once more if its nonce was stale
            self.sent_credentials = sent is not None
            if response.status != 401 or found is None:
                return response
            offered = httpauth.read_challenges(response.headers.get_all("WWW-Authenticate", []))
            self.offered = offered
            if sent is not None and not any(challenge.stale for challenge in offered.digest):
                return response  # the credentials were refused
            sent = httpauth.answer(offered, found, self._mode, method="GET", uri=target(parts))
            if sent is None:
                return response
            response.close()
            response = self._send(parts, sent)
        self.sent_credentials = sent is not None
        return response

    def open(self) -> http.client.HTTPResponse:
        """The final response, after any 401 and redirects; its body not yet read."""
        parts = self.parts
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = self._authenticated(parts)
            except (OSError, http.client.HTTPException) as error:
                raise failure(error, parts, answered=False) from None
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or location is None:
                self.parts = parts
                if response.status < 200:  # 100 or 101, never asked for: no answer at all
                    raise RemoteError(f"{self.url}: {response.status} is not an answer to a GET")
                return response
            response.close()
            try:
                parts = urlsplit(urljoin(parts.geturl(), location))
                parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
            except ValueError:
                raise RemoteError(
                    f"{self.url}: redirected to '{printable(location)}', which is not a URL"
                ) from None
            if parts.scheme.casefold() not in ("http", "https") or not parts.hostname:
                raise RemoteError(
                    f"{self.url}: redirected to {shown_url(parts.geturl())}, which is not an"
                    " http or https URL; fetch that one if you mean to"
                )
        raise RemoteError(f"{self.url}: more than {MAX_REDIRECTS} redirects")


def status_failure(response: http.client.HTTPResponse, exchange: Exchange) -> ToolError:
    """The ToolError a 4xx or 5xx final answer means, saying what to do about it."""
    url, status, reason = exchange.url, response.status, printable(response.reason)
    if status in (404, 410):
        return NotFound(f"{url}: {status} {reason}")
    if status == 401 and not exchange.sent_credentials:
        offered = exchange.offered
        if exchange.has_credentials and offered is not None:
            schemes = ", ".join(offered.schemes) or "no scheme fetch knows"
            return LoginRefused(
                f"{url}: {status} {reason}: the server asks for {schemes}, which --auth"
                " does not allow or fetch cannot answer"
            )
        if exchange.has_credentials:  # held back: the answer came from another origin
            return LoginRefused(
                f"{url}: {status} {reason} from {where(exchange.parts)}, where the"
                " credentials were not sent (they are for the URL's own host); fetch that URL"
            )
        return LoginRefused(
            f"{url}: {status} {reason}: it needs a name and password;"
            " give --user NAME[:PASSWORD] or add the host to ~/.netrc"
        )
    if status in (401, 403):
        return LoginRefused(f"{url}: {status} {reason}: the credentials were refused")
    return RemoteError(f"{url}: {status} {reason}")


def range_start(response: http.client.HTTPResponse) -> int | None:
    """The first byte of a 206 from its ``Content-Range: bytes A-B/N``, or None."""
    unit, _, spec = (response.headers.get("Content-Range") or "").partition(" ")
    first, _, _ = spec.partition("-")
    return int(first) if unit.strip().casefold() == "bytes" and first.isdigit() else None


def range_total(response: http.client.HTTPResponse) -> int | None:
    """N from ``Content-Range: bytes A-B/N`` or ``bytes */N``."""
    _, _, total = (response.headers.get("Content-Range") or "").rpartition("/")
    return int(total) if total.isdigit() else None


def framing(response: http.client.HTTPResponse, url: str) -> int | None:
    """The body's length as the response frames it (RFC 9112 §6.3), or None when it runs to
    the close or is chunked; RemoteError for framing no reader can trust."""
    lengths = {value.strip() for value in response.headers.get_all("Content-Length", [])}
    if len(lengths) > 1 and not response.chunked:
        raise RemoteError(f"{url}: the answer gives two lengths ({', '.join(sorted(lengths))})")
    # http.client has applied the rules: chunked wins over Content-Length, 204 and 304 are
    # empty whatever they say.
    return response.length


def range_end(response: http.client.HTTPResponse) -> int | None:
    """B from ``Content-Range: bytes A-B/N``."""
    spec = (response.headers.get("Content-Range") or "").partition(" ")[2].partition("/")[0]
    end = spec.partition("-")[2]
    return int(end) if end.isdigit() else None


def stream(response: http.client.HTTPResponse, parts: SplitResult, chunk: int) -> Iterator[bytes]:
    """The body, as it arrives: each piece what one read of the socket gave (``read1``), up
    to ``chunk`` bytes, so a slow stream is handed on at once and nothing received is held."""
    while True:
        try:
            piece = response.read1(chunk)
        except (OSError, http.client.HTTPException, ValueError) as error:
            # ValueError: http.client's word for a chunk size that is not hex.
            raise failure(error, parts) from None
        if not piece:
            return
        yield piece
