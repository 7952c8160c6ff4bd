"""The caching pipe: RFC 9111 storage rules, validators and conditional GET, bounds, threads.

The pipe and the app behind it run under wsgiref's PEP 3333 validator, except
where a test checks that an iterable passes through as the very same object.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor.wsgi.cache import (
    Cache,
    delta_seconds,
    field_value,
    http_date,
    parse_cache_control,
    parse_entity_tags,
    strong_etag,
)
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from tests.wsgi.wsgi_support import drive

Headers = list[tuple[str, str]]
NOW = 1_700_000_000.0  # the wall clock, frozen
STORED_AT = format_datetime(datetime.fromtimestamp(NOW, UTC), usegmt=True)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Origin:
    """An app answering each URL with a body that names it and counts the calls."""

    headers: Headers = field(default_factory=lambda: [("Cache-Control", "max-age=60")])
    status: str = "200 OK"
    body: bytes | None = None  # the same each time, instead
    calls: int = 0
    closed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self.lock:
            self.calls += 1
            calls = self.calls
        body = (
            self.body
            or (
                f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']}"
                f" {environ.get('HTTP_ACCEPT_ENCODING', '-')} #{calls}"
            ).encode()
        )
        start_response(
            self.status,
            [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), *self.headers],
        )
        return Closing([body], self)


class Closing:
    """A body that counts its close() on its origin (PEP 3333: the server must call it)."""

    def __init__(self, chunks: list[bytes], origin: Origin) -> None:
        self._chunks, self._origin = chunks, origin

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        with self._origin.lock:
            self._origin.closed += 1


@dataclass
class Response:
    status: str
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        return field_value(self.headers, name.lower())


def call(app: WSGIApp, path: str = "/c", method: str = "GET", **environ: str) -> Response:
    """One request through the validator; ``environ`` adds CGI keys (HTTP_*, QUERY_STRING)."""
    env: WSGIEnvironment = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        **environ,
    }
    setup_testing_defaults(env)
    seen: list[tuple[str, Headers]] = []

    def start_response(
        status: str, headers: Headers, exc_info: Any = None
    ) -> Callable[[bytes], object]:
        seen.append((status, headers))
        return lambda data: None

    body = drive(app, env, start_response)
    return Response(seen[-1][0], seen[-1][1], body)


def make(origin: Origin | WSGIApp, clock: Clock | None = None, **options: Any) -> Cache:
    return Cache(
        validator(origin),
        paths=options.pop("paths", {"/c", "/p/"}),
        clock=clock or Clock(),
        wall_clock=lambda: NOW,
        **options,
    )


# -- hits, expiry, Age ---------------------------------------------------------------------


def test_a_hit_does_not_call_the_app_again() -> None:
    origin = Origin()
    cache = make(origin)
    first, second = call(cache), call(cache)
    assert first.status == second.status == "200 OK"
    assert first.body == second.body == b"GET /c? - #1"
    assert origin.calls == 1
    assert origin.closed == 1
    stats = cache.stats
    assert (stats.hits, stats.misses, stats.stores, stats.entries) == (1, 1, 1, 1)
    assert stats.bytes > len(first.body)


def test_an_entry_expires_after_max_age_with_its_age_shown() -> None:
    origin, clock = Origin(), Clock()
    cache = make(origin, clock)
    assert call(cache).header("Age") is None  # fresh from the app
    clock.now += 59.9
    hit = call(cache)
    assert (hit.body, hit.header("Age")) == (b"GET /c? - #1", "59")
    clock.now += 0.1
    assert call(cache).body == b"GET /c? - #2"
    assert cache.stats.entries == 1


def test_s_maxage_wins_over_max_age_in_a_shared_cache() -> None:
    clock = Clock()
    cache = make(Origin(headers=[("Cache-Control", "max-age=1000, s-maxage=5")]), clock)
    call(cache)
    clock.now += 5
    assert call(cache).body.endswith(b"#2")


def test_an_age_from_upstream_counts_against_the_lifetime() -> None:
    clock = Clock()
    cache = make(Origin(headers=[("Cache-Control", "max-age=60"), ("Age", "50")]), clock)
    assert call(cache).header("Age") == "50"
    clock.now += 9
    assert call(cache).header("Age") == "59"  # one Age, the cache's own
    clock.now += 1
    assert call(cache).body.endswith(b"#2")


# -- validators and conditional GET -----------------------------------------------------------


def test_validators_are_added_when_missing_and_kept_on_hits() -> None:
    cache = make(Origin())
    first, second = call(cache), call(cache)
    assert first.header("ETag") == second.header("ETag") == strong_etag(b"GET /c? - #1")
    assert strong_etag(b"")[0] == strong_etag(b"")[-1] == '"'
    assert first.header("Last-Modified") == second.header("Last-Modified") == STORED_AT


def test_the_apps_own_validators_are_kept() -> None:
    headers = [
        ("Cache-Control", "max-age=60"),
        ("ETag", 'W/"v1"'),
        ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
    ]
    response = call(make(Origin(headers=headers)))
    assert response.header("ETag") == 'W/"v1"'
    assert response.header("Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_a_response_not_stored_gets_an_etag_but_no_invented_last_modified() -> None:
    response = call(make(Origin(headers=[("Cache-Control", "no-store")])))
    assert response.header("ETag") == strong_etag(response.body)
    assert response.header("Last-Modified") is None


ETAG = strong_etag(b"GET /c? - #1")


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        (ETAG, "304 Not Modified"),
        (f"W/{ETAG}", "304 Not Modified"),  # weak comparison (RFC 9110 §8.8.3.2)
        (f'"other", {ETAG}', "304 Not Modified"),
        (f' ,"other" ,, {ETAG} ', "304 Not Modified"),  # empty list members are allowed
        ("*", "304 Not Modified"),
        ('"other"', "200 OK"),
        ('W/"other"', "200 OK"),
        (ETAG.strip('"'), "200 OK"),  # not quoted: malformed, ignored
        (f"*, {ETAG}", "200 OK"),
        (f"{ETAG} junk", "200 OK"),
        ("", "200 OK"),
    ],
)
@pytest.mark.parametrize("from_store", [False, True])
def test_if_none_match(if_none_match: str, status: str, from_store: bool) -> None:
    origin = Origin(headers=[("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")])
    cache = make(origin)
    if from_store:
        call(cache)
    response = call(cache, HTTP_IF_NONE_MATCH=if_none_match)
    assert response.status == status
    assert origin.calls == 1
    if status.startswith("304"):
        assert response.body == b""
        names = {name.lower() for name, _ in response.headers}
        assert {"etag", "cache-control", "last-modified", "vary"} <= names
        assert not names & {"content-length", "content-type"}  # RFC 9110 §15.4.5
        assert ("age" in names) is from_store


def test_if_none_match_compares_weakly_with_the_apps_weak_tag() -> None:
    cache = make(Origin(headers=[("Cache-Control", "max-age=60"), ("ETag", 'W/"v1"')]))
    call(cache)
    assert call(cache, HTTP_IF_NONE_MATCH='"v1"').status == "304 Not Modified"
    assert call(cache, HTTP_IF_NONE_MATCH='W/"v1"').status == "304 Not Modified"
    assert call(cache, HTTP_IF_NONE_MATCH='"v2"').status == "200 OK"


@pytest.mark.parametrize(
    ("if_modified_since", "status"),
    [
        (STORED_AT, "304 Not Modified"),
        ("Tue, 14 Nov 2023 22:13:21 GMT", "304 Not Modified"),  # a second later
        ("Tuesday, 14-Nov-23 22:13:20 GMT", "304 Not Modified"),  # RFC 850 form
        ("Tue Nov 14 22:13:20 2023", "304 Not Modified"),  # asctime form
        ("Tue, 14 Nov 2023 22:13:19 GMT", "200 OK"),  # a second earlier
        ("yesterday", "200 OK"),
        ("Tue, 99 Nov 2023 22:13:20 GMT", "200 OK"),
        ("", "200 OK"),
    ],
)
def test_if_modified_since(if_modified_since: str, status: str) -> None:
    assert STORED_AT == "Tue, 14 Nov 2023 22:13:20 GMT"
    cache = make(Origin())
    call(cache)
    response = call(cache, HTTP_IF_MODIFIED_SINCE=if_modified_since)
    assert response.status == status
    head = call(cache, method="HEAD", HTTP_IF_MODIFIED_SINCE=if_modified_since)
    assert (head.status, head.body) == (status, b"")


def test_if_modified_since_is_ignored_when_if_none_match_is_present() -> None:
    cache = make(Origin())
    call(cache)
    response = call(cache, HTTP_IF_NONE_MATCH='"other"', HTTP_IF_MODIFIED_SINCE=STORED_AT)
    assert response.status == "200 OK"


def test_a_conditional_request_with_credentials_is_answered_against_the_fresh_200() -> None:
    origin = Origin(body=b"your table")
    cache = make(origin)
    etag = call(cache, HTTP_AUTHORIZATION="Basic YTpi").header("ETag")
    assert etag is not None
    response = call(cache, HTTP_AUTHORIZATION="Basic YTpi", HTTP_IF_NONE_MATCH=etag)
    # The app is asked again (credentials), and its answer is the same bytes: 304.
    assert (response.status, origin.calls, cache.stats.stores) == ("304 Not Modified", 2, 0)


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(max_codepoint=255), max_size=60),
    st.text(st.characters(max_codepoint=255), max_size=60),
)
def test_malformed_conditional_fields_never_raise(if_none_match: str, since: str) -> None:
    cache = make(Origin())
    call(cache)
    for environ in (
        {"HTTP_IF_NONE_MATCH": if_none_match},
        {"HTTP_IF_MODIFIED_SINCE": since},
        {"HTTP_IF_NONE_MATCH": if_none_match, "HTTP_IF_MODIFIED_SINCE": since},
    ):
        assert call(cache, **environ).status in ("200 OK", "304 Not Modified")
        assert call(cache, method="HEAD", **environ).body == b""


@pytest.mark.parametrize(
    "value",
    [
        "-0000",
        "Tue, 14 Nov 2023 22:13:20 -0000",
        "Mon, 1 Jan 0 00:00:00 GMT",
        "1 2 3 4 5",
        "9" * 5000,
    ],
)
def test_odd_dates_parse_or_are_none(value: str) -> None:
    when = http_date(value)
    assert when is None or when.tzinfo is not None


# -- HEAD -------------------------------------------------------------------------------------


def test_head_is_answered_from_the_entry_a_get_stored() -> None:
    origin = Origin()
    cache = make(origin)
    get = call(cache)
    head = call(cache, method="HEAD")
    assert (head.status, head.body, origin.calls) == ("200 OK", b"", 1)
    assert head.header("Content-Length") == str(len(get.body))
    assert head.header("ETag") == get.header("ETag")
    assert head.header("Age") == "0"


def test_a_head_that_misses_goes_to_the_app_and_stores_nothing() -> None:
    origin = Origin()
    cache = make(origin)
    call(cache, method="HEAD")
    assert (origin.calls, cache.stats.stores) == (1, 0)
    assert call(cache).body == b"GET /c? - #2"


# -- what is never stored ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("Cache-Control", "max-age=60"), ("Set-Cookie", "a=1")]),
        ("200 OK", [("Cache-Control", "private, max-age=60")]),
        ("200 OK", [("Cache-Control", "max-age=60, no-store")]),
        ("200 OK", [("Cache-Control", "max-age=60, no-cache")]),
        ("200 OK", [("Cache-Control", 'max-age=60, no-cache="Set-Cookie"')]),
        ("200 OK", [("Cache-Control", "max-age=60"), ("Cache-Control", "Private")]),
        ("200 OK", []),
        ("200 OK", [("Cache-Control", "public")]),
        ("200 OK", [("Cache-Control", "max-age=0")]),
        ("200 OK", [("Cache-Control", "max-age=-5")]),
        ("200 OK", [("Cache-Control", "max-age=½")]),
        ("200 OK", [("Expires", "Thu, 01 Dec 2094 16:00:00 GMT")]),
        ("200 OK", [("Cache-Control", "max-age=60"), ("Vary", "Accept, *")]),
        ("203 Non-Authoritative Information", [("Cache-Control", "max-age=60")]),
        ("301 Moved Permanently", [("Cache-Control", "max-age=60"), ("Location", "/x")]),
        ("404 Not Found", [("Cache-Control", "max-age=60")]),
    ],
)
def test_responses_that_are_never_stored(status: str, headers: Headers) -> None:
    origin = Origin(status=status, headers=headers)
    cache = make(origin)
    first, second = call(cache), call(cache)
    assert first.status == second.status == status
    assert (origin.calls, origin.closed, cache.stats.stores, cache.stats.bytes) == (2, 2, 0, 0)


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_AUTHORIZATION": "Basic YTpi"},
        {"HTTP_AUTHORIZATION": ""},
        {"HTTP_CACHE_CONTROL": "no-store"},
    ],
)
def test_requests_never_stored_nor_answered_from_the_store(environ: dict[str, str]) -> None:
    """Authorization, even empty, keeps a request from the store (RFC 9111 §3.5)."""
    origin = Origin()
    cache = make(origin)
    assert call(cache, **environ).body.endswith(b"#1")
    assert cache.stats.stores == 0
    call(cache)  # stores #2
    assert call(cache, **environ).body.endswith(b"#3")
    assert call(cache).body.endswith(b"#2")  # the entry was neither used nor replaced
    assert cache.stats.stores == 1


@pytest.mark.parametrize(
    "environ",
    [{"HTTP_CACHE_CONTROL": "no-cache"}, {"HTTP_PRAGMA": "no-cache"}],
)
def test_no_cache_goes_to_the_app_and_its_answer_replaces_the_entry(
    environ: dict[str, str],
) -> None:
    cache = make(Origin())
    call(cache)
    assert call(cache, **environ).body.endswith(b"#2")
    assert call(cache).body.endswith(b"#2")
    assert (cache.stats.stores, cache.stats.entries) == (2, 1)


def test_pragma_is_ignored_beside_cache_control() -> None:
    cache = make(Origin())
    call(cache)
    assert call(cache, HTTP_CACHE_CONTROL="max-age=60", HTTP_PRAGMA="no-cache").body.endswith(b"#1")


def test_a_request_max_age_refuses_an_older_entry() -> None:
    clock = Clock()
    cache = make(Origin(), clock)
    call(cache)
    clock.now += 10
    assert call(cache, HTTP_CACHE_CONTROL="max-age=10").body.endswith(b"#1")
    assert call(cache, HTTP_CACHE_CONTROL="max-age=9").body.endswith(b"#2")


@pytest.mark.parametrize(
    "environ",
    [{"HTTP_IF_MATCH": '"x"'}, {"HTTP_IF_UNMODIFIED_SINCE": "Sun, 06 Nov 1994 08:49:37 GMT"}],
)
def test_preconditions_for_the_origin_go_to_the_app(environ: dict[str, str]) -> None:
    origin = Origin()
    cache = make(origin)
    call(cache)
    call(cache, **environ)
    assert origin.calls == 2


# -- paths and keys ---------------------------------------------------------------------------


RESPONSE = [b"not cached"]


def listed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")])
    return RESPONSE


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/other"),
        ("GET", "/c/"),  # "/c" is exact
        ("GET", "/cc"),
        ("GET", "/p"),  # "/p/" is a prefix
        ("POST", "/c"),
        ("OPTIONS", "/p/x"),
    ],
)
def test_other_requests_get_the_apps_own_iterable(method: str, path: str) -> None:
    cache = Cache(listed, paths={"/c", "/p/"})
    environ: WSGIEnvironment = {"REQUEST_METHOD": method, "PATH_INFO": path}
    setup_testing_defaults(environ)
    assert cache(environ, lambda status, headers, exc_info=None: lambda data: None) is RESPONSE
    assert cache.stats.misses == 0


def test_a_prefix_matches_script_name_and_path_info_together() -> None:
    origin = Origin()
    cache = make(origin, paths={"/api/v1/rules", "/static/"})
    call(cache, "/v1/rules", SCRIPT_NAME="/api")
    call(cache, "/static/", SCRIPT_NAME="")
    call(cache, "/app.css", SCRIPT_NAME="/static")
    assert cache.stats.stores == 3


def test_the_query_string_is_part_of_the_key() -> None:
    cache = make(Origin())
    assert call(cache, QUERY_STRING="a=1").body == b"GET /c?a=1 - #1"
    assert call(cache, QUERY_STRING="a=2").body == b"GET /c?a=2 - #2"
    assert call(cache).body == b"GET /c? - #3"
    assert call(cache, QUERY_STRING="a=1").body == b"GET /c?a=1 - #1"
    assert cache.stats.entries == 3


def test_vary_keeps_entries_apart() -> None:
    origin = Origin(headers=[("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")])
    cache = make(origin)
    for _ in range(2):
        assert call(cache, HTTP_ACCEPT_ENCODING="gzip").body == b"GET /c? gzip #1"
        assert call(cache, HTTP_ACCEPT_ENCODING="br").body == b"GET /c? br #2"
        assert call(cache).body == b"GET /c? - #3"
    assert (origin.calls, cache.stats.entries, cache.stats.hits) == (3, 3, 3)


def test_a_changed_vary_drops_the_old_entries() -> None:
    origin = Origin(headers=[("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")])
    cache = make(origin)
    call(cache, HTTP_ACCEPT_ENCODING="gzip")
    call(cache, HTTP_ACCEPT_ENCODING="br")
    origin.headers = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]
    call(cache, HTTP_ACCEPT_ENCODING="gzip", HTTP_CACHE_CONTROL="no-cache")
    assert cache.stats.entries == 1
    assert call(cache, HTTP_ACCEPT_ENCODING="br").body == b"GET /c? gzip #3"  # by language now


@pytest.mark.parametrize(("status", "dropped"), [("201 Created", True), ("409 Conflict", False)])
def test_an_unsafe_method_answered_without_error_drops_the_url(status: str, dropped: bool) -> None:
    origin = Origin()
    cache = make(origin)
    call(cache, QUERY_STRING="q")
    call(cache, QUERY_STRING="other")
    origin.status = status
    call(cache, method="POST", QUERY_STRING="q")
    origin.status = "200 OK"
    assert call(cache, QUERY_STRING="q").body.endswith(b"#4" if dropped else b"#1")
    assert call(cache, QUERY_STRING="other").body.endswith(b"#2")


# -- bounds -----------------------------------------------------------------------------------


def sized(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """An app whose body for /p/NAME?n=SIZE is SIZE bytes derived from NAME (the same each time)."""
    size = int(environ["QUERY_STRING"].removeprefix("n="))
    body = (environ["PATH_INFO"].encode() * (size + 1))[:size]
    start_response(
        "200 OK",
        [("Content-Type", "application/octet-stream"), ("Cache-Control", "max-age=20")],
    )
    return [body[: size // 2], body[size // 2 :]]


def expected(name: int, size: int) -> bytes:
    return (f"/p/{name}".encode() * (size + 1))[:size]


def entry_size(cache: Cache, size: int) -> int:
    before = cache.stats.bytes
    call(cache, "/p/0", QUERY_STRING=f"n={size}")
    return cache.stats.bytes - before


def test_least_recently_used_entries_make_room() -> None:
    room = entry_size(make(sized), 100)
    cache = make(sized, max_bytes=3 * room, max_entry_bytes=room)
    for name in (1, 2, 3):
        call(cache, f"/p/{name}", QUERY_STRING="n=100")
    call(cache, "/p/1", QUERY_STRING="n=100")  # 2 is now the least recently used
    call(cache, "/p/4", QUERY_STRING="n=100")
    stats = cache.stats
    assert (stats.entries, stats.evictions, stats.bytes) == (3, 1, 3 * room)
    hits = stats.hits
    for name in (1, 3, 4):
        call(cache, f"/p/{name}", QUERY_STRING="n=100")
    assert cache.stats.hits == hits + 3
    call(cache, "/p/2", QUERY_STRING="n=100")
    assert cache.stats.hits == hits + 3  # 2 was evicted


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 2_000),
    st.integers(1, 3),
    st.lists(st.integers(0, 300), min_size=10, max_size=10),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 8)), min_size=1, max_size=80),
)
def test_stored_bytes_never_exceed_the_bound(
    max_bytes: int, share: int, sizes: list[int], requests: list[tuple[int, int]]
) -> None:
    """Random requests to ten URLs, each with a body size of its own, as the clock moves."""
    clock = Clock()
    cache = make(sized, clock, max_bytes=max_bytes, max_entry_bytes=max_bytes // share)
    for name, seconds in requests:
        clock.now += seconds
        response = call(cache, f"/p/{name}", QUERY_STRING=f"n={sizes[name]}")
        assert response.body == expected(name, sizes[name])
        stats = cache.stats
        assert 0 <= stats.bytes <= max_bytes
        assert (stats.bytes == 0) == (stats.entries == 0)
    stats = cache.stats
    assert stats.hits + stats.misses == len(requests)
    assert stats.entries <= stats.stores - stats.evictions


def test_many_distinct_urls_stay_within_the_bound() -> None:
    room = entry_size(make(sized), 100)
    cache = make(sized, max_bytes=10 * room + room // 2, max_entry_bytes=2 * room)
    for number in range(500):
        call(cache, f"/p/{number:03}", QUERY_STRING="n=100")
        assert cache.stats.bytes <= 10 * room + room // 2
    stats = cache.stats
    assert (stats.entries, stats.stores, stats.evictions) == (10, 500, 490)


def test_a_response_larger_than_an_entry_streams_through_unstored() -> None:
    closed: list[bool] = []

    def large(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=9")])
        yield from [b"x" * 600] * 5
        closed.append(True)  # reached only if the pipe read it all

    def generated(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = large(environ, start_response)
        return Tracked(body, closed)

    cache = make(generated, max_bytes=8000, max_entry_bytes=1000)
    response = call(cache)
    assert response.body == b"x" * 3000
    assert response.header("ETag") is None  # passed through as the app sent it
    assert closed == [True, True]
    assert (cache.stats.stores, cache.stats.bytes) == (0, 0)


class Tracked:
    def __init__(self, body: Iterable[bytes], closed: list[bool]) -> None:
        self._body, self._closed = body, closed

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        self._closed.append(True)


def test_headers_count_toward_the_entry_limit() -> None:
    origin = Origin(headers=[("Cache-Control", "max-age=60"), ("X-Padding", "p" * 500)])
    cache = make(origin, max_entry_bytes=400)
    call(cache)
    call(cache)
    assert (origin.calls, cache.stats.stores) == (2, 0)


@pytest.mark.parametrize(
    ("options", "paths"),
    [
        ({"max_bytes": 100, "max_entry_bytes": 101}, {"/c"}),
        ({"max_bytes": -1}, {"/c"}),
        ({}, {"c"}),
        ({}, "/c"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], paths: Any) -> None:
    with pytest.raises(ValueError, match=r"max_entry_bytes|paths"):
        Cache(listed, paths=paths, **options)


# -- the app's side of PEP 3333 ---------------------------------------------------------------


def test_the_write_callable_is_collected_and_stored() -> None:
    calls: list[int] = []

    def legacy(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        calls.append(1)
        write = start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")]
        )
        write(b"written, ")
        return [b"then returned"]

    cache = make(legacy)
    assert call(cache).body == call(cache).body == b"written, then returned"
    assert calls == [1]


def test_a_start_response_replaced_after_an_error_is_what_is_sent() -> None:
    def failing(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=9")])
        try:
            raise RuntimeError("lost the table")
        except RuntimeError:
            start_response(
                "500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info()
            )
        return [b"sorry"]

    cache = make(failing)
    response = call(cache)
    assert (response.status, response.body, cache.stats.stores) == (
        "500 Internal Server Error",
        b"sorry",
        0,
    )


def test_an_error_after_a_streamed_start_is_re_raised_to_the_app() -> None:
    """PEP 3333: start_response with exc_info re-raises once the headers are out."""
    caught: list[BaseException] = []

    def late_failure(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"x" * 2000
        try:
            raise RuntimeError("the wheel jammed")
        except RuntimeError:
            try:
                start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
            except RuntimeError as error:
                caught.append(error)
                raise

    with pytest.raises(RuntimeError, match="jammed"):
        call(make(late_failure, max_entry_bytes=1000))
    assert len(caught) == 1


def test_an_exception_from_the_app_propagates_and_its_body_is_closed() -> None:
    closed: list[bool] = []

    def broken(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def body() -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"half"
            raise OSError("disk gone")

        return Tracked(body(), closed)

    with pytest.raises(OSError, match="disk gone"):
        call(make(broken))
    assert closed == [True]


# -- threads ----------------------------------------------------------------------------------


def test_many_threads_at_once_get_the_right_bodies() -> None:
    threads, rounds = 12, 40

    def slow(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        time.sleep(0.0005)  # let the misses overlap
        return sized(environ, start_response)

    room = entry_size(make(sized), 300)
    cache = Cache(validator(slow), paths={"/p/"}, max_bytes=6 * room, max_entry_bytes=room)
    barrier = threading.Barrier(threads)
    failures: list[str] = []

    def client(number: int) -> None:
        barrier.wait()
        for turn in range(rounds):
            name = turn % 3 if turn % 2 else 100 + number  # shared URLs and a URL of its own
            size = 300 - name % 7
            response = call(cache, f"/p/{name}", QUERY_STRING=f"n={size}")
            if response.body != expected(name, size):
                failures.append(f"{number}/{turn}: {response.body[:30]!r}")

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    stats = cache.stats
    assert stats.hits + stats.misses == threads * rounds
    assert stats.hits > 0
    assert stats.bytes <= 6 * room


# -- the pure helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "directives"),
    [
        ("max-age=60, Public", {"max-age": "60", "public": ""}),
        ('no-cache="Set-Cookie, X", max-age=5', {"no-cache": "Set-Cookie, X", "max-age": "5"}),
        ('max-age="7"', {"max-age": "7"}),
        ("max-age=1, max-age=2", {"max-age": "1"}),  # the first counts (RFC 9111 §4.2.1)
        ("junk ;; private", {"junk": "", "private": ""}),
        ("", {}),
    ],
)
def test_parse_cache_control(value: str, directives: dict[str, str]) -> None:
    assert parse_cache_control(value) == directives


@pytest.mark.parametrize(
    ("argument", "seconds"),
    [
        ("60", 60),
        ("0", 0),
        (None, None),
        ("-1", None),
        ("1.5", None),
        ("٣", None),
        ("9" * 5000, 2**31),
    ],
)
def test_delta_seconds(argument: str | None, seconds: int | None) -> None:
    assert delta_seconds(argument) == seconds


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ('"a", W/"b"', frozenset({"a", "b"})),
        (" * ", "*"),
        ('"a,b"', frozenset({"a,b"})),  # a comma may sit inside the quotes
        ('"a" "b"', None),
        ("a", None),
        (",", None),
    ],
)
def test_parse_entity_tags(value: str, tags: object) -> None:
    assert parse_entity_tags(value) == tags


def test_a_cookie_is_not_credentials_but_a_private_answer_is_never_stored() -> None:
    """Browsers send their visit cookie everywhere: public answers are still shared."""
    origin = Origin()
    cache = make(origin)
    call(cache, HTTP_COOKIE="visit=abc")
    assert call(cache, HTTP_COOKIE="visit=other").body.endswith(b"#1")
    assert cache.stats.hits == 1
