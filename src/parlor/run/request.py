"""What crosses from the front door to the app and back, and running the app on it.

A ``Request`` is everything the front door learned of a request, body
included, as plain values; a ``Reply`` is the app's whole response, plus what
it asked to wait for and the changes it made. Both cross to and from an app
process as tuples (``to_wire``/``from_wire``, see ``frames``), or stay in one
process (tests, ``threads.ThreadedApp``).

``run_app`` is the one place a WSGI app is called: it builds the PEP 3333
environ (``environ``), offers the long-poll key when waiting is allowed, runs
the app to the end of its response, and gathers the changes the app
published meanwhile (the house reports each one after its commit).
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from parlor.run.environ import build_environ
from parlor.run.proxy import Peer
from parlor.wsgi.accesslog import RECEIVED_AT
from parlor.wsgi.types import WSGIApp, WSGIEnvironment
from parlor.wsgi.waiting import MAX_WAIT, WAIT_FOR

Topic = Any  # a tuple of plain values, e.g. ("session", id): it crosses processes
Headers = list[tuple[str, str]]
#: Given topics someone waits on, their current versions (missing: unknown).
CurrentVersions = Callable[[Sequence[Topic]], Mapping[Topic, int]]
Publish = Callable[[Topic, int], None]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query_string: str
    http_version: str
    #: The listening address, ``host:port``.
    server: str
    scheme: str
    remote: str
    headers: Headers
    body: bytes
    #: ``time.perf_counter()`` of the front door when the request arrived.
    received_at: float

    def to_wire(self) -> tuple[Any, ...]:
        return (
            self.method, self.path, self.query_string, self.http_version, self.server,
            self.scheme, self.remote, self.headers, self.body, self.received_at,
        )  # fmt: skip

    @classmethod
    def from_wire(cls, value: Sequence[Any]) -> Request:
        return cls(*value)

    def environ(self, *, multiprocess: bool) -> WSGIEnvironment:
        environ = build_environ(
            method=self.method,
            path=self.path,
            query_string=self.query_string,
            http_version=self.http_version,
            server=self.server,
            peer=Peer(self.scheme, self.remote),
            headers=self.headers,
            body=self.body,
            multiprocess=multiprocess,
        )
        environ[RECEIVED_AT] = self.received_at
        return environ


@dataclass(frozen=True, slots=True)
class Wait:
    topic: Topic
    since: int
    timeout: float


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Headers
    body: bytes
    #: Set when the app asked to be run again once ``topic`` passes ``since``.
    wait: Wait | None = None
    #: (topic, version) of every change the app made while it answered.
    changes: list[tuple[Topic, int]] = field(default_factory=list)

    def to_wire(self) -> tuple[Any, ...]:
        wait = None if self.wait is None else (self.wait.topic, self.wait.since, self.wait.timeout)
        return (self.status, self.headers, self.body, wait, self.changes)

    @classmethod
    def from_wire(cls, value: Sequence[Any]) -> Reply:
        status, headers, body, wait, changes = value
        return cls(status, headers, body, None if wait is None else Wait(*wait), changes)


SERVER_ERROR = Reply(
    500,
    [("content-type", "application/problem+json")],
    b'{"type":"about:blank","title":"Internal Server Error","status":500}',
)


@dataclass(frozen=True, slots=True)
class AppSetup:
    """What an app factory hands the runner: the app, and how to read versions."""

    app: WSGIApp
    #: For long polls woken by changes made in other processes; None: no long polls.
    current: CurrentVersions | None = None


class ChangeLog:
    """Collects the changes published on each thread while it runs a request.

    ``publish`` is what an app factory wires its house to. A change published
    outside any request (none is, today) goes out with the next reply.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._outside: list[tuple[Topic, int]] = []

    def publish(self, topic: Topic, version: int) -> None:
        collected: list[tuple[Topic, int]] | None = getattr(self._local, "changes", None)
        (self._outside if collected is None else collected).append((topic, version))

    def start(self) -> None:
        self._local.changes = []

    def finish(self) -> list[tuple[Topic, int]]:
        changes: list[tuple[Topic, int]] = self._local.changes
        self._local.changes = None
        if self._outside:
            changes, self._outside = self._outside + changes, []
        return changes


def run_app(
    app: WSGIApp,
    request: Request,
    *,
    allow_wait: bool,
    log: ChangeLog,
    multiprocess: bool = False,
) -> Reply:
    """Call the WSGI app on ``request`` and gather its reply (on a request thread)."""
    environ = request.environ(multiprocess=multiprocess)
    asked: list[Wait] = []
    if allow_wait:

        def wait_for(topic: Topic, since: int, timeout: float) -> None:
            asked[:] = [Wait(topic, since, min(max(timeout, 0.0), MAX_WAIT))]

        environ[WAIT_FOR] = wait_for
    log.start()
    try:
        status, headers, body = call_app(app, environ)
    except Exception as error:  # the app's own error handling failed
        report_unexpected(error, f"{request.method} {request.path}")
        return replace(SERVER_ERROR, changes=log.finish())
    changes = log.finish()
    return Reply(status, headers, body, asked[0] if asked else None, changes)


def report_unexpected(error: BaseException, where: str) -> None:
    """A traceback for the server's log: the client only ever gets a bare 500."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    sys.stderr.write(f"parlor: unexpected error in {where}\n" + "".join(lines))
    sys.stderr.flush()


def call_app(app: WSGIApp, environ: WSGIEnvironment) -> tuple[int, Headers, bytes]:
    """Run a WSGI app to the end of its response: (status, headers, body)."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])  # PEP 3333: too late to change
        started[:] = [status, headers]
        return written.append

    result: Iterable[bytes] = app(environ, start_response)
    try:
        if isinstance(result, list) and len(result) == 1 and not written:
            body = result[0]
        else:
            body = b"".join([*written, *result])
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    return int(started[0][:3]), list(started[1]), body
