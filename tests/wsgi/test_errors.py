"""The errors pipe: any exception becomes a 500 the client can read, the traceback a log entry."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor.wsgi.errors import Errors, error_response, wants_json
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from tests.wsgi.wsgi_support import drive

SECRET = "the-password-is-swordfish"


@dataclass
class Response:
    statuses: list[str]
    headers: list[tuple[str, str]]
    body: bytes
    errors: str
    exc_infos: list[Any] = field(default_factory=list)

    @property
    def status(self) -> int:
        return int(self.statuses[-1].split()[0])

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Server:
    """Just enough of a server: it records, and refuses to replace headers already sent."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.headers: list[tuple[str, str]] = []
        self.exc_infos: list[Any] = []
        self.sent = False
        self.written = b""

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        self.exc_infos.append(exc_info)
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])  # PEP 3333: headers are out
        self.statuses.append(status)
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        self.sent = True
        self.written += data


def call(
    app: WSGIApp, *, accept: str | None = None, method: str = "GET", path: str = "/spin"
) -> Response:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.errors": io.StringIO(),
    }
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    setup_testing_defaults(environ)
    log = environ["wsgi.errors"]  # the validator wraps the one in the environ
    server = Server()
    body = drive(app, environ, server.start_response)
    return Response(server.statuses, server.headers, body, log.getvalue(), server.exc_infos)


def raising(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError(SECRET)


def fine(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fine"]


class Body:
    """A response body that yields ``chunks``, raising where a chunk is an exception."""

    def __init__(self, chunks: list[bytes | Exception], *, close_raises: bool = False) -> None:
        self.chunks = chunks
        self.closed = 0
        self.close_raises = close_raises

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk

    def close(self) -> None:
        self.closed += 1
        if self.close_raises:
            raise OSError("close failed")


def streaming(body: Body) -> WSGIApp:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    return app


def assert_secret_kept(response: Response) -> None:
    assert b"Traceback" not in response.body
    assert SECRET.encode() not in response.body
    assert "RuntimeError" not in response.body.decode()
    assert "Traceback (most recent call last)" in response.errors
    assert SECRET in response.errors


def test_a_raising_app_is_answered_with_an_html_500_by_default() -> None:
    response = call(Errors(validator(raising)), method="POST", path="/bet/7")
    assert response.status == 500
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert b"Something went wrong on our side" in response.body
    assert response.header("Content-Length") == str(len(response.body))
    assert response.header("Vary") == "Accept"
    assert_secret_kept(response)
    assert "POST /bet/7" in response.errors


def test_a_client_that_prefers_json_gets_a_problem_document() -> None:
    response = call(Errors(validator(raising)), accept="application/json")
    assert response.status == 500
    assert response.header("Content-Type") == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["type"] == "about:blank"
    assert problem["status"] == 500
    assert problem["title"] == "Internal Server Error"  # RFC 9457 §4.2.1
    assert problem["detail"]
    assert_secret_kept(response)


def test_an_app_that_started_its_response_then_raised_is_answered_500_with_exc_info() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise RuntimeError(SECRET)

    response = call(Errors(validator(app)))
    assert response.statuses == ["200 OK", "500 Internal Server Error"]
    assert response.exc_infos[-1][0] is RuntimeError
    assert_secret_kept(response)


def test_when_the_headers_are_out_the_exception_propagates_after_it_is_logged() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"partial")
        raise RuntimeError(SECRET)

    errors = io.StringIO()
    environ: WSGIEnvironment = {"QUERY_STRING": "", "wsgi.errors": errors}
    setup_testing_defaults(environ)
    server = Server()
    with pytest.raises(RuntimeError, match=SECRET):
        validator(Errors(validator(app)))(environ, server.start_response)
    assert server.written == b"partial"
    assert SECRET in errors.getvalue()


def test_debug_logs_and_then_lets_the_exception_through() -> None:
    errors = io.StringIO()
    environ: WSGIEnvironment = {"QUERY_STRING": "", "wsgi.errors": errors}
    setup_testing_defaults(environ)
    with pytest.raises(RuntimeError, match=SECRET):
        validator(Errors(validator(raising), debug=True))(environ, Server().start_response)
    assert SECRET in errors.getvalue()


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([RuntimeError(SECRET)], id="at-once"),
        pytest.param([b"", b"", RuntimeError(SECRET)], id="after-empty-chunks"),
    ],
)
def test_a_body_that_raises_before_its_first_chunk_is_still_a_500(
    chunks: list[bytes | Exception],
) -> None:
    body = Body(chunks)
    response = call(Errors(validator(streaming(body))), accept="application/problem+json")
    assert response.status == 500
    assert json.loads(response.body)["status"] == 500
    assert_secret_kept(response)
    assert body.closed == 1


def test_a_body_that_raises_after_its_first_chunk_stops_and_is_logged() -> None:
    body = Body([b"first ", b"second", RuntimeError(SECRET), b"never"])
    response = call(Errors(validator(streaming(body))))
    assert (response.status, response.body) == (200, b"first second")
    assert "after the response began" in response.errors
    assert SECRET in response.errors
    assert body.closed == 1


@pytest.mark.parametrize(
    "chunks", [[b"a", b"b"], [], [b"", b"only"]], ids=["two", "empty", "empty-first"]
)
def test_a_body_that_is_fine_passes_through_and_is_closed(chunks: list[bytes | Exception]) -> None:
    body = Body(chunks)
    response = call(Errors(validator(streaming(body))))
    assert (response.status, response.body, response.errors) == (200, b"".join(chunks), "")  # type: ignore[arg-type]
    assert body.closed == 1


def test_the_body_is_closed_once_however_often_the_server_closes() -> None:
    body = Body([b"ok"])
    environ: WSGIEnvironment = {"QUERY_STRING": ""}
    setup_testing_defaults(environ)
    result = Errors(streaming(body))(environ, Server().start_response)
    assert list(result) == [b"ok"]
    result.close()  # type: ignore[attr-defined]
    result.close()  # type: ignore[attr-defined]
    assert body.closed == 1


def test_a_close_that_raises_is_logged_not_raised() -> None:
    body = Body([b"ok"], close_raises=True)
    response = call(Errors(validator(streaming(body))))
    assert (response.status, response.body) == (200, b"ok")
    assert "while closing the response" in response.errors


def test_a_body_whose_iter_raises_is_a_500() -> None:
    class Broken:
        def __iter__(self) -> Iterator[bytes]:
            raise RuntimeError(SECRET)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Broken()

    # Not validated inside: the validator itself calls iter() on the body, and would raise.
    assert_secret_kept(response := call(Errors(app)))
    assert response.status == 500


def test_a_list_body_is_returned_as_it_is() -> None:
    body = [b"fine"]

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    environ: WSGIEnvironment = {"QUERY_STRING": ""}
    setup_testing_defaults(environ)
    assert Errors(app)(environ, Server().start_response) is body


def test_a_path_with_a_newline_cannot_forge_a_log_line() -> None:
    response = call(Errors(validator(raising)), path="/a\nparlor: unhandled exception in GET /x")
    assert response.errors.splitlines()[0] == (
        "parlor: unhandled exception in GET /a%0Aparlor:%20unhandled%20exception%20in%20GET%20/x"
    )


def test_a_broken_error_stream_does_not_stop_the_500() -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("stream closed")

    environ: WSGIEnvironment = {"QUERY_STRING": "", "wsgi.errors": Broken()}
    setup_testing_defaults(environ)
    server = Server()
    result = validator(Errors(validator(raising)))(environ, server.start_response)
    try:
        assert b"Something went wrong" in b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    assert server.statuses == ["500 Internal Server Error"]


@pytest.mark.parametrize(
    ("accept", "json_wanted"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/json, text/html", False),  # a tie goes to the page
        ("text/html;q=0.5, application/json", True),
        ("application/*", True),
        ("application/*;q=0.2, text/*;q=0.1", True),
        ("application/json;q=0, */*", False),  # q=0: not acceptable at all
        ("application/json;q=abc", False),  # a malformed q drops its range
        ("application/json;q=1.5", False),
        ("application/json;Q=0.9, text/html;q=0.8", True),
        ("APPLICATION/JSON", True),
        ("text/html;level=1;q=0.5, application/json;charset=utf-8", True),
        ("garbage, ;;, /, application/", False),
        ("text/html;q=0.1, application/*;q=0.1, */*;q=0.9", False),
        ("application/json;q=0.9, */*;q=0.1", True),
    ],
)
def test_wants_json_weighs_json_against_html(accept: str | None, json_wanted: bool) -> None:
    environ: WSGIEnvironment = {} if accept is None else {"HTTP_ACCEPT": accept}
    assert wants_json(environ) is json_wanted


@given(st.text())
def test_wants_json_takes_any_accept_header(accept: str) -> None:
    assert wants_json({"HTTP_ACCEPT": accept}) in (True, False)


def respond(status: int, title: str, detail: str, **environ: str) -> Response:
    def app(env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return error_response(env, start_response, status, title, detail, [("Retry-After", "5")])

    return call(app, **environ)


def test_error_response_escapes_what_it_is_given() -> None:
    response = respond(400, "<b>bold</b>", "<script>alert(1)</script> & more")
    assert response.status == 400
    assert b"<script>" not in response.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in response.body
    assert b"<h1>&lt;b&gt;bold&lt;/b&gt;</h1>" in response.body
    assert response.header("Retry-After") == "5"
    assert response.header("Content-Security-Policy") == "default-src 'none'"


def test_error_response_as_json_keeps_the_detail_as_data() -> None:
    response = respond(413, "Too big", 'a "quoted" <detail>', accept="application/json")
    assert response.statuses == ["413 Request Entity Too Large"]
    assert json.loads(response.body) == {
        "type": "about:blank",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": 'a "quoted" <detail>',
        "code": "request_entity_too_large",
    }


def test_error_response_to_head_has_the_headers_and_no_body() -> None:
    response = respond(500, "Oops", "detail", method="HEAD")
    assert response.body == b""
    assert int(response.header("Content-Length") or 0) > 0


def test_error_response_with_a_status_python_does_not_know() -> None:
    assert respond(599, "Odd", "odd").statuses == ["599 Error"]


def test_a_healthy_app_is_untouched() -> None:
    response = call(Errors(validator(fine)))
    assert (response.status, response.body, response.errors) == (200, b"fine", "")
