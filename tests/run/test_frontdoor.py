"""The front door in-process: a stand-in for Granian's scope and protocol objects.

Live servers face raw sockets in tests/e2e/test_front_door_e2e.py; here each
path through ``FrontDoor.__rsgi__`` is driven directly: a plain request, a
refused body, a long poll woken, timed out or abandoned, and an app that fails.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest

from parlor.run.bodies import BodyLimits
from parlor.run.frontdoor import FrontDoor
from parlor.run.proxy import TrustedProxies
from parlor.run.request import AppSetup, Publish, call_app
from parlor.run.threads import RequestThreads, ThreadedApp
from parlor.wsgi.cache import HttpCache
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from parlor.wsgi.waiting import ask_to_wait
from tests.run.loop_support import run_async


class Headers:
    """Granian's RSGI headers: a name whose value was not text is in keys() but not items()."""

    def __init__(self, pairs: list[tuple[str, str]], unreadable: tuple[str, ...] = ()) -> None:
        self.pairs = pairs
        self.unreadable = unreadable

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def keys(self) -> list[str]:
        return [key for key, _ in self.pairs] + list(self.unreadable)

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self.pairs)

    def get(self, name: str, default: Any = None) -> Any:
        return next((value for key, value in self.pairs if key == name), default)


class Scope:
    proto = "http"
    http_version = "1.1"
    server = "127.0.0.1:36000"
    client = "127.0.0.1:5555"
    scheme = "http"

    def __init__(
        self, method: str = "GET", path: str = "/", query: str = "", headers: Any = ()
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query
        self.headers = Headers(list(headers))


class Proto:
    def __init__(self, body: bytes = b"", *, leaves: float | None = None) -> None:
        self.body = body
        self.leaves = leaves
        self.sent: list[tuple[int, list[tuple[str, str]], bytes]] = []

    async def _collect(self) -> bytes:
        return self.body

    def __call__(self) -> asyncio.Future[bytes]:
        return asyncio.ensure_future(self._collect())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body
        yield b""

    def client_disconnect(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if self.leaves is not None:

            def leave() -> None:
                if not future.done():
                    future.set_result(None)

            loop.call_later(self.leaves, leave)
        return future

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.sent.append((status, headers, body))


def echo(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answers what it saw, or, asked with ?wait, waits on topic "t" once."""
    if "wait" in environ["QUERY_STRING"] and ask_to_wait(environ, "t", 1, 0.5):
        start_response("204 No Content", [])
        return []
    length = int(environ.get("CONTENT_LENGTH") or 0)
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "body": environ["wsgi.input"].read(length).decode(),
        "scheme": environ["wsgi.url_scheme"],
        "remote": environ["REMOTE_ADDR"],
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


def serve(
    door: FrontDoor, scope: Scope, proto: Proto, during: Any = None
) -> tuple[int, dict[str, str], bytes]:
    async def main() -> None:
        door.runner.start(asyncio.get_running_loop())
        try:
            task = asyncio.ensure_future(door(scope, proto))
            if during is not None:
                await asyncio.sleep(0.1)
                await during(door)
            await task
        finally:
            door.runner.stop()

    run_async(main())
    if not proto.sent:
        return 0, {}, b""
    ((status, headers, body),) = proto.sent
    return status, dict(headers), body


#: The long polls' topic "t" is at this version, as far as the app's store knows.
VERSIONS: dict[str, int] = {}


def echo_setup(publish: Publish) -> AppSetup:
    def current(topics: Any) -> dict[Any, int]:
        return {topic: VERSIONS[topic] for topic in topics if topic in VERSIONS}

    return AppSetup(echo, current)


def make_door(app: Any = None, **options: Any) -> tuple[FrontDoor, list[str]]:
    lines: list[str] = []
    factory = echo_setup if app is None else (lambda publish: AppSetup(app))
    door = FrontDoor(
        ThreadedApp(factory, RequestThreads(2)),
        log=lines.append,
        limits=BodyLimits(max_bytes=16, timeout=1),
        **options,
    )
    return door, lines


def test_a_request_reaches_the_app_whole() -> None:
    door, _ = make_door()
    headers = [("content-length", "5"), ("content-type", "text/plain")]
    status, _, body = serve(door, Scope("POST", "/café", headers=headers), Proto(b"hello"))
    assert status == 200
    seen = json.loads(body)
    assert seen["body"] == "hello"
    assert seen["path"] == "/café".encode().decode("latin-1")
    assert (seen["scheme"], seen["remote"]) == ("http", "127.0.0.1")


def test_a_refused_body_never_reaches_the_app_and_is_logged() -> None:
    door, lines = make_door()
    status, headers, body = serve(
        door, Scope("POST", "/big", headers=[("content-length", "9999")]), Proto()
    )
    assert status == 413
    assert headers == {"content-type": "application/problem+json", "connection": "close"}
    assert json.loads(body)["status"] == 413
    assert len(lines) == 1
    assert lines[0].startswith("POST /big 413 ")


def test_a_header_whose_value_is_not_text_is_refused_before_the_app() -> None:
    """Granian drops such a value from items(); acting without it could bet twice."""
    door, lines = make_door()
    scope = Scope("POST", "/bets", headers=[("content-length", "2")])
    scope.headers = Headers([("content-length", "2")], unreadable=("idempotency-key",))
    status, headers, body = serve(door, scope, Proto(b"{}"))
    assert status == 400
    assert headers["connection"] == "close"
    assert "idempotency-key header holds bytes that are not text" in json.loads(body)["detail"]
    assert lines[0].startswith("POST /bets 400 ")


def test_a_trusted_proxy_sets_scheme_and_address() -> None:
    door, _ = make_door(proxies=TrustedProxies.parse("127.0.0.1"))
    forwarded = [("x-forwarded-proto", "https"), ("x-forwarded-for", "203.0.113.9")]
    _, _, body = serve(door, Scope(headers=forwarded), Proto())
    seen = json.loads(body)
    assert (seen["scheme"], seen["remote"]) == ("https", "203.0.113.9")


def test_a_parked_request_runs_again_once_its_topic_moves() -> None:
    door, _ = make_door()

    async def change(door: FrontDoor) -> None:
        assert door.changes.waiting == 1
        door.changes.advance("t", 2)  # as a reply reporting a change would

    status, _, body = serve(door, Scope(query="wait=1"), Proto(), during=change)
    assert status == 200
    assert json.loads(body)["method"] == "GET"


def test_a_parked_request_wakes_on_a_change_made_elsewhere() -> None:
    door, _ = make_door(poll_interval=0.01)

    async def elsewhere(door: FrontDoor) -> None:
        VERSIONS["t"] = 2  # another process committed; only the poll can tell

    try:
        status, _, _ = serve(door, Scope(query="wait=1"), Proto(), during=elsewhere)
    finally:
        VERSIONS.clear()
    assert status == 200


def test_a_parked_request_times_out_into_an_answer() -> None:
    door, _ = make_door()
    status, _, _ = serve(door, Scope(query="wait=1"), Proto())
    assert status == 200


def test_a_client_that_leaves_while_parked_is_dropped() -> None:
    door, _ = make_door()
    assert serve(door, Scope(query="wait=1"), Proto(leaves=0.05)) == (0, {}, b"")
    assert door.changes.waiting == 0


def test_an_app_that_cannot_read_versions_is_never_asked_to_wait() -> None:
    door, _ = make_door(app=echo)
    assert serve(door, Scope(query="wait=1"), Proto())[0] == 200


def test_an_app_that_raises_is_a_bare_500(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raise RuntimeError("boom")

    door, _ = make_door(app=broken)
    status, _, body = serve(door, Scope(), Proto())
    assert status == 500
    assert b"boom" not in body
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_call_app_follows_pep_3333() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"b"
            yield b"c"

        def close(self) -> None:
            closed.append(True)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("201 Created", [("X", "1")])
        write(b"a")
        return Body()

    assert call_app(app, {}) == (201, [("X", "1")], b"abc")
    assert closed == [True]

    def silent(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return []

    with pytest.raises(RuntimeError, match="start_response"):
        call_app(silent, {})


# -- the door's shared cache --------------------------------------------------------------


class Counting:
    """An app that counts its calls and marks /public shareable, everything else not."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls += 1
        shared = environ["PATH_INFO"] == "/public"
        control = "public, max-age=60" if shared else "private, no-store"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", control)])
        return [f"call {self.calls}".encode()]


def test_a_shared_answer_comes_from_the_loop_without_waking_the_app() -> None:
    app = Counting()
    door, lines = make_door(app, cache=HttpCache())
    first = serve(door, Scope("GET", "/public"), Proto())
    second = serve(door, Scope("GET", "/public"), Proto())
    assert first[2] == second[2] == b"call 1"
    assert app.calls == 1
    assert "Age" in second[1]
    assert any(line.startswith("GET /public 200") for line in lines)  # the door logs its hits
    etag = first[1]["ETag"]
    again = serve(door, Scope("GET", "/public", headers=[("if-none-match", etag)]), Proto())
    assert (again[0], again[2]) == (304, b"")
    assert app.calls == 1


def test_private_answers_and_credentialed_requests_always_reach_the_app() -> None:
    app = Counting()
    door, _ = make_door(app, cache=HttpCache())
    serve(door, Scope("GET", "/page"), Proto())
    status, headers, body = serve(door, Scope("GET", "/page"), Proto())
    assert (status, body, app.calls) == (200, b"call 2", 2)
    assert "ETag" not in headers  # not the cache's business: as the app sent it
    serve(door, Scope("GET", "/public", headers=[("authorization", "Basic YTpi")]), Proto())
    serve(door, Scope("GET", "/public", headers=[("authorization", "Basic YTpi")]), Proto())
    assert app.calls == 4


def test_an_unsafe_request_drops_the_stored_answer() -> None:
    app = Counting()
    door, _ = make_door(app, cache=HttpCache())
    serve(door, Scope("GET", "/public"), Proto())
    serve(door, Scope("POST", "/public", headers=[("content-length", "0")]), Proto())
    assert serve(door, Scope("GET", "/public"), Proto())[2] == b"call 3"


@pytest.mark.parametrize(
    ("json_only", "accept", "media"),
    [
        (True, "text/html", "application/problem+json"),  # an API's door: always a problem
        (False, "text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8"),
        (False, "application/json", "application/problem+json"),
    ],
)
def test_the_doors_own_refusals_suit_who_asks(json_only: bool, accept: str, media: str) -> None:
    door, _ = make_door(json_only=json_only)
    headers = [("content-length", "9999"), ("accept", accept)]
    status, sent, body = serve(door, Scope("POST", "/big", headers=headers), Proto())
    assert (status, sent["content-type"]) == (413, media)
    if media == "application/problem+json":
        assert json.loads(body)["code"] == "body_too_large"  # as the service names its own
    else:
        assert b"larger than 16 bytes" in body


# -- many watchers of one thing: one app call per change ---------------------------------


class Watched:
    """An app that waits on topic "t" until past version 1 and counts how often it runs;
    ``cookie`` makes each answer set one."""

    def __init__(self, *, cookie: bool = False, private: bool = False) -> None:
        self.calls = 0
        self.cookie = cookie
        self.private = private

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls += 1
        if ask_to_wait(environ, "t", 1, 2.0):
            start_response("204 No Content", [])
            return []
        headers = [("Content-Type", "application/json")]
        if self.cookie:
            headers.append(("Set-Cookie", f"visit={self.calls}"))
        if self.private:
            headers.append(("Cache-Control", "private, no-cache"))
        start_response("200 OK", headers)
        return [json.dumps({"call": self.calls}).encode()]


def watched(
    app: Watched, scopes: list[Scope], *, changes: int = 1
) -> tuple[FrontDoor, list[Proto], list[str]]:
    """Park one request per scope at once, then move topic "t" past them."""
    lines: list[str] = []
    door = FrontDoor(
        ThreadedApp(lambda publish: AppSetup(app, lambda topics: {}), RequestThreads(2)),
        log=lines.append,
        poll_interval=5,
    )
    protos = [Proto() for _ in scopes]

    async def main() -> None:
        door.runner.start(asyncio.get_running_loop())
        try:
            tasks = [asyncio.ensure_future(door(s, p)) for s, p in zip(scopes, protos, strict=True)]
            # Every one parked before the change: on a busy machine that can take a while.
            deadline = time.monotonic() + 10
            while door.changes.waiting < len(scopes) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert door.changes.waiting == len(scopes)
            for version in range(2, 2 + changes):
                door.changes.advance("t", version)
            await asyncio.gather(*tasks)
        finally:
            door.runner.stop()

    run_async(main())
    return door, protos, lines


def test_identical_anonymous_watchers_cost_one_app_call_per_change() -> None:
    app = Watched()
    _, protos, lines = watched(app, [Scope(query="wait=2") for _ in range(50)])
    # One call asked the first to wait; the other 49 were parked alike without asking;
    # the change woke all fifty, and one run answered them.
    assert app.calls == 2
    bodies = {proto.sent[0][2] for proto in protos}
    assert bodies == {b'{"call": 2}'}
    assert all(proto.sent[0][0] == 200 for proto in protos)
    assert len(lines) == 49  # the copies are logged by the door; the run by the app


@pytest.mark.parametrize(
    "personal",
    [("authorization", "Bearer chess_x"), ("cookie", "parlor_visit=1"), ("Cookie", "a=b")],
)
def test_a_watcher_with_credentials_or_cookies_is_never_shared(
    personal: tuple[str, str],
) -> None:
    app = Watched()
    watched(app, [Scope(query="wait=2", headers=[personal]) for _ in range(5)])
    assert app.calls == 10  # each asked to wait, and each ran again, on its own


def test_requests_that_differ_in_a_header_or_the_query_are_not_the_same() -> None:
    app = Watched()
    scopes = [
        Scope(query="wait=2"),
        Scope(query="wait=2&since=1"),
        Scope(query="wait=2", headers=[("if-none-match", 'W/"1"')]),
        Scope(query="wait=2", headers=[("connection", "keep-alive")]),  # the same as the first
    ]
    watched(app, scopes)
    assert app.calls == 6  # three different requests, each asked once and run once


def test_an_answer_that_sets_a_cookie_is_never_copied() -> None:
    app = Watched(cookie=True)
    _, protos, _ = watched(app, [Scope(query="wait=2") for _ in range(4)])
    cookies = {dict(proto.sent[0][1])["Set-Cookie"] for proto in protos}
    assert len(cookies) == 4  # each visitor its own


def test_a_park_decision_is_forgotten_once_its_topic_moves_past_it() -> None:
    door, _ = make_door()
    from parlor.run.request import Wait

    door.changes.remember("request", Wait("t", 3, 1.0))
    door.changes.advance("t", 3)  # not past 3: still waits
    assert door.changes.recall("request") == Wait("t", 3, 1.0)
    door.changes.advance("t", 4)
    assert door.changes.recall("request") is None


def test_a_large_head_is_never_shared_nor_remembered() -> None:
    app = Watched()
    door, _, _ = watched(app, [Scope(query="wait=2", headers=[("x-pad", "a" * 9000)])] * 5)
    assert app.calls == 10  # each asked and each ran again: nothing of them was kept
    assert door.changes._decided == {}


def test_the_scheme_makes_two_requests_different() -> None:
    secure = Scope(query="wait=2")
    secure.scheme = "https"  # as a trusted proxy's X-Forwarded-Proto would resolve it
    app = Watched()
    watched(app, [Scope(query="wait=2"), secure])
    assert app.calls == 4


def test_an_answer_the_app_marks_private_is_never_copied() -> None:
    app = Watched(private=True)
    _, protos, _ = watched(app, [Scope(query="wait=2") for _ in range(4)])
    assert app.calls == 1 + 4  # one shared decision to wait; each woken one ran alone
    assert len({proto.sent[0][2] for proto in protos}) == 4


def test_a_change_heard_makes_flights_begun_before_it_unjoinable() -> None:
    door, _ = make_door()
    from parlor.run.request import Wait

    before = door.changes.epoch
    door.changes.advance("t", 9)  # nobody waits, nothing decided: nothing heard
    assert door.changes.epoch == before
    door.changes.remember("request", Wait("t", 3, 1.0))
    door.changes.advance("t", 4)
    assert door.changes.epoch == before + 1
