"""The front door against raw sockets: stalled, broken and forged requests on a live server.

One ``parlor serve`` (SQLite, a 2 s body deadline, trusting forwarded headers
from 127.0.0.1 only) serves most tests here; the kill -9 and cross-process
tests start their own. Every attack is made by hand over a socket, the way a
hostile client would, and every test checks that the others were still served
and that nothing was created or lost.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import falcon.inspect
import httpx
import pytest

from parlor.client import RouletteClient
from parlor.web.app import create_falcon_app
from tests.e2e.e2e_support import ACCESS_LINE, ParlorProcess, _session_members

pytestmark = pytest.mark.slow

BODY_TIMEOUT = 2.0
JSON = "application/json"


# -- a live server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    work = tmp_path_factory.mktemp("front-door")
    server = ParlorProcess(
        f"sqlite:///{work / 'door.db'}",
        cwd=tmp_path_factory.mktemp("front-door-cwd"),
        env={
            "PARLOR_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "PARLOR_FORWARDED_ALLOW_IPS": "127.0.0.1",
        },
    )
    try:
        server.wait_ready()
        yield server
        server.stop()
    finally:
        server.close()


def count(server: ParlorProcess, table: str) -> int:
    path = server.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        (rows,) = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(rows)


def no_tracebacks(server: ParlorProcess) -> None:
    assert not any("Traceback" in line for line in server.lines), server.describe()


# -- raw HTTP ---------------------------------------------------------------------------


def exchange(
    port: int,
    payload: bytes,
    *,
    half_close: bool = True,
    timeout: float = 10.0,
    source: str = "127.0.0.1",
) -> bytes:
    """Send ``payload``, optionally half-close, and read until the server closes or stops."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=timeout, source_address=(source, 0)
    ) as sock:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and not half_close:
                    head, _, rest = received.partition(b"\r\n\r\n")
                    length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
                    if length and len(rest) >= int(length.group(1)):
                        break
        except TimeoutError:
            pass
        return received


def status_of(response: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(match.group(1)) if match else None


class WebVisit:
    """A visit to the web app as a browser makes it: its cookie and the page's CSRF token."""

    TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(
        self, port: int, *, source: str = "127.0.0.1", headers: dict[str, str] | None = None
    ) -> None:
        self.port = port
        self.source = source
        self.headers = headers or {}
        self.cookie = ""
        self.token = ""
        self.set_cookie = ""

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.source, 0)
        )

    def get(self, path: str) -> str:
        connection = self._connection()
        try:
            connection.request("GET", path, headers={**self.headers, "Cookie": self.cookie})
            response = connection.getresponse()
            page = response.read().decode()
            self._keep(response)
        finally:
            connection.close()
        if match := self.TOKEN.search(page):
            self.token = match.group(1)
        return page

    def _keep(self, response: http.client.HTTPResponse) -> None:
        if set_cookie := response.getheader("Set-Cookie"):
            self.set_cookie = set_cookie
            self.cookie = set_cookie.split(";", 1)[0]

    def form(
        self, path: str, fields: dict[str, str], *, origin: str | None = None
    ) -> tuple[bytes, bytes]:
        """A POST of ``fields`` (with the token) as raw bytes: its head, unfinished, and body."""
        body = urlencode({**fields, "csrf_token": self.token}).encode()
        headers = {
            **self.headers,
            "Cookie": self.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if origin is not None:
            headers["Origin"] = origin
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        return head.encode(), body

    def post(
        self, path: str, fields: dict[str, str], *, origin: str | None = None
    ) -> http.client.HTTPResponse:
        head, body = self.form(path, fields, origin=origin)
        connection = self._connection()
        try:
            headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if line)
            headers.pop("Host")
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            self._keep(response)
            return response
        finally:
            connection.close()


# -- 1. stalled clients ----------------------------------------------------------------------


def stall(port: int, path: str, clients: int) -> list[socket.socket]:
    """``clients`` connections that send a request's headers and then no body."""
    sockets = []
    for _ in range(clients):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\n"
            "Content-Length: 10\r\n\r\n".encode()
        )
        sockets.append(sock)
    return sockets


@pytest.mark.parametrize("clients", [5, 500])
def test_stalled_bodies_do_not_stop_either_server(door: ParlorProcess, clients: int) -> None:
    silent = stall(door.port, "/api/v1/sessions", clients) + stall(door.web_port, "/", clients)
    trickling = stall(door.port, "/api/v1/sessions", clients) + stall(door.web_port, "/", clients)
    stalled_at = time.monotonic()
    stop = threading.Event()

    def trickle() -> None:  # one byte a second, never the whole body in time
        while not stop.wait(1.0):
            for sock in trickling:
                with suppress(OSError):
                    sock.send(b" ")

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        served = 0
        with (
            httpx.Client(base_url=door.base_url, timeout=2) as api,
            httpx.Client(base_url=door.web_url, timeout=2) as web,
        ):
            session = api.post("/api/v1/sessions", json={"name": "steady"}).json()["session"]
            while time.monotonic() - stalled_at < BODY_TIMEOUT - 0.3:
                bet = {"proposition": "red", "amount": 10}
                assert api.post(f"/api/v1/sessions/{session}/bets", json=bet).status_code == 201
                assert api.post(f"/api/v1/sessions/{session}/spins", json={}).status_code == 201
                assert api.get("/api/v1/rules").status_code == 200
                assert web.get("/rules").status_code == 200
                served += 4
        assert served >= 20
        # At the deadline each stalled client is answered 408 (or closed).
        for sock in silent + trickling:
            sock.settimeout(BODY_TIMEOUT + 5)
            answer = b""
            try:
                while (chunk := sock.recv(4096)) and b"\r\n\r\n" not in answer:
                    answer += chunk
            except OSError:
                pass
            assert answer == b"" or status_of(answer) == 408, answer[:200]
        assert time.monotonic() - stalled_at < BODY_TIMEOUT + 5
    finally:
        stop.set()
        trickler.join()
        for sock in silent + trickling:
            sock.close()
    no_tracebacks(door)


# -- 2. incomplete bodies --------------------------------------------------------------------

NAME = b'{"name":"x"}'
CHUNKED = b"Transfer-Encoding: chunked\r\n\r\n"
#: (case, framing and body, half-close after sending) — every one is a 400.
BROKEN = [
    ("shorter than its Content-Length", b"Content-Length: 1000\r\n\r\n%b", True),
    ("chunked with no final 0-chunk", CHUNKED + b"%x\r\n%%b\r\n", True),
    ("a chunk larger than its data", CHUNKED + b"100\r\n%b\r\n", True),
    ("chunk size zz", CHUNKED + b"zz\r\n%b\r\n0\r\n\r\n", False),
    ("chunk size -10", CHUNKED + b"-10\r\n%b\r\n0\r\n\r\n", False),
    ("chunk size 2**72", CHUNKED + b"%x\r\n%%b\r\n0\r\n\r\n" % 2**72, False),
]


def framed(template: bytes, body: bytes) -> bytes:
    if b"%x" in template:
        template = template % len(body)
    return template % body if b"%b" in template else template


def service_request(body: bytes) -> tuple[bytes, bytes]:
    head = f"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\n".encode()
    return head, body


@pytest.fixture
def web_start(door: ParlorProcess) -> WebVisit:
    visit = WebVisit(door.web_port)
    visit.get("/")
    assert visit.token
    assert visit.cookie
    return visit


def requests_for(door: ParlorProcess, port_name: str, visit: WebVisit) -> tuple[int, bytes, bytes]:
    if port_name == "service":
        head, body = service_request(NAME)
        return door.port, head, body
    head, body = visit.form("/", {"name": "x", "wheel": "american"})
    return door.web_port, head, body


@pytest.mark.parametrize("port_name", ["service", "web"])
@pytest.mark.parametrize(("case", "template", "half_close"), BROKEN, ids=[c[0] for c in BROKEN])
def test_an_incomplete_body_is_400_and_creates_nothing(
    door: ParlorProcess,
    web_start: WebVisit,
    port_name: str,
    case: str,
    template: bytes,
    half_close: bool,
) -> None:
    port, head, body = requests_for(door, port_name, web_start)
    before = count(door, "sessions")
    answer = exchange(port, head + framed(template, body), half_close=half_close)
    assert status_of(answer) == 400, (case, answer[:300])
    assert count(door, "sessions") == before
    # The same request, whole, does create a session: the table above is not vacuous.
    whole = exchange(
        port, head + b"Content-Length: %d\r\n\r\n" % len(body) + body, half_close=False
    )
    assert status_of(whole) in (201, 303), whole[:300]
    assert count(door, "sessions") == before + 1
    no_tracebacks(door)


def _some_attempt_is_sound(attempt: Callable[[], tuple[bytes, int]], answered: set[int]) -> None:
    """A half-close races the request it follows: when its FIN arrives after the request was
    handed on (a loaded machine), the app acts and Granian, seeing the FIN, closes before the
    answer is written. Without the front door's check that is every attempt; with it, the odd
    one. So five attempts, and one must be sound: not acted on and not answered, or acted on
    once and answered (``answered``: the statuses that say so). Never acted on twice."""
    outcomes = []
    for _attempt in range(5):
        answer, acted = attempt()
        assert acted in (0, 1), (answer[:60], acted)
        outcomes.append((answer[:40], acted))
        if (answer == b"" and acted == 0) or (status_of(answer) in answered and acted == 1):
            return
    raise AssertionError(f"every half-closed request was acted on unheard: {outcomes}")


@pytest.mark.parametrize("port_name", ["service", "web"])
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_whole_body_then_a_half_close_is_answered_or_not_acted_on(
    door: ParlorProcess, web_start: WebVisit, port_name: str, chunked: bool
) -> None:
    """Granian closes on a half-close, so no answer can arrive: then nothing may happen."""
    port, head, body = requests_for(door, port_name, web_start)
    framing = (
        CHUNKED + b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
        if chunked
        else b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
    )

    def attempt() -> tuple[bytes, int]:
        before = count(door, "sessions")
        answer = exchange(port, head + framing, half_close=True)
        return answer, count(door, "sessions") - before

    _some_attempt_is_sound(attempt, {201, 303})


def test_a_body_over_the_front_doors_limit_is_413_before_it_is_read(door: ParlorProcess) -> None:
    head, _ = service_request(b"")
    answer = exchange(door.port, head + b"Content-Length: 999999999\r\n\r\n", half_close=False)
    assert status_of(answer) == 413
    assert b"connection: close" in answer.lower()


def test_a_header_value_that_is_not_text_is_400_and_bets_nothing(door: ParlorProcess) -> None:
    """A non-ASCII Idempotency-Key reached the app as no key at all: a retry bet twice."""
    opened = httpx.post(f"{door.base_url}/api/v1/sessions", json={"name": "keyed"}, timeout=15)
    session = opened.json()["session"]
    bets_before = count(door, "bets")
    body = b'{"proposition": "red", "amount": 10}'
    for key in (b"k\xe9y", b"\xff\xfe"):
        request = (
            f"POST /api/v1/sessions/{session}/bets HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n".encode()
            + b"Idempotency-Key: " + key + b"\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )  # fmt: skip
        for _ in range(2):  # a client retrying with the same key
            answer = exchange(door.port, request, half_close=False)
            assert status_of(answer) == 400, answer
            assert b"idempotency-key header holds bytes that are not text" in answer
    assert count(door, "bets") == bets_before
    no_tracebacks(door)


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 2 * 1024 * 1024])
def test_a_chunked_body_over_the_limit_is_413(door: ParlorProcess, size: int) -> None:
    """Found from outside: draining a chunked body began a second read of it, a bare 500."""
    head, _ = service_request(b"")
    body = b"%x\r\n%b\r\n0\r\n\r\n" % (size, b" " * size)
    answer = exchange(door.port, head + CHUNKED + body, half_close=False)
    assert status_of(answer) == 413, answer[:300]
    no_tracebacks(door)


def test_a_request_without_a_body_then_a_half_close_is_not_acted_on(
    door: ParlorProcess,
) -> None:
    """Found from outside: a body-less POST skipped the check for a client that had gone."""
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        for framing in (b"", b"Content-Length: 0\r\n"):

            def attempt(framing: bytes = framing) -> tuple[bytes, int]:
                made = client.post("/api/v1/sessions", json={"name": "quiet"})
                session = made.json()["session"]
                request = f"POST /api/v1/sessions/{session}/spins HTTP/1.1\r\nHost: x\r\n"
                answer = exchange(door.port, request.encode() + framing + b"\r\n", half_close=True)
                spins: int = client.get(f"/api/v1/sessions/{session}").json()["spin_count"]
                return answer, spins

            _some_attempt_is_sound(attempt, {201})


@pytest.mark.parametrize("port_name", ["service", "web"])
def test_raw_utf8_in_the_query_is_answered_and_logged(door: ParlorProcess, port_name: str) -> None:
    """Found from outside: "?x=€" sent raw broke the access log after the app had acted: a 500."""
    port = door.port if port_name == "service" else door.web_port
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        session = client.post("/api/v1/sessions", json={"name": "euro"}).json()["session"]
    bet = b'{"proposition":"red","amount":10}'
    path = f"/api/v1/sessions/{session}/bets" if port_name == "service" else "/rules"
    method = b"POST" if port_name == "service" else b"GET"
    request = method + b" " + path.encode() + b"?x=\xe2\x82\xac HTTP/1.1\r\nHost: x\r\n"
    if port_name == "service":
        request += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%b" % (
            len(bet),
            bet,
        )
    else:
        request += b"\r\n"
    answer = exchange(port, request, half_close=False)
    assert status_of(answer) in (200, 201), answer[:300]
    deadline = time.monotonic() + 5
    while not any("?x=%C3%A2%C2%82%C2%AC" in line or "?x=%E2%82%AC" in line for line in door.lines):
        assert time.monotonic() < deadline, door.describe()
        time.sleep(0.05)
    no_tracebacks(door)


def test_a_long_poll_on_an_ended_session_answers_at_once(door: ParlorProcess) -> None:
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        session = client.post("/api/v1/sessions", json={"name": "over"}).json()["session"]
        ended = client.post(f"/api/v1/sessions/{session}/end", json={}).json()
        started = time.perf_counter()
        answer = client.get(
            f"/api/v1/sessions/{session}", params={"wait": 5, "since": ended["version"]}
        )
        assert time.perf_counter() - started < 1
        assert answer.json()["status"] == "ended"


# -- 3. HEAD wherever GET --------------------------------------------------------------------


def _comparable(response: httpx.Response) -> dict[str, str]:
    # The seed's /json/ and /html/ spin on every GET, so their lengths differ.
    # A cached answer's Age grows between the two.
    varying = ("date", "set-cookie", "content-length", "age")
    return {k: v for k, v in response.headers.items() if k not in varying}


def test_head_answers_every_documented_get_route_like_get(door: ParlorProcess) -> None:
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        session = client.post("/api/v1/sessions", json={"name": "head"}).json()["session"]
        client.post(f"/api/v1/sessions/{session}/bets", json={"proposition": "red", "amount": 10})
        ended = client.post("/api/v1/sessions", json={"name": "ended"}).json()["session"]
        client.post(f"/api/v1/sessions/{ended}/end", json={})
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        account = {"username": "head-reader", "password": "correct horse battery"}
        assert client.post("/api/v1/accounts", json=account).status_code == 201
        signed = httpx.BasicAuth(account["username"], account["password"])
        # A game the account sits at, so that its seat is its own to read.
        made = client.post("/api/v1/chess/games", json={}, auth=signed).json()
        game = made["game"]["game"]
        checked = 0
        for template, operations in paths.items():
            if "get" not in operations:
                continue
            # Operations for an account holder only are read as one.
            anyone = {} in operations["get"].get("security", [{}])
            auth: httpx.Auth | httpx._client.UseClientDefault = (
                httpx.USE_CLIENT_DEFAULT if anyone else signed
            )
            sid = ended if template.endswith("/verification") else session
            path = template.replace("{session}", sid).replace("{session_id}", sid)
            path = re.sub(r"\{[^}]*confirmation[^}]*\}", "1", path)
            path = path.replace("{game_id}", game).replace("{name}", "main")
            if template.endswith("/record"):
                continue  # a closed table's only: 409 while it is open, checked in test_routes
            assert "{" not in path, template
            get, head = client.get(path, auth=auth), client.head(path, auth=auth)
            assert head.status_code == get.status_code == 200, (path, head.status_code)
            assert head.content == b""
            assert _comparable(head) == _comparable(get), path
            assert int(head.headers["content-length"]) > 0
            checked += 1
        assert checked >= 8


def web_get_routes() -> list[str]:
    app = create_falcon_app(RouletteClient("http://127.0.0.1:9"))
    return [
        route.path.replace("{name}", "parlor.css")
        for route in falcon.inspect.inspect_routes(app)
        if any(method.method == "GET" and not method.internal for method in route.methods)
    ]


def test_head_answers_every_web_page_like_get(door: ParlorProcess) -> None:
    routes = web_get_routes()
    assert "/rules" in routes
    assert "/static/parlor.css" in routes
    with httpx.Client(base_url=door.web_url, timeout=10) as client:
        for path in routes:
            get, head = client.get(path), client.head(path)
            assert head.status_code == get.status_code, path
            assert head.content == b""
            assert head.headers.get("content-type") == get.headers.get("content-type"), path
            allow = client.options(path).headers.get("allow", "")
            assert "HEAD" in allow, (path, allow)


# -- 4. double submits -------------------------------------------------------------------------


def test_thirty_double_clicks_on_spin_draw_thirty_spins(door: ParlorProcess) -> None:
    visit = WebVisit(door.web_port)
    visit.get("/")
    assert visit.post("/", {"name": "clicker", "wheel": "american"}).status == 303
    pool = ThreadPoolExecutor(2)
    try:
        for pair in range(30):
            page = visit.get("/table")
            spin = re.search(r'name="spin" value="(\d+)"', page)
            assert spin, page[:500]
            before = count(door, "spins")
            head, body = visit.form("/spin", {"spin": spin.group(1)})
            request = head + b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
            barrier = threading.Barrier(2)

            def click(request: bytes = request, barrier: threading.Barrier = barrier) -> int | None:
                barrier.wait()
                return status_of(exchange(door.web_port, request, half_close=False))

            answers = list(pool.map(lambda _: click(), range(2)))
            assert answers == [303, 303], (pair, answers)
            assert count(door, "spins") == before + 1, f"pair {pair} drew twice"
    finally:
        pool.shutdown()


# -- 5. long polls -------------------------------------------------------------------------------


def long_poll(
    base_url: str, session: str, since: int, wait: float = 10
) -> tuple[float, dict[str, Any]]:
    with httpx.Client(base_url=base_url, timeout=wait + 5) as client:
        answer = client.get(f"/api/v1/sessions/{session}", params={"wait": wait, "since": since})
        return time.perf_counter(), answer.json()


def bet_then_time_the_wake(poll_url: str, bet_url: str) -> float:
    with httpx.Client(base_url=bet_url, timeout=10) as client:
        opened = client.post("/api/v1/sessions", json={"name": "poller"}).json()
        session, version = opened["session"], opened["version"]
        with ThreadPoolExecutor(1) as pool:
            polled = pool.submit(long_poll, poll_url, session, version)
            time.sleep(0.5)
            assert not polled.done(), "the long poll answered before any change"
            answer = client.post(
                f"/api/v1/sessions/{session}/bets", json={"proposition": "red", "amount": 10}
            )
            betted = time.perf_counter()
            assert answer.status_code == 201
            woke, state = polled.result(timeout=10)
    assert state["version"] == version + 1
    assert state["bet_count"] == 1
    return woke - betted


def test_a_long_poll_wakes_within_100_ms_of_a_bet(door: ParlorProcess) -> None:
    delays = [bet_then_time_the_wake(door.base_url, door.base_url) for _ in range(3)]
    assert max(delays) < 0.1, delays


def test_a_long_poll_times_out_with_the_unchanged_state(door: ParlorProcess) -> None:
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        opened = client.post("/api/v1/sessions", json={"name": "patient"}).json()
        started = time.perf_counter()
        answer = client.get(
            f"/api/v1/sessions/{opened['session']}",
            params={"wait": 0.5, "since": opened["version"]},
        )
        assert 0.5 <= time.perf_counter() - started < 1.5
        assert answer.status_code == 200
        assert answer.json() == opened
        # Already past the version asked for: the answer is immediate.
        started = time.perf_counter()
        answer = client.get(f"/api/v1/sessions/{opened['session']}", params={"wait": 5, "since": 0})
        assert time.perf_counter() - started < 0.5
        for bad in ({"wait": "31"}, {"wait": "nan"}, {"wait": "-1"}, {"since": "x", "wait": "1"}):
            refused = client.get(f"/api/v1/sessions/{opened['session']}", params=bad)
            assert refused.status_code == 400, bad
            assert refused.headers["content-type"] == "application/problem+json"


def test_a_long_poll_wakes_on_a_bet_made_in_another_process(
    door: ParlorProcess, tmp_path: Path
) -> None:
    other = ParlorProcess(door.database_url, cwd=tmp_path, command="service")
    try:
        other.wait_ready()
        delays = [bet_then_time_the_wake(door.base_url, other.base_url) for _ in range(3)]
        assert max(delays) < 0.1, delays
    finally:
        other.stop()
        other.close()


def test_a_long_poll_wakes_across_the_workers_of_one_server(
    tmp_path: Path, sqlite_url: str
) -> None:
    """With --workers 2 the poll and the bet land on either worker: each must wake in time."""
    both = ParlorProcess(sqlite_url, cwd=tmp_path, command="service", workers=2)
    try:
        both.wait_ready()
        delays = [bet_then_time_the_wake(both.base_url, both.base_url) for _ in range(6)]
        assert max(delays) < 0.1, delays
    finally:
        both.stop()
        both.close()


# -- 6. a trusted proxy -------------------------------------------------------------------------


def test_behind_a_trusted_tls_proxy_cookies_are_secure_and_posts_pass(door: ParlorProcess) -> None:
    origin = f"https://127.0.0.1:{door.web_port}"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    proxied = WebVisit(door.web_port, headers=forwarded)
    proxied.get("/")
    assert "secure" in proxied.set_cookie.lower()
    answer = proxied.post("/", {"name": "tls", "wheel": "american"}, origin=origin)
    assert answer.status == 303, answer.status


def test_forwarded_headers_from_an_address_not_allowed_are_ignored(door: ParlorProcess) -> None:
    origin = f"https://127.0.0.1:{door.web_port}"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    # Loopback answers from any 127/8 address; only 127.0.0.1 is allowed.
    stranger = WebVisit(door.web_port, source="127.0.0.2", headers=forwarded)
    stranger.get("/")
    assert stranger.cookie
    assert "secure" not in stranger.set_cookie.lower()
    assert stranger.post("/", {"name": "forged", "wheel": "american"}, origin=origin).status == 403


# -- 7. the access log ---------------------------------------------------------------------------


def test_a_request_cannot_forge_an_access_log_line(door: ParlorProcess) -> None:
    marker = f"forge{os.getpid()}"
    with httpx.Client(base_url=door.base_url, timeout=10) as client:
        client.get(f"/{marker}%20200%201.0ms")
        client.get(f"/{marker}%0AGET%20/x%20200%201.0ms")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in door.lines if marker in line]
        if len(lines) == 2:
            break
        time.sleep(0.05)
    assert len(lines) == 2, lines
    for line in lines:
        match = ACCESS_LINE.match(line)
        assert match, line
        assert match["status"] == "404"
    assert lines[0].startswith(f"GET /{marker}%20200%201.0ms 404 ")


# -- 8. the supervisor's death ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("victim", "within"),
    # Half a second on an idle machine; on two CI workers under load a Granian main
    # process once took over 3 s to finish its shutdown after its workers had gone.
    [("supervisor", 10.0), (" service ", 10.0), ("parlor.run.appworker", 10.0)],
    ids=["the supervisor", "the REST server", "an app process"],
)
def test_kill_9_of_a_parlor_process_leaves_nothing_on_the_ports(
    tmp_path: Path, sqlite_url: str, victim: str, within: float
) -> None:
    """The supervisor's death ends everything within seconds; a server's, once the
    supervisor has stopped the rest; an app process is replaced. A restart then works."""
    first = ParlorProcess(sqlite_url, cwd=tmp_path)
    try:
        first.wait_ready()
        members = _session_members(first.pgid)
        assert len(members) >= 7  # supervisor, 2 servers, 2 workers, 2 app processes
        if victim == "supervisor":
            target = first.process.pid
        else:
            target = next(pid for pid, command in members if victim in command)
        os.kill(target, signal.SIGKILL)
        if victim == "parlor.run.appworker":
            with httpx.Client(base_url=first.base_url, timeout=5) as client:
                deadline = time.monotonic() + within
                while client.get("/api/v1/rules").status_code != 200:
                    assert time.monotonic() < deadline, "no new app process answered"
                    time.sleep(0.05)
            first.stop()
            return
        if victim == "supervisor":
            first.process.wait()
        deadline = time.monotonic() + within
        while _session_members(first.pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _session_members(first.pgid) == [], f"processes outlived {victim.strip()}"
    finally:
        first.close()
    second = ParlorProcess(sqlite_url, cwd=tmp_path, port=first.port, web_port=first.web_port)
    try:
        second.wait_ready(timeout=15)
        with httpx.Client(base_url=second.base_url, timeout=5) as client:
            assert client.get("/api/v1/rules").status_code == 200
        second.stop()
    finally:
        second.close()
