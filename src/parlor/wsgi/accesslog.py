"""One line per request on stderr: method, path, status, duration.

Request threads never write to stderr themselves: they hand the line to a
``BackgroundWriter``, whose own thread writes whatever has gathered, in one
call, every 50 ms. A write is a system call that releases the GIL, and under
load getting the GIL back cost a request tens of microseconds.
"""

from __future__ import annotations

import multiprocessing.util
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import IO, Any
from urllib.parse import quote

from parlor.wsgi.closing import OnClose
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from parlor.wsgi.waiting import PARKED

#: When the server received the request (``time.perf_counter()``), if it says:
#: parlor's front door does, so a line counts the time spent reading the body
#: and waiting in a long poll too.
RECEIVED_AT = "parlor.received_at"

#: A pipe write no larger than this is never interleaved with another's (POSIX PIPE_BUF).
_ATOMIC_WRITE = select.PIPE_BUF if hasattr(select, "PIPE_BUF") else 512


class BackgroundWriter:
    """Writes lines to a stream from a thread of its own, in batches, every ``interval``.

    Request threads only append to a deque (atomic, no lock, no wake-up): even
    signalling the writer on each line cost a request ~40 µs in GIL hand-offs.
    """

    def __init__(self, stream: IO[str] | None = None, *, interval: float = 0.05) -> None:
        self._stream = stream
        self._interval = interval
        self._lines: deque[str] = deque()
        self._thread = threading.Thread(target=self._run, name="parlor-log", daemon=True)
        self._thread.start()
        # Granian's workers are multiprocessing children, which leave through
        # os._exit: atexit never runs there, multiprocessing's finalizers do
        # (and they run at a normal interpreter exit too).
        multiprocessing.util.Finalize(self, self.flush, exitpriority=10)

    def write(self, line: str) -> None:
        self._lines.append(line)

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            self.flush()

    def flush(self) -> None:
        """Write every queued line now (also called at interpreter exit).

        Lines go out in writes of at most PIPE_BUF bytes, each ending with a
        whole line: the other front doors write to the same stderr, and a pipe
        keeps only writes that small from interleaving with theirs.
        """
        stream = self._stream if self._stream is not None else sys.stderr
        chunk: list[str] = []
        size = 0
        while self._lines:
            line = self._lines.popleft()
            if chunk and size + len(line) > _ATOMIC_WRITE:
                stream.write("".join(chunk))
                stream.flush()
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) if line.isascii() else len(line.encode())
        if chunk:
            stream.write("".join(chunk))
            stream.flush()


class AccessLog:
    """A pipe that logs each request once its response has been sent (or abandoned)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        write: Callable[[str], object] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``write`` receives each line; by default a ``BackgroundWriter`` on stderr."""
        self.app = app
        self._write = write if write is not None else BackgroundWriter().write
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
        if isinstance(body, list | tuple):
            # The response is complete already. Returning the list itself, not a
            # wrapper, keeps the server on its fast path: Granian sends a list in
            # one piece but must iterate any other object from Python, as a stream.
            self._log(environ, status[0], started)
            return body
        return OnClose(body, lambda: self._log(environ, status[0], started))

    def _log(self, environ: WSGIEnvironment, status: str, started: float) -> None:
        if environ.get(PARKED):
            return  # not the answer: the server runs the request again later
        elapsed_ms = (self._clock() - environ.get(RECEIVED_AT, started)) * 1000
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        self._write(
            log_line(
                environ.get("REQUEST_METHOD", "-"),
                path.encode("latin-1", "replace"),
                environ.get("QUERY_STRING", ""),
                status,
                elapsed_ms,
            )
        )


#: What a logged path keeps as it is: RFC 3986 pchar and "/", less "%", so that a
#: space or a "%" the client encoded is written encoded again (never a literal
#: space that would shift the line's fields).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
#: A query string is logged as it arrived (still encoded); only what would
#: break the line is encoded.
_QUERY_SAFE = _PATH_SAFE + "%?"


def log_line(method: str, path: bytes, query: str, status: str, elapsed_ms: float) -> str:
    """One access-log line: ``METHOD /path?query STATUS 1.2ms``, newline included.

    ``path`` is the decoded request path as bytes (PEP 3333's PATH_INFO is
    those bytes as latin-1). Every field but the method is re-encoded so that
    no request can forge a line or a field: spaces, newlines and other
    controls come out as %XX.
    """
    target = quote(path, safe=_PATH_SAFE) or "-"  # CONNECT has no path: keep four fields
    if query:
        target += "?" + quote(query, safe=_QUERY_SAFE, encoding="latin-1", errors="replace")
    if not method.isascii() or not method.isalpha():
        method = quote(method, safe="")
    return f"{method} {target} {status} {elapsed_ms:.1f}ms\n"
