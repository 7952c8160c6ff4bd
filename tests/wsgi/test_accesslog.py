"""The access-log pipe: one line per request, under wsgiref's PEP 3333 validator."""

from __future__ import annotations

import io
import select
import time
from collections.abc import Iterable
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from parlor.wsgi.accesslog import RECEIVED_AT, AccessLog, BackgroundWriter, log_line
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from parlor.wsgi.waiting import PARKED


def hello(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"hi"]


def call(app: object, **environ: str) -> tuple[str, bytes]:
    env: WSGIEnvironment = {"SCRIPT_NAME": "", "QUERY_STRING": "", **environ}
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
        if hasattr(body, "close"):
            body.close()
    return seen[0], data


def test_one_line_per_request_after_the_body_is_sent() -> None:
    stream = io.StringIO()
    ticks = iter([1.0, 1.0125])
    app = validator(AccessLog(validator(hello), write=stream.write, clock=lambda: next(ticks)))
    status, body = call(app, REQUEST_METHOD="POST", PATH_INFO="/bet/abc/", QUERY_STRING="x=1")
    assert (status, body) == ("201 Created", b"hi")
    assert stream.getvalue() == "POST /bet/abc/?x=1 201 12.5ms\n"


def test_a_newline_in_the_path_cannot_forge_a_second_line() -> None:
    stream = io.StringIO()
    app = AccessLog(hello, write=stream.write)
    call(app, PATH_INFO="/a\nGET /forged 200 0.1ms")
    assert stream.getvalue().count("\n") == 1
    assert "%0A" in stream.getvalue()


def test_background_writer_writes_every_line_in_order() -> None:
    stream = io.StringIO()
    writer = BackgroundWriter(stream, interval=0.01)
    for n in range(500):
        writer.write(f"line {n}\n")
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.flush()
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(500))


def test_a_streamed_body_is_logged_when_closed() -> None:
    lines: list[str] = []

    def streaming(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"a"
        yield b"b"

    status, body = call(validator(AccessLog(streaming, write=lines.append)), PATH_INFO="/s")
    assert (status, body) == ("200 OK", b"ab")
    assert len(lines) == 1
    assert lines[0].startswith("GET /s 200 ")


class RecordingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_a_backlog_goes_out_in_small_writes_of_whole_lines() -> None:
    """Other servers share stderr: a pipe keeps only writes up to PIPE_BUF whole."""
    stream = RecordingStream()
    writer = BackgroundWriter(stream, interval=3600)  # flushed by hand below
    lines = [f"GET /{'é' * (i % 7)}{i} 200 0.1ms\n" for i in range(2000)]
    for line in lines:
        writer.write(line)
    writer.flush()
    assert "".join(stream.writes) == "".join(lines)
    assert len(stream.writes) > 1
    for text in stream.writes:
        assert text.endswith("\n")
        assert len(text.encode()) <= select.PIPE_BUF


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        # A decoded space would shift the fields: "GET /foo 200 1.0ms 404 0.2ms".
        (b"/foo 200 1.0ms", "", "GET /foo%20200%201.0ms 404 0.2ms\n"),
        (b"/a\nGET /b 200 1.0ms", "", "GET /a%0AGET%20/b%20200%201.0ms 404 0.2ms\n"),
        (b"/caf\xc3\xa9", "q=%20x&y=1", "GET /caf%C3%A9?q=%20x&y=1 404 0.2ms\n"),
        (b"/100%", "a b", "GET /100%25?a%20b 404 0.2ms\n"),
        (b"/ok/path-_.~:@!$&'()*+,;=", "", "GET /ok/path-_.~:@!$&'()*+,;= 404 0.2ms\n"),
    ],
)
def test_log_lines_cannot_be_forged(path: bytes, query: str, expected: str) -> None:
    assert log_line("GET", path, query, "404", 0.2) == expected


def test_a_request_without_a_path_keeps_four_fields() -> None:
    assert log_line("CONNECT", b"", "", "404", 0.2) == "CONNECT - 404 0.2ms\n"


def test_a_query_that_is_not_latin1_cannot_break_the_log() -> None:
    assert log_line("GET", b"/", "x=€", "200", 0.1) == "GET /?x=? 200 0.1ms\n"


def test_an_odd_method_is_encoded_too() -> None:
    assert log_line("G T", b"/", "", "400", 0.0).startswith("G%20T / ")


def test_a_parked_request_is_not_logged_and_the_answer_counts_from_arrival() -> None:
    lines: list[str] = []
    ticks = iter([10.0, 10.2, 10.5])
    app = AccessLog(hello, write=lines.append, clock=lambda: next(ticks))
    call(app, PATH_INFO="/wait", **{PARKED: True})  # type: ignore[arg-type]
    assert lines == []
    call(app, PATH_INFO="/wait", **{RECEIVED_AT: 9.0})  # type: ignore[arg-type]
    assert lines == ["GET /wait 201 1500.0ms\n"]
