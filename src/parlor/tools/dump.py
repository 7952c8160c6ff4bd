"""``parlor dump``: the seed's BaseHTTPServer example, every request shown back and logged.

The chapter's ``MyHandler`` answers GET and POST with a page that shows the request's
command and path, and logs the command, path and headers. This is the same for any method
and any path, as httpbin's ``/anything`` does for your own machine: the page shows the
method, the path and query, the HTTP version, every header and the body; ``?format=json``
(or an ``Accept`` that prefers JSON) answers the same as one JSON document.

What a request shows, and how it is kept safe:

- **Escaping.** Everything is text to the page (Jinja2 autoescape, ``parlor.tools.pages``),
  and the page's policy lets no script run anyway; control characters (a NUL, an ESC) are
  drawn as their Unicode symbols. The path is shown twice: decoded, with U+FFFD for bytes
  that are not UTF-8, and as a request target, percent-encoded again. (Granian decodes the
  path itself, replacing such bytes with U+FFFD before any app sees it; behind another
  WSGI server the target shows the bytes that came, as %XX.)
- **The body** is bounded: the front door reads at most ``max_body`` bytes (1 MiB by
  default, ``--max-body``) and answers 413 past it, handing nothing on (a Content-Length
  over eight times that is refused before a byte of the body is read; below it, the body
  is read and dropped first, so that the client is there to hear the 413). This app checks
  again, so it is bounded behind any WSGI server too. A body that is not UTF-8 is shown
  with replacement characters, with its byte count, its SHA-256 and its first bytes in hex.
- **Headers** are those the app sees (PEP 3333's ``HTTP_*``, ``CONTENT_TYPE``,
  ``CONTENT_LENGTH``): a repeated header arrives combined with commas, and a chunked body
  arrives with a Content-Length, as the front door hands it on.
- **The log** is one line per request on stderr: the access log's fields (method, target,
  status, time; each re-encoded so no request can forge a line), then the version, the
  client, the headers as one JSON object (ASCII, so no byte of a header reaches the
  terminal as a control) and the body's size.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from parlor.tools.pages import HTML, json_query, render, security_headers, wants_json_format
from parlor.wsgi.accesslog import RECEIVED_AT
from parlor.wsgi.accesslog import log_line as access_line
from parlor.wsgi.errors import Errors, error_response
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

#: The largest body shown, by default: larger ones are refused with 413.
MAX_BODY = 1024 * 1024
#: How many of a binary body's first bytes the page shows in hex.
HEX_PREVIEW = 64
#: RFC 3986 pchar and "/", as the access log keeps a path; anything else is %XX.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Body:
    """A request body as received, and the ways to look at it."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_utf8(self) -> bool:
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    @property
    def text(self) -> str:
        """The body as text; bytes that are not UTF-8 become U+FFFD."""
        return self.data.decode("utf-8", "replace")

    @property
    def hex_preview(self) -> str:
        """The first bytes in hex, two digits a byte, spaced."""
        return binascii.hexlify(self.data[:HEX_PREVIEW], " ").decode("ascii")


@dataclass(frozen=True, slots=True)
class Dump:
    """One request, as the app saw it: pure values, built by ``read_request``."""

    method: str
    #: The decoded path's bytes (PEP 3333's PATH_INFO, whose characters are bytes).
    path_bytes: bytes
    #: The query string as sent (still percent-encoded), as text.
    query: str
    version: str
    headers: tuple[tuple[str, str], ...]
    remote: str
    scheme: str
    host: str
    body: Body

    @property
    def path(self) -> str:
        """The path as text; bytes that are not UTF-8 become U+FFFD."""
        return self.path_bytes.decode("utf-8", "replace")

    @property
    def path_is_utf8(self) -> bool:
        try:
            self.path_bytes.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    @property
    def target(self) -> str:
        """The request target, path percent-encoded again: ``/a%20b?x=1``."""
        target = quote(self.path_bytes, safe=_PATH_SAFE) or "/"
        return f"{target}?{self.query}" if self.query else target

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.target}"

    @property
    def args(self) -> list[tuple[str, str]]:
        """The query's fields, decoded (U+FFFD for bytes that are not UTF-8), in order."""
        return parse_qsl(self.query, keep_blank_values=True, errors="replace")

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    @property
    def media_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    @property
    def form(self) -> list[tuple[str, str]] | None:
        """A urlencoded body's fields, decoded as the query's are; None for other bodies."""
        if self.media_type != "application/x-www-form-urlencoded":
            return None
        return parse_qsl(self.body.text, keep_blank_values=True, errors="replace")

    @property
    def json(self) -> Any:
        """A JSON body, parsed; None when it is not JSON or does not parse."""
        media = self.media_type
        if media != "application/json" and not media.endswith("+json"):
            return None
        try:
            return json.loads(self.body.data)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's
            return None


def _header_name(key: str) -> str:
    """``HTTP_X_FORWARDED_FOR`` → ``X-Forwarded-For`` (PEP 3333 keeps no original case)."""
    return "-".join(part.capitalize() for part in key.split("_"))


def headers_of(environ: WSGIEnvironment) -> tuple[tuple[str, str], ...]:
    """The request's headers as the environ holds them, in the order it holds them."""
    found: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            found.append((_header_name(key), str(value)))
        elif key.startswith("HTTP_"):
            found.append((_header_name(key[5:]), str(value)))
    return tuple(found)


def _text(native: str) -> str:
    """A PEP 3333 native string (bytes as latin-1) as the text it encodes, U+FFFD for bad bytes."""
    return native.encode("latin-1", "replace").decode("utf-8", "replace")


def read_request(environ: WSGIEnvironment, body: bytes) -> Dump:
    """What ``environ`` (and its ``body``, read already) says of the request."""
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    return Dump(
        method=environ.get("REQUEST_METHOD", "GET"),
        path_bytes=(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode(
            "latin-1", "replace"
        ),
        query=_text(environ.get("QUERY_STRING", "")),
        version=environ.get("SERVER_PROTOCOL", "HTTP/1.0"),
        headers=headers_of(environ),
        remote=environ.get("REMOTE_ADDR", ""),
        scheme=environ.get("wsgi.url_scheme", "http"),
        host=_text(host),
        body=Body(body),
    )


def to_json(dump: Dump) -> dict[str, Any]:
    """The request as httpbin's ``/anything`` would answer it, with the body's facts."""
    body = dump.body
    form = dump.form
    return {
        "method": dump.method,
        "url": dump.url,
        "path": dump.path,
        "path_is_utf8": dump.path_is_utf8,
        "target": dump.target,
        "query": dump.query,
        "args": [list(pair) for pair in dump.args],
        "http_version": dump.version,
        "headers": dict(dump.headers),
        "origin": dump.remote,
        "body": {
            "size": body.size,
            "sha256": body.sha256,
            "is_utf8": body.is_utf8,
            "text": body.text,
        },
        "form": None if form is None else [list(pair) for pair in form],
        "json": dump.json,
    }


def log_line(dump: Dump, status: str, elapsed_ms: float) -> str:
    """The request's one line on the log, newline included."""
    head = access_line(dump.method, dump.path_bytes, dump.query, status, elapsed_ms).rstrip("\n")
    headers = json.dumps(dict(dump.headers), ensure_ascii=True, separators=(",", ":"))
    kind = "" if dump.body.is_utf8 else " binary"
    version = quote(dump.version, safe="/.")
    remote = quote(dump.remote, safe=":.[]")
    return f"{head} {version} from {remote} headers={headers} body={dump.body.size}B{kind}\n"


class _TooLarge(Exception):
    pass


def read_body(environ: WSGIEnvironment, max_body: int) -> bytes:
    """The request body, or ``_TooLarge`` once it passes ``max_body`` (nothing more is read)."""
    raw = str(environ.get("CONTENT_LENGTH") or "")
    if raw and raw.isascii() and raw.isdigit():
        if int(raw) > max_body:
            raise _TooLarge
        remaining = int(raw)
    elif environ.get("wsgi.input_terminated"):
        remaining = max_body + 1  # read to the end, but never past the limit
    else:
        return b""  # no length and no promised end: no body (PEP 3333)
    stream: Any = environ["wsgi.input"]
    parts: list[bytes] = []
    while remaining > 0:
        chunk: bytes = stream.read(min(_READ_CHUNK, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    data = b"".join(parts)
    if len(data) > max_body:
        raise _TooLarge
    return data


class DumpApp:
    """The WSGI app: any method, any path, answered with the request itself."""

    def __init__(
        self,
        *,
        max_body: int = MAX_BODY,
        write: Callable[[str], object],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``write`` gets each request's log line."""
        if max_body < 0:
            raise ValueError("max_body must not be negative")
        self.max_body = max_body
        self._write = write
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = environ.get(RECEIVED_AT, self._clock())
        try:
            body = read_body(environ, self.max_body)
        except _TooLarge:
            dump = read_request(environ, b"")
            self._write(log_line(dump, "413", (self._clock() - started) * 1000))
            detail = f"the request body is larger than {self.max_body:,} bytes"
            return error_response(
                environ, start_response, 413, "Content Too Large", detail,
                code="body_too_large", json_only=True,
            )  # fmt: skip
        dump = read_request(environ, body)
        if wants_json_format(environ):
            content_type = "application/json"
            page = json.dumps(to_json(dump), ensure_ascii=False, indent=2).encode("utf-8")
        else:
            content_type = HTML
            page = render("dump.html", dump=dump, json_query=json_query(dump.query)).encode()
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(page))),
            ("Vary", "Accept"),
            *security_headers(),
        ]
        start_response("200 OK", headers)
        self._write(log_line(dump, "200", (self._clock() - started) * 1000))
        if dump.method == "HEAD":
            return [b""]  # the same headers, Content-Length included (RFC 9110 §9.3.2)
        return [page]


def create_app(*, max_body: int = MAX_BODY, write: Callable[[str], object]) -> WSGIApp:
    """The dump behind its pipeline, outermost first: errors, then the dump (its own log)."""
    pipeline: list[Callable[[WSGIApp], WSGIApp]] = [Errors]
    app: WSGIApp = DumpApp(max_body=max_body, write=write)
    for pipe in reversed(pipeline):
        app = pipe(app)
    return app
