"""Errors: the outermost pipe, and the one way every pipe answers an error.

``Errors(app)`` turns any exception the app raises — while it is called, or
while its body is iterated — into a 500. The client is told only that
something went wrong on our side; the traceback, with the request's method
and path, goes to ``environ["wsgi.errors"]`` and nowhere else (a traceback
names files, code and values: it is for operators, never for clients).

When the exception comes matters, because a server sends the status and
headers with the first non-empty body chunk (PEP 3333, "Buffering and
Streaming"), not when ``start_response`` is called:

    the app raises while called          -> 500 (start_response with exc_info)
    its body raises before a first chunk -> 500 (the chunk is waited for, so
                                            the headers are not out yet)
    its body raises after a first chunk  -> logged; the body just stops
    start_response re-raises (headers    -> logged, then propagates, as PEP
      were out: the app used write())       3333 requires of an error handler

The body's ``close()`` is always called. ``Errors(app, debug=True)`` logs the
same way and then lets the exception propagate, so a development server or a
test shows it; the response still never carries it.

``error_response`` is the shared answer (the forms pipe's 400 and 413 come
from it too): an ``application/problem+json`` document (RFC 9457) when the
client's Accept prefers JSON to HTML (``wants_json``), else a small HTML page
with every value escaped. With ``"type": "about:blank"`` the problem's
``title`` is the status's phrase (RFC 9457 §4.2.1); the caller's title heads
the HTML page.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from html import escape
from http import HTTPStatus
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import quote

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]

PROBLEM_JSON = "application/problem+json"
#: What an API client accepts when it wants JSON; either counts as JSON.
_JSON_TYPES = ("application/problem+json", "application/json")
#: An RFC 9110 §12.4.2 qvalue; a malformed one drops its range.
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
#: Enough ranges for any real client; the rest of a longer Accept is ignored.
_MAX_RANGES = 64

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{status} {title}</title></head>
<body><h1>{title}</h1><p>{detail}</p></body>
</html>
"""
_SERVER_ERROR_TITLE = "Something went wrong on our side"
_SERVER_ERROR_DETAIL = "The request could not be completed. Please try again later."


def wants_json(environ: WSGIEnvironment) -> bool:
    """Whether the client's Accept ranks a JSON type above ``text/html``.

    A tie — no Accept at all, ``*/*``, or both listed at q=1 — goes to HTML:
    a person with a browser is the one who needs the page explained.
    """
    ranges = _accept_ranges(environ.get("HTTP_ACCEPT", ""))
    json_quality = max(_quality(ranges, media) for media in _JSON_TYPES)
    return json_quality > _quality(ranges, "text/html")


def _accept_ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) for each well-formed range of an Accept field value."""
    ranges: list[tuple[str, str, float]] = []
    for element in accept.split(",", _MAX_RANGES)[:_MAX_RANGES]:
        media, *params = (part.strip() for part in element.split(";"))
        kind, slash, subtype = media.lower().partition("/")
        if not slash or not kind or not subtype:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else -1.0
        if q >= 0:
            ranges.append((kind, subtype, q))
    return ranges


def _quality(ranges: list[tuple[str, str, float]], media: str) -> float:
    """The q of the most specific range matching ``media`` (RFC 9110 §12.5.1); 0 if none."""
    kind, _, subtype = media.partition("/")
    best_specificity, best_q = -1, 0.0
    for range_kind, range_subtype, q in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = 2
        elif (range_kind, range_subtype) == (kind, "*"):
            specificity = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


def error_response(
    environ: WSGIEnvironment,
    start_response: StartResponse,
    status: int,
    title: str,
    detail: str,
    headers: Iterable[tuple[str, str]] = (),
    *,
    exc_info: ExcInfo | None = None,
    code: str | None = None,
    json_only: bool = False,
) -> list[bytes]:
    """Answer ``status`` as problem+json or HTML, as the client prefers; returns the body.

    ``code`` is the problem's stable machine name (parlor's extension member,
    as the service's own problems carry); by default the phrase in snake case
    ("too_many_requests"). ``json_only``: a problem document whatever the
    client accepts (an API's pipes: their clients read JSON, not pages).

    ``exc_info`` is passed on to ``start_response`` by an error handler
    (PEP 3333): if the headers are already out, the server re-raises it.
    """
    content_type, body = error_document(
        status, title, detail, code=code, as_json=json_only or wants_json(environ)
    )
    response_headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Vary", "Accept"),  # the representation depends on it (RFC 9110 §12.5.5)
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'"),  # the page needs nothing at all
        *headers,
    ]
    start_response(f"{status} {_phrase(status)}", response_headers, exc_info)
    if environ.get("REQUEST_METHOD") == "HEAD":
        return [b""]  # same headers, Content-Length included, no body (RFC 9110 §9.3.2)
    return [body]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_document(
    status: int, title: str, detail: str, *, code: str | None = None, as_json: bool
) -> tuple[str, bytes]:
    """The body of an error answer and its media type: a problem document (RFC 9457), or a
    small HTML page with every value escaped. Used by ``error_response`` and by parlor's
    front door for the answers it gives itself."""
    phrase = _phrase(status)
    if as_json:
        document = {
            "type": "about:blank",
            "title": phrase,
            "status": status,
            "detail": detail,
            "code": code or phrase.lower().replace(" ", "_").replace("-", "_"),
        }
        return PROBLEM_JSON, json.dumps(document, separators=(",", ":")).encode()
    page = _PAGE.format(status=status, title=escape(title), detail=escape(detail))
    return "text/html; charset=utf-8", page.encode()


def leave_to_errors_pipe(req: object, resp: object, error: Exception, params: object) -> None:
    """A Falcon error handler for ``Exception``: raise it on, for this pipe to answer.

    Falcon answers any exception itself unless a handler re-raises it; an app
    behind ``Errors`` registers this, so one mechanism turns exceptions into 500s.
    """
    raise error


class Errors:
    """The outermost pipe: an exception from the app is logged and answered 500."""

    def __init__(self, app: WSGIApp, *, debug: bool = False, json_only: bool = False) -> None:
        """``json_only``: answer problem+json whatever the Accept (for an API)."""
        self.app = app
        self._debug = debug
        self._json_only = json_only

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = self.app(environ, start_response)
        except Exception as error:
            return self._fail(environ, start_response, error)
        if isinstance(body, list | tuple):
            return body  # nothing left to raise; the server keeps its fast path for a list
        return _Guarded(body, lambda error: self._fail(environ, start_response, error), environ)

    def _fail(
        self, environ: WSGIEnvironment, start_response: StartResponse, error: Exception
    ) -> list[bytes]:
        exc_info = _exc_info(error)
        log_exception(environ, exc_info)
        if self._debug:
            raise error
        # If the headers are out, start_response re-raises and the exception
        # propagates: an error handler must not trap it (PEP 3333).
        return error_response(
            environ,
            start_response,
            500,
            _SERVER_ERROR_TITLE,
            _SERVER_ERROR_DETAIL,
            exc_info=exc_info,
            code="internal_error",
            json_only=self._json_only,
        )


def log_exception(environ: WSGIEnvironment, exc_info: ExcInfo, note: str = "") -> None:
    """Write the request line and the traceback to ``wsgi.errors``."""
    stream: Any = environ.get("wsgi.errors") or sys.stderr
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # Like the access log, re-encoded so that a client's path cannot forge lines.
    target = quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~")
    method = quote(environ.get("REQUEST_METHOD", "-"), safe="")
    lines = [f"parlor: unhandled exception{note} in {method} {target or '-'}\n"]
    lines.extend(traceback.format_exception(*exc_info))
    try:
        stream.write("".join(lines))
        stream.flush()
    except Exception:  # noqa: S110 - a broken error stream must not turn a 500 into a crash
        pass


def _exc_info(error: BaseException) -> ExcInfo:
    """The ``sys.exc_info()`` triple of ``error``, as ``start_response`` takes it."""
    return type(error), error, error.__traceback__


class _Guarded:
    """A body whose first non-empty chunk is awaited before any is yielded.

    Until that chunk the headers are not out, so an exception can still
    become a 500; after it, the exception is logged and the body ends.
    """

    def __init__(
        self,
        body: Iterable[bytes],
        fail: Callable[[Exception], list[bytes]],
        environ: WSGIEnvironment,
    ) -> None:
        self._body = body
        self._fail = fail
        self._environ = environ
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        answer: list[bytes] | None = None
        try:
            chunks = iter(self._body)
            first = b""
            while not first:  # an empty chunk does not send the headers (PEP 3333)
                first = next(chunks)
        except StopIteration:
            return
        except Exception as error:
            answer = self._fail(error)  # yielded below, outside the except block
        if answer is not None:
            yield from answer
            return
        yield first
        try:
            yield from chunks
        except Exception as error:
            # The status is out: all that is left is to stop (the log says why).
            log_exception(self._environ, _exc_info(error), " after the response began")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._body, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception as error:
            log_exception(self._environ, _exc_info(error), " while closing the response")
