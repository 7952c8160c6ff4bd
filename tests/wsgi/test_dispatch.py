"""The dispatch pipe: mounts by leading path segment, moving it from PATH_INFO to SCRIPT_NAME."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from parlor.wsgi.dispatch import Dispatch
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from tests.wsgi.wsgi_support import drive


def echo(name: str) -> WSGIApp:
    """An app that answers, as JSON, its name and the paths it was given."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = json.dumps(
            {
                "app": name,
                "script_name": environ["SCRIPT_NAME"],
                "path_info": environ["PATH_INFO"],
                "query": environ.get("QUERY_STRING", ""),
            }
        ).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return validator(app)


def call(app: WSGIApp, path: str, script_name: str = "", query: str = "") -> tuple[str, bytes]:
    environ: WSGIEnvironment = {
        "PATH_INFO": path,
        "SCRIPT_NAME": script_name,
        "QUERY_STRING": query,
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    body = drive(app, environ, start_response)
    return statuses[0], body


PIPE = Dispatch({"play": echo("web"), "api": echo("service")}, default=echo("root"))


@pytest.mark.parametrize(
    ("path", "app", "script_name", "path_info"),
    [
        ("/play/table", "web", "/play", "/table"),
        ("/play/", "web", "/play", "/"),
        ("/play", "web", "/play", ""),
        ("/play/a/b/", "web", "/play", "/a/b/"),
        ("/play//x", "web", "/play", "//x"),  # not normalised: the app sees what was sent
        ("/play/../api", "web", "/play", "/../api"),
        ("/api/v1/rules", "service", "/api", "/v1/rules"),
        ("/", "root", "", "/"),
        ("/playground", "root", "", "/playground"),  # a segment, not a prefix
        ("/Play/table", "root", "", "/Play/table"),  # segments are case-sensitive, as paths are
        ("", "root", "", ""),
    ],
)
def test_each_path_reaches_its_mount_with_the_segment_moved(
    path: str, app: str, script_name: str, path_info: str
) -> None:
    status, body = call(PIPE, path, query="a=1&b=%2F")
    assert status == "200 OK"
    assert json.loads(body) == {
        "app": app,
        "script_name": script_name,
        "path_info": path_info,
        "query": "a=1&b=%2F",
    }


def test_mounts_nest_and_script_name_grows() -> None:
    inner = Dispatch({"v1": echo("v1")})
    outer = Dispatch({"api": inner})
    _, body = call(outer, "/api/v1/rules", script_name="/mounted")
    assert json.loads(body)["script_name"] == "/mounted/api/v1"
    assert json.loads(body)["path_info"] == "/rules"


def test_without_a_default_an_unmounted_path_is_404() -> None:
    status, body = call(Dispatch({"play": echo("web")}), "/elsewhere")
    assert status == "404 Not Found"
    assert b"no application is mounted" in body


@pytest.mark.parametrize("name", ["", "a/b", ".", ".."])
def test_a_mount_must_be_one_segment(name: str) -> None:
    with pytest.raises(ValueError, match="one path segment"):
        Dispatch({name: echo("x")})


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served() -> Iterator[str]:
    """PIPE behind the standard library's own WSGI server, on a free loopback port."""
    server = make_server("127.0.0.1", 0, Dispatch({"play": echo("web")}), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_over_a_real_server_with_urllib(served: str) -> None:
    with urllib.request.urlopen(f"{served}/play/table?x=1") as answer:
        assert json.loads(answer.read()) == {
            "app": "web",
            "script_name": "/play",
            "path_info": "/table",
            "query": "x=1",
        }
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{served}/nowhere")
    assert refused.value.code == 404
    refused.value.close()
