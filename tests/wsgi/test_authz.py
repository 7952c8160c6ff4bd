"""The authorization pipe alone, under wsgiref's validator: one table, three answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from parlor.wsgi.auth import AUTH_FAILURE, CHALLENGES, USER, Failure, Identity
from parlor.wsgi.authz import Authorize, Rule, safe_next
from parlor.wsgi.types import StartResponse, WSGIEnvironment

ALICE = Identity(1, "alice", "basic")
ADMIN = Identity(2, "root", "digest")
CHALLENGE = [("WWW-Authenticate", 'Digest realm="parlor"'), ("WWW-Authenticate", "Basic")]
RULES = (
    Rule("/api/me"),
    Rule("/api/me/"),
    Rule("/api/admin", allow=lambda who: who.username == "root"),
    Rule("/api/bets", methods=frozenset({"POST"})),
    Rule("/account", page=True),
)


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"in"]


def call(
    path: str,
    *,
    method: str = "GET",
    user: Identity | None = None,
    failure: Failure | None = Failure.MISSING,
    accept: str = "application/json",
    script: str = "",
    query: str = "",
) -> tuple[str, dict[str, list[str]], bytes]:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": script,
        "QUERY_STRING": query,
        "HTTP_ACCEPT": accept,
        USER: user,
        AUTH_FAILURE: None if user else failure,
        CHALLENGES: lambda: CHALLENGE,
    }
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        seen["status"] = status
        seen["headers"] = headers
        return lambda _: None

    pipe = validator(Authorize(validator(app), rules=RULES, json_only=accept == "json-only"))
    body_iter = pipe(environ, start_response)
    body = b"".join(body_iter)
    getattr(body_iter, "close", lambda: None)()
    headers: dict[str, list[str]] = {}
    for name, value in seen["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    return seen["status"], headers, body


@pytest.mark.parametrize(
    ("path", "method", "user", "status"),
    [
        ("/api/open", "GET", None, "200 OK"),
        ("/api/me", "GET", None, "401 Unauthorized"),
        ("/api/me", "HEAD", None, "401 Unauthorized"),
        ("/api/me", "GET", ALICE, "200 OK"),
        ("/api/me/password", "POST", None, "401 Unauthorized"),
        ("/api/me/password", "POST", ALICE, "200 OK"),
        ("/api/mean", "GET", None, "200 OK"),  # a prefix rule covers its subtree only
        ("/api/admin", "GET", ALICE, "403 Forbidden"),
        ("/api/admin", "GET", ADMIN, "200 OK"),
        ("/api/bets", "GET", None, "200 OK"),
        ("/api/bets", "POST", None, "401 Unauthorized"),
        ("/api/me", "OPTIONS", None, "200 OK"),
    ],
)
def test_the_table_decides(path: str, method: str, user: Identity | None, status: str) -> None:
    assert call(path, method=method, user=user)[0] == status


def test_a_401_carries_every_challenge_in_its_own_header_and_a_problem() -> None:
    status, headers, body = call("/api/me")
    assert status == "401 Unauthorized"
    assert headers["www-authenticate"] == [value for _, value in CHALLENGE]
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (401, "unauthorized")


def test_a_403_names_the_account() -> None:
    _, headers, body = call("/api/admin", user=ALICE)
    assert "www-authenticate" not in headers
    assert "'alice' may not" in json.loads(body)["detail"]


@pytest.mark.parametrize(
    "failure", [Failure.WRONG_PASSWORD, Failure.STALE_NONCE, Failure.MALFORMED]
)
def test_refused_credentials_are_401_even_where_anyone_may_go(failure: Failure) -> None:
    status, headers, _ = call("/api/open", failure=failure)
    assert status == "401 Unauthorized"
    assert "www-authenticate" in headers


def test_a_page_sends_a_stranger_to_log_in_and_back() -> None:
    status, headers, body = call(
        "/account", accept="text/html", script="/play", query="tab=password"
    )
    assert status == "303 See Other"
    # next is the app's own path: the login's redirect goes under /play like every other.
    assert headers["location"] == ["/play/login?next=%2Faccount%3Ftab%3Dpassword"]
    assert body == b""
    assert call("/account", user=ALICE, accept="text/html")[0] == "200 OK"


def test_json_only_answers_a_browser_with_a_problem_too() -> None:
    _, headers, body = call("/api/me", accept="json-only")
    assert headers["content-type"] == ["application/problem+json"]
    assert json.loads(body)["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/table", "/table"),
        ("/play/account?x=1", "/play/account?x=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_only_local_paths_are_followed_after_a_login(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_a_doubled_slash_does_not_walk_past_the_table() -> None:
    assert call("//api//me", user=None)[0] == "401 Unauthorized"
    assert call("//account", accept="text/html")[0] == "303 See Other"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/%0B/x", "/%0B/x"), ("/\x0b/x", "/"), ("/café", "/caf%C3%A9"), ("/a b", "/a%20b")],
)
def test_a_followed_path_is_ascii_and_has_no_controls(target: str, expected: str) -> None:
    assert safe_next(target) == expected
