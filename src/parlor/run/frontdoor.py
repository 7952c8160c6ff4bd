"""The front door: an event loop before the WSGI apps (the seed's fast server in front).

Granian runs this RSGI app in each worker. For every request it

1. reads the body whole on the event loop, under a size limit and a deadline
   (``bodies``); a client that stalls or breaks its body costs a coroutine,
   never a thread, and reaches no app;
2. takes the scheme and client address a trusted proxy vouches for
   (``proxy``) and hands the complete ``request.Request`` to the app's runner:
   the app process (``appprocess``), or request threads in this process
   (``threads.ThreadedApp``); either answers with a ``request.Reply``;
3. advances the changes the reply reports, waking long polls (``changes``),
   and sends the reply;
4. answers what it may from its shared cache (``parlor.wsgi.cache.HttpCache``,
   the caching pipe's store and rules): a GET whose answer the app marked
   ``public, max-age`` comes from this loop until it expires, without waking
   the app process at all; each answer the app gives passes through the same
   store on its way out;
5. parks a request that asked to wait for a change: the app called
   ``environ["parlor.wait_for"](topic, since, timeout)`` and returned; the
   front door waits on its loop, holding no thread, and runs the request again
   (without that key) once the topic moves past ``since`` or the time is up.
   Behind any other WSGI server the key is absent and the app answers at once.
   An anonymous GET (no credentials, no cookies) is the same request for
   everyone who sends it, so the door remembers that the app asked it to wait
   and parks the next one alike without asking, until its topic changes; and
   the identical requests one change wakes share one run of the app
   (``_shared_key``): a thousand watchers of one game cost one app call per move.

The apps stay WSGI: Falcon and the seed's pipes run unchanged in-process in
the tests, and under any PEP 3333 server.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Protocol

from parlor.run import lifeline
from parlor.run.appprocess import AppGone
from parlor.run.bodies import BodyLimits, BodyRefused, BodySource, read_body
from parlor.run.changes import Changes
from parlor.run.environ import split_host_port, wsgi_string
from parlor.run.proxy import Peer, TrustedProxies
from parlor.run.request import Headers, Reply, Request, Topic
from parlor.wsgi.accesslog import log_line
from parlor.wsgi.cache import HttpCache
from parlor.wsgi.errors import error_document, wants_json
from parlor.wsgi.types import WSGIEnvironment


def cache_view(request: Request) -> WSGIEnvironment:
    """The request as much of a WSGI environ as the cache reads: method, path, query, fields."""
    view: WSGIEnvironment = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path,
        "QUERY_STRING": request.query_string,
    }
    for name, value in request.headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        view[key] = f"{view[key]}, {value}" if key in view else value  # RFC 9110 §5.3
    return view


#: Headers that make a GET someone's own: never shared.
_PERSONAL = frozenset({"authorization", "cookie"})
#: Headers about the connection, not the request: left out of what makes two the same.
_HOP = frozenset({"connection", "keep-alive", "te"})


#: The largest request head that may be shared: past it, a request is its own (what the
#: door remembers of one is bounded, whatever a client sends).
MAX_SHARED_HEAD = 8 * 1024


def _shared_key(request: Request) -> bytes | None:
    """What makes ``request`` the same request as another's, if it may be shared at all.

    Only an anonymous GET may: one with no credentials, no cookies and no
    body, whose answer cannot depend on who sends it. Two are the same when
    their scheme, path, query and headers are (the connection's own headers
    aside; repeated headers in the order sent), so a conditional or
    differently negotiated GET is never answered with another's reply. The key
    is a digest, 16 bytes, however large the head was.
    """
    if request.method != "GET" or request.body:
        return None
    kept = []
    size = len(request.path) + len(request.query_string)
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in _PERSONAL:
            return None
        if lowered not in _HOP:
            kept.append((lowered, value))
            size += len(name) + len(value)
    if size > MAX_SHARED_HEAD:
        return None
    kept.sort(key=lambda header: header[0])  # stable: a repeated header keeps its order
    seen = repr((request.scheme, request.path, request.query_string, kept))
    return hashlib.blake2b(seen.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _private(reply: Reply) -> bool:
    """Whether the app marked ``reply`` as one client's (Cache-Control private or no-store)."""
    for name, value in reply.headers:
        if name.lower() == "cache-control":
            directives = {part.strip().split("=", 1)[0].lower() for part in value.split(",")}
            if directives & {"private", "no-store"}:
                return True
    return False


def _forget(
    flights: dict[bytes, tuple[asyncio.Future[Reply], int]],
    key: bytes,
    running: asyncio.Future[Reply],
) -> None:
    """Drop a finished flight, unless a newer one has taken its key meanwhile."""
    flight = flights.get(key)
    if flight is not None and flight[0] is running:
        del flights[key]


def _settle(future: asyncio.Future[None], *_: object) -> None:
    """End a parked request's wait (``FrontDoor._park``), once."""
    if not future.done():
        future.set_result(None)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


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


class AppRunner(Protocol):
    """Where the front door's complete requests are run: see ``appprocess`` and ``threads``."""

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...

    def stop(self) -> None: ...

    async def call(self, request: Request, *, allow_wait: bool) -> Reply: ...

    async def versions(self, topics: Sequence[Topic]) -> Mapping[Topic, int]: ...


def _unreadable(names: Sequence[str], headers: Headers) -> list[str]:
    """The headers whose names arrived without a value in ``headers``, in order, once each."""
    if len(names) == len(headers):  # every name has its value: nearly every request
        return []
    missing = Counter(names) - Counter(name for name, _ in headers)
    return sorted(missing)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    close: bool = False,
    as_json: bool = True,
) -> Reply:
    """An answer of the front door's own: a problem document (RFC 9457) or, for a browser
    at a door that serves pages, the same as a small HTML page (``parlor.wsgi.errors``)."""
    content_type, body = error_document(status, title, detail, code=code, as_json=as_json)
    headers = [("content-type", content_type)]
    if close:  # the rest of the connection's bytes are not a request we can find
        headers.append(("connection", "close"))
    return Reply(status, headers, body)


#: Methods that act on nothing: a request without a body is handed on as it came.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

_APP_GONE = problem(
    503,
    "Service Unavailable",
    "the application restarted while answering; the request may or may not have been acted"
    " on, so look before sending it again",
    code="app_restarted",
)


class FrontDoor:
    """One app behind an event loop; the RSGI callable Granian runs."""

    def __init__(
        self,
        runner: AppRunner,
        *,
        limits: BodyLimits | None = None,
        proxies: TrustedProxies | None = None,
        log: Callable[[str], object] | None = None,
        poll_interval: float = 0.05,
        cache: HttpCache | None = None,
        json_only: bool = True,
    ) -> None:
        """``json_only``: its own answers are problem documents whatever the client accepts
        (an API's door); otherwise a browser gets them as a page."""
        self.runner = runner
        self.cache = cache
        self.json_only = json_only
        self.changes = Changes(runner.versions, poll_interval=poll_interval)
        #: App calls in flight by ``_shared_key``, with the ``Changes.epoch`` each began
        #: in: first asks, and runs of woken requests.
        self._asking: dict[bytes, tuple[asyncio.Future[Reply], int]] = {}
        self._rerunning: dict[bytes, tuple[asyncio.Future[Reply], int]] = {}
        self.limits = limits or BodyLimits()
        self.proxies = proxies or TrustedProxies()
        self._log = log

    # -- Granian's RSGI hooks ---------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """In each worker, before it serves: the app starts here, after any fork."""
        lifeline.die_with_parent()
        self.runner.start(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.runner.stop()

    async def __rsgi__(self, scope: Scope, proto: HTTPProtocol) -> None:
        if scope.proto != "http":  # websockets are not served
            return
        received_at = time.perf_counter()
        raw = scope.headers
        headers: Headers = raw.items()
        unreadable = _unreadable(raw.keys(), headers)
        if unreadable:
            # Granian leaves a value it cannot decode out of items() but keeps its name:
            # an app must not act as if the header (an Idempotency-Key, say) was never sent.
            detail = (
                f"the {', '.join(unreadable)} header holds bytes that are not text:"
                " send header values as ASCII"
            )
            as_json = self._as_json(headers)
            self._send(
                proto,
                problem(400, "Bad Request", detail, code="bad_header", close=True, as_json=as_json),
            )
            self._log_own(scope, 400, received_at)
            return
        body = b""
        framed = "content-length" in raw or "transfer-encoding" in raw
        if framed or scope.method not in _SAFE:
            try:
                length = raw.get("content-length") if framed else "0"
                body = await read_body(proto, length, self.limits)
            except BodyRefused as refusal:
                answer = problem(
                    refusal.status, refusal.title, refusal.detail, code=refusal.code,
                    close=True, as_json=self._as_json(headers),
                )  # fmt: skip
                self._send(proto, answer)
                self._log_own(scope, refusal.status, received_at)
                return
        peer = self._peer(scope, headers)
        request = Request(
            scope.method, scope.path, scope.query_string, scope.http_version, scope.server,
            peer.scheme, peer.address, headers, body, received_at,
        )  # fmt: skip
        cache = self.cache
        # Only a GET or HEAD can be answered from the store, and another method matters to
        # it only when it holds that URL: a bet, the hot path, builds no view at all.
        looked_at = cache is not None and (
            request.method in ("GET", "HEAD") or cache.holds(request.path, request.query_string)
        )
        view = cache_view(request) if looked_at else None
        if cache is not None and view is not None and (hit := cache.lookup(view)) is not None:
            status_line, hit_headers, hit_body = hit
            self._send(proto, Reply(int(status_line[:3]), hit_headers, hit_body))
            self._log_own(scope, int(status_line[:3]), received_at)
            return
        shared = _shared_key(request)
        decided = None if shared is None else self.changes.recall(shared)
        copied = False
        if decided is not None:  # as the app answered this same request: wait
            reply = Reply(204, [], b"", decided)
        else:
            reply, copied = await self._shared_call(request, shared, view, allow_wait=True)
            if reply.wait is not None and shared is not None:
                self.changes.remember(shared, reply.wait)
        if reply.wait is not None:
            if not await self._park(reply, proto):
                return  # the client left while it waited
            reply, copied = await self._shared_call(request, shared, view, allow_wait=False)
        self._send(proto, reply)
        if copied or reply is _APP_GONE:  # no app logged it
            self._log_own(scope, reply.status, received_at)

    __call__ = __rsgi__

    # -- the steps ----------------------------------------------------------------

    def _as_json(self, headers: Headers) -> bool:
        if self.json_only:
            return True
        accept = ", ".join(value for name, value in headers if name.lower() == "accept")
        return wants_json({"HTTP_ACCEPT": accept})

    def _peer(self, scope: Scope, headers: Headers) -> Peer:
        address = split_host_port(scope.client, "")[0]
        if not self.proxies:
            return Peer(scope.scheme, address)
        return self.proxies.resolve(scope.scheme, address, headers)

    async def _call(self, request: Request, *, allow_wait: bool) -> Reply:
        try:
            reply = await self.runner.call(request, allow_wait=allow_wait)
        except AppGone:
            return _APP_GONE
        if reply.changes:
            self.changes.epoch += 1  # something changed: no flight begun before it is joined
        for topic, version in reply.changes:
            self.changes.advance(topic, version)
        return reply

    async def _shared_call(
        self,
        request: Request,
        shared: bytes | None,
        view: WSGIEnvironment | None,
        *,
        allow_wait: bool,
    ) -> tuple[Reply, bool]:
        """The app's reply to ``request``, and whether it is a copy of another's.

        Identical anonymous requests (``_shared_key``) in flight at once share
        one run of the app: a move wakes every watcher of the game together,
        and each asks again a moment later, all with the same request, which
        the app would answer each the same.
        """
        if shared is None:
            return await self._answer(request, view, allow_wait), False
        flights = self._asking if allow_wait else self._rerunning
        flight = flights.get(shared)
        # A flight that began before a change this door has heard of (a move made in
        # between) may answer with what was true before it: join only one begun since.
        if flight is None or flight[1] != self.changes.epoch:
            running = asyncio.ensure_future(self._answer(request, view, allow_wait))
            flights[shared] = (running, self.changes.epoch)
            running.add_done_callback(lambda _: _forget(flights, shared, running))
            return await asyncio.shield(running), False
        reply = await asyncio.shield(flight[0])
        if _private(reply) or any(name.lower() == "set-cookie" for name, _ in reply.headers):
            # One client's answer (a cookie, a new session, private data): never copied.
            return await self._answer(request, view, allow_wait), False
        return reply, reply is not _APP_GONE

    async def _answer(
        self, request: Request, view: WSGIEnvironment | None, allow_wait: bool
    ) -> Reply:
        reply = await self._call(request, allow_wait=allow_wait)
        return reply if reply.wait is not None else self._kept(view, reply)

    def _kept(self, view: WSGIEnvironment | None, reply: Reply) -> Reply:
        """``reply`` through the door's cache, when the request was one it looks at."""
        if view is None or reply is _APP_GONE:
            return reply
        return self._through_cache(view, reply)

    async def _park(self, reply: Reply, proto: HTTPProtocol) -> bool:
        """Wait for what the reply asks; False if the client left meanwhile."""
        wait = reply.wait
        if wait is None:
            return True
        # The change's own future ends the wait, resolved by whichever comes first: the
        # change, the client leaving, or the time running out. (asyncio.wait did the same
        # with a future, a set and two callbacks more, for each of a thousand watchers
        # woken together.) Changes sets only a future not yet done.
        changed = self.changes.watch(wait.topic, wait.since)
        gone = asyncio.ensure_future(proto.client_disconnect())
        settle = functools.partial(_settle, changed)
        gone.add_done_callback(settle)
        timer = asyncio.get_running_loop().call_later(wait.timeout, settle)
        try:
            await changed
        finally:
            timer.cancel()
            self.changes.unwatch(wait.topic, changed)
            left = gone.done() and not gone.cancelled()
            gone.remove_done_callback(settle)
            gone.cancel()
        return not left

    def _through_cache(self, view: WSGIEnvironment, reply: Reply) -> Reply:
        """The app's reply, kept if it may be shared, as the client should get it."""
        assert self.cache is not None
        status = f"{reply.status} {_phrase(reply.status)}"
        status_line, headers, body = self.cache.keep(view, status, reply.headers, reply.body)
        if status_line is status and headers is reply.headers and body is reply.body:
            return reply  # not this cache's business: as the app sent it
        return Reply(int(status_line[:3]), headers, body, reply.wait, reply.changes)

    @staticmethod
    def _send(proto: HTTPProtocol, reply: Reply) -> None:
        proto.response_bytes(reply.status, reply.headers, reply.body)

    def _log_own(self, scope: Scope, status: int, received_at: float) -> None:
        """A log line for an answer that no app gave (the app logs its own)."""
        if self._log is None:
            return
        elapsed_ms = (time.perf_counter() - received_at) * 1000
        self._log(
            log_line(
                scope.method,
                scope.path.encode("utf-8", "replace"),
                wsgi_string(scope.query_string),
                str(status),
                elapsed_ms,
            )
        )
