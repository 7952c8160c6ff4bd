"""``parlor environ``: the seed's ``dump_all_app`` behind the pipes, each key marked by its pipe.

In-process through ``wsgiref.validate`` first (environs as the front door builds them), then
the real command on loopback.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

from parlor.run.request import call_app
from parlor.tools.environ import (
    APP,
    MAX_VALUE,
    SERVER,
    TRACE,
    Checkpoint,
    Trace,
    create_app,
    describe,
)
from parlor.wsgi.types import WSGIApp
from tests.tools.server_support import ToolProcess, answers_promptly, environ_of, request, stalled

HOSTILE = "<script>window.__pwned=1</script>"


@pytest.fixture
def app() -> WSGIApp:
    return validator(create_app(write=lambda line: None))


def call(app: WSGIApp, **request: Any) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = call_app(app, environ_of(**request))
    return status, {name.lower(): value for name, value in headers}, body


def rows(app: WSGIApp, **request: Any) -> dict[str, dict[str, Any]]:
    query = request.pop("query", "")
    status, headers, body = call(app, query=f"{query}&format=json".lstrip("&"), **request)
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    keys = [row["key"] for row in document["environ"]]
    assert keys == sorted(keys)
    return {row["key"]: row for row in document["environ"]}


def test_each_key_is_marked_with_the_pipe_that_set_it(app: WSGIApp) -> None:
    found = rows(app, headers=[("x-thing", "1")])
    by = {key: row["set_by"] for key, row in found.items()}
    for key in ("REQUEST_METHOD", "PATH_INFO", "HTTP_X_THING", "wsgi.input", "wsgi.version"):
        assert by[key] == SERVER, key
    assert by["parlor.session"] == "sessions"
    for key in ("parlor.user", "parlor.auth_failure", "parlor.challenges"):
        assert by[key] == "authentication", key
    assert by[TRACE] == APP
    assert "parlor.form" not in found  # a GET has no form
    assert found["parlor.user"]["value"] == "None"
    assert found["parlor.auth_failure"]["value"] == "<Failure.MISSING: 'missing'>"
    assert found["REQUEST_METHOD"] == {
        "key": "REQUEST_METHOD",
        "value": "'GET'",
        "type": "str",
        "set_by": SERVER,
        "changed_by": [],
    }


def test_the_forms_pipe_adds_the_form_and_replaces_the_input(app: WSGIApp) -> None:
    found = rows(
        app,
        method="POST",
        headers=[("content-type", "application/x-www-form-urlencoded")],
        body=b"note=hello&note=again",
    )
    assert found["parlor.form"]["set_by"] == "forms"
    assert found["parlor.form"]["value"] == "FormData({'note': 'hello'})"
    assert found["parlor.files"]["set_by"] == "forms"
    assert found["wsgi.input"]["set_by"] == SERVER
    assert found["wsgi.input"]["changed_by"] == ["forms"]
    assert found["CONTENT_LENGTH"]["changed_by"] == []  # set again, to the same value


def test_the_page_lists_the_pipeline_and_escapes_everything(app: WSGIApp) -> None:
    status, headers, body = call(app, path=f"/{HOSTILE}", headers=[("x-evil", f'"{HOSTILE}')])
    page = body.decode()
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert "<script" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert 'data-key="HTTP_X_EVIL"' in page
    for name in ("front door", "access log", "errors", "cache", "sessions", "forms"):
        assert f'<span class="pipe">{name}</span>' in page
    assert "replaced by" not in page  # a GET: nothing replaced


def test_the_session_counts_visits_through_its_cookie(app: WSGIApp) -> None:
    _, headers, _ = call(app)
    cookie = headers["set-cookie"].split(";", 1)[0]
    assert cookie.startswith("parlor_environ_8008=")
    found = rows(app, headers=[("cookie", cookie)])
    assert found["HTTP_COOKIE"]["set_by"] == SERVER
    assert found["parlor.session"]["value"] == "Session({'visits': 2})"


def test_credentials_nobody_can_check_are_refused_by_the_pipes(app: WSGIApp) -> None:
    status, headers, _ = call(app, headers=[("authorization", "Basic !!!")])
    assert status == 401
    assert "www-authenticate" in headers


def test_a_trace_notes_what_was_added_replaced_and_removed() -> None:
    trace = Trace()
    environ: dict[str, Any] = {"A": "1", "B": [1], "C": "x"}
    trace.mark(environ, "first")
    environ.update(A="1", B=[1], D="new")  # equal values are not replacements
    del environ["C"]
    trace.mark(environ, "second")
    environ["A"] = "2"
    trace.mark(environ, "third")
    assert trace.set_by == {"A": "first", "B": "first", "C": "first", "D": "second"}
    assert trace.changed_by == {"A": ["third"]}
    assert trace.removed_by == {"C": "second"}


class Incomparable:
    def __ne__(self, other: object) -> bool:
        raise TypeError("no")

    __hash__ = object.__hash__


def test_a_value_that_cannot_be_compared_counts_as_replaced() -> None:
    seen: list[Trace] = []

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ[TRACE])
        return []

    def replacing(environ: dict[str, Any], start_response: Any) -> Any:
        environ["X"] = Incomparable()
        return Checkpoint(inner, "replacing")(environ, start_response)

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return None

    Checkpoint(replacing, SERVER)({"X": Incomparable()}, start_response)
    assert seen[0].changed_by == {"X": ["replacing"]}


def test_values_are_described_and_cut() -> None:
    assert describe("a\nb") == "'a\\nb'"
    assert describe(b"\xff") == "b'\\xff'"
    long = describe("x" * (MAX_VALUE + 100))
    assert len(long) < MAX_VALUE + 40
    assert long.endswith("… (102 more characters)")


# -- the real command --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ToolProcess]:
    tool = ToolProcess("environ", stopped_line="parlor environ stopped")
    try:
        tool.wait_ready()
        yield tool
        tool.stop()  # Ctrl+C
    finally:
        tool.close()


def test_it_says_where_it_listens(server: ToolProcess) -> None:
    assert f"parlor environ listening on http://127.0.0.1:{server.port}/" in server.lines


def test_the_front_door_environ_is_shown_as_json(server: ToolProcess) -> None:
    status, _headers, body = request(server.port, "GET", "/a/b?format=json&x=%3C")
    assert status == 200
    found = {row["key"]: row for row in json.loads(body)["environ"]}
    assert found["PATH_INFO"]["value"] == "'/a/b'"
    assert found["QUERY_STRING"]["value"] == "'format=json&x=%3C'"
    assert found["SERVER_PORT"]["value"] == repr(str(server.port))
    assert found["parlor.received_at"]["set_by"] == SERVER  # the front door's clock
    assert found["wsgi.input_terminated"]["value"] == "True"
    assert found["wsgi.multiprocess"]["value"] == "False"
    assert found["parlor.session"]["set_by"] == "sessions"


def test_hostile_path_and_header_are_escaped(server: ToolProcess) -> None:
    status, _, body = request(
        server.port,
        "GET",
        "/%3Cscript%3Ewindow.__pwned=1%3C/script%3E",
        headers={"X-Evil": HOSTILE},
    )
    page = body.decode()
    assert status == 200
    assert "<script" not in page
    assert page.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") >= 2  # path and header


def test_a_posted_form_shows_the_forms_pipe_at_work(server: ToolProcess) -> None:
    status, _, body = request(
        server.port,
        "POST",
        "/?format=json",
        body=b"note=hi",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    found = {row["key"]: row for row in json.loads(body)["environ"]}
    assert found["parlor.form"]["value"] == "FormData({'note': 'hi'})"
    assert found["wsgi.input"]["changed_by"] == ["forms"]


def test_stalled_clients_do_not_stop_it(server: ToolProcess) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    stallers = [stalled(server.port, head, b"note=") for _ in range(12)]
    try:
        answers_promptly(server.port, within=1.0)
    finally:
        for sock in stallers:
            sock.close()


def test_the_trace_summarises_itself() -> None:
    trace = Trace()
    trace.mark({"A": 1, "B": 2}, SERVER)
    trace.mark({"A": 1, "B": 2, "C": 3}, "sessions")
    assert repr(trace) == "Trace(3 keys: 2 by front door, 1 by sessions)"


def test_the_command_and_its_door() -> None:
    from typer.testing import CliRunner

    from parlor.cli import app
    from parlor.run import tooldoor
    from parlor.run.frontdoor import FrontDoor

    shown = CliRunner().invoke(app, ["environ", "--help"], terminal_width=100)
    assert shown.exit_code == 0
    assert "dump_all_app" in shown.output
    door = tooldoor.environ()
    assert isinstance(door, FrontDoor)
    assert not door.json_only  # a browser gets its refusals as a page
    setup = tooldoor.environ_app(lambda topic, version: None)
    assert call_app(setup.app, environ_of())[0] == 200


def _visits(body: bytes) -> str:
    found = {row["key"]: row for row in json.loads(body)["environ"]}
    return str(found["parlor.session"]["value"])


def test_a_tampered_session_cookie_is_a_fresh_visit_not_an_error(server: ToolProcess) -> None:
    status, headers, _ = request(server.port, "GET", "/?format=json")
    name, _, value = headers["set-cookie"].split(";", 1)[0].partition("=")
    flipped = value[:-1] + ("A" if value[-1] != "A" else "B")
    for cookie in (f"{name}={flipped}", f"{name}=garbage", f"{name}={value}x" * 50):
        status, again, body = request(
            server.port, "GET", "/?format=json", headers={"Cookie": cookie}
        )
        assert status == 200
        assert _visits(body) == "Session({'visits': 1})"  # not the signed session's count
        assert "set-cookie" in again  # a new, signed one
    status, _, body = request(
        server.port, "GET", "/?format=json", headers={"Cookie": f"{name}={value}"}
    )
    assert _visits(body) == "Session({'visits': 2})"  # the real cookie still counts


def test_clients_that_never_read_and_short_bodies_stop_nobody(server: ToolProcess) -> None:
    import socket

    readers = []
    for _ in range(6):  # each asks for pages it never reads, pipelined
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /?x=" + b"y" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        readers.append(sock)
    try:
        for _ in range(4):  # a body shorter than its Content-Length, then the close
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as short:
                short.sendall(
                    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                    b"urlencoded\r\nContent-Length: 500\r\n\r\nnote=cut"
                )
        answers_promptly(server.port, within=1.0)
    finally:
        for sock in readers:
            sock.close()
    assert not any("Traceback" in line for line in server.lines)


def test_two_identical_posts_at_the_same_instant_are_each_answered(server: ToolProcess) -> None:
    from concurrent.futures import ThreadPoolExecutor

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda _: request(
                    server.port, "POST", "/?format=json", body=b"note=same", headers=form
                ),
                range(2),
            )
        )
    assert [status for status, _, _ in answers] == [200, 200]
    assert all(b"FormData({'note': 'same'})" in body for _, _, body in answers)
