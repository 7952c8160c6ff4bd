"""One line per request on stderr: method, path, status, duration."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment


class AccessLog:
    """A pipe that logs each request once its response has been sent (or abandoned)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self._stream = stream
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = self._clock()
        status = ["-"]

        def recording_start_response(
            status_line: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, recording_start_response)
        return _Logged(body, lambda: self._log(environ, status[0], started))

    def _log(self, environ: WSGIEnvironment, status: str, started: float) -> None:
        elapsed_ms = (self._clock() - started) * 1000
        target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if query := environ.get("QUERY_STRING"):
            target += "?" + query
        # A decoded path may hold "%0A" as a newline: escape so one request stays one line.
        if not target.isprintable():
            target = target.encode("unicode_escape").decode("ascii")
        method = environ.get("REQUEST_METHOD", "-")
        line = f"{method} {target} {status} {elapsed_ms:.1f}ms\n"
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(line)


class _Logged:
    """Wraps a response body so the log line is written when the server closes it."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
