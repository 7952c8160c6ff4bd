"""The access-log pipe: one line per request, under wsgiref's PEP 3333 validator."""

from __future__ import annotations

import io
from collections.abc import Iterable
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.types import StartResponse, WSGIEnvironment


def hello(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"hi"]


def call(app: object, **environ: str) -> tuple[str, bytes]:
    env: WSGIEnvironment = {"SCRIPT_NAME": "", **environ}
    setup_testing_defaults(env)
    seen: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> object:
        seen.append(status)
        return lambda data: None

    body = app(env, start_response)  # type: ignore[operator]
    try:
        data = b"".join(body)
    finally:
        body.close()
    return seen[0], data


def test_one_line_per_request_after_the_body_is_sent() -> None:
    stream = io.StringIO()
    ticks = iter([1.0, 1.0125])
    app = validator(AccessLog(validator(hello), stream=stream, clock=lambda: next(ticks)))
    status, body = call(app, REQUEST_METHOD="POST", PATH_INFO="/bet/abc/", QUERY_STRING="x=1")
    assert (status, body) == ("201 Created", b"hi")
    assert stream.getvalue() == "POST /bet/abc/?x=1 201 12.5ms\n"


def test_a_newline_in_the_path_cannot_forge_a_second_line() -> None:
    stream = io.StringIO()
    app = AccessLog(hello, stream=stream)
    call(app, PATH_INFO="/a\nGET /forged 200 0.1ms")
    assert stream.getvalue().count("\n") == 1
    assert "\\n" in stream.getvalue()
