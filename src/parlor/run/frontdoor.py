"""The front door: an event loop before the WSGI apps (the seed's fast server in front).

Granian runs this RSGI app in each worker. For every request it

1. reads the body whole on the event loop, under a size limit and a deadline
   (``bodies``); a client that stalls or breaks its body costs a coroutine,
   never a thread, and reaches no app;
2. builds a PEP 3333 environ for the complete request (``environ``), with the
   scheme and client address a trusted proxy vouches for (``proxy``);
3. runs the WSGI app on one of a bounded pool of request threads
   (``threads``) and sends the response it made;
4. parks a request that asked to wait for a change (``changes``): the app
   calls ``environ["parlor.wait_for"](topic, since, timeout)`` and returns;
   the front door waits on its loop, holding no thread, and runs the request
   again (without that key) once the topic moves past ``since`` or the time
   is up. Behind any other WSGI server the key is absent and the app answers
   at once.

The apps stay WSGI: Falcon and the seed's pipes run unchanged in-process in
the tests, and under any PEP 3333 server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from parlor.run import lifeline
from parlor.run.bodies import BodyLimits, BodyRefused, BodySource, read_body
from parlor.run.changes import Changes, Topic
from parlor.run.environ import build_environ, split_host_port
from parlor.run.proxy import Peer, TrustedProxies
from parlor.run.threads import RequestThreads, report_unexpected
from parlor.wsgi.accesslog import RECEIVED_AT, log_line
from parlor.wsgi.types import WSGIApp, WSGIEnvironment
from parlor.wsgi.waiting import MAX_WAIT, WAIT_FOR

Headers = list[tuple[str, str]]


class Scope(Protocol):
    """The fields of Granian's RSGI scope the front door reads."""

    proto: str
    http_version: str
    server: str
    client: str
    scheme: str
    method: str
    path: str
    query_string: str

    @property
    def headers(self) -> Any: ...


class HTTPProtocol(BodySource, Protocol):
    def response_bytes(self, status: int, headers: Headers, body: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Headers
    body: bytes


class _Ticket:
    """What an app asked to wait for, through ``environ["parlor.wait_for"]``."""

    __slots__ = ("since", "timeout", "topic")

    def __init__(self) -> None:
        self.topic: Topic | None = None
        self.since = 0
        self.timeout = 0.0

    def ask(self, topic: Topic, since: int, timeout: float) -> None:
        self.topic, self.since, self.timeout = topic, since, min(max(timeout, 0.0), MAX_WAIT)


def call_app(app: WSGIApp, environ: WSGIEnvironment) -> Response:
    """Run a WSGI app to the end of its response (on a request thread)."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])  # PEP 3333: too late to change
        started[:] = [status, headers]
        return written.append

    result = app(environ, start_response)
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
    return Response(int(started[0][:3]), started[1], body)


_SERVER_ERROR = Response(
    500,
    [("content-type", "application/problem+json")],
    b'{"type":"about:blank","title":"Internal Server Error","status":500}',
)


def problem(refusal: BodyRefused) -> Response:
    """The front door's own answer to a body it will not hand on (RFC 9457)."""
    document = {
        "type": "about:blank",
        "title": refusal.title,
        "status": refusal.status,
        "detail": refusal.detail,
    }
    return Response(
        refusal.status,
        # The rest of the connection's bytes are not a request we can find.
        [("content-type", "application/problem+json"), ("connection", "close")],
        json.dumps(document).encode(),
    )


class FrontDoor:
    """One WSGI app behind an event loop; the RSGI callable Granian runs."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        threads: RequestThreads,
        changes: Changes | None = None,
        limits: BodyLimits | None = None,
        proxies: TrustedProxies | None = None,
        log: Callable[[str], object] | None = None,
        multiprocess: bool = False,
    ) -> None:
        self.app = app
        self.threads = threads
        self.changes = changes
        self.limits = limits or BodyLimits()
        self.proxies = proxies or TrustedProxies()
        self._log = log
        self._multiprocess = multiprocess

    # -- Granian's RSGI hooks ---------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """In each worker, before it serves: threads start here, after any fork."""
        lifeline.die_with_parent()
        self.threads.start(loop)
        if self.changes is not None:
            self.changes.start(loop, self.threads)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.threads.stop()

    async def __rsgi__(self, scope: Scope, proto: HTTPProtocol) -> None:
        if scope.proto != "http":  # websockets are not served
            return
        started = time.perf_counter()
        headers: Headers = scope.headers.items()
        raw = scope.headers
        body = b""
        if "content-length" in raw or "transfer-encoding" in raw:
            try:
                body = await read_body(proto, raw.get("content-length"), self.limits)
            except BodyRefused as refusal:
                self._send(proto, problem(refusal))
                self._log_refusal(scope, refusal.status, started)
                return
        peer = self._peer(scope, headers)
        ticket = _Ticket() if self.changes is not None else None
        response = await self._run(self._environ(scope, peer, headers, body, started, ticket))
        if ticket is not None and ticket.topic is not None:
            if not await self._park(ticket, proto):
                return  # the client left while it waited
            response = await self._run(self._environ(scope, peer, headers, body, started, None))
        self._send(proto, response)

    __call__ = __rsgi__

    # -- the steps ----------------------------------------------------------------

    def _peer(self, scope: Scope, headers: Headers) -> Peer:
        address = split_host_port(scope.client, "")[0]
        if not self.proxies:
            return Peer(scope.scheme, address)
        return self.proxies.resolve(scope.scheme, address, headers)

    def _environ(
        self,
        scope: Scope,
        peer: Peer,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        started: float,
        ticket: _Ticket | None,
    ) -> WSGIEnvironment:
        environ = build_environ(
            method=scope.method,
            path=scope.path,
            query_string=scope.query_string,
            http_version=scope.http_version,
            server=scope.server,
            peer=peer,
            headers=headers,
            body=body,
            multiprocess=self._multiprocess,
        )
        environ[RECEIVED_AT] = started
        if ticket is not None:
            environ[WAIT_FOR] = ticket.ask
        return environ

    async def _run(self, environ: WSGIEnvironment) -> Response:
        app = self.app
        try:
            return await self.threads.run(lambda: call_app(app, environ))
        except Exception as error:  # the app's own error handling failed
            report_unexpected(error, f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
            return _SERVER_ERROR

    async def _park(self, ticket: _Ticket, proto: HTTPProtocol) -> bool:
        """Wait for the ticket's topic; False if the client left meanwhile."""
        changes, topic = self.changes, ticket.topic
        if changes is None or topic is None:
            return True
        waiting = asyncio.ensure_future(changes.wait(topic, ticket.since, ticket.timeout))
        gone = asyncio.ensure_future(proto.client_disconnect())
        try:
            done, _ = await asyncio.wait((waiting, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            gone.cancel()
        return gone not in done

    @staticmethod
    def _send(proto: HTTPProtocol, response: Response) -> None:
        proto.response_bytes(response.status, response.headers, response.body)

    def _log_refusal(self, scope: Scope, status: int, started: float) -> None:
        if self._log is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._log(
            log_line(
                scope.method,
                scope.path.encode("utf-8", "replace"),
                scope.query_string,
                str(status),
                elapsed_ms,
            )
        )
