"""The PEP 3333 environ the front door builds, checked by wsgiref's own validator."""

from __future__ import annotations

import io
from collections.abc import Iterable
from wsgiref.validate import validator

import pytest

from parlor.run.environ import build_environ, split_host_port, wsgi_string
from parlor.run.proxy import Peer
from parlor.wsgi.types import StartResponse, WSGIEnvironment


def environ(**overrides: object) -> WSGIEnvironment:
    fields: dict[str, object] = {
        "method": "POST",
        "path": "/api/v1/sessions",
        "query_string": "a=%20b",
        "http_version": "1.1",
        "server": "127.0.0.1:36000",
        "peer": Peer("http", "127.0.0.1"),
        "headers": [("host", "example:1"), ("content-type", "application/json")],
        "body": b'{"name":"x"}',
        "multiprocess": False,
    }
    fields.update(overrides)
    return build_environ(**fields)  # type: ignore[arg-type]


def test_the_environ_passes_wsgirefs_validator() -> None:
    seen: list[WSGIEnvironment] = []

    def app(env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(env)
        assert env["wsgi.input"].read(int(env["CONTENT_LENGTH"])) == b'{"name":"x"}'
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    body = validator(app)(environ(), lambda status, headers, exc_info=None: lambda data: None)
    assert b"".join(body) == b"ok"
    body.close()  # type: ignore[attr-defined]
    env = seen[0]
    assert env["CONTENT_LENGTH"] == "12"
    assert env["CONTENT_TYPE"] == "application/json"
    assert env["HTTP_HOST"] == "example:1"
    assert env["QUERY_STRING"] == "a=%20b"
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("127.0.0.1", "36000")


def test_a_chunked_body_reaches_the_app_as_one_with_a_length() -> None:
    env = environ(headers=[("transfer-encoding", "chunked")], body=b"abc")
    assert env["CONTENT_LENGTH"] == "3"
    assert "HTTP_TRANSFER_ENCODING" not in env
    assert isinstance(env["wsgi.input"], io.BytesIO)


def test_repeated_headers_combine_and_ambiguous_names_are_dropped() -> None:
    env = environ(
        method="GET",
        body=b"",
        headers=[
            ("cookie", "a=1"),
            ("cookie", "b=2"),
            ("x-dup", "1"),
            ("x-dup", "2"),
            ("x_forwarded_for", "1.2.3.4"),
        ],
    )
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert env["HTTP_X_DUP"] == "1, 2"
    assert "HTTP_X_FORWARDED_FOR" not in env
    assert "CONTENT_LENGTH" not in env


def test_the_path_is_bytes_as_latin1_as_pep_3333_says() -> None:
    assert wsgi_string("/café") == "/café".encode().decode("latin-1")
    assert wsgi_string("/plain") == "/plain"
    assert environ(path="/café")["PATH_INFO"] == "/caf\xc3\xa9"


def test_the_query_is_bytes_as_latin1_too() -> None:
    # Granian hands "?x=%E2%82%AC" sent raw as the text "x=€".
    assert environ(query_string="x=€")["QUERY_STRING"] == "x=\xe2\x82\xac"


def test_the_trusted_scheme_and_address_are_used() -> None:
    env = environ(peer=Peer("https", "203.0.113.9"))
    assert env["wsgi.url_scheme"] == "https"
    assert env["REMOTE_ADDR"] == "203.0.113.9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[::1]:8008", ("::1", "8008")),
        ("[::1]", ("::1", "80")),
        ("example.org", ("example.org", "80")),
        ("127.0.0.1:36000", ("127.0.0.1", "36000")),
    ],
)
def test_split_host_port(value: str, expected: tuple[str, str]) -> None:
    assert split_host_port(value, "80") == expected


@pytest.mark.parametrize(
    ("granian", "pep3333"),
    [("1", "HTTP/1.0"), ("1.0", "HTTP/1.0"), ("1.1", "HTTP/1.1"), ("2", "HTTP/2")],
)
def test_server_protocol_is_the_requests_own(granian: str, pep3333: str) -> None:
    from parlor.run.environ import server_protocol

    assert server_protocol(granian) == pep3333
